"""The start-up report: one line per template resource saying how it is served, then where
to reach the stack and what to try first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from localcloud.provisioning import ProvisionedResource
from localcloud.retention.kinesis import KEPT_RECORDS_PER_SHARD
from localcloud.retention.sqs import KEPT_RECEIPTS

MAX_ID_COLUMN = 44


def status_text(item: ProvisionedResource) -> str:
    outcome = item.outcome
    if outcome.served_by == "skipped":
        return f"skipped: {outcome.note}"
    return f"{outcome.served_by} ({outcome.note})" if outcome.note else outcome.served_by


def resource_lines(items: Iterable[ProvisionedResource]) -> list[str]:
    rows = [(item.logical_id, item.type, status_text(item)) for item in items]
    if not rows:
        return []
    # Past this width a logical id pushes its own line's columns instead of everyone's.
    id_width = min(max(len(row[0]) for row in rows), MAX_ID_COLUMN)
    type_width = max(len(row[1]) for row in rows)
    return [f"{lid:<{id_width}}  {rtype:<{type_width}}  {status}" for lid, rtype, status in rows]


def endpoint_lines(
    *,
    stack_name: str,
    api_url: str | None,
    aws_endpoint: str,
    cdn_url: str | None = None,
    routes: Iterable[str],
    outputs: Mapping[str, str],
) -> list[str]:
    lines = [
        f"Stack      {stack_name}",
        f"API        {api_url or '(the template has no REST API)'}",
        f"CDN        {cdn_url or '(the template has no CloudFront distribution)'}",
        f"AWS        {aws_endpoint}  (region us-east-1, any credentials)",
        # What the memory bounds change (localcloud.retention): one difference from AWS.
        "  bounded  a long session keeps what the services hold, not every request: SQS "
        f"remembers the receipt handles of a queue's last {KEPT_RECEIPTS:,} deletions (a "
        "DeleteMessage with an older one is refused; SQS accepts it); a Kinesis shard keeps "
        f"its last {KEPT_RECORDS_PER_SHARD:,} records (within the stream's retention period)",
    ]
    for route in routes:
        lines.append(f"  route    {route}")
    for key, value in outputs.items():
        lines.append(f"  output   {key} = {value}")
    lines += [
        "",
        "Try it:",
        f"  export AWS_ENDPOINT_URL={aws_endpoint} AWS_DEFAULT_REGION=us-east-1 "
        "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing",
        # --endpoint-url: AWS CLI v1 ignores AWS_ENDPOINT_URL for some services (SQS).
        f"  aws cloudformation describe-stacks --stack-name {stack_name}"
        ' --endpoint-url "$AWS_ENDPOINT_URL"',
    ]
    return lines
