"""EventBridge Pipes with a DynamoDB stream source, run as Pipes runs them: poll the stream,
filter the records (moto's EventBridge pattern matcher), call the enrichment function with the
batch, put what it returns on the target bus, retry a failed batch within the pipe's limits and
then send its description to the pipe's dead-letter queue."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodbstreams.models import dynamodbstreams_backends
from moto.events.models import EventPattern

from localcloud.aws import DYNAMODB_LOCK, AwsClients
from localcloud.filters import load_filters, passes
from localcloud.lambda_.workers import Invocation
from localcloud.logs import LogSink
from localcloud.names import ACCOUNT_ID, REGION
from localcloud.pipes.input_templates import dynamic, render_input_template
from localcloud.provisioning import ProvisionedResource

DEFAULT_BATCH_SIZE = 10
POLL_INTERVAL_SECONDS = 0.1
MAX_BACKOFF_SECONDS = 5.0
PUT_EVENTS_LIMIT = 10
READ_LIMIT = 1000


@dataclass
class _ShardPosition:
    start: str  # the shard's first sequence number
    after: str | None = None  # the last record read


class PipeFailure(Exception):
    """The enrichment or the target failed for a batch: the batch is retried."""


@dataclass(frozen=True)
class PipeConfig:
    logical_id: str
    name: str
    arn: str
    stream_arn: str
    starting_position: str
    batch_size: int
    batching_window_seconds: float
    max_retry_attempts: int  # -1: until the record expires
    max_record_age_seconds: int  # -1: forever
    dead_letter_arn: str | None
    filters: tuple[EventPattern, ...]
    enrichment: str | None  # the function's logical id
    enrichment_template: str | None
    target_arn: str
    bus_parameters: Mapping[str, Any]
    target_template: str | None


def pipe_config(item: ProvisionedResource, functions_by_arn: Mapping[str, str]) -> PipeConfig:
    props = item.properties
    source = props.get("SourceParameters", {})
    stream = source.get("DynamoDBStreamParameters", {})
    target = props.get("TargetParameters", {})
    enrichment_arn = props.get("Enrichment")
    enrichment = None
    if enrichment_arn:
        enrichment = functions_by_arn.get(":".join(str(enrichment_arn).split(":")[:7]))
        if enrichment is None:
            raise ValueError(f"the enrichment {enrichment_arn} is no function the local cloud runs")
    return PipeConfig(
        logical_id=item.logical_id,
        name=item.physical_id,
        arn=item.outcome.attributes["Arn"],
        stream_arn=props["Source"],
        starting_position=stream.get("StartingPosition", "LATEST"),
        batch_size=int(stream.get("BatchSize", DEFAULT_BATCH_SIZE)),
        batching_window_seconds=float(stream.get("MaximumBatchingWindowInSeconds", 0)),
        max_retry_attempts=int(stream.get("MaximumRetryAttempts", -1)),
        max_record_age_seconds=int(stream.get("MaximumRecordAgeInSeconds", -1)),
        dead_letter_arn=stream.get("DeadLetterConfig", {}).get("Arn"),
        filters=load_filters(source.get("FilterCriteria")),
        enrichment=enrichment,
        enrichment_template=props.get("EnrichmentParameters", {}).get("InputTemplate"),
        target_arn=props["Target"],
        bus_parameters=target.get("EventBridgeEventBusParameters", {}),
        target_template=target.get("InputTemplate"),
    )


def stream_record(raw: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record of the streams API as Lambda and Pipes deliver it: epoch-second creation time,
    binary attributes in base64, and the stream's ARN."""
    dynamodb = dict(raw["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    record = {key: value for key, value in raw.items() if key != "dynamodb"}
    record["dynamodb"] = _base64_binaries(dynamodb)
    record["eventSourceARN"] = stream_arn
    return record


def _base64_binaries(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: _base64_binaries(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_base64_binaries(item) for item in value]
    return value


class PipeRunner:
    """One pipe, polling its stream on a thread of its own."""

    def __init__(
        self,
        config: PipeConfig,
        aws: AwsClients,
        invoke: Callable[[str, Any], Invocation],
        logs: LogSink,
        poll_interval: float = POLL_INTERVAL_SECONDS,
        *,
        owns_stream: bool = False,
    ) -> None:
        """`owns_stream`: no other pipe reads this stream, so what this one has handled can
        be dropped from it."""
        self.config = config
        self._owns_stream = owns_stream
        self._aws = aws
        self._invoke = invoke
        self._logs = logs
        self._poll_interval = poll_interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._positions: dict[str, _ShardPosition] = {}
        self.batches_delivered = 0
        self.batches_dead_lettered = 0

    def start(self) -> None:
        """Position on the stream now (so LATEST means: after start-up), then poll."""
        streams = self._aws("dynamodbstreams")
        shards = streams.describe_stream(StreamArn=self.config.stream_arn)["StreamDescription"]
        for shard in shards["Shards"]:
            position = _ShardPosition(shard["SequenceNumberRange"]["StartingSequenceNumber"])
            self._positions[shard["ShardId"]] = position
            if self.config.starting_position == "LATEST":
                while self._read(shard["ShardId"], READ_LIMIT):
                    pass  # skip what the stream already holds
        self._thread = threading.Thread(
            target=self._run, name=f"pipe-{self.config.logical_id}", daemon=True
        )
        self._thread.start()

    def signal_stop(self) -> None:
        self._stopping.set()

    def stop(self) -> None:
        self.signal_stop()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.is_set():
            found = False
            for shard_id in list(self._positions):
                try:
                    records = self._next_batch(shard_id)
                except Exception as error:  # a broken poll must not end the pipe
                    self._log(f"polling {shard_id} failed: {error}")
                    self._stopping.wait(MAX_BACKOFF_SECONDS)
                    continue
                if records:
                    found = True
                    self._deliver(shard_id, records)
            if not found:
                self._stopping.wait(self._poll_interval)

    def _next_batch(self, shard_id: str) -> list[dict[str, Any]]:
        """Up to BatchSize records, waiting up to the batching window for a fuller batch."""
        deadline = time.monotonic() + self.config.batching_window_seconds
        records: list[dict[str, Any]] = []
        while True:
            try:
                records += self._read(shard_id, self.config.batch_size - len(records))
            except Exception as error:
                if not records:
                    raise
                # The position is already past these: deliver them rather than skip them.
                self._log(f"reading {shard_id} failed, delivering {len(records)}: {error}")
                return records
            full = len(records) >= self.config.batch_size
            if full or time.monotonic() >= deadline or self._stopping.is_set():
                return records
            self._stopping.wait(self._poll_interval)

    def _read(self, shard_id: str, limit: int) -> list[dict[str, Any]]:
        """The records after the last one read. Each read takes a new iterator from that
        sequence number instead of following NextShardIterator: when moto rolls a transaction
        back it restores a copy of the table, and iterators handed out before keep reading
        the old copy's stream, which no longer grows."""
        streams = self._aws("dynamodbstreams")
        position = self._positions[shard_id]
        anchor = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": position.after}
            if position.after
            else {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": position.start}
        )
        iterator = streams.get_shard_iterator(
            StreamArn=self.config.stream_arn, ShardId=shard_id, **anchor
        )["ShardIterator"]
        answer = streams.get_records(ShardIterator=iterator, Limit=limit)
        _forget_iterators(iterator, answer["NextShardIterator"])
        records = [stream_record(raw, self.config.stream_arn) for raw in answer["Records"]]
        if records:
            position.after = records[-1]["dynamodb"]["SequenceNumber"]
        return records

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        """Process a batch until it succeeds, or until the retry or age limit sends it to
        the dead-letter queue; either way the pipe then moves on."""
        attempts = 0
        backoff = self._poll_interval
        while not self._stopping.is_set():
            if self._too_old(records):
                self._dead_letter(shard_id, records, "RecordAgeExceeded", attempts)
                self._done_with(records)
                return
            attempts += 1
            try:
                self._process(records)
            # Anything going wrong (the target refusing, a call failing) fails this attempt
            # only: the pipe retries the batch, and never stops polling.
            except Exception as failure:
                if self._stopping.is_set():
                    return  # the local cloud is stopping (functions first): no attempt to count
                self._log(f"batch of {len(records)} failed (attempt {attempts}): {failure}")
                limit = self.config.max_retry_attempts
                if limit >= 0 and attempts > limit:
                    self._dead_letter(shard_id, records, "RetryAttemptsExhausted", attempts)
                    self._done_with(records)
                    return
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            self.batches_delivered += 1
            self._done_with(records)
            return

    def _done_with(self, records: list[dict[str, Any]]) -> None:
        if self._owns_stream:
            _trim_stream(self.config.stream_arn, records[-1]["dynamodb"]["SequenceNumber"])

    def _process(self, records: list[dict[str, Any]]) -> None:
        events: list[Any] = [r for r in records if passes(self.config.filters, r)]
        if not events:
            return
        if self.config.enrichment:
            if self.config.enrichment_template:
                events = [self._fill(self.config.enrichment_template, e) for e in events]
            invocation = self._invoke(self.config.enrichment, events)
            if invocation.error is not None:
                raise PipeFailure(f"enrichment failed: {invocation.error.get('errorMessage')}")
            enriched = invocation.payload
            events = enriched if isinstance(enriched, list) else [enriched]
        entries = [self._entry(event) for event in events if event is not None]
        for start in range(0, len(entries), PUT_EVENTS_LIMIT):
            chunk = entries[start : start + PUT_EVENTS_LIMIT]
            answer = self._aws("events").put_events(Entries=chunk)
            if answer.get("FailedEntryCount"):
                failed = [e for e in answer["Entries"] if e.get("ErrorCode")]
                raise PipeFailure(f"the target refused {len(failed)} events: {failed[:1]}")

    def _entry(self, event: Any) -> dict[str, Any]:
        parameters = self.config.bus_parameters
        detail = (
            self._fill(self.config.target_template, event) if self.config.target_template else event
        )
        entry: dict[str, Any] = {
            "EventBusName": self.config.target_arn,
            "Source": dynamic(parameters.get("Source", f"Pipe {self.config.name}"), event),
            "DetailType": dynamic(
                parameters.get("DetailType", "Event from aws:dynamodb.stream"), event
            ),
            "Detail": detail if isinstance(detail, str) else json.dumps(detail),
        }
        if parameters.get("Resources"):
            entry["Resources"] = [dynamic(r, event) for r in parameters["Resources"]]
        return entry

    def _fill(self, template: str, event: Any) -> Any:
        variables = {
            "aws.pipes.pipe-arn": self.config.arn,
            "aws.pipes.pipe-name": self.config.name,
            "aws.pipes.source-arn": self.config.stream_arn,
            "aws.pipes.enrichment-arn": self.config.enrichment or "",
            "aws.pipes.target-arn": self.config.target_arn,
            "aws.pipes.event.ingestion-time": datetime.now(UTC).isoformat(),
        }
        return render_input_template(template, event, variables)

    def _too_old(self, records: list[dict[str, Any]]) -> bool:
        limit = self.config.max_record_age_seconds
        if limit < 0:
            return False
        oldest = min(r["dynamodb"].get("ApproximateCreationDateTime", time.time()) for r in records)
        return time.time() - oldest > limit

    def _dead_letter(
        self, shard_id: str, records: list[dict[str, Any]], condition: str, attempts: int
    ) -> None:
        """What Pipes sends to a stream source's DLQ: where the batch is, not its records."""
        self.batches_dead_lettered += 1
        self._log(f"batch of {len(records)} records dropped after {attempts} attempts: {condition}")
        if not self.config.dead_letter_arn:
            return
        created = [r["dynamodb"].get("ApproximateCreationDateTime", 0) for r in records]
        message = {
            "context": {"partnerResourceArn": self.config.arn, "condition": condition},
            "version": "1.0",
            "timestamp": _iso(time.time()),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(min(created)),
                "approximateArrivalOfLastRecord": _iso(max(created)),
                "batchSize": len(records),
                "streamArn": self.config.stream_arn,
            },
        }
        body = json.dumps(message)
        dlq = self.config.dead_letter_arn
        try:
            if ":sns:" in dlq:
                self._aws("sns").publish(TopicArn=dlq, Message=body)
            else:
                sqs = self._aws("sqs")
                url = sqs.get_queue_url(QueueName=dlq.rsplit(":", 1)[-1])["QueueUrl"]
                sqs.send_message(QueueUrl=url, MessageBody=body)
        except Exception as error:  # the DLQ itself failing must not stop the pipe
            self._log(f"sending to the dead-letter queue {dlq} failed: {error}")

    def _log(self, message: str) -> None:
        self._logs.emit(self.config.logical_id, message)


def _forget_iterators(*iterators: str) -> None:
    """moto keeps every shard iterator it ever handed out; polling ten times a second would
    grow that by megabytes an hour. These are never read again: drop them."""
    known = dynamodbstreams_backends[ACCOUNT_ID][REGION].shard_iterators
    for iterator in iterators:
        known.pop(iterator, None)


def _trim_stream(stream_arn: str, through_sequence_number: str) -> None:
    """Drop handled records from moto's stream, as DynamoDB drops them after 24 hours. moto
    keeps them forever, in the table, and copies the whole table (stream included) for every
    transaction: a busy local cloud would get slower by the hour."""
    table = dynamodb_backends[ACCOUNT_ID][REGION].tables.get(stream_arn.split("/")[1])
    with DYNAMODB_LOCK:
        shard = table.stream_shard if table is not None else None
        if shard is None:
            return
        handled = int(through_sequence_number) + 1 - shard.starting_sequence_number
        if handled > 0:
            del shard.items[:handled]
            shard.starting_sequence_number += handled


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
