"""The inside of a function's worker process: a small Lambda runtime.

Run as a script by the local cloud (`python -P -u _runtime.py <fd>`), with the function's
environment. It imports the handler once (the init phase), then serves invocations one at a time
over the socket on file descriptor <fd>, so that the function's stdout and stderr stay its logs.
Standard library only: nothing of the local cloud is importable in here.

Messages are JSON, one per frame, both ways:
  parent -> {"type": "config", "handler", "code_dir", "layer_dirs"}   (first, once)
  worker -> {"type": "ready"} | {"type": "init_error", "error": {...}}
  parent -> {"type": "invoke", "request_id", "event", "timeout_ms", "invoked_function_arn"}
  worker -> {"type": "result", "duration_ms", "max_rss_kb", "payload" | "error"}
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

PARENT_CHECK_SECONDS = 0.5
ERROR_LINE_SEPARATOR = "\r"


class LambdaContext:
    """What Lambda's Python runtime passes as `context`."""

    def __init__(self, request_id: str, timeout_ms: int, invoked_function_arn: str) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        # A string, as in Lambda's own runtime.
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)

    def __repr__(self) -> str:
        return f"LambdaContext([aws_request_id={self.aws_request_id}])"


def error_payload(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    # As in Lambda, the stack trace shows the function's code, not the runtime around it.
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename != __file__ and not frame.filename.startswith("<frozen importlib")
    ]
    return {
        "errorMessage": str(error),
        "errorType": error_type or type(error).__name__,
        "stackTrace": traceback.format_list(frames),
    }


def log_error(payload: dict[str, Any]) -> None:
    """Print an error the way Lambda's runtime logs it, so it shows in the function's logs: one
    record, its lines joined by carriage returns (as Lambda's Python runtime does, so that a
    traceback is one log event rather than one per line)."""
    lines = [f"[ERROR] {payload['errorType']}: {payload['errorMessage']}"]
    frames = "".join(payload.get("stackTrace") or []).rstrip("\n")
    if frames:
        lines += ["Traceback (most recent call last):", *frames.splitlines()]
    print(ERROR_LINE_SEPARATOR.join(lines), file=sys.stderr)


def peak_rss_kb() -> int:
    """The process's peak resident memory. VmHWM, because ru_maxrss keeps the high-water mark
    of the parent that forked this process, from before exec."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def load_handler(handler: str) -> Any:
    module_path, _, function_name = handler.rpartition(".")
    if not module_path:
        raise _InitError("Runtime.MalformedHandlerName", f"Bad handler '{handler}'")
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise _InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from error
    function = getattr(module, function_name, None)
    if function is None:
        raise _InitError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return function


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def exit_with_parent() -> None:
    """The parent may die without a word (SIGKILL): then this worker must not outlive it."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def send(connection: Connection, message: dict[str, Any]) -> None:
    connection.send_bytes(json.dumps(message).encode())


def invoke(handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    request_id = request["request_id"]
    context = LambdaContext(request_id, request["timeout_ms"], request["invoked_function_arn"])
    print(f"START RequestId: {request_id} Version: $LATEST", flush=True)
    started = time.perf_counter()
    outcome: dict[str, Any]
    try:
        result = handler(request["event"], context)
        try:
            outcome = {"payload": json.dumps(result)}
        except (TypeError, ValueError) as error:
            outcome = {"error": error_payload(error, "Runtime.MarshalError")}
            log_error(outcome["error"])
    except Exception as error:
        outcome = {"error": error_payload(error)}
        log_error(outcome["error"])
    duration_ms = (time.perf_counter() - started) * 1000
    sys.stderr.flush()
    print(f"END RequestId: {request_id}", flush=True)
    return {"type": "result", "duration_ms": duration_ms, "max_rss_kb": peak_rss_kb(), **outcome}


def main() -> int:
    connection = Connection(int(sys.argv[1]))
    config = json.loads(connection.recv_bytes())
    # Lambda's order: the task root first, then the runtime's packages (here: the venv), then
    # the layers, so that the venv wins over a layer built for another Python.
    sys.path.insert(0, config["code_dir"])
    sys.path.extend(config["layer_dirs"])
    exit_with_parent()
    try:
        handler = load_handler(config["handler"])
    except _InitError as error:
        payload = error_payload(error, error.error_type)
        log_error(payload)
        send(connection, {"type": "init_error", "error": payload})
        return 1
    except Exception as error:
        payload = error_payload(error, f"Runtime.{type(error).__name__}")
        log_error(payload)
        send(connection, {"type": "init_error", "error": payload})
        return 1
    send(connection, {"type": "ready"})
    while True:
        try:
            request = json.loads(connection.recv_bytes())
        except EOFError:
            return 0
        send(connection, invoke(handler, request))


if __name__ == "__main__":
    sys.exit(main())
