"""Lambda event source mappings on Kinesis data streams, run as Lambda runs them.

- Each shard is read in order, one batch at a time (ParallelizationFactor 1), from the
  mapping's StartingPosition (TRIM_HORIZON, LATEST: from start-up, AT_TIMESTAMP), in batches of
  up to BatchSize gathered for up to MaximumBatchingWindowInSeconds. Shards are read side by
  side, each by its own thread, as Lambda reads them concurrently.
- A function error with BisectBatchOnFunctionError splits the batch in two, each half retried on
  its own; "splitting a batch does not count towards the retry quota". Otherwise each failed
  invocation is one retry, up to MaximumRetryAttempts (-1: until the records expire).
- With ReportBatchItemFailures the answer's `batchItemFailures` checkpoint the shard: the records
  before the lowest failed sequence number are done, the rest are retried (one retry). An empty
  or missing list is a success; an item without a valid `itemIdentifier` fails the whole batch.
- Records older than MaximumRecordAgeInSeconds are not sent to the function.
- A batch given up on (retries exhausted, records too old) is described on the on-failure
  destination (SQS or SNS) as Lambda describes it, `KinesisBatchInfo` with its shard and sequence
  numbers, not its data, and the shard moves on.

https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.aws import AwsClients
from localcloud.lambda_.workers import Invocation
from localcloud.logs import LogSink
from localcloud.names import REGION, function_arn
from localcloud.provisioning import ProvisionedResource

DEFAULT_BATCH_SIZE = 100
# Lambda polls an idle shard once a second; locally more often, so that a click's lag is the
# batching window's, not the poll's.
POLL_INTERVAL_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


@dataclass(frozen=True)
class KinesisMappingConfig:
    logical_id: str
    function: str  # the function's logical id
    function_name: str
    stream_arn: str
    starting_position: str
    starting_timestamp: float | None
    batch_size: int
    batching_window_seconds: float
    bisect_on_error: bool
    max_retry_attempts: int  # -1: until the records expire
    max_record_age_seconds: int  # -1: forever
    report_batch_item_failures: bool
    on_failure_arn: str | None
    role_arn: str


def is_kinesis_mapping(item: ProvisionedResource) -> bool:
    return ":kinesis:" in str(item.properties.get("EventSourceArn", ""))


def kinesis_mapping_config(
    item: ProvisionedResource, functions_by_name: Mapping[str, str], role_arn: str = ""
) -> KinesisMappingConfig:
    props = item.properties
    function_ref = str(props["FunctionName"])
    name = function_ref.split("function:")[-1].split(":")[0]
    if name not in functions_by_name:
        raise ValueError(f"{function_ref} is no function the local cloud runs")
    if int(props.get("ParallelizationFactor", 1)) != 1:
        raise ValueError("ParallelizationFactor above 1 is not emulated")
    if props.get("TumblingWindowInSeconds"):
        raise ValueError("tumbling windows are not emulated")
    timestamp = props.get("StartingPositionTimestamp")
    destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    return KinesisMappingConfig(
        logical_id=item.logical_id,
        function=functions_by_name[name],
        function_name=name,
        stream_arn=str(props["EventSourceArn"]),
        starting_position=str(props.get("StartingPosition", "LATEST")),
        starting_timestamp=float(timestamp) if timestamp is not None else None,
        batch_size=int(props.get("BatchSize", DEFAULT_BATCH_SIZE)),
        batching_window_seconds=float(props.get("MaximumBatchingWindowInSeconds", 0)),
        bisect_on_error=str(props.get("BisectBatchOnFunctionError", False)).lower() == "true",
        max_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
        max_record_age_seconds=int(props.get("MaximumRecordAgeInSeconds", -1)),
        report_batch_item_failures=REPORT_BATCH_ITEM_FAILURES
        in props.get("FunctionResponseTypes", []),
        on_failure_arn=str(destination) if destination else None,
        role_arn=role_arn,
    )


def kinesis_record(raw: Mapping[str, Any], shard_id: str, config: KinesisMappingConfig) -> dict:
    """A record as Lambda hands it to the function: the data in base64, arrival in seconds."""
    arrival = raw["ApproximateArrivalTimestamp"]
    if isinstance(arrival, datetime):
        arrival = arrival.timestamp()
    sequence = str(raw["SequenceNumber"])
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": raw["PartitionKey"],
            "sequenceNumber": sequence,
            "data": base64.b64encode(raw["Data"]).decode(),
            "approximateArrivalTimestamp": round(float(arrival), 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{sequence}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": config.role_arn,
        "awsRegion": REGION,
        "eventSourceARN": config.stream_arn,
    }


def failed_sequence_numbers(response: Any, batch: list[dict]) -> set[str] | None:
    """The sequence numbers a ReportBatchItemFailures answer fails: an empty set for a success,
    None when the answer fails the whole batch (an item without a valid itemIdentifier)."""
    if response is None:
        return set()
    if not isinstance(response, dict):
        return None
    failures = response.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        return None
    known = {r["kinesis"]["sequenceNumber"] for r in batch}
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or str(identifier) not in known:
            return None
        failed.add(str(identifier))
    return failed


@dataclass
class _Attempt:
    records: list[dict]
    retries: int = 0  # failed invocations counted against MaximumRetryAttempts
    invocations: int = 0
    function_error: str | None = None


class KinesisPoller:
    """One event source mapping: a reading thread per shard."""

    def __init__(
        self,
        config: KinesisMappingConfig,
        aws: AwsClients,
        invoke: Callable[[str, Any], Invocation],
        logs: LogSink,
        poll_interval: float = POLL_INTERVAL_SECONDS,
    ) -> None:
        self.config = config
        self._aws = aws
        self._invoke = invoke
        self._logs = logs
        self._poll_interval = poll_interval
        self._stopping = threading.Event()
        self._paused = threading.Event()
        self._threads: list[threading.Thread] = []
        self._iterators: dict[str, str] = {}
        self.batches_dead_lettered = 0
        self.records_dead_lettered = 0
        self.records_delivered = 0

    def start(self) -> None:
        """Position on every shard now (LATEST means: after start-up), then read them."""
        kinesis = self._aws("kinesis")
        shards = kinesis.list_shards(StreamARN=self.config.stream_arn)["Shards"]
        for shard in shards:
            shard_id = shard["ShardId"]
            self._iterators[shard_id] = self._first_iterator(shard_id)
            thread = threading.Thread(
                target=self._run,
                args=(shard_id,),
                name=f"kinesis-{self.config.logical_id}-{shard_id[-3:]}",
                daemon=True,
            )
            self._threads.append(thread)
        for thread in self._threads:
            thread.start()

    def signal_stop(self) -> None:
        self._stopping.set()

    def stop(self) -> None:
        self.signal_stop()
        for thread in self._threads:
            thread.join()

    def pause(self) -> None:
        """Read nothing more until `resume()` (as disabling the mapping does); a batch being
        processed finishes first."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    def _first_iterator(self, shard_id: str) -> str:
        position: dict[str, Any] = {"ShardIteratorType": self.config.starting_position}
        if self.config.starting_position == "AT_TIMESTAMP":
            position["Timestamp"] = self.config.starting_timestamp or time.time()
        return str(
            self._aws("kinesis").get_shard_iterator(
                StreamARN=self.config.stream_arn, ShardId=shard_id, **position
            )["ShardIterator"]
        )

    def _run(self, shard_id: str) -> None:
        while not self._stopping.is_set():
            if self._paused.is_set():
                self._stopping.wait(self._poll_interval)
                continue
            try:
                batch = self._next_batch(shard_id)
            except Exception as error:  # a broken read must not end the mapping
                self._log(f"reading {shard_id} failed: {error}")
                self._stopping.wait(MAX_BACKOFF_SECONDS)
                continue
            if batch:
                self._process(shard_id, batch)
            else:
                self._stopping.wait(self._poll_interval)

    def _next_batch(self, shard_id: str) -> list[dict]:
        """Up to BatchSize records; once the first arrives, more are gathered for up to the
        batching window."""
        records: list[dict] = []
        deadline: float | None = None
        while not self._stopping.is_set():
            answer = self._aws("kinesis").get_records(
                ShardIterator=self._iterators[shard_id],
                Limit=self.config.batch_size - len(records),
                StreamARN=self.config.stream_arn,
            )
            self._iterators[shard_id] = answer["NextShardIterator"]
            records += [kinesis_record(raw, shard_id, self.config) for raw in answer["Records"]]
            if len(records) >= self.config.batch_size:
                break
            if not records:
                return records
            if deadline is None:
                deadline = time.monotonic() + self.config.batching_window_seconds
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._stopping.wait(min(remaining, self._poll_interval))
        return records

    def _process(self, shard_id: str, records: list[dict]) -> None:
        """Until every record is processed or given up on; the shard waits meanwhile."""
        pending = [_Attempt(records)]
        backoff = self._poll_interval
        while pending and not self._stopping.is_set():
            attempt = pending.pop(0)
            attempt.records = self._without_expired(shard_id, attempt)
            if not attempt.records:
                continue
            outcome = self._invoke_with(attempt)
            if outcome is not None and not outcome:
                self.records_delivered += len(attempt.records)
                backoff = self._poll_interval
                continue
            retry = self._after_failure(attempt, outcome)
            if retry is None:
                self._dead_letter(shard_id, attempt, RETRIES_EXHAUSTED)
                continue
            pending[:0] = retry
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _invoke_with(self, attempt: _Attempt) -> set[str] | None:
        """The failed sequence numbers (empty: all done), None when the whole batch failed."""
        attempt.invocations += 1
        invocation = self._invoke(self.config.function, {"Records": attempt.records})
        if invocation.error is not None:
            attempt.function_error = "Unhandled"
            message = invocation.error.get("errorMessage", "")
            self._log(f"batch of {len(attempt.records)} failed: {message}")
            return None
        if not self.config.report_batch_item_failures:
            return set()
        failed = failed_sequence_numbers(invocation.payload, attempt.records)
        if failed is None:
            self._log("the function's batchItemFailures are malformed: the batch failed")
        return failed

    def _after_failure(self, attempt: _Attempt, failed: set[str] | None) -> list[_Attempt] | None:
        """What to try next, or None when the retries are used up."""
        if failed:  # partial: checkpoint at the lowest failed record, retry from it
            sequences = [r["kinesis"]["sequenceNumber"] for r in attempt.records]
            first_failed = min(sequences.index(s) for s in failed)
            self.records_delivered += first_failed
            attempt.records = attempt.records[first_failed:]
        elif self.config.bisect_on_error and len(attempt.records) > 1:
            half = len(attempt.records) // 2
            return [
                _Attempt(attempt.records[:half], attempt.retries, attempt.invocations),
                _Attempt(attempt.records[half:], attempt.retries, attempt.invocations),
            ]
        attempt.retries += 1
        limit = self.config.max_retry_attempts
        if limit >= 0 and attempt.retries > limit:
            return None
        return [attempt]

    def _without_expired(self, shard_id: str, attempt: _Attempt) -> list[dict]:
        """The records young enough to send; the expired ones (the oldest come first) are
        described on the destination."""
        limit = self.config.max_record_age_seconds
        if limit < 0:
            return attempt.records
        now = time.time()
        young = [
            r for r in attempt.records if now - r["kinesis"]["approximateArrivalTimestamp"] <= limit
        ]
        if len(young) < len(attempt.records):
            expired = _Attempt(
                [r for r in attempt.records if r not in young],
                attempt.retries,
                attempt.invocations,
                attempt.function_error,
            )
            self._dead_letter(shard_id, expired, RECORD_AGE_EXCEEDED)
        return young

    def _dead_letter(self, shard_id: str, attempt: _Attempt, condition: str) -> None:
        self.batches_dead_lettered += 1
        records = attempt.records
        self.records_dead_lettered += len(records)
        self._log(f"{len(records)} records of {shard_id} given up on: {condition}")
        if not self.config.on_failure_arn:
            return
        body = json.dumps(self.failure_record(shard_id, attempt, condition))
        destination = self.config.on_failure_arn
        try:
            if ":sns:" in destination:
                self._aws("sns").publish(TopicArn=destination, Message=body)
            else:
                sqs = self._aws("sqs")
                url = sqs.get_queue_url(QueueName=destination.rsplit(":", 1)[-1])["QueueUrl"]
                sqs.send_message(QueueUrl=url, MessageBody=body)
        except Exception as error:  # the destination failing must not stop the shard
            self._log(f"sending to the on-failure destination {destination} failed: {error}")

    def failure_record(self, shard_id: str, attempt: _Attempt, condition: str) -> dict:
        """What Lambda sends to a stream mapping's on-failure destination: where the batch is
        in the stream, not its records."""
        records = attempt.records
        arrivals = [r["kinesis"]["approximateArrivalTimestamp"] for r in records]
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if attempt.function_error:
            response["functionError"] = attempt.function_error
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": function_arn(self.config.function_name),
                "condition": condition,
                "approximateInvokeCount": attempt.invocations,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": _iso(time.time()),
            "KinesisBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": records[0]["kinesis"]["sequenceNumber"],
                "endSequenceNumber": records[-1]["kinesis"]["sequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(min(arrivals)),
                "approximateArrivalOfLastRecord": _iso(max(arrivals)),
                "batchSize": len(records),
                "streamArn": self.config.stream_arn,
            },
        }

    def _log(self, message: str) -> None:
        self._logs.emit(self.config.logical_id, message)


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
