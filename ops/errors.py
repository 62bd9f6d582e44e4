"""Exit codes scripts can trust, and the one place AWS errors are turned into them."""

from __future__ import annotations

import os
from enum import IntEnum
from urllib.parse import urlparse

from botocore.exceptions import (
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.parsers import ResponseParserError


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # the operation ran and did not succeed (a replay failed, a smoke step did not hold)
    USAGE = 2  # bad arguments or an unknown name (stack, queue, rule, key id): nothing was changed
    UNREACHABLE = 3  # the AWS endpoint could not be reached
    DENIED = 4  # access denied, or no usable credentials
    INTERRUPTED = 130  # Ctrl-C


EXIT_CODES_HELP = """\
exit codes:
  0    success
  1    the operation failed (a replay failed, some messages did not move, a smoke check step
       failed, an unexpected AWS error)
  2    bad usage or an unknown name (stack, queue, rule, key id); nothing was changed
  3    the AWS endpoint cannot be reached (AWS_ENDPOINT_URL down, no network)
  4    access denied, or no valid AWS credentials
  130  interrupted"""

# Error codes that mean "who you are may not do this" (or "we do not know who you are").
_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "MissingAuthenticationToken",
        "AWS.SimpleQueueService.AccessDenied",
    }
)


class OpsError(Exception):
    """A failure the operator should read: a message and the exit code it maps to."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(OpsError):
    exit_code = ExitCode.USAGE


class UnreachableError(OpsError):
    exit_code = ExitCode.UNREACHABLE


class DeniedError(OpsError):
    exit_code = ExitCode.DENIED


def unknown_name(kind: str, name: str, valid: list[str]) -> UsageError:
    choices = ", ".join(sorted(valid)) or "(none)"
    return UsageError(f"unknown {kind} {name!r}; valid names: {choices}")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_denied(error: ClientError) -> bool:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(error) in _DENIED_CODES or status == 403


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LOCAL_CLOUD_PORT = 4566  # `make run`'s default AWS_PORT


def _configured_endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL") or None


def _unreachable(endpoint: str | None) -> UnreachableError:
    """What to check, for the endpoint the request really went to (not a port we assume)."""
    endpoint = (endpoint or _configured_endpoint() or "").rstrip("/")
    if not endpoint:
        return UnreachableError("cannot reach the AWS endpoint: check the network and AWS_REGION")
    parsed = urlparse(endpoint)
    if parsed.hostname in LOOPBACK_HOSTS:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        make_run = "make run" if port == LOCAL_CLOUD_PORT else f"make run AWS_PORT={port}"
        hint = f"is the local cloud up? `{make_run}` serves one at {endpoint}"
    elif _configured_endpoint():
        hint = "is it up, and is AWS_ENDPOINT_URL right?"
    else:
        hint = "check the network and AWS_REGION"
    return UnreachableError(f"cannot reach the AWS endpoint {endpoint}: {hint}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _root_cause(error: BaseException) -> BaseException:
    """pynamodb wraps botocore's errors: find the one that says what really happened."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        cause = getattr(error, "cause", None) or error.__cause__
        if not isinstance(cause, BaseException):
            break
        error = cause
    return error


def translate(error: BaseException) -> OpsError | None:
    """The OpsError for an AWS or network failure, or None when it is not one (a bug)."""
    if isinstance(error, OpsError):
        return error
    cause = _root_cause(error)
    if isinstance(cause, NoCredentialsError | PartialCredentialsError):
        return DeniedError(
            "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (any values work against a local endpoint)"
        )
    if isinstance(cause, ConnectionError | HTTPClientError):
        return _unreachable(getattr(cause, "kwargs", {}).get("endpoint_url"))
    if isinstance(cause, ValueError) and str(cause).startswith("Invalid endpoint"):
        # An endpoint_url from a config file (the environment's is checked up front).
        return UsageError(f"{cause}: an endpoint URL needs a scheme, e.g. http://127.0.0.1:4566")
    if isinstance(cause, ResponseParserError):
        # Not an AWS answer at all (a proxy's page, a server error with a plain-text body).
        body = str(cause).strip().splitlines()[-1] if str(cause).strip() else ""
        where = _configured_endpoint() or "the AWS endpoint"
        return OpsError(f"{where} answered something that is not an AWS response: {body[:200]}")
    if isinstance(cause, ClientError):
        message = _one_line(str(cause.response.get("Error", {}).get("Message", "")))
        code = error_code(cause)
        if is_denied(cause):
            return DeniedError(f"access denied on {cause.operation_name}: {code}: {message}")
        status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code.isdigit() or not code:
            # No AWS error code, only an HTTP status: say that once, and what came with it.
            status_text = f"HTTP {status or code}"
            detail = f": {message}" if message and message != status_text else ""
            where = _configured_endpoint() or "the AWS endpoint"
            operation = cause.operation_name
            return OpsError(f"{operation} failed: {where} answered {status_text}{detail}")
        return OpsError(f"{cause.operation_name} failed: {code}: {message}")
    return None
