"""The HTTP side: the local cloud's loopback server, handing each request to the gateway.

http.server's own refusals are answered as API Gateway would: headers too long to parse (a
line past 64 KiB, more than 100 headers) as the gateway's REQUEST_TOO_LARGE response, anything
else as an RFC 9457 problem, never as http.server's HTML page.
"""

from __future__ import annotations

import json
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from localcloud.apigateway.gateway import ApiGateway
from localcloud.apigateway.proxy import HttpRequest
from localcloud.apigateway.responses import JSON, HttpResponse
from localcloud.http_server import EndpointHandler, LoopbackHttpServer
from localcloud.logs import LogSink

INTERNAL_ERROR = b'{"message": "Internal server error"}'
PROBLEM_JSON = "application/problem+json"


class ApiServer(LoopbackHttpServer):
    def __init__(self, gateway: ApiGateway, logs: LogSink, port: int) -> None:
        super().__init__(port, _handler_class(gateway, logs), name="api-gateway")


def _handler_class(gateway: ApiGateway, logs: LogSink) -> type[BaseHTTPRequestHandler]:
    source = gateway.api.logical_id

    class Handler(EndpointHandler):
        server_version = "localcloud-apigateway"

        def _serve(self) -> None:
            started = time.perf_counter()
            parts = urlsplit(self.path)
            try:
                body = self._read_body()
            except _MalformedBody as error:
                self.send_error(400, explain=str(error))
                return
            request = HttpRequest(
                method=self.command,
                path=parts.path or "/",
                query=parts.query,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
            )
            try:
                response = gateway.handle(request)
            except Exception:  # a bug here must answer like API Gateway, not drop the client
                logs.emit(source, f"internal error: {traceback.format_exc()}")
                try:
                    response = gateway.internal_error(request.path)
                except Exception:
                    response = HttpResponse(500, [("Content-Type", JSON)], INTERNAL_ERROR)
            self._write(response)
            elapsed_ms = (time.perf_counter() - started) * 1000
            logs.emit(source, f"{self.command} {self.path} {response.status} {elapsed_ms:.1f} ms")

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks: list[bytes] = []
                while True:
                    size = _number(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = _number(self.headers.get("Content-Length") or "0", 10)
            return self.rfile.read(length) if length else b""

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            """http.server's own refusals (a bad request line, oversized headers, a malformed
            body length), as an RFC 9457 problem instead of its HTML page."""
            if self.request_version == "HTTP/0.9":
                # An unparsable request line leaves this default, and with it no status line.
                self.request_version = "HTTP/1.1"
            if code == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
                logs.emit(source, f"{self.requestline or '-'} headers too large ({explain})")
                self.close_connection = True
                self._write(gateway.headers_too_large(urlsplit(self.path or "/").path))
                return
            status = HTTPStatus(code)
            body = json.dumps(
                {
                    "type": "about:blank",
                    "title": status.phrase,
                    "status": code,
                    "detail": explain or message or status.description,
                }
            ).encode()
            logs.emit(source, f"{self.requestline or '-'} {code} ({explain or message or ''})")
            self.send_response(code, message)
            self.send_header("Content-Type", PROBLEM_JSON)
            self.send_header("Connection", "close")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.close_connection = True
            if self.command != "HEAD":
                self.wfile.write(body)

        def _write(self, response: HttpResponse) -> None:
            headers = [(name, _as_octets(value)) for name, value in response.headers]
            self.write_response(response.status, headers, response.body)

    return Handler


def _as_octets(value: str) -> str:
    """A header value a function sent, as its UTF-8 bytes on the wire (HTTP's obs-text, RFC 9110
    section 5.5): http.server writes Latin-1 only, and would drop the connection on anything else
    (a non-ASCII `Location`, say) instead of answering."""
    return value.encode("utf-8").decode("latin-1")


class _MalformedBody(Exception):
    """The request's Content-Length or chunk sizes are not numbers."""


def _number(text: str | bytes, base: int) -> int:
    try:
        value = int(text, base)
    except ValueError:
        raise _MalformedBody(f"malformed body length {text!r}") from None
    if value < 0:
        raise _MalformedBody(f"negative body length {value}")
    return value
