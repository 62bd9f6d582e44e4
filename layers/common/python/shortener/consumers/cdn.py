"""CloudFront invalidation of `/{code}` when a cached redirect (or 404) may be stale, and of the
link's QR images `/qr/{code}.*` when they may be.

Which events invalidate:
- link.updated and link.deleted: always, the cached redirect is stale; so are the QR images
  (deleted with the link, and cached for a year otherwise).
- link.created: only for a custom alias, the one kind of code someone may have requested (and
  CloudFront cached as a 404) before the link existed. The event does not say whether the code
  was an alias, so the rule is its shape: a code that is not exactly 7 letters and digits (the
  generated shape) was certainly an alias. An alias of the generated shape is treated as
  generated; a 404 cached for it expires with the cache's TTL. No QR path: the images did not
  exist before the link.

Once per change, in any order: like the QR consumer, this one skips an event whose change the
status already reflects or has moved past (an update that arrives after the deletion was
invalidated needs nothing). A batch is handled as a whole: the paths of all its events that need
one go into ONE invalidation, whose CallerReference is the event id (one event) or a hash of the
sorted event ids (several). A retried batch is skipped event by event from the status; if the
statuses were not recorded (a crash right after the call), CloudFront answers the repeated
CallerReference with the invalidation it already has.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shortener import effects, settings
from shortener.aws_clients import client
from shortener.consumers.runner import LambdaHandler, count, logger, metrics, read_event
from shortener.consumers.unreadable import ConsumerBatchProcessor
from shortener.events import LinkEvent

EFFECT = "cdn"
GENERATED_CODE = re.compile(r"[A-Za-z0-9]{7}")


def paths_to_invalidate(event: LinkEvent) -> list[str]:
    """The paths whose cached answers the event makes stale (see the module docstring)."""
    code = event.link.code
    if event.type == "link.created":
        return [] if GENERATED_CODE.fullmatch(code) else [f"/{code}"]
    # `*` only at the end, as CloudFront allows: both images, nothing else of another code.
    return [f"/{code}", f"/qr/{code}.*"]


def caller_reference(event_ids: list[str]) -> str:
    ids = sorted(set(event_ids))
    if len(ids) == 1:
        return ids[0]
    return "batch_" + hashlib.sha256("\n".join(ids).encode()).hexdigest()[:32]


@dataclass
class PendingInvalidation:
    message_id: str
    event: LinkEvent
    paths: list[str]


@dataclass
class InvalidationBatch:
    """The events of one SQS batch that still need their path invalidated."""

    pending: list[PendingInvalidation] = field(default_factory=list)

    def add(self, record: SQSRecord) -> None:
        """The record handler: sort an event into skipped, recorded now, or pending."""
        event = read_event(record)
        if effects.already_handled(effects.current(event.link.code, EFFECT), event):
            logger.info("event already handled or outdated", extra={"event_id": event.id})
            count(f"{EFFECT}_outdated")
            return
        paths = paths_to_invalidate(event)
        if not paths:
            effects.record_done(
                event.link.code,
                EFFECT,
                event_id=event.id,
                version=effects.version_of(event),
                state="skipped",
                detail={"reason": "a generated code has no cached answer yet"},
            )
            count(f"{EFFECT}_skipped")
            return
        self.pending.append(PendingInvalidation(record.message_id, event, paths))

    def invalidate(self) -> list[str]:
        """One invalidation for every pending path; the message ids to retry if it failed."""
        if not self.pending:
            return []
        paths = sorted({path for item in self.pending for path in item.paths})
        reference = caller_reference([item.event.id for item in self.pending])
        try:
            response = client("cloudfront").create_invalidation(
                DistributionId=settings.distribution_id(),
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": reference,
                },
            )
        except Exception as error:
            logger.exception("invalidation failed", extra={"paths": paths})
            for item in self.pending:
                effects.record_failure(
                    item.event.link.code,
                    EFFECT,
                    event_id=item.event.id,
                    error=error,
                    version=effects.version_of(item.event),
                )
            count(f"{EFFECT}_failed")
            return [item.message_id for item in self.pending]
        invalidation_id = response["Invalidation"]["Id"]
        logger.info(
            "invalidated",
            extra={"invalidation_id": invalidation_id, "paths": paths, "reference": reference},
        )
        for item in self.pending:
            effects.record_done(
                item.event.link.code,
                EFFECT,
                event_id=item.event.id,
                version=effects.version_of(item.event),
                detail={"invalidation_id": invalidation_id, "paths": item.paths},
            )
        count(f"{EFFECT}_done")
        return []


class CdnConsumer:
    """Runs the CDN invalidation batch by batch (see the module docstring)."""

    def __init__(self) -> None:
        self.processor = ConsumerBatchProcessor()

    def lambda_handler(self) -> LambdaHandler:
        @metrics.log_metrics
        @logger.inject_lambda_context
        def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            batch = InvalidationBatch()
            response: dict[str, Any] = process_partial_response(  # type: ignore[assignment]
                event=event,
                record_handler=batch.add,
                processor=self.processor,
                context=context,
            )
            retry = batch.invalidate()
            response["batchItemFailures"] = [
                *response["batchItemFailures"],
                *({"itemIdentifier": message_id} for message_id in retry),
            ]
            return response

        return handler
