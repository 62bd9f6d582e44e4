"""Every `python -m ops` command that docs/runbook.md tells an operator to run works, exit code
0, against the local cloud (issue 5: "A test runs each documented command").

The commands are the lines starting with `python -m ops` in the runbook's ```bash blocks, run
as written by bash (so `> file.jsonl` works) in a scratch folder. Placeholders a command may
carry, and what they become here:

| placeholder | becomes |
|---|---|
| `<STACK>` | the local cloud's stack name |
| `<DLQ>`, `<QUEUE>` | `qr-dlq` (an alias `dlq list` prints) |
| `<RULE>` | `qr` |
| `<CODE>` | a link code of the test's own |
| `<EVENT_ID>` | an event id (`evt_` + 32 hex) |
| `<ENDPOINT_ID>` | a webhook endpoint of `<OWNER>`'s (to a loopback port nobody listens on) |
| `<OWNER>`, `<EMAIL>` | an owner of the test's own and their address |
| `<KEY_ID>` | the id of a key made for the test |
| `<FROM>`, `<TO>` | `-10m`, `now` |

A placeholder not in this table fails the test that meets it, naming it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.helpers import (
    REPO_ROOT,
    ApiClient,
    Stack,
    new_code,
    ops_env,
    run_ops_json,
    unique,
    wait_for_drain,
)

pytest_plugins = ["tests.integration.fixtures"]
pytestmark = pytest.mark.integration

RUNBOOK = REPO_ROOT / "docs" / "runbook.md"
OPS_COMMAND = re.compile(r"^python -m ops\b")
PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*)>")
BASH_BLOCK = re.compile(r"^```bash[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
DRAIN_TIMEOUT = 240  # a documented replay re-sends every archived event of the session


def documented_commands(markdown: str) -> list[str]:
    """The `python -m ops ...` lines of the ```bash blocks, continuation lines joined."""
    commands = []
    for block in BASH_BLOCK.findall(markdown):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.strip().removeprefix("$ ")
            if OPS_COMMAND.match(command):
                commands.append(command)
    return commands


COMMANDS = documented_commands(RUNBOOK.read_text()) if RUNBOOK.exists() else []


@pytest.fixture(scope="module")
def placeholders(stack_name: str, aws_endpoint: str, api_url: str) -> dict[str, str]:
    owner = unique("runbook")
    key = run_ops_json(aws_endpoint, "keys", "create", "--owner", owner)
    endpoint = ApiClient(api_url, str(key["key"])).subscribe(
        "http://127.0.0.1:9/runbook", ["link.deleted"]
    )
    return {
        "STACK": stack_name,
        "DLQ": "qr-dlq",
        "QUEUE": "qr-dlq",
        "RULE": "qr",
        "CODE": new_code(),
        "EVENT_ID": "evt_" + "0" * 32,
        "ENDPOINT_ID": str(endpoint["id"]),
        "OWNER": owner,
        "EMAIL": f"{owner}@example.com",
        "KEY_ID": str(key["key_id"]),
        "FROM": "-10m",
        "TO": "now",
    }


@pytest.fixture(scope="module", autouse=True)
def quiet_afterwards(stack: Stack) -> Iterator[None]:
    """Documented redrives and replays send work through the pipeline: let it finish before
    the next module's tests look at the queues."""
    yield
    wait_for_drain(stack.sqs, stack.pipeline_queue_urls(), DRAIN_TIMEOUT)


def test_the_runbook_documents_redrive_and_replay() -> None:
    assert RUNBOOK.exists(), "docs/runbook.md is missing"
    documented = " ".join(COMMANDS)

    for command in (
        "dlq list",
        "dlq peek",
        "dlq redrive",
        "dlq purge",
        "events replay",
        "webhooks list",
        "webhooks recover",
    ):
        assert f"python -m ops {command}" in documented, command


@pytest.mark.parametrize("command", COMMANDS)
def test_a_documented_command_succeeds_on_the_local_cloud(
    command: str, placeholders: dict[str, str], aws_endpoint: str, tmp_path: Path
) -> None:
    unknown = sorted(set(PLACEHOLDER.findall(command)) - set(placeholders))
    assert unknown == [], f"placeholders this test does not know: {unknown}"
    runnable = PLACEHOLDER.sub(lambda match: placeholders[match[1]], command)
    python_dir = str(Path(sys.executable).parent)
    env = ops_env(aws_endpoint)
    env["PATH"] = f"{python_dir}:{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO_ROOT)

    completed = subprocess.run(
        ["bash", "-c", runnable],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert completed.returncode == 0, (
        f"{runnable}\nexit {completed.returncode}\n"
        f"stdout:\n{completed.stdout[-3000:]}\nstderr:\n{completed.stderr[-3000:]}"
    )
    if "--json" in runnable.split():
        json.loads(completed.stdout)
