"""The clicks function: Kinesis batches of CloudFront log records, and replays of failed ones.

From the stream, each record is read first (an unreadable one fails alone, reported as a batch
item failure with its sequence number, so Lambda retries from it, bisects, and finally sends
its batch to the on-failure destination); the readable ones are then counted together, once
(https://docs.aws.amazon.com/lambda/latest/dg/kinesis-batchfailurereporting.html). A failed
write fails the invocation: the whole batch comes back, and its markers make that harmless.
From the replay queue (a redrive of that destination), each message names a batch that is read
again from the stream and counted the same way; if some of its records are still unreadable,
the rest is counted and the message fails alone, back to the DLQ in sight of the operator.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shortener.clicks import counting, replay
from shortener.clicks.classification import classify
from shortener.clicks.log_records import (
    LogRecord,
    UnreadableLogRecord,
    parse_fields,
    parse_record,
)
from shortener.clicks.visitors import VisitorHasher, stage_secret
from shortener.consumers.unreadable import (
    UNREADABLE_METRIC,
    ConsumerBatchProcessor,
    UnreadableMessage,
    read_message,
)
from shortener.settings import env

SQS_SOURCE = "aws:sqs"

logger = Logger()
metrics = Metrics()
stream_processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
replay_processor = ConsumerBatchProcessor()


@cache
def log_fields() -> tuple[str, ...]:
    return parse_fields(env("CLICK_LOG_FIELDS"))


def count_records(records: list[LogRecord]) -> counting.CountResult:
    """Count the clicks among `records`, each logged request once."""
    visitors = VisitorHasher(stage_secret())
    clicks = [click for record in records if (click := classify(record, visitors))]
    result = counting.count(clicks)
    for name, value in (
        ("LogRecords", len(records)),
        ("ClicksCounted", result.counted),
        ("ClicksAlreadyCounted", result.already_counted),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info(
        "clicks counted",
        extra={
            "records": len(records),
            "clicks": len(clicks),
            "counted": result.counted,
            "already_counted": result.already_counted,
            "unknown_links": result.unknown_links,
            "transactions": result.transactions,
        },
    )
    return result


def _stream_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records: list[LogRecord] = []

    def read(record: KinesisStreamRecord) -> None:
        records.append(parse_record(record.kinesis.data_as_bytes(), log_fields()))

    response = process_partial_response(
        event=event, record_handler=read, processor=stream_processor, context=context
    )
    if records:
        count_records(records)
    return dict(response)


def _replay_message(record: SQSRecord) -> None:
    failure = read_message(record, replay.KinesisOnFailureRecord.model_validate_json)
    batch = failure.batch
    records: list[LogRecord] = []
    unreadable: list[str] = []
    for sequence_number, data in replay.batch_records(batch):
        try:
            records.append(parse_record(data, log_fields()))
        except UnreadableLogRecord:
            unreadable.append(sequence_number)
    # The readable records count even when some are not: the message then fails, stays in
    # sight in the DLQ, and a later redrive counts nothing twice.
    result = count_records(records)
    logger.info(
        "replayed a failed batch",
        extra={
            "shard": batch.shard_id,
            "first": batch.start_sequence_number,
            "last": batch.end_sequence_number,
            "records": len(records),
            "counted": result.counted,
            "already_counted": result.already_counted,
            "unreadable": len(unreadable),
            "first_unreadable": unreadable[:10],
        },
    )
    if unreadable:
        # A poison message, not a crash: it fails alone (shortener.consumers.unreadable).
        metrics.add_metric(name=UNREADABLE_METRIC, unit=MetricUnit.Count, value=1)
        raise UnreadableMessage(record.message_id)


def _replay_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=_replay_message, processor=replay_processor, context=context
    )
    return dict(response)


@metrics.log_metrics
@logger.inject_lambda_context
def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    first = (event.get("Records") or [{}])[0]
    if first.get("eventSource") == SQS_SOURCE:
        return _replay_batch(event, context)
    return _stream_batch(event, context)
