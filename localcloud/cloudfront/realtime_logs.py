"""CloudFront real-time logs: one record per request the edge answers on a behaviour that has a
real-time log config, put to the config's Kinesis stream with the config's role.

The record, as CloudFront writes it:
- the configured fields' values, tab-separated, in the fixed order of the guide's field list
  ("the fields in every real-time log record are always delivered in the same order", whatever
  order the configuration names them in), ending with a newline; one Kinesis record per request;
- a missing value is a hyphen (`-`); `timestamp` is the Unix time the answer finished, in
  seconds with milliseconds (`1733050800.123`); `time-taken` and `time-to-first-byte` in
  seconds to the millisecond;
- `cs-uri-stem` is the path with the query string when there is one (unlike standard logs), and
  `cs-uri-query` the query alone;
- the characters that standard logs URL-encode are URL-encoded in every text field (ASCII 0 to
  32, 127 and above as UTF-8 bytes, and `<>"#%{}|\\^~[]`'`), so a User-Agent or Referer can never
  carry a tab or a newline into the record; `cs-cookie` and the `cs-headers*` fields are cut to
  800 bytes;
- sampling at the config's SamplingRate percent.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/real-time-logs.html
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html

A redirect never waits for its record: the edge only puts it in a bounded buffer, and a
background sender batches the buffer into PutRecords calls (at most 500 records each, as
Kinesis allows). When the buffer is full the record is dropped and counted, as CloudFront
delivers real-time logs on a best effort basis, instead of blocking the answer or growing memory.
Records Kinesis refuses (throttling) are retried a few times, then dropped and counted too.
https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html

Not emulated: `c-country` and the other geolocation fields are `-` (no IP geolocation on a
laptop), TLS fields are `-` (plain HTTP), `c-port` is `-`.
"""

from __future__ import annotations

import ipaddress
import queue
import random
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from localcloud.aws import AwsClients
from localcloud.cloudfront.messages import Request, Response
from localcloud.logs import LogSink
from localcloud.provisioning import ProvisionedResource

# The guide's field list, in the order every record carries its fields.
FIELD_ORDER = (
    "timestamp", "c-ip", "time-to-first-byte", "sc-status", "sc-bytes", "cs-method",
    "cs-protocol", "cs-host", "cs-uri-stem", "cs-bytes", "x-edge-location", "x-edge-request-id",
    "x-host-header", "time-taken", "cs-protocol-version", "c-ip-version", "cs-user-agent",
    "cs-referer", "cs-cookie", "cs-uri-query", "x-edge-response-result-type", "x-forwarded-for",
    "ssl-protocol", "ssl-cipher", "x-edge-result-type", "fle-encrypted-fields", "fle-status",
    "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end", "c-port",
    "x-edge-detailed-result-type", "c-country", "cs-accept-encoding", "cs-accept",
    "cache-behavior-path-pattern", "cs-headers", "cs-header-names", "cs-headers-count",
    "primary-distribution-id", "primary-distribution-dns-name", "origin-fbl", "origin-lbl",
    "asn",
)  # fmt: skip
MISSING = "-"
TRUNCATED_BYTES = 800
PUT_RECORDS_LIMIT = 500
PUT_RECORDS_BYTES = 5 * 1024 * 1024
BUFFER_RECORDS = 10_000
PUT_ATTEMPTS = 3
_ENCODED = frozenset(b"<>\"#%{}|\\^~[]`'")


def log_text(value: str | None, limit: int | None = None) -> str:
    """A text field as the logs write it: URL-encoded where standard logs encode, `-` if empty."""
    if not value:
        return MISSING
    raw = value.encode("utf-8", errors="replace")
    if limit is not None:
        raw = raw[:limit]
    return "".join(
        f"%{byte:02X}" if byte <= 32 or byte >= 127 or byte in _ENCODED else chr(byte)
        for byte in raw
    )


@dataclass(frozen=True)
class ServedRequest:
    """One request the edge answered, with what its log record needs."""

    request: Request
    response: Response
    request_id: str
    result_type: str  # Hit, RefreshHit, Miss, Error (x-edge-result-type)
    path_pattern: str
    log_config_arn: str  # the behaviour's RealtimeLogConfigArn, "" for none
    distribution_id: str
    distribution_domain: str
    pop: str
    seconds_taken: float
    finished_at: float  # Unix time


