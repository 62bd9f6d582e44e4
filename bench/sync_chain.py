"""The seed's synchronous design, for comparison only: every side effect inline before the 201.

create link -> QR -> analytics -> email -> webhooks -> CDN, each step calling the same
`shortener.*` logic the asynchronous consumers call, so both designs do the same work; only
where the work happens differs. A step that raises fails the whole create, as in the seed
("when the webhook service has an outage, link creation fails entirely").

It runs in the benchmark's process against the local cloud's AWS. Import it only after
`BenchStack` has set the in-process environment: the table models read their names at import.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3

from shortener import settings
from shortener.clock import utcnow
from shortener.consumers import cdn, email, qr, stats
from shortener.events import LinkEvent, LinkSnapshot
from shortener.links import service
from shortener.links.schemas import CreateLinkRequest
from shortener.webhooks import delivery, endpoints, signing, ssrf, transport


class PartnerRejected(Exception):
    """A webhook partner did not accept the delivery: the synchronous create fails with it."""


@cache
def _cloudfront() -> Any:
    return boto3.client("cloudfront")


def create_with_every_effect(owner: str, url: str, own_origins: list[str]) -> str:
    """Create a link and do every side effect; the code, or an exception from any step."""
    link = service.create_link(
        owner, CreateLinkRequest.model_validate({"url": url}), own_origins=own_origins
    )
    event = LinkEvent(
        id=f"evt_sync_{link.code}",
        type="link.created",
        occurred_at=link.created_at,
        link=LinkSnapshot(owner=owner, **link.model_dump(mode="json")),
    )
    qr.apply_qr(event)
    stats.count_event(event)
    email.send_confirmation(event)
    _deliver_webhooks(event)
    _invalidate(event)
    return link.code


def _deliver_webhooks(event: LinkEvent) -> None:
    body = signing.payload(event)
    for endpoint in endpoints.subscribed(event.link.owner, event.type):
        target = ssrf.vet_url(endpoint.url, allow_loopback=settings.allow_loopback_webhooks())
        headers = signing.signed_headers([endpoint.secret], f"msg_{event.id}", body, utcnow())
        response = transport.post(
            target, body.encode(), headers, timeout=delivery.REQUEST_TIMEOUT_SECONDS
        )
        if not 200 <= response.status < 300:
            raise PartnerRejected(f"{endpoint.url} answered {response.status}")


def _invalidate(event: LinkEvent) -> None:
    paths = cdn.paths_to_invalidate(event)
    if not paths:  # the async consumer's rule too: a new generated code has nothing cached
        return
    _cloudfront().create_invalidation(
        DistributionId=settings.distribution_id(),
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": event.id,
        },
    )
