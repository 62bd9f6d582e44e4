"""`python -m ops`: the argument parser, and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ops import dlq, keys, replay, smoke, webhooks
from ops.aws import check_endpoint_variables, default_local_credentials
from ops.context import Context
from ops.errors import EXIT_CODES_HELP, ExitCode, translate
from ops.filters import FILTER_HELP
from ops.output import Output
from shortener.scopes import ALL_SCOPES

DEFAULT_STACK = "Shortener-dev"
STACK_ENV = "SHORTENER_STACK"
CONSOLE_SCRIPT = "shortener-ops"  # pyproject.toml's [project.scripts]
# Options whose values may start with "-" (relative times such as -15m).
_DASH_VALUED_OPTIONS = ("--from", "--to", "--since")

DESCRIPTION = """\
Operate a deployed Shortener stack: API keys, dead-letter queues, event replays, partner
webhooks, and a smoke check of the whole stack.

Talks to AWS with the usual credentials and region (default us-east-1), or to whatever
AWS_ENDPOINT_URL names (the local cloud: AWS_ENDPOINT_URL=http://127.0.0.1:4566). Resources
are found through the CloudFormation stack (--stack, else $SHORTENER_STACK, else Shortener-dev).
Every command takes --json; long work shows progress on stderr. See docs/runbook.md."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _rate(text: str) -> int:
    value = _positive_int(text)
    if value > 500:  # StartMessageMoveTask's limit; the same bound keeps both paths alike
        raise argparse.ArgumentTypeError("at most 500 messages per second")
    return value


def _prog() -> str:
    """How the user called the CLI: the `shortener-ops` script, or `python -m ops`."""
    script = os.path.basename(sys.argv[0]) if sys.argv else ""
    return script if script == CONSOLE_SCRIPT else "python -m ops"


def build_parser() -> argparse.ArgumentParser:
    # --json and --stack work before or after the command; SUPPRESS keeps a sub-command's
    # default from overwriting a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON for scripts"
    )
    common.add_argument(
        "--stack",
        default=argparse.SUPPRESS,
        help=f"stack name (default: ${STACK_ENV} or {DEFAULT_STACK})",
    )

    parser = argparse.ArgumentParser(
        prog=_prog(),
        description=DESCRIPTION,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", default=False, help="print JSON for scripts")
    parser.add_argument(
        "--stack", default=None, help=f"stack name (default: ${STACK_ENV} or {DEFAULT_STACK})"
    )
    groups = parser.add_subparsers(
        dest="group", required=True, metavar="{keys,dlq,events,webhooks,smoke}"
    )

    def command(
        group: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
    ) -> argparse.ArgumentParser:
        return group.add_parser(
            name,
            parents=[common],
            help=help_text,
            description=help_text,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    keys_group = groups.add_parser("keys", help="API keys").add_subparsers(
        dest="command", required=True
    )
    create = command(
        keys_group, "create", "create an API key; it is printed once, only its hash is kept"
    )
    create.add_argument("--owner", required=True)
    create.add_argument("--email")
    create.add_argument(
        "--plan",
        default=keys.DEFAULT_PLAN,
        help=f"usage plan: rate, burst and daily quota (default {keys.DEFAULT_PLAN})",
    )
    create.add_argument(
        "--scopes",
        metavar="S,...",
        help=f"comma-separated, of {', '.join(ALL_SCOPES)} (default: all)",
    )
    listing = command(keys_group, "list", "list API keys with plan and scopes (never the keys)")
    listing.add_argument("--owner")
    set_plan = command(keys_group, "set-plan", "move an API key to another usage plan")
    set_plan.add_argument("key_id", metavar="KEY_ID")
    set_plan.add_argument("plan", metavar="PLAN")
    revoke = command(
        keys_group,
        "revoke",
        "revoke an API key by its key id (key_...): refused from its next request on",
    )
    revoke.add_argument("key_id", metavar="KEY_ID")

    dlq_group = groups.add_parser("dlq", help="dead-letter queues").add_subparsers(
        dest="command", required=True
    )
    command(
        dlq_group, "list", "every DLQ of the stack with its source, depth and oldest message age"
    )
    peek = command(
        dlq_group,
        "peek",
        "show messages decoded (event id, type, code, receives, last error); moves nothing",
    )
    peek.add_argument("queue", metavar="QUEUE")
    peek.add_argument("-n", type=_positive_int, default=10, help="how many messages (default 10)")
    redrive = command(dlq_group, "redrive", "move messages back to the queue they came from")
    redrive.add_argument("queue", metavar="QUEUE")
    redrive.add_argument("--filter", action="append", default=[], metavar="EXPR", help=FILTER_HELP)
    redrive.add_argument(
        "--rate", type=_rate, help="messages per second (1-500; default: no limit)"
    )
    redrive.add_argument(
        "--max",
        type=_positive_int,
        dest="max_messages",
        metavar="N",
        help="move at most N messages",
    )
    redrive.add_argument(
        "--dry-run", action="store_true", help="list what would move; move nothing"
    )
    purge = command(dlq_group, "purge", "delete every message of a DLQ for good (needs --yes)")
    purge.add_argument("queue", metavar="QUEUE")
    purge.add_argument("--yes", action="store_true", help="confirm")
    export = command(
        dlq_group, "export", "write every message as JSON lines to stdout; deletes nothing"
    )
    export.add_argument("queue", metavar="QUEUE")

    events_group = groups.add_parser("events", help="the event bus").add_subparsers(
        dest="command", required=True
    )
    replay_parser = command(events_group, "replay", "replay archived events onto the bus")
    replay_parser.add_argument(
        "--from", dest="since", required=True, metavar="T", help=replay.TIME_HELP
    )
    replay_parser.add_argument(
        "--to", dest="until", default="now", metavar="T", help="same forms (default: now)"
    )
    replay_parser.add_argument(
        "--rule", help="only this rule's targets (name or alias: qr, stats, email, webhooks, cdn)"
    )
    webhooks_group = groups.add_parser(
        "webhooks", help="partner endpoints and their deliveries"
    ).add_subparsers(dest="command", required=True)
    endpoints_list = command(
        webhooks_group,
        "list",
        "an owner's endpoints: enabled or disabled, failures in a row, deliveries by state",
    )
    endpoints_list.add_argument("--owner", required=True)
    resend_parser = command(
        webhooks_group, "resend", "deliver one delivery again, with the same webhook-id"
    )
    resend_parser.add_argument("endpoint_id", metavar="ENDPOINT_ID")
    resend_parser.add_argument("delivery_id", metavar="DELIVERY_ID")
    resend_parser.add_argument("--owner", required=True)
    recover_parser = command(
        webhooks_group,
        "recover",
        "deliver again every delivery of an endpoint that failed or was skipped since T",
    )
    recover_parser.add_argument("endpoint_id", metavar="ENDPOINT_ID")
    recover_parser.add_argument("--owner", required=True)
    recover_parser.add_argument("--since", required=True, metavar="T", help=replay.TIME_HELP)
    recover_parser.add_argument(
        "--dry-run", action="store_true", help="count what would be queued; queue nothing"
    )
    smoke_parser = groups.add_parser(
        "smoke",
        parents=[common],
        help="check the stack end to end with a throwaway key and link, then delete both",
        description="A throwaway API key creates a link through the stack's short base URL, "
        "follows its short URL, waits for every side effect and the QR image, then deletes the "
        "link and the key (also when a step fails). Exit code 0 only when every step held.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    smoke_parser.add_argument(
        "--email",
        help=f"the throwaway key's address, for the confirmation email (default "
        f"{smoke.SIMULATOR_RECIPIENT}, SES's mailbox simulator)",
    )
    smoke_parser.add_argument(
        "--wait",
        type=_positive_int,
        default=smoke.DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help=f"how long each wait may take (default {smoke.DEFAULT_WAIT_SECONDS})",
    )
    return parser


def _attach_dash_values(argv: Sequence[str]) -> list[str]:
    """`--from -15m` → `--from=-15m`: argparse would read "-15m" as an unknown option."""
    joined: list[str] = []
    index = 0
    while index < len(argv):
        argument = argv[index]
        if argument in _DASH_VALUED_OPTIONS and index + 1 < len(argv):
            joined.append(f"{argument}={argv[index + 1]}")
            index += 2
        else:
            joined.append(argument)
            index += 1
    return joined


def _run(ctx: Context, args: argparse.Namespace) -> int:
    match (args.group, getattr(args, "command", None)):
        case ("keys", "create"):
            return keys.create(ctx, args.owner, args.email, args.plan, args.scopes)
        case ("keys", "list"):
            return keys.list_keys(ctx, args.owner)
        case ("keys", "set-plan"):
            return keys.set_plan(ctx, args.key_id, args.plan)
        case ("keys", "revoke"):
            return keys.revoke(ctx, args.key_id)
        case ("dlq", "list"):
            return dlq.list_dlqs(ctx)
        case ("dlq", "peek"):
            return dlq.peek(ctx, args.queue, args.n)
        case ("dlq", "redrive"):
            return dlq.redrive_command(
                ctx, args.queue, args.filter, args.rate, args.max_messages, args.dry_run
            )
        case ("dlq", "purge"):
            return dlq.purge(ctx, args.queue, args.yes)
        case ("dlq", "export"):
            return dlq.export(ctx, args.queue)
        case ("events", "replay"):
            return replay.replay(ctx, args.since, args.until, args.rule)
        case ("webhooks", "list"):
            return webhooks.list_endpoints(ctx, args.owner)
        case ("webhooks", "resend"):
            return webhooks.resend(ctx, args.owner, args.endpoint_id, args.delivery_id)
        case ("webhooks", "recover"):
            return webhooks.recover(ctx, args.owner, args.endpoint_id, args.since, args.dry_run)
        case ("smoke", None):
            return smoke.smoke(ctx, args.email, args.wait)
    raise AssertionError(f"no handler for {args.group} {args.command}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (see EXIT_CODES_HELP)."""
    try:
        args = build_parser().parse_args(
            _attach_dash_values(sys.argv[1:] if argv is None else argv)
        )
    except SystemExit as exit_:  # --help (0) or a usage error (2), already printed
        return int(exit_.code or 0)
    out = Output(as_json=args.json, stdout=sys.stdout, stderr=sys.stderr)
    stack_name = args.stack or os.environ.get(STACK_ENV) or DEFAULT_STACK
    try:
        check_endpoint_variables()
        default_local_credentials()
        return _run(Context(stack_name, out), args)
    except KeyboardInterrupt:
        out.error("interrupted; messages being read become visible again by themselves")
        return int(ExitCode.INTERRUPTED)
    except Exception as error:
        failure = translate(error)
        if failure is None:
            raise
        out.error(str(failure))
        return int(failure.exit_code)