def field_values(served: ServedRequest) -> dict[str, str]:
    request, response = served.request, served.response
    headers = request.headers
    header_bytes = sum(len(k) + len(v) + 4 for k, v in headers)
    response_header_bytes = sum(len(k) + len(v) + 4 for k, v in response.headers)
    stem = request.path + (f"?{request.query}" if request.query else "")
    taken = f"{served.seconds_taken:.3f}"
    try:
        ip_version = f"IPv{ipaddress.ip_address(request.client_ip).version}"
    except ValueError:
        ip_version = MISSING
    all_headers = "\n".join(f"{k}:{v}" for k, v in headers)
    return {
        "timestamp": f"{served.finished_at:.3f}",
        "c-ip": request.client_ip or MISSING,
        "time-to-first-byte": taken,
        "sc-status": str(response.status),
        "sc-bytes": str(len(response.body) + response_header_bytes),
        "cs-method": request.method,
        "cs-protocol": "http",
        "cs-host": log_text(request.header("Host") or served.distribution_domain),
        "cs-uri-stem": log_text(stem),
        "cs-bytes": str(len(request.body) + header_bytes),
        "x-edge-location": served.pop,
        "x-edge-request-id": served.request_id,
        "x-host-header": log_text(served.distribution_domain),
        "time-taken": taken,
        "cs-protocol-version": "HTTP/1.1",
        "c-ip-version": ip_version,
        "cs-user-agent": log_text(request.header("User-Agent")),
        "cs-referer": log_text(request.header("Referer")),
        "cs-cookie": log_text(request.header("Cookie"), TRUNCATED_BYTES),
        "cs-uri-query": log_text(request.query),
        "x-edge-response-result-type": served.result_type,
        "x-forwarded-for": log_text(request.header("X-Forwarded-For")),
        "x-edge-result-type": served.result_type,
        "sc-content-type": log_text(response.header("Content-Type")),
        "sc-content-len": response.header("Content-Length") or str(len(response.body)),
        "x-edge-detailed-result-type": served.result_type,
        "cs-accept-encoding": log_text(request.header("Accept-Encoding")),
        "cs-accept": log_text(request.header("Accept")),
        "cache-behavior-path-pattern": log_text(served.path_pattern),
        "cs-headers": log_text(all_headers, TRUNCATED_BYTES),
        "cs-header-names": log_text("\n".join(k for k, _ in headers), TRUNCATED_BYTES),
        "cs-headers-count": str(len(headers)),
        "primary-distribution-id": served.distribution_id,
        "primary-distribution-dns-name": log_text(served.distribution_domain),
    }


def log_record(served: ServedRequest, fields: tuple[str, ...]) -> bytes:
    values = field_values(served)
    return ("\t".join(values.get(field, MISSING) for field in fields) + "\n").encode()


@dataclass(frozen=True)
class RealtimeLogConfig:
    arn: str
    name: str
    fields: tuple[str, ...]  # in the order records carry them
    sampling_rate: float  # percent
    stream_arn: str
    role_arn: str


def _documented_position(field: str) -> int:
    return FIELD_ORDER.index(field) if field in FIELD_ORDER else len(FIELD_ORDER)


def realtime_log_configs(
    provisioned: Mapping[str, ProvisionedResource],
) -> dict[str, RealtimeLogConfig]:
    """The template's real-time log configs with a Kinesis endpoint, by ARN."""
    configs = {}
    for item in provisioned.values():
        if item.type != "AWS::CloudFront::RealtimeLogConfig" or not item.properties:
            continue
        props = item.properties
        endpoint = next(
            (e["KinesisStreamConfig"] for e in props.get("EndPoints", [])
             if e.get("StreamType", "Kinesis") == "Kinesis"),
            None,
        )  # fmt: skip
        if endpoint is None:
            continue
        named = [str(field) for field in props.get("Fields", [])]
        fields = tuple(sorted(named, key=_documented_position))
        configs[item.physical_id] = RealtimeLogConfig(
            arn=item.physical_id,
            name=str(props.get("Name", item.logical_id)),
            fields=fields,
            sampling_rate=float(props.get("SamplingRate", 100)),
            stream_arn=str(endpoint["StreamArn"]),
            role_arn=str(endpoint.get("RoleArn", "")),
        )
    return configs


