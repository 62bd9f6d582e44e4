"""Lambda event source mappings on SQS queues, run as Lambda runs them: long polling, batch
size and batching window, up to MaximumConcurrency batches at once, and then delete only what
succeeded. Failed messages are left alone: the queue's visibility timeout hands them back, and
moto moves them to the dead-letter queue after maxReceiveCount receives."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from moto.events.models import EventPattern

from localcloud.aws import AwsClients
from localcloud.filters import load_filters, passes
from localcloud.lambda_.workers import Invocation
from localcloud.logs import LogSink
from localcloud.names import REGION
from localcloud.provisioning import ProvisionedResource

DEFAULT_BATCH_SIZE = 10
# Lambda would scale far beyond this; locally a second batch in flight is enough to show
# concurrency effects without a worker process per message.
DEFAULT_MAX_CONCURRENCY = 2
RECEIVE_LIMIT = 10
# Short long-polls: a stopping local cloud waits at most this long for its pollers.
LONG_POLL_SECONDS = 1
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


@dataclass(frozen=True)
class SqsMappingConfig:
    logical_id: str
    function: str
    queue_arn: str
    batch_size: int
    batching_window_seconds: float
    report_batch_item_failures: bool
    max_concurrency: int
    filters: tuple[EventPattern, ...]


def sqs_mapping_config(
    item: ProvisionedResource, functions_by_name: Mapping[str, str]
) -> SqsMappingConfig:
    props = item.properties
    function_ref = str(props["FunctionName"])
    # FunctionName may be a name, an ARN, or a partial ARN; the name is what follows "function:".
    name = function_ref.split("function:")[-1].split(":")[0]
    if name not in functions_by_name:
        raise ValueError(f"{function_ref} is no function the local cloud runs")
    scaling = props.get("ScalingConfig", {})
    return SqsMappingConfig(
        logical_id=item.logical_id,
        function=functions_by_name[name],
        queue_arn=props["EventSourceArn"],
        batch_size=int(props.get("BatchSize", DEFAULT_BATCH_SIZE)),
        batching_window_seconds=float(props.get("MaximumBatchingWindowInSeconds", 0)),
        report_batch_item_failures=REPORT_BATCH_ITEM_FAILURES
        in props.get("FunctionResponseTypes", []),
        max_concurrency=int(scaling.get("MaximumConcurrency", DEFAULT_MAX_CONCURRENCY)),
        filters=load_filters(props.get("FilterCriteria")),
    )


def sqs_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return shaped


def failed_message_ids(response: Any, batch_ids: set[str]) -> set[str]:
    """Which messages a ReportBatchItemFailures response fails, by Lambda's rules: nothing
    (or an empty list) means all succeeded; a malformed answer fails the whole batch."""
    if response is None or response == {}:
        return set()
    if not isinstance(response, dict):
        return set(batch_ids)
    failures = response.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        return set(batch_ids)
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in batch_ids:
            return set(batch_ids)
        failed.add(identifier)
    return failed


class SqsPoller:
    """One event source mapping: a receiving thread, and up to MaximumConcurrency batches
    being processed at once (each one holding one of the function's workers)."""

    def __init__(
        self,
        config: SqsMappingConfig,
        aws: AwsClients,
        invoke: Callable[[str, Any], Invocation],
        logs: LogSink,
        concurrency: int | None = None,
    ) -> None:
        """`concurrency` caps MaximumConcurrency (the function's local worker ceiling)."""
        self.config = config
        self._aws = aws
        self._invoke = invoke
        self._logs = logs
        self._stopping = threading.Event()
        batches_at_once = min(concurrency or config.max_concurrency, config.max_concurrency)
        self._slots = threading.BoundedSemaphore(batches_at_once)
        self._executor = ThreadPoolExecutor(
            batches_at_once, thread_name_prefix=f"sqs-{config.logical_id}"
        )
        self._thread: threading.Thread | None = None
        self._queue_url = ""
        self._visibility_timeout = ""

    def start(self) -> None:
        name = self.config.queue_arn.rsplit(":", 1)[-1]
        self._queue_url = self._aws("sqs").get_queue_url(QueueName=name)["QueueUrl"]
        self._visibility_timeout = self._current_visibility_timeout()
        self._thread = threading.Thread(
            target=self._run, name=f"sqs-{self.config.logical_id}", daemon=True
        )
        self._thread.start()

    def signal_stop(self) -> None:
        self._stopping.set()

    def stop(self) -> None:
        self.signal_stop()
        if self._thread is not None:
            self._thread.join()
        self._executor.shutdown(wait=True)

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=LONG_POLL_SECONDS):
                continue
            try:
                messages = self._collect()
            except Exception as error:  # a failed receive must not end the mapping
                self._slots.release()
                self._log(f"receiving from {self.config.queue_arn} failed: {error}")
                self._stopping.wait(LONG_POLL_SECONDS)
                continue
            if not messages:
                self._slots.release()
                continue
            try:
                self._keep_visibility_current(messages)
            except Exception as error:  # the batch is still ours: process it regardless
                self._log(f"re-applying the visibility timeout failed: {error}")
            self._executor.submit(self._process_and_release, messages)

    def _collect(self) -> list[dict[str, Any]]:
        """A batch: up to BatchSize messages, gathered for up to the batching window, which
        opens with the first message."""
        sqs = self._aws("sqs")
        messages: list[dict[str, Any]] = []
        deadline: float | None = None
        wait = LONG_POLL_SECONDS
        while not self._stopping.is_set():
            messages += sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=min(RECEIVE_LIMIT, self.config.batch_size - len(messages)),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if len(messages) >= self.config.batch_size:
                break
            if not messages:
                continue
            if deadline is None:
                deadline = time.monotonic() + self.config.batching_window_seconds
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            wait = min(LONG_POLL_SECONDS, int(remaining))
            if wait == 0:
                self._stopping.wait(min(remaining, 0.05))
        return messages

    def _keep_visibility_current(self, messages: list[dict[str, Any]]) -> None:
        """moto fixes a receive's visibility timeout when the long poll starts: a message that
        arrives during a poll begun before the queue's VisibilityTimeout changed would keep the
        old one. SQS uses the queue's value at receipt, so re-apply it when it changed."""
        current = self._current_visibility_timeout()
        if current == self._visibility_timeout:
            return
        self._visibility_timeout = current
        self._aws("sqs").change_message_visibility_batch(
            QueueUrl=self._queue_url,
            Entries=[
                {
                    "Id": str(i),
                    "ReceiptHandle": m["ReceiptHandle"],
                    "VisibilityTimeout": int(current),
                }
                for i, m in enumerate(messages)
            ],
        )

    def _current_visibility_timeout(self) -> str:
        attributes = self._aws("sqs").get_queue_attributes(
            QueueUrl=self._queue_url, AttributeNames=["VisibilityTimeout"]
        )["Attributes"]
        return str(attributes["VisibilityTimeout"])

    def _process_and_release(self, messages: list[dict[str, Any]]) -> None:
        try:
            self._process(messages)
        except Exception as error:  # keep the mapping alive; SQS will hand the batch back
            self._log(f"processing a batch failed: {error}")
        finally:
            self._slots.release()

    def _process(self, messages: list[dict[str, Any]]) -> None:
        records = [sqs_record(m, self.config.queue_arn) for m in messages]
        matched = [r for r in records if self._passes_filters(r)]
        # Lambda deletes the messages its filters drop.
        dropped = [r for r in records if r not in matched]
        self._delete(dropped)
        if not matched:
            return
        invocation = self._invoke(self.config.function, {"Records": matched})
        if invocation.error is not None:
            return  # nothing deleted: every message comes back after its visibility timeout
        succeeded = matched
        if self.config.report_batch_item_failures:
            failed = failed_message_ids(invocation.payload, {r["messageId"] for r in matched})
            succeeded = [r for r in matched if r["messageId"] not in failed]
        self._delete(succeeded)

    def _passes_filters(self, record: dict[str, Any]) -> bool:
        view = dict(record)
        with contextlib.suppress(ValueError):  # a body that is not JSON is matched as text
            view["body"] = json.loads(record["body"])
        return passes(self.config.filters, view)

    def _delete(self, records: list[dict[str, Any]]) -> None:
        sqs = self._aws("sqs")
        for start in range(0, len(records), RECEIVE_LIMIT):
            chunk = records[start : start + RECEIVE_LIMIT]
            answer = sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)
                ],
            )
            for failure in answer.get("Failed", []):
                self._log(f"deleting a message failed: {failure.get('Message')}")

    def _log(self, message: str) -> None:
        self._logs.emit(self.config.logical_id, message)
