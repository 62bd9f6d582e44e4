"""The README's "Try it" block works pasted as it is into a fresh shell (issue 13, "The first five
minutes"), and the operator CLI works from any folder.

The block runs with `bash -euo pipefail` from the repository root, in an environment with no AWS
variables and a HOME of its own (no ~/.aws), with the local cloud's real ports in place of 3000
and 4566. Each command runs after a marker line, so that what it printed, and the one that
failed, can be told apart; the assertions are what the README says each one shows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.integration.helpers import REPO_ROOT, ops_env, run_ops_json

pytest_plugins = ["tests.integration.fixtures"]
pytestmark = pytest.mark.integration

README = REPO_ROOT / "README.md"
SECTION = "## Try it"
BASH_BLOCK = re.compile(r"^```bash[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
PLACEHOLDER = re.compile(r"<[A-Za-z_][A-Za-z0-9_ -]*>")
MARKER = "::readme-step::"
TARGET = "https://example.com/a/long/path"
TIMEOUT_SECONDS = 300
VENV_BIN = REPO_ROOT / ".venv" / "bin"


def try_it_commands(markdown: str) -> list[str]:
    """The commands of the bash blocks under "## Try it", continuation lines joined."""
    start = markdown.index(SECTION)
    end = markdown.find("\n## ", start + len(SECTION))
    section = markdown[start : end if end != -1 else None]
    commands = []
    for block in BASH_BLOCK.findall(section):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(line.strip())
    return commands


@dataclass
class Step:
    command: str
    stdout: str
    stderr: str


def _split(output: str, count: int) -> list[str]:
    parts = output.split(MARKER + "\n")
    parts = parts[1:]  # before the first marker: nothing
    return parts + [""] * (count - len(parts))


def _fresh_environment(home: Path) -> dict[str, str]:
    """A new login shell's environment: no AWS_* variable, no ~/.aws, no activated venv."""
    keep = ("PATH", "LANG", "LC_ALL", "TERM", "TMPDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    venv = str(VENV_BIN)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv)
    env["HOME"] = str(home)
    return env


def _with_ports(text: str, api_url: str, aws_endpoint: str) -> str:
    api, aws = urlparse(api_url), urlparse(aws_endpoint)
    return text.replace("127.0.0.1:3000", api.netloc).replace("127.0.0.1:4566", aws.netloc)


@pytest.fixture(scope="module")
def steps(api_url: str, aws_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> list[Step]:
    commands = try_it_commands(README.read_text())
    assert commands, f"no ```bash block under {SECTION!r} in README.md"
    script = "".join(
        f"echo {MARKER}; echo {MARKER} >&2\n{_with_ports(command, api_url, aws_endpoint)}\n"
        for command in commands
    )
    home = tmp_path_factory.mktemp("readme-home")
    (home / "try-it.sh").write_text(script)
    completed = subprocess.run(
        ["bash", "-euo", "pipefail", str(home / "try-it.sh")],
        cwd=REPO_ROOT,
        env=_fresh_environment(home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    stdouts = _split(completed.stdout, len(commands))
    stderrs = _split(completed.stderr, len(commands))
    ran = [Step(c, o, e) for c, o, e in zip(commands, stdouts, stderrs, strict=True)]
    if completed.returncode != 0:
        reached = completed.stdout.count(MARKER + "\n")
        failed = ran[reached - 1] if reached else None
        raise AssertionError(
            f"the README's Try it block exited {completed.returncode} at "
            f"{failed.command if failed else '(before the first command)'!r}\n"
            f"stdout:\n{failed.stdout if failed else completed.stdout}\n"
            f"stderr:\n{failed.stderr if failed else completed.stderr}"
        )
    return ran


def step(steps: list[Step], starts_with: str) -> Step:
    matches = [s for s in steps if s.command.startswith(starts_with)]
    assert len(matches) == 1, f"one README step starts with {starts_with!r}: {steps}"
    return matches[0]


def test_every_line_pastes_as_it_is() -> None:
    commands = try_it_commands(README.read_text())

    assert commands
    for command in commands:
        assert not PLACEHOLDER.search(command), f"a placeholder to edit in: {command}"
    # It sets up the shell it needs: nothing is inherited from the reader's.
    exported = " ".join(c for c in commands if c.startswith("export "))
    for name in (
        "AWS_ENDPOINT_URL=http://",
        "AWS_ACCESS_KEY_ID=",
        "AWS_SECRET_ACCESS_KEY=",
        "AWS_DEFAULT_REGION=",
        "API_URL=http://",
    ):
        assert name in exported, f"the Try it block does not export {name}"


def test_the_key_is_created_for_the_demo_owner(steps: list[Step], aws_endpoint: str) -> None:
    created = step(steps, "KEY=$(shortener-ops keys create")

    assert created.stderr.strip() == ""  # no traceback, no error line
    keys = run_ops_json(aws_endpoint, "keys", "list", "--owner", "demo")
    assert any(key["email"] == "demo@example.com" and not key["revoked_at"] for key in keys)


def test_the_link_answers_201_and_prints_its_short_url(steps: list[Step], cdn_url: str) -> None:
    posted = step(steps, 'LINK=$(curl -sS -D /dev/stderr -X POST "$API_URL/links"')
    shown = step(steps, 'echo "$LINK"')

    assert re.match(r"HTTP/1\.1 201\b", posted.stderr), posted.stderr
    link: dict[str, Any] = json.loads(shown.stdout)
    assert link["url"] == TARGET
    assert link["short_url"] == f"{cdn_url}/{link['code']}"


def test_the_short_url_redirects_to_the_target(steps: list[Step]) -> None:
    followed = step(steps, 'curl -si "$SHORT_URL"')

    status_line = followed.stdout.splitlines()[0]
    assert re.match(r"HTTP/1\.1 302\b", status_line), followed.stdout
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in followed.stdout.splitlines()[1:])
        if value
    }
    assert headers.get("location") == TARGET


def test_the_aws_cli_reaches_the_local_cloud(
    steps: list[Step], aws_endpoint: str, stack_name: str
) -> None:
    described = step(steps, "aws cloudformation describe-stacks")
    queues = step(steps, "aws sqs list-queues")

    assert stack_name == "Shortener-dev"  # the name the README's command uses
    assert described.stdout.strip() == "CREATE_COMPLETE"
    urls = [word for word in queues.stdout.split() if word.startswith("http")]
    assert urls, queues.stdout
    assert all(url.startswith(aws_endpoint.rstrip("/") + "/") for url in urls)


def test_shortener_ops_lists_the_dead_letter_queues(steps: list[Step]) -> None:
    listed = step(steps, "shortener-ops dlq list")

    for alias in ("qr-dlq", "stats-dlq", "email-dlq", "webhooks-dlq", "cdn-dlq", "pipe-dlq"):
        assert alias in listed.stdout


def test_shortener_ops_works_from_any_folder(aws_endpoint: str, tmp_path: Path) -> None:
    """The installed console script, run from /tmp with only AWS_ENDPOINT_URL pointing it."""
    env = {**ops_env(aws_endpoint), "HOME": str(tmp_path)}
    env.pop("PYTHONPATH", None)

    completed = subprocess.run(
        [str(VENV_BIN / "shortener-ops"), "dlq", "list", "--json"],
        cwd="/tmp",
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    dlqs = json.loads(completed.stdout)
    assert {"qr-dlq", "pipe-dlq"} <= {dlq["alias"] for dlq in dlqs}
    assert all(isinstance(dlq["depth"], int) for dlq in dlqs)
