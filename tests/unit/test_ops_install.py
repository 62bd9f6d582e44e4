"""The `shortener-ops` command `make setup` installs (pyproject.toml's [project.scripts]) runs
from any folder, not only from the repository root (issue 13)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / ".venv" / "bin" / "shortener-ops"


def run_script(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.exists(), f"{SCRIPT} is missing: `make setup` installs it"
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name != "PYTHONPATH"
    }
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        env={**base, "HOME": str(cwd), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_runs_from_another_folder_under_its_own_name(tmp_path: Path) -> None:
    completed = run_script("dlq", "peek", "--help", cwd=tmp_path)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: shortener-ops dlq peek")


def test_a_scheme_less_endpoint_is_one_line_from_another_folder(tmp_path: Path) -> None:
    completed = run_script("dlq", "list", cwd=tmp_path, AWS_ENDPOINT_URL="127.0.0.1:4566")

    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().splitlines() == [
        "error: AWS_ENDPOINT_URL='127.0.0.1:4566' is not a URL: give it a scheme and a host, "
        "e.g. AWS_ENDPOINT_URL=http://127.0.0.1:4566"
    ]
