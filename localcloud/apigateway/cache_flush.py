"""FlushStageAuthorizersCache, answered at the local AWS endpoint: it empties the served
stage's authorizer result cache, so the next request runs the authorizer again.

moto's API Gateway has no such operation (and the local REST API is no moto API); this WSGI
middleware answers it before moto sees it, with API Gateway's 202 and no body, as the local CDN
hooks moto's CreateInvalidation (localcloud.cloudfront.invalidations).
https://docs.aws.amazon.com/apigateway/latest/api/API_FlushStageAuthorizersCache.html
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

_FLUSH_PATH = re.compile(r"^/restapis/(?P<api>[^/]+)/stages/(?P<stage>[^/]+)/cache/authorizers/?$")

Flush = Callable[[], None]


class AuthorizerCacheFlushes:
    """The served stages' cache flushes, by (REST API id, stage name)."""

    def __init__(self) -> None:
        self._flushes: dict[tuple[str, str], Flush] = {}
        self._lock = threading.Lock()

    def serve(self, api_id: str, stage: str, flush: Flush) -> None:
        with self._lock:
            self._flushes[(api_id, stage)] = flush

    def flush(self, api_id: str, stage: str) -> bool:
        with self._lock:
            flush = self._flushes.get((api_id, stage))
        if flush is None:
            return False
        flush()
        return True


class FlushStageAuthorizersCache:
    """WSGI middleware: DELETE /restapis/{id}/stages/{stage}/cache/authorizers."""

    def __init__(self, app: Any, flushes: AuthorizerCacheFlushes) -> None:
        self._app = app
        self._flushes = flushes

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        match = _FLUSH_PATH.match(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") != "DELETE" or match is None:
            return self._app(environ, start_response)
        if self._flushes.flush(match["api"], match["stage"]):
            start_response("202 Accepted", [("Content-Length", "0")])
            return [b""]
        body = json.dumps({"message": "Invalid stage identifier specified"}).encode()
        start_response(
            "404 Not Found",
            [
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", "NotFoundException"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]
