"""The embedded AWS: moto's server on loopback, and boto3 clients that talk to it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from localcloud.apigateway.cache_flush import AuthorizerCacheFlushes, FlushStageAuthorizersCache
from localcloud.iam import (
    IamAuthority,
    IamChecks,
    guard_sqs_targets,
    keep_queue_policies,
)
from localcloud.kinesis import name_streams_in_iterators
from localcloud.names import REGION
from localcloud.retention import bound_moto_retention
from localcloud.s3 import RefuseSigV2
from localcloud.speedups import (
    CachedDomainDispatcher,
    cache_jsonpath_parsing,
    compute_queue_attributes_once,
    query_one_partition,
    read_shards_directly,
)

TEST_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
LOOPBACK = "127.0.0.1"

# Retries would hide a failing call behind seconds of back-off; the local cloud reports instead.
CLIENT_CONFIG = Config(
    retries={"max_attempts": 1},
    max_pool_connections=64,
    account_id_endpoint_mode="disabled",
    connect_timeout=5,
    read_timeout=60,
)


class _NoDelayRequestHandler(MotoRequestHandler):
    """werkzeug sends a response's headers and its body in two writes; with Nagle's algorithm
    on, the body then waits for the client's delayed ACK of the headers, up to 40 ms on Linux
    (https://man7.org/linux/man-pages/man7/tcp.7.html), on a share of every function's AWS
    calls. AWS's endpoints answer without that stall: so does this one (`TCP_NODELAY`)."""

    disable_nagle_algorithm = True


class MotoServer:
    """moto's server, on a thread of this process, bound to loopback only.

    Like moto's ThreadedMotoServer, with six changes:
    - S3 refuses Signature Version 2 as buckets created since 2020 do (`localcloud.s3`).
    - IAM is checked where AWS checks it, at the endpoint (`localcloud.iam`): a role
      session's call its role does not allow is refused before moto sees it.
    - DynamoDB requests run one at a time. moto checks a condition and then writes; concurrent
      requests (several function workers) could then both pass a condition, lose each other's
      writes, or number two stream records alike. DynamoDB makes each request atomic; so does
      this, for DynamoDB only: SQS long polls must not wait on it. Kinesis requests run one at
      a time too, under a lock of their own: moto numbers a shard's records by its last one
      and reads a shard by walking the dict that puts grow.
    - What moto would keep forever is bounded (`localcloud.retention`).
    - FlushStageAuthorizersCache, which moto lacks, flushes the served stage's authorizer
      cache (`localcloud.apigateway.cache_flush`).
    - Work moto repeats on every request for the same answer is done once
      (`localcloud.speedups`).
    """

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.endpoint = ""
        self.iam = IamAuthority()  # checks nothing until the stack's roles are loaded
        self.authorizer_caches = AuthorizerCacheFlushes()  # the served stages register here

    def start(self) -> str:
        bound_moto_retention()  # before moto creates its first model object
        cache_jsonpath_parsing()
        compute_queue_attributes_once()
        query_one_partition()
        read_shards_directly()
        name_streams_in_iterators()
        # Werkzeug logs one line per request: noise next to the functions' logs.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        keep_queue_policies()
        guard_sqs_targets()
        # IAM outside the lock: a refused request never waits for the DynamoDB lock. SigV2
        # refused first: S3 rejects the signature version before it authorizes anything.
        moto = FlushStageAuthorizersCache(
            _AtomicDynamoDB(CachedDomainDispatcher(create_backend_app)), self.authorizer_caches
        )
        app = RefuseSigV2(IamChecks(moto, self.iam))
        self._server = make_server(
            LOOPBACK,
            self._requested_port,
            app,
            threaded=True,
            request_handler=_NoDelayRequestHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="moto-server", daemon=True
        )
        self._thread.start()
        self.endpoint = f"http://{LOOPBACK}:{self._server.server_port}"
        return self.endpoint

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None


# moto's backends belong to the process, and so do the locks around their DynamoDB and
# Kinesis state.
DYNAMODB_LOCK = threading.Lock()
KINESIS_LOCK = threading.Lock()


class _AtomicDynamoDB:
    """WSGI middleware: one DynamoDB request at a time, and one Kinesis request at a time
    (each service under its own lock), the response built inside the lock."""

    # Not "DynamoDBStreams_": stream reads need no lock.
    _LOCKS = (("DynamoDB_", DYNAMODB_LOCK), ("Kinesis_", KINESIS_LOCK))

    def __init__(self, app: Any) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        lock = next((lock for prefix, lock in self._LOCKS if target.startswith(prefix)), None)
        if lock is None:
            return self._app(environ, start_response)
        with lock:
            return list(self._app(environ, start_response))


# A cheap read per service: the first request makes moto load that service (up to a second
# for IAM's managed policies or SSM's public parameters), so it is worth doing ahead of time.
_FIRST_CALLS = {
    "dynamodb": "list_tables",
    "dynamodbstreams": "list_streams",
    "sqs": "list_queues",
    "events": "list_event_buses",
    "s3": "list_buckets",
    "ssm": "describe_parameters",
    "sesv2": "list_email_identities",
    "sns": "list_topics",
    "kinesis": "list_streams",
    "secretsmanager": "list_secrets",
    "cloudfront": "list_distributions",
    "logs": "describe_log_groups",
    "cloudwatch": "list_dashboards",
    "iam": "list_roles",
    "cloudformation": "list_stacks",
}


def warm_up(clients: AwsClients) -> None:
    """Load the services the local cloud uses into moto, and their clients into this process."""
    for service, operation in _FIRST_CALLS.items():
        getattr(clients(service), operation)()


class AwsClients:
    """One boto3 client per service against the moto endpoint, shared by every thread; with
    the test credentials (the account's administrator), or a role session's."""

    def __init__(self, endpoint: str, credentials: Mapping[str, str] | None = None) -> None:
        self.endpoint = endpoint
        self._session = boto3.session.Session(
            region_name=REGION, **(credentials or TEST_CREDENTIALS)
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service, endpoint_url=self.endpoint, config=CLIENT_CONFIG
                )
            return self._clients[service]
