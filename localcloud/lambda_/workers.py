"""Function workers: each function runs in processes of its own, warm between invocations, one
invocation at a time per process, like Lambda execution environments.

A pool per function starts workers lazily (or ahead, to warm up), up to its concurrency; a
worker that runs over the function's timeout is killed and replaced, as Lambda does. Each
invocation is measured (duration, init duration, peak memory) and logged as a REPORT line.
"""

from __future__ import annotations

import contextlib
import enum
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from localcloud.lambda_.functions import FunctionSpec
from localcloud.logs import LogSink

RUNTIME_SCRIPT = Path(__file__).with_name("_runtime.py")
# Lambda gives init 10 s; two shared cores importing several functions at once need more.
INIT_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 1.0
END_LINE_WAIT_SECONDS = 1.0
# Workers per function at most. Lambda would scale much further; locally each worker is a
# Python process of 50-150 MB on a laptop. ReservedConcurrentExecutions and an event source
# mapping's MaximumConcurrency are honoured up to this ceiling.
DEFAULT_MAX_WORKERS = 2
# Extra workers (beyond one per function) that sat idle this long are stopped, as Lambda
# reclaims idle execution environments.
IDLE_WORKER_SECONDS = 30.0
KEPT_REPORTS = 10_000
_STOPPED_ERROR = {"errorType": "LocalCloud.Stopped", "errorMessage": "the local cloud is stopping"}


@dataclass(frozen=True)
class InvocationReport:
    """One invocation as Lambda's REPORT line describes it, plus the local round trip."""

    function: str
    request_id: str
    started_at: float
    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None
    round_trip_ms: float
    error_type: str | None = None
    timed_out: bool = False

    @property
    def over_memory(self) -> bool:
        return self.max_memory_used_mb > self.memory_size_mb

    def line(self) -> str:
        parts = [
            f"REPORT RequestId: {self.request_id}",
            f"Duration: {self.duration_ms:.2f} ms",
            f"Billed Duration: {self.billed_duration_ms} ms",
            f"Memory Size: {self.memory_size_mb} MB",
            f"Max Memory Used: {self.max_memory_used_mb} MB",
        ]
        if self.init_duration_ms is not None:
            parts.append(f"Init Duration: {self.init_duration_ms:.2f} ms")
        if self.timed_out:
            parts.append("Status: timeout")
        elif self.error_type:
            parts.append("Status: error")
        return "\t".join(parts)


