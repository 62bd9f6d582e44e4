"""`ops webhooks list | resend | recover`: an owner's partner endpoints, their health, and
deliveries sent again on the owner's behalf (docs/webhooks.md, docs/runbook.md).

Resend and recover are the API's own (`shortener.webhooks.redelivery`): each delivery goes back
on the delivery queue as a fresh round with its `webhook-id`, and the deliverer makes each
attempt once, so running a command twice, or beside a DLQ redrive, posts nothing twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from ops.context import Context
from ops.errors import UsageError
from ops.output import table
from ops.replay import parse_time
from shortener.clock import to_iso
from shortener.models import WebhookEndpointModel
from shortener.webhooks import delivery_log, endpoints, redelivery
from shortener.webhooks.delivery_queue import DeliveryQueue

DELIVERY_QUEUE_LOGICAL_ID = "DeliveryQueue"


def _delivery_queue(ctx: Context) -> DeliveryQueue:
    for queue in ctx.stack.queues:
        if queue.logical_id == DELIVERY_QUEUE_LOGICAL_ID:
            return DeliveryQueue(queue.url, ctx.clients.client("sqs"))
    raise UsageError(f"stack {ctx.stack_name!r} has no {DELIVERY_QUEUE_LOGICAL_ID}")


def _endpoint(owner: str, endpoint_id: str) -> WebhookEndpointModel:
    found = endpoints.find(owner, endpoint_id)
    if found is None:
        raise UsageError(
            f"{owner} has no endpoint {endpoint_id!r}; "
            f"`python -m ops webhooks list --owner {owner}` shows them"
        )
    return found


def _summary(endpoint: WebhookEndpointModel) -> dict[str, Any]:
    states = Counter(d.state for d in delivery_log.list_for_endpoint(endpoint.endpoint_id))
    return {
        "id": endpoint.endpoint_id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "enabled": endpoint.enabled,
        "consecutive_failures": int(endpoint.consecutive_failures or 0),
        "failing_since": endpoint.failing_since,
        "disabled_at": endpoint.disabled_at,
        "last_error": endpoint.last_error,
        "deliveries": {state: states[state] for state in delivery_log.STATES},
    }


def list_endpoints(ctx: Context, owner: str) -> int:
    ctx.stack.bind_tables()
    found = [_summary(endpoint) for endpoint in endpoints.list_for_owner(owner)]
    ctx.out.result(
        found,
        lambda: table(
            f"Webhook endpoints of {owner}",
            [
                "id",
                "url",
                "state",
                "failures in a row",
                "failing since",
                "deliveries",
                "last error",
            ],
            [
                [
                    e["id"],
                    e["url"],
                    "enabled" if e["enabled"] else f"disabled {e['disabled_at']}",
                    e["consecutive_failures"],
                    e["failing_since"],
                    " ".join(f"{state} {n}" for state, n in e["deliveries"].items() if n),
                    e["last_error"],
                ]
                for e in found
            ],
        ),
    )
    return 0


def resend(ctx: Context, owner: str, endpoint_id: str, delivery_id: str) -> int:
    ctx.stack.bind_tables()
    endpoint = _endpoint(owner, endpoint_id)
    delivery = delivery_log.find(endpoint_id, delivery_id)
    if delivery is None:
        raise UsageError(f"endpoint {endpoint_id} has no delivery {delivery_id!r}")
    try:
        redelivery.resend(endpoint, delivery, _delivery_queue(ctx))
    except redelivery.StillBeingTried:
        raise UsageError(f"{delivery_id} is still being tried; resend it once it ends") from None
    ctx.out.result(
        {"endpoint_id": endpoint_id, "delivery_id": delivery_id, "queued": 1},
        lambda: f"queued {delivery_id} for {endpoint.url} (same webhook-id)",
    )
    return 0


def recover(ctx: Context, owner: str, endpoint_id: str, since: str, dry_run: bool) -> int:
    ctx.stack.bind_tables()
    endpoint = _endpoint(owner, endpoint_id)
    moment = to_iso(parse_time(since, now=datetime.now(UTC)))
    if not endpoint.enabled:
        ctx.out.note(
            f"{endpoint_id} is disabled: its deliveries will be skipped again until it is "
            'enabled (PATCH /webhooks/{id} {"enabled": true})'
        )
    if dry_run:
        waiting = redelivery.recoverable_since(endpoint_id, moment)
        ctx.out.result(
            {"endpoint_id": endpoint_id, "since": moment, "would_queue": len(waiting)},
            lambda: f"would queue {len(waiting)} deliveries failed or skipped since {moment}",
        )
        return 0
    queued = redelivery.recover(endpoint, moment, _delivery_queue(ctx))
    ctx.out.result(
        {"endpoint_id": endpoint_id, "since": moment, "queued": queued},
        lambda: f"queued {queued} deliveries failed or skipped since {moment} for {endpoint.url}",
    )
    return 0
