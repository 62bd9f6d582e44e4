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
Kinesis allows, gathered for up to a quarter of a second). When the buffer is full the record
is dropped and counted, as CloudFront delivers real-time logs on a best effort basis, instead
of blocking the answer or growing memory.
Records Kinesis refuses (throttling) are retried a few times, then dropped and counted too.
https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html

Not emulated: `c-country` and the other geolocation fields are `-` (no IP geolocation on a
laptop), TLS fields are `-` (plain HTTP), `c-port` is `-`.
"""

from __future__ import annotations

import ipaddress
import random
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
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
# How long the sender gathers records before it puts them: CloudFront delivers
# real-time logs "within seconds", and one PutRecords a click would compete with the next click
# for the local cloud's process, which CloudFront's out-of-band delivery never does.
BATCH_LINGER_SECONDS = 0.25
# What standard logs percent-encode: controls, space, non-ASCII bytes, and these characters.
_ENCODED = re.compile(rb"[\x00-\x20\x7f-\xff<>\"#%{}|\\^~\[\]`']")


def _percent_encoded(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match[0][0]


def log_text(value: str | None, limit: int | None = None) -> str:
    """A text field as the logs write it: URL-encoded where standard logs encode, `-` if empty."""
    if not value:
        return MISSING
    raw = value.encode("utf-8", errors="replace")
    if limit is not None:
        raw = raw[:limit]
    return _ENCODED.sub(_percent_encoded, raw).decode("ascii")


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


def _header_bytes(headers: Sequence[tuple[str, str]]) -> int:
    return sum(len(k) + len(v) + 4 for k, v in headers)


def _uri_stem(served: ServedRequest) -> str:
    request = served.request
    return log_text(request.path + (f"?{request.query}" if request.query else ""))


def _ip_version(served: ServedRequest) -> str:
    try:
        return f"IPv{ipaddress.ip_address(served.request.client_ip).version}"
    except ValueError:
        return MISSING


def _request_header(name: str, limit: int | None = None) -> Callable[[ServedRequest], str]:
    return lambda served: log_text(served.request.header(name), limit)


# Each field's value, computed only for the fields a config asks for: a record is built on the
# request's own thread, and the header fields' encoding is most of its cost.
FIELD_VALUES: dict[str, Callable[[ServedRequest], str]] = {
    "timestamp": lambda served: f"{served.finished_at:.3f}",
    "c-ip": lambda served: served.request.client_ip or MISSING,
    "time-to-first-byte": lambda served: f"{served.seconds_taken:.3f}",
    "sc-status": lambda served: str(served.response.status),
    "sc-bytes": lambda served: str(
        len(served.response.body) + _header_bytes(served.response.headers)
    ),
    "cs-method": lambda served: served.request.method,
    "cs-protocol": lambda served: "http",
    "cs-host": lambda served: log_text(served.request.header("Host") or served.distribution_domain),
    "cs-uri-stem": _uri_stem,
    "cs-bytes": lambda served: str(
        len(served.request.body) + _header_bytes(served.request.headers)
    ),
    "x-edge-location": lambda served: served.pop,
    "x-edge-request-id": lambda served: served.request_id,
    "x-host-header": lambda served: log_text(served.distribution_domain),
    "time-taken": lambda served: f"{served.seconds_taken:.3f}",
    "cs-protocol-version": lambda served: "HTTP/1.1",
    "c-ip-version": _ip_version,
    "cs-user-agent": _request_header("User-Agent"),
    "cs-referer": _request_header("Referer"),
    "cs-cookie": _request_header("Cookie", TRUNCATED_BYTES),
    "cs-uri-query": lambda served: log_text(served.request.query),
    "x-edge-response-result-type": lambda served: served.result_type,
    "x-forwarded-for": _request_header("X-Forwarded-For"),
    "x-edge-result-type": lambda served: served.result_type,
    "sc-content-type": lambda served: log_text(served.response.header("Content-Type")),
    "sc-content-len": lambda served: (
        served.response.header("Content-Length") or str(len(served.response.body))
    ),
    "x-edge-detailed-result-type": lambda served: served.result_type,
    "cs-accept-encoding": _request_header("Accept-Encoding"),
    "cs-accept": _request_header("Accept"),
    "cache-behavior-path-pattern": lambda served: log_text(served.path_pattern),
    "cs-headers": lambda served: log_text(
        "\n".join(f"{k}:{v}" for k, v in served.request.headers), TRUNCATED_BYTES
    ),
    "cs-header-names": lambda served: log_text(
        "\n".join(k for k, _ in served.request.headers), TRUNCATED_BYTES
    ),
    "cs-headers-count": lambda served: str(len(served.request.headers)),
    "primary-distribution-id": lambda served: served.distribution_id,
    "primary-distribution-dns-name": lambda served: log_text(served.distribution_domain),
}


def log_record(served: ServedRequest, fields: tuple[str, ...]) -> bytes:
    """The record of `served` with `fields` in order; a field this cloud cannot know is `-`."""
    values = (FIELD_VALUES[field](served) if field in FIELD_VALUES else MISSING for field in fields)
    return ("\t".join(values) + "\n").encode()


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
        # A deque, not a queue.Queue: a put would wake the sender for every record, and each
        # wake takes the interpreter from the request being answered.
        self._buffer: deque[bytes] = deque()
        self._buffer_records = buffer_records
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
        if len(self._buffer) >= self._buffer_records:
            self._drop(1, "the buffer is full")
            return
        self._buffer.append(log_record(served, self.config.fields))

    def pending(self) -> int:
        return len(self._buffer)

    def _run(self) -> None:
        while True:
            stopping = self._stopping.wait(BATCH_LINGER_SECONDS)
            while self._buffer:
                self._put(self._next_batch())
            if stopping:
                return

    def _next_batch(self) -> list[bytes]:
        batch: list[bytes] = []
        size = 0
        while self._buffer and len(batch) < PUT_RECORDS_LIMIT:
            record = self._buffer[0]
            if batch and size + len(record) > PUT_RECORDS_BYTES - 64 * 1024:
                break
            batch.append(self._buffer.popleft())
            size += len(record)
        return batch

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
