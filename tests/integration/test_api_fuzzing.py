"""The API against its own OpenAPI document, fuzzed by schemathesis on the local cloud: no 500,
and every answer (status, content type, body) as documented. Fixed seed: the same cases every
run, so that a failure reproduces."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.helpers import REPO_ROOT, create_api_key, unique

DOCUMENT = REPO_ROOT / "docs" / "openapi.json"
SEED = 20261126
# Per operation and phase, at most: 21 operations (HEAD beside every GET), both modes.
MAX_EXAMPLES = 120
MIN_CASES = 2000
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
TIMEOUT_SECONDS = 600


# A code that is not one (`webhooks`) is another route of API Gateway's, not a refusal of the
# redirect's: the redirect is fuzzed with valid codes only, every other operation both ways.
RUNS = (
    ("--include-path", "/{code}", "--mode", "positive"),
    ("--exclude-path", "/{code}", "--mode", "all"),
)


def test_the_api_answers_every_fuzzed_request_as_documented(
    api_url: str, aws_endpoint: str, tmp_path: Path
) -> None:
    key = create_api_key(aws_endpoint, unique("fuzz"))
    started = time.monotonic()
    generated = 0
    for number, selection in enumerate(RUNS):
        report_dir = tmp_path / str(number)
        command = [
            sys.executable, "-m", "schemathesis.cli", "run", str(DOCUMENT), *selection,
            "--url", api_url,
            "--header", f"Authorization: Bearer {key}",
            "--checks", ",".join(CHECKS),
            "--max-examples", str(MAX_EXAMPLES),
            "--seed", str(SEED),
            "--generation-deterministic",
            "--phases", "examples,coverage,fuzzing",
            "--workers", "2",
            "--no-color",
            "--report-dir", str(report_dir),
        ]  # fmt: skip
        completed = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
        )
        report = completed.stdout + completed.stderr
        print(report)
        assert completed.returncode == 0, report
        match = re.search(r"(\d+) generated", report)
        assert match, report
        generated += int(match.group(1))
    print(f"schemathesis: {generated} cases in {time.monotonic() - started:.0f} s")
    assert generated >= MIN_CASES