@dataclass(frozen=True)
class Invocation:
    """The outcome: the handler's JSON result, or Lambda's error payload."""

    report: InvocationReport
    payload: Any = None
    error: Mapping[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _Silence(enum.Enum):
    """Why a worker did not answer."""

    TIMED_OUT = "timed out"
    GONE = "gone"


class WorkerInitError(Exception):
    def __init__(self, error: Mapping[str, Any], init_ms: float) -> None:
        super().__init__(error.get("errorMessage", "init failed"))
        self.error = error
        self.init_ms = init_ms


class Worker:
    """One process running one function."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str], logs: LogSink) -> None:
        self.spec = spec
        self._environment = dict(environment)
        self._logs = logs
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._end_seen = threading.Event()
        self._expected_end = ""
        self.init_ms: float | None = None
        self.cold = True
        self.last_used = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> float:
        """Start the process and import the handler; the init duration in ms."""
        started = time.perf_counter()
        parent_end, child_end = socket.socketpair()
        child_fd = child_end.fileno()
        self._process = subprocess.Popen(
            # -P: the runtime's own folder (localcloud/) stays off sys.path.
            [sys.executable, "-P", "-u", str(RUNTIME_SCRIPT), str(child_fd)],
            pass_fds=(child_fd,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=self._environment,
            cwd=self.spec.code_dir,
            # Its own session: Ctrl-C in the terminal reaches the local cloud, which then stops
            # the workers in order, instead of interrupting handlers mid-way.
            start_new_session=True,
        )
        child_end.close()
        self._connection = Connection(parent_end.detach())
        threading.Thread(
            target=self._forward_logs, name=f"logs-{self.spec.logical_id}", daemon=True
        ).start()
        self._send(
            {
                "type": "config",
                "handler": self.spec.handler,
                "code_dir": str(self.spec.code_dir),
                "layer_dirs": [str(d) for d in self.spec.layer_dirs],
            }
        )
        message = self._receive(INIT_TIMEOUT_SECONDS)
        self.init_ms = (time.perf_counter() - started) * 1000
        if isinstance(message, _Silence) or message.get("type") != "ready":
            if isinstance(message, _Silence):
                error = {
                    "errorType": "Runtime.InitError",
                    "errorMessage": f"init did not finish within {INIT_TIMEOUT_SECONDS:g} s"
                    if message is _Silence.TIMED_OUT
                    else "Runtime exited during init",
                }
            else:
                error = message.get("error") or {"errorType": "Runtime.Unknown"}
            self.kill()
            self.stop()
            raise WorkerInitError(error, self.init_ms)
        return self.init_ms

    def invoke(self, event: Any, request_id: str) -> Invocation:
        timeout = self.spec.timeout_seconds
        self._expected_end = f"END RequestId: {request_id}"
        self._end_seen.clear()
        started_at = time.time()
        started = time.perf_counter()
        init_ms = self.init_ms if self.cold else None
        self.cold = False
        message: dict[str, Any] | _Silence
        try:
            self._send(
                {
                    "type": "invoke",
                    "request_id": request_id,
                    "event": event,
                    "timeout_ms": int(timeout * 1000),
                    "invoked_function_arn": self.spec.arn,
                }
            )
        except OSError:
            message = _Silence.GONE  # reported below as Lambda reports a crash
        else:
            message = self._receive(timeout)
        round_trip_ms = (time.perf_counter() - started) * 1000
        timed_out = message is _Silence.TIMED_OUT
        payload = None
        if isinstance(message, _Silence):
            max_memory_used_mb = self.peak_rss_mb()  # read before the process goes
            error: Mapping[str, Any] | None = self._lost(request_id, timed_out)
            duration_ms = timeout * 1000 if timed_out else round_trip_ms
        else:
            # The function's last lines must be out before its REPORT line.
            self._end_seen.wait(END_LINE_WAIT_SECONDS)
            error = message.get("error")
            duration_ms = float(message["duration_ms"])
            max_memory_used_mb = math.ceil(int(message["max_rss_kb"]) / 1024)
            if not error:
                payload = json.loads(message["payload"])
        report = InvocationReport(
            function=self.spec.logical_id,
            request_id=request_id,
            started_at=started_at,
            duration_ms=duration_ms,
            billed_duration_ms=max(math.ceil(duration_ms), 1),
            memory_size_mb=self.spec.memory_mb,
            max_memory_used_mb=max_memory_used_mb,
            init_duration_ms=init_ms,
            round_trip_ms=round_trip_ms,
            error_type=error["errorType"] if error else None,
            timed_out=timed_out,
        )
        return Invocation(report, payload, error)

    def stop(self) -> None:
        process, self._process = self._process, None
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if process is None or process.poll() is not None:
            return
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _kill_group(process, signal.SIGTERM)
            try:
                process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _kill_group(process, signal.SIGKILL)
                process.wait()

    def kill(self) -> None:
        """End the process now. Safe from any thread: the connection stays for its owner."""
        process = self._process
        if process is not None and process.poll() is None:
            _kill_group(process, signal.SIGKILL)
            process.wait()

    def peak_rss_mb(self) -> int:
        """Peak RSS so far, read from outside (for a worker that cannot answer any more)."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return math.ceil(int(line.split()[1]) / 1024)
        return 0

    def _lost(self, request_id: str, timed_out: bool) -> dict[str, str]:
        """No answer: the function ran over its timeout, or its process died. End the worker
        and log as Lambda does; the error payload."""
        self.kill()
        self.stop()
        timeout = self.spec.timeout_seconds
        if timed_out:
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            self._logs.emit(
                self.spec.logical_id,
                f"{now} {request_id} Task timed out after {timeout:.2f} seconds",
            )
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                f"{timeout:.2f} seconds",
            }
        else:
            error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited without "
                "providing a reason",
            }
        self._logs.emit(self.spec.logical_id, f"END RequestId: {request_id}")
        return error

    def _send(self, message: Mapping[str, Any]) -> None:
        assert self._connection is not None
        self._connection.send_bytes(json.dumps(message).encode())

    def _receive(self, timeout: float) -> dict[str, Any] | _Silence:
        """The next message, or why there is none."""
        connection = self._connection
        if connection is None:
            return _Silence.GONE
        try:
            if not connection.poll(timeout):
                return _Silence.TIMED_OUT
            message: dict[str, Any] = json.loads(connection.recv_bytes())
            return message
        except (EOFError, OSError):
            return _Silence.GONE

    def _forward_logs(self) -> None:
        process = self._process
        if process is None or process.stdout is None:
            return
        for raw in process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            self._logs.emit(self.spec.logical_id, line)
            if line == self._expected_end:
                self._end_seen.set()


def _kill_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


