"""`make synth|deploy|diff STAGE=... CONTEXT="k=v ..."` (issue 13): the stage and context reach
the CDK CLI as `-c` options, and a stage, context or variable make cannot use fails at once with
a message saying what to write instead. Dry runs (`make -n`): nothing is synthesized or deployed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make_n(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-n", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def cdk_command(completed: subprocess.CompletedProcess[str], verb: str) -> str:
    assert completed.returncode == 0, completed.stderr
    (line,) = [
        line for line in completed.stdout.splitlines() if f" cdk --no-notices {verb}" in line
    ]
    return line


@pytest.mark.parametrize("verb", ["synth", "deploy", "diff"])
def test_the_stage_defaults_to_dev(verb: str) -> None:
    assert cdk_command(make_n(verb), verb).split(f" {verb} ", 1)[1].split() == [
        *(["--quiet"] if verb == "synth" else ["--all"]),
        "-c",
        "stage=dev",
    ]


@pytest.mark.parametrize("verb", ["synth", "deploy", "diff"])
def test_stage_and_context_pairs_become_cdk_context(verb: str) -> None:
    line = cdk_command(
        make_n(verb, "STAGE=prod", "CONTEXT=alarm_email=ops@example.com local=false"), verb
    )

    assert line.endswith("-c stage=prod -c alarm_email=ops@example.com -c local=false")


def test_every_stage_of_cdk_json_is_accepted() -> None:
    stages = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]["stages"]

    for stage in stages:
        assert f"-c stage={stage}" in cdk_command(make_n("synth", f"STAGE={stage}"), "synth")


def test_an_unknown_stage_fails_naming_the_known_ones() -> None:
    completed = make_n("synth", "STAGE=qa")

    assert completed.returncode != 0
    assert "unknown STAGE=qa" in completed.stderr
    assert "dev prod" in completed.stderr
    assert "cdk" not in completed.stdout


@pytest.mark.parametrize(
    ("context", "says"),
    [
        ("alarm_email", "every item must be k=v"),
        ("=x", "every item must be k=v"),
        ("stage=prod", "use STAGE=prod"),
    ],
)
def test_context_that_is_not_pairs_or_sets_the_stage_fails(context: str, says: str) -> None:
    completed = make_n("deploy", f"CONTEXT={context}")

    assert completed.returncode != 0
    assert says in completed.stderr


def test_args_is_not_silently_ignored() -> None:
    completed = make_n("synth", "ARGS=-c stage=prod")

    assert completed.returncode != 0
    assert "STAGE=" in completed.stderr
    assert "CONTEXT=" in completed.stderr


def test_bootstrap_synthesizes_with_the_same_stage_and_context() -> None:
    line = cdk_command(
        make_n("bootstrap", "STAGE=prod", "CONTEXT=email_sender=a@example.org"), "bootstrap"
    )

    assert line.endswith("bootstrap -c stage=prod -c email_sender=a@example.org")


def test_help_names_every_context_key_a_deploy_can_set() -> None:
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    stage_settings = {key for settings in context["stages"].values() for key in settings}
    # Set otherwise: STAGE=, and `local` (with its own schedule) by `make run` only.
    by_make_itself = {
        "stage",
        "stages",
        "local",
        "local_webhook_retry_delays_seconds",
        "local_webhook_disable_after",
    }
    keys = {key for key in context if not key.startswith("@")} - by_make_itself
    keys |= stage_settings | {"email_identity"}
    completed = subprocess.run(
        ["make", "help"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )

    assert {key for key in keys if key not in completed.stdout} == set()
