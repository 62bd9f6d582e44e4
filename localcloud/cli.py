"""`python -m localcloud`: synthesize the app for local use, then serve it in the foreground
until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from localcloud.cloud import LocalCloud
from localcloud.lambda_.workers import DEFAULT_MAX_WORKERS
from localcloud.synth import SynthError, synthesize
from localcloud.template import TemplateError

# Under build/: ignored by git, ruff and mypy, and removed by `make clean`.
DEFAULT_OUT_DIR = "build/cdk.local.out"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud",
        description="Run the synthesized CDK stack locally: moto for AWS, emulated Lambda, "
        "API Gateway, Pipes and SQS triggers.",
    )
    parser.add_argument(
        "--aws-port", type=int, default=int(os.environ.get("AWS_PORT", 4566)),
        help="moto's port (default $AWS_PORT or 4566; 0 picks a free one)",
    )  # fmt: skip
    parser.add_argument(
        "--api-port", type=int, default=int(os.environ.get("API_PORT", 3000)),
        help="the REST API's port (default $API_PORT or 3000)",
    )  # fmt: skip
    parser.add_argument(
        "--cdn-port", type=int, default=int(os.environ.get("CDN_PORT", 8080)),
        help="the CDN's port, where short links start (default $CDN_PORT or 8080)",
    )  # fmt: skip
    parser.add_argument(
        "--ses-sandbox", action="store_true",
        help="refuse mail to unverified recipients too, as SES does for a new account",
    )  # fmt: skip
    parser.add_argument(
        "--cdk-out", type=Path, default=Path(DEFAULT_OUT_DIR),
        help=f"where the cloud assembly goes (default {DEFAULT_OUT_DIR})",
    )  # fmt: skip
    parser.add_argument(
        "--no-synth", action="store_true", help="serve the cloud assembly already in --cdk-out"
    )
    parser.add_argument(
        "--no-iam",
        action="store_true",
        help="do not check the functions' and pipes' AWS calls against their IAM roles",
    )
    parser.add_argument("--stack", help="the stack to serve, when the app has several")
    parser.add_argument(
        "--context", action="append", default=[], metavar="KEY=VALUE", type=_context_pair,
        help="more CDK context for the synthesis (repeatable), e.g. --context waf=true",
    )  # fmt: skip
    parser.add_argument(
        "--max-workers", type=int, default=DEFAULT_MAX_WORKERS,
        help=f"worker processes per function at most (default {DEFAULT_MAX_WORKERS})",
    )  # fmt: skip
    parser.add_argument(
        "--project-dir", type=Path, default=Path.cwd(), help="the CDK app (default: here)"
    )
    return parser.parse_args(argv)


def _context_pair(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: give KEY=VALUE")
    return key, value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    out_dir = args.cdk_out if args.cdk_out.is_absolute() else args.project_dir / args.cdk_out
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    cloud = LocalCloud(
        out_dir,
        args.stack,
        args.aws_port,
        args.api_port,
        cdn_port=args.cdn_port,
        max_workers_per_function=args.max_workers,
        iam=not args.no_iam,
        ses_sandbox=args.ses_sandbox,
    )
    try:
        if not args.no_synth:
            # moto loads its services while the CDK app synthesizes.
            cloud.start_aws()
            print(f"Synthesizing {args.project_dir} for local use ...", flush=True)
            synthesize(
                args.project_dir,
                out_dir,
                args.api_port,
                cdn_port=args.cdn_port,
                extra_context=dict(args.context),
            )
        synthesized = time.perf_counter()
        cloud.start()
    except (SynthError, TemplateError, OSError) as error:
        cloud.stop()
        print(f"localcloud: {error}", file=sys.stderr)
        return 1
    try:
        print("\n".join(cloud.report_lines))
        if cloud.api_url and (args.project_dir / "ops").is_dir():
            print(_ops_example(cloud))
        total = time.perf_counter() - started
        print(
            f"\nServing after {total:.1f} s (synth {synthesized - started:.1f} s, "
            f"start {cloud.timings['start_seconds']:.1f} s). Ctrl-C stops.\n",
            flush=True,
        )
        threading.Thread(target=_announce_warm, args=(cloud,), daemon=True).start()
        stop_requested.wait()
        print("\nStopping ...", flush=True)
    finally:
        cloud.stop()
    print("Stopped.")
    return 0


def _announce_warm(cloud: LocalCloud) -> None:
    if cloud.wait_warm():
        seconds = cloud.timings.get("warm_seconds", 0.0)
        cloud.logs.emit("localcloud", f"every function is warm ({seconds:.1f} s)")


def _ops_example(cloud: LocalCloud) -> str:
    """This project's first request: a key from the ops CLI, then a link."""
    python = sys.executable
    return "\n".join(
        [
            f"  KEY=$({python} -m ops keys create --owner demo --email demo@example.com --json"
            " | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"key\"])')",
            f'  curl -s -X POST {cloud.api_url}/links -H "Authorization: Bearer $KEY"'
            " -H 'Content-Type: application/json' -d '{\"url\": \"https://example.com\"}'",
        ]
    )
