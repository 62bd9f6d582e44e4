"""Synthesize the CDK app for the local cloud, with the CDK CLI (the app is never imported)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

LOOPBACK = "127.0.0.1"
_CDK_ENVIRONMENT = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK_DISABLE_CLI_TELEMETRY": "1",
    "CDK_DISABLE_VERSION_CHECK": "1",
}


class SynthError(Exception):
    """The CDK app did not synthesize; the message carries the CLI's output."""


def synth_command(
    out_dir: Path, api_port: int, extra_context: Mapping[str, str], cdn_port: int | None = None
) -> list[str]:
    """Short links start at the CDN's address, as on AWS (the API's without a CDN port)."""
    api_origin = f"http://{LOOPBACK}:{api_port}"
    short_base_url = f"http://{LOOPBACK}:{cdn_port}" if cdn_port else api_origin
    context = {"local": "true", "short_base_url": short_base_url, "api_origin": api_origin}
    context.update(extra_context)
    command = ["npx", "--no-install", "cdk", "synth", "--quiet", "--no-notices", "-o", str(out_dir)]
    for key, value in context.items():
        command += ["-c", f"{key}={value}"]
    return command


def synthesize(
    project_dir: Path,
    out_dir: Path,
    api_port: int,
    extra_context: Mapping[str, str] | None = None,
    *,
    cdn_port: int | None = None,
) -> Path:
    """Run `cdk synth` for local use in `project_dir`; the cloud assembly lands in `out_dir`."""
    out_dir = Path(out_dir).resolve()
    completed = subprocess.run(
        synth_command(out_dir, api_port, extra_context or {}, cdn_port),
        cwd=project_dir,
        env={**os.environ, **_CDK_ENVIRONMENT},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        output = "\n".join(part for part in (completed.stdout, completed.stderr) if part)
        raise SynthError(f"cdk synth failed in {project_dir}:\n{output.strip()}")
    return out_dir
