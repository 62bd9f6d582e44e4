"""The edge's HTTP side: a threaded server on loopback with a deep listen backlog, so that a
burst of viewers (hundreds of connections at once) queues instead of being reset.

It runs on the local cloud's one `LoopbackHttpServer` (`localcloud/http_server.py`).

Plain HTTP only: the local cloud has no TLS, so behaviours' viewer protocol policies
(`https-only`, `redirect-to-https`) are reported, not enforced.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from localcloud.cloudfront.edge import Edge
from localcloud.cloudfront.messages import Request, Response
from localcloud.http_server import EndpointHandler, LoopbackHttpServer

MAX_BODY_BYTES = 10 * 1024 * 1024


class CdnServer(LoopbackHttpServer):
    def __init__(self, edge: Edge, port: int = 0) -> None:
        self.edge = edge
        super().__init__(port, _handler_class(edge), name="cloudfront")


def _handler_class(edge: Edge) -> type[BaseHTTPRequestHandler]:
    class Handler(EndpointHandler):
        server_version = "CloudFront"
        sys_version = ""

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = self.headers.get("Content-Length", "0")
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                self._write(Response(413 if length.isdigit() else 400))
                self.close_connection = True
                return
            body = self.rfile.read(int(length)) if int(length) else b""
            request = Request(
                method=self.command,
                path=parts.path or "/",
                query=parts.query,
                headers=list(self.headers.items()),
                body=body,
                client_ip=self.client_address[0],
            )
            self._write(edge.handle(request))

        def _write(self, response: Response) -> None:
            self.write_response(response.status, response.headers, response.body)

    return Handler
