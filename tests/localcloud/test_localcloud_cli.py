"""`python -m localcloud` serves in the foreground, prints its report, and stops cleanly on
Ctrl-C or SIGTERM, leaving no worker process behind."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest
import requests

from localcloud.cli import parse_args
from localcloud.synth import synth_command
from tests.localcloud.support import MINI, eventually

pytestmark = pytest.mark.integration
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_context_pairs_reach_the_synthesis() -> None:
    """`make run CONTEXT="waf=true"`: a local stack with what a deployed stage has."""
    args = parse_args(["--context", "waf=true", "--context", "waf_api_rate_limit=50"])
    assert args.context == [("waf", "true"), ("waf_api_rate_limit", "50")]
    command = synth_command(Path("out"), 3000, dict(args.context), cdn_port=8080)
    assert command[-4:] == ["-c", "waf=true", "-c", "waf_api_rate_limit=50"]
    with pytest.raises(SystemExit):
        parse_args(["--context", "waf"])


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_it_serves_then_stops_with_no_orphans(stop_signal: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "--no-synth", "--cdk-out", str(MINI),
         "--aws-port", "0", "--api-port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True)
    reader.start()
    try:
        eventually(lambda: any("every function is warm" in line for line in lines), 120, "warm")
        output = "".join(lines)
        api_url = next(line.split()[1] for line in lines if line.startswith("API "))
        workers = psutil.Process(process.pid).children(recursive=True)

        assert "Serving after" in output
        assert re.search(r"^ItemsTable +AWS::DynamoDB::Table +moto$", output, re.MULTILINE)
        assert "aws cloudformation describe-stacks --stack-name Mini" in output
        assert len(workers) == 6  # one warm worker per function of the fixture
        assert requests.get(f"{api_url}/echo/fixed", timeout=30).status_code == 200

        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(timeout=5)
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert alive == []
    assert "Stopped." in "".join(lines)