class FunctionPool:
    """The execution environments of one function: reuses idle workers, starts new ones only
    when every existing one is busy (or still starting), up to the concurrency limit."""

    def __init__(
        self,
        spec: FunctionSpec,
        environment: Mapping[str, str],
        logs: LogSink,
        max_workers: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        self.spec = spec
        self._environment = environment
        self._logs = logs
        reserved = spec.reserved_concurrency
        self.max_workers = min(reserved, max_workers) if reserved else max_workers
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._starting = 0
        self._waiting = 0
        self._stopped = False
        self._condition = threading.Condition()
        self.reports: deque[InvocationReport] = deque(maxlen=KEPT_REPORTS)

    def invoke(self, event: Any) -> Invocation:
        request_id = str(uuid.uuid4())
        worker, init_error = self._checkout()
        if worker is None:
            assert init_error is not None
            return self._init_failure(request_id, init_error)
        try:
            invocation = worker.invoke(event, request_id)
        finally:
            self._checkin(worker)
        self._record(invocation.report)
        return invocation

    def warm(self) -> None:
        """Start one worker ahead of the first invocation, if none exists yet."""
        with self._condition:
            if self._all or self._starting or self._stopped:
                return
            self._starting += 1
        worker = Worker(self.spec, self._environment, self._logs)
        try:
            worker.start()
        except WorkerInitError:
            with self._condition:
                self._starting -= 1
                self._condition.notify_all()
            return
        with self._condition:
            self._starting -= 1
            if self._stopped:
                worker.stop()
                return
            self._all.add(worker)
            self._idle.append(worker)
            self._condition.notify_all()

    def retire_idle(self, idle_seconds: float = IDLE_WORKER_SECONDS) -> int:
        """Stop the workers, but the most recently used one, idle for `idle_seconds`."""
        cutoff = time.monotonic() - idle_seconds
        with self._condition:
            by_recency = sorted(self._idle, key=lambda worker: worker.last_used, reverse=True)
            spare = [w for w in by_recency[1:] if w.last_used < cutoff]
            for worker in spare:
                self._idle.remove(worker)
                self._all.discard(worker)
        for worker in spare:
            worker.stop()
        return len(spare)

    def pids(self) -> list[int]:
        with self._condition:
            return [w.pid for w in self._all if w.pid is not None]

    def stop(self) -> None:
        """Idle workers exit on their own; busy ones are killed, and the invocation they were
        serving ends with an error, as when Lambda loses an execution environment."""
        with self._condition:
            self._stopped = True
            idle = list(self._idle)
            busy = [w for w in self._all if w not in idle]
            self._all.clear()
            self._idle.clear()
            self._condition.notify_all()
        for worker in busy:
            worker.kill()
        for worker in idle:
            worker.stop()

    def _checkout(self) -> tuple[Worker | None, WorkerInitError | None]:
        with self._condition:
            self._waiting += 1
            try:
                while True:
                    if self._stopped:
                        return None, WorkerInitError(_STOPPED_ERROR, 0.0)
                    while self._idle:
                        worker = self._idle.pop()
                        if worker.alive:
                            return worker, None
                        self._all.discard(worker)
                    busy_or_starting = len(self._all) + self._starting
                    if busy_or_starting < self.max_workers and self._starting < self._waiting:
                        self._starting += 1
                        break
                    self._condition.wait()
            finally:
                self._waiting -= 1
        worker = Worker(self.spec, self._environment, self._logs)
        try:
            worker.start()
        except WorkerInitError as error:
            with self._condition:
                self._starting -= 1
                self._condition.notify_all()
            return None, error
        with self._condition:
            self._starting -= 1
            self._all.add(worker)
        return worker, None

    def _checkin(self, worker: Worker) -> None:
        worker.last_used = time.monotonic()
        with self._condition:
            if worker.alive and not self._stopped:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
            self._condition.notify_all()
        if self._stopped:
            worker.stop()

    def _init_failure(self, request_id: str, error: WorkerInitError) -> Invocation:
        report = InvocationReport(
            function=self.spec.logical_id,
            request_id=request_id,
            started_at=time.time(),
            duration_ms=0.0,
            billed_duration_ms=0,
            memory_size_mb=self.spec.memory_mb,
            max_memory_used_mb=0,
            init_duration_ms=error.init_ms,
            round_trip_ms=error.init_ms,
            error_type=str(error.error.get("errorType")),
        )
        self._record(report)
        return Invocation(report, None, dict(error.error))

    def _record(self, report: InvocationReport) -> None:
        self.reports.append(report)
        self._logs.emit(self.spec.logical_id, report.line())
        if report.over_memory:
            self._logs.emit(
                self.spec.logical_id,
                f"WARNING: Max Memory Used {report.max_memory_used_mb} MB is over the "
                f"function's MemorySize of {report.memory_size_mb} MB",
            )