class RealtimeLogSender:
    """A config's records, buffered and put to its stream in the background."""

    def __init__(
        self,
        config: RealtimeLogConfig,
        aws: AwsClients,
        logs: LogSink,
        source: str,
        buffer_records: int = BUFFER_RECORDS,
    ) -> None:
        self.config = config
        self._aws = aws
        self._logs = logs
        self._source = source
        self._buffer: queue.Queue[bytes] = queue.Queue(maxsize=buffer_records)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._random = random.Random()
        self.sent = 0
        self.dropped = 0

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"realtime-log-{self.config.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Send what is buffered, then stop."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def emit(self, served: ServedRequest) -> None:
        """Never blocks: a full buffer drops the record and counts it."""
        if self._random.uniform(0, 100) >= self.config.sampling_rate:
            return
        try:
            self._buffer.put_nowait(log_record(served, self.config.fields))
        except queue.Full:
            self._drop(1, "the buffer is full")

    def pending(self) -> int:
        return self._buffer.qsize()

    def _run(self) -> None:
        while not (self._stopping.is_set() and self._buffer.empty()):
            try:
                first = self._buffer.get(timeout=0.1)
            except queue.Empty:
                continue
            batch, size = [first], len(first)
            while len(batch) < PUT_RECORDS_LIMIT:
                try:
                    record = self._buffer.get_nowait()
                except queue.Empty:
                    break
                batch.append(record)
                size += len(record)
                if size > PUT_RECORDS_BYTES - 64 * 1024:
                    break
            self._put(batch)

    def _put(self, records: list[bytes]) -> None:
        kinesis = self._aws("kinesis")
        for attempt in range(PUT_ATTEMPTS):
            try:
                answer = kinesis.put_records(
                    StreamARN=self.config.stream_arn,
                    Records=[{"Data": r, "PartitionKey": uuid.uuid4().hex} for r in records],
                )
            except Exception as error:  # the stream or the role refusing: count, keep serving
                if attempt + 1 == PUT_ATTEMPTS:
                    self._drop(len(records), f"PutRecords failed: {error}")
                    return
                self._stopping.wait(0.1 * (attempt + 1))
                continue
            results = answer.get("Records", [])
            failed = [
                record
                for record, result in zip(records, results, strict=False)
                if "ErrorCode" in result
            ]
            self.sent += len(records) - len(failed)
            if not failed:
                return
            records = failed
            self._stopping.wait(0.1 * (attempt + 1))
        self._drop(len(records), "Kinesis refused them")

    def _drop(self, count: int, why: str) -> None:
        first = self.dropped == 0
        self.dropped += count
        if first or self.dropped % 1000 < count:
            self._logs.emit(
                self._source,
                f"real-time log {self.config.name}: {self.dropped} records dropped so far ({why})",
            )


class RealtimeLogs:
    """Every real-time log config a served distribution's behaviours use: the edge tells it
    each answered request, and the behaviour's config (if any) sends its record."""

    def __init__(self, senders: Mapping[str, RealtimeLogSender]) -> None:
        self._senders = dict(senders)

    @classmethod
    def for_distribution(
        cls,
        behaviors_log_config_arns: set[str],
        provisioned: Mapping[str, ProvisionedResource],
        clients_for_role: Callable[[str], AwsClients],
        logs: LogSink,
        source: str,
    ) -> RealtimeLogs:
        configs = realtime_log_configs(provisioned)
        senders = {
            arn: RealtimeLogSender(config, clients_for_role(config.role_arn), logs, source)
            for arn, config in configs.items()
            if arn in behaviors_log_config_arns
        }
        return cls(senders)

    @property
    def senders(self) -> list[RealtimeLogSender]:
        return list(self._senders.values())

    def start(self) -> None:
        for sender in self._senders.values():
            sender.start()

    def stop(self) -> None:
        for sender in self._senders.values():
            sender.stop()

    def observe(self, served: ServedRequest) -> None:
        sender = self._senders.get(served.log_config_arn)
        if sender is not None:
            sender.emit(served)

    def note(self) -> str:
        parts = [
            f"real-time log {s.config.name}: {len(s.config.fields)} fields to "
            f"{s.config.stream_arn.rsplit('/', 1)[-1]} in the background (buffer "
            f"{BUFFER_RECORDS:,} records, drops counted), c-country '-' (no geolocation)"
            for s in self._senders.values()
        ]
        return "; ".join(parts)
