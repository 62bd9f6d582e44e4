"""How every link-event consumer runs: SQS batch, partial failures, idempotency on the event id.

The idempotency key is the domain event id (never the SQS message id, which a DLQ redrive
changes). A consumer's `apply` does the external effect; the runner records the effect's status
for the link, done or failed, so that `GET /links/{code}` and `ops dlq peek` can show it. A status
never moves back to an older change of the link (see `shortener.effects`), so a late duplicate
cannot rewind it.

A consumer whose effect is a state of the link rather than a reaction to each event (a QR code
exists or not) passes `ordered=True`: the runner then skips, without calling `apply` and without
touching the status, any event whose change the effect has already finished or has moved past.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shortener import effects, settings
from shortener.aws_clients import bounded_config
from shortener.consumers.unreadable import ConsumerBatchProcessor, read_message
from shortener.events import LinkEvent, parse_event_message

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

# A message can sit in a DLQ for 14 days and be redriven: remember handled events that long.
IDEMPOTENCY_WINDOW_SECONDS = 14 * 24 * 3600

LinkEventHandler = Callable[[LinkEvent], dict[str, Any] | None]
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

logger = Logger()
metrics = Metrics()


def read_event(record: SQSRecord) -> LinkEvent:
    """The link event a message carries; an unreadable message fails its record only."""
    return read_message(record, parse_event_message)


def count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


class LinkEventConsumer:
    """Runs `apply` once per link event; `apply` returns a detail for the status, or None.

    The detail may carry a "state" (say "skipped" when the event needs no effect); otherwise
    the effect is recorded as "done".
    """

    def __init__(
        self,
        effect: str,
        apply: LinkEventHandler,
        *,
        idempotent: bool = True,
        ordered: bool = False,
    ) -> None:
        self.effect = effect
        self.ordered = ordered
        self.processor = ConsumerBatchProcessor()
        self.idempotency_config: IdempotencyConfig | None = None
        if idempotent:
            # Imported only here: the utility (and the boto3 it loads) would otherwise be part of
            # the cold start of consumers that have their own idempotency (stats) or none (CDN).
            from aws_lambda_powertools.utilities.idempotency import (
                DynamoDBPersistenceLayer,
                IdempotencyConfig,
                idempotent_function,
            )

            self.idempotency_config = IdempotencyConfig(
                event_key_jmespath="id", expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS
            )
            persistence = DynamoDBPersistenceLayer(
                table_name=settings.idempotency_table_name(), boto_config=bounded_config()
            )
            self._apply: Callable[..., dict[str, Any] | None] = idempotent_function(
                data_keyword_argument="event",
                persistence_store=persistence,
                config=self.idempotency_config,
                key_prefix=f"shortener.{effect}",
            )(self._apply_once(apply))
        else:
            self._apply = self._apply_once(apply)

    @staticmethod
    def _apply_once(apply: LinkEventHandler) -> Callable[..., dict[str, Any] | None]:
        def run(event: dict[str, Any]) -> dict[str, Any] | None:
            return apply(LinkEvent.model_validate(event))

        return run

    def _handle_record(self, record: SQSRecord) -> None:
        event = read_event(record)
        logger.append_keys(event_id=event.id, event_type=event.type, code=event.link.code)
        try:
            self._handle_event(event)
        finally:
            logger.remove_keys(["event_id", "event_type", "code"])

    def _handle_event(self, event: LinkEvent) -> None:
        code, version = event.link.code, effects.version_of(event)
        if self.ordered and effects.already_handled(effects.current(code, self.effect), event):
            logger.info("event already handled or outdated", extra={"effect": self.effect})
            count(f"{self.effect}_outdated")
            return
        try:
            detail = self._apply(event=event.model_dump(mode="json"))
        except Exception as error:
            logger.exception("side effect failed", extra={"effect": self.effect})
            effects.record_failure(
                code, self.effect, event_id=event.id, error=error, version=version
            )
            count(f"{self.effect}_failed")
            raise
        detail = dict(detail or {})
        state = str(detail.pop("state", "done"))
        recorded = effects.record_done(
            code, self.effect, event_id=event.id, version=version, detail=detail, state=state
        )
        if not recorded:
            logger.info("a later change is already recorded", extra={"effect": self.effect})
        count(f"{self.effect}_{state}")

    def lambda_handler(self) -> LambdaHandler:
        @metrics.log_metrics
        @logger.inject_lambda_context
        def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            if self.idempotency_config is not None:
                self.idempotency_config.register_lambda_context(context)
            return process_partial_response(  # type: ignore[return-value]
                event=event,
                record_handler=self._handle_record,
                processor=self.processor,
                context=context,
            )

        return handler
