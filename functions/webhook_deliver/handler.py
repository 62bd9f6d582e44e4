"""Webhook deliverer: posts each queued delivery, signed, and reschedules the ones that fail."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from shortener.webhooks.delivery import handle_record

logger = Logger()
metrics = Metrics()
# A partner that fails is the partner's problem, not this function's: even a batch where every
# record failed is a partial response (each message rescheduled), never an invocation error.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=handle_record, processor=processor, context=context
    )
