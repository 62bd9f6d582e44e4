"""The parts of an AWS API request that say what it does: method, path, query, target header
and body, read once from the WSGI environ (the body is put back for moto to read)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, unquote


@dataclass
class ApiRequest:
    service: str  # the signing name from the credential scope: dynamodb, sqs, s3, ses ...
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @classmethod
    def from_environ(cls, service: str, environ: dict[str, Any]) -> ApiRequest:
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        length_text = str(environ.get("CONTENT_LENGTH") or "0")
        length = int(length_text) if length_text.isdigit() else 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return cls(
            service=service,
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=unquote(environ.get("PATH_INFO", "/")),
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            headers=headers,
            body=body,
        )

    @property
    def target(self) -> str:
        """The operation of a JSON-protocol call: `DynamoDB_20120810.PutItem` -> `PutItem`."""
        return self.headers.get("x-amz-target", "").rsplit(".", 1)[-1]

    @cached_property
    def json(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    @cached_property
    def form(self) -> dict[str, list[str]]:
        """A query-protocol call's parameters: the form body and the query string."""
        merged = dict(self.query)
        if "x-www-form-urlencoded" in self.headers.get("content-type", ""):
            for key, values in parse_qs(self.body.decode(errors="replace")).items():
                merged.setdefault(key, []).extend(values)
        return merged

    def param(self, name: str) -> str:
        """One query-protocol parameter, or ''."""
        values = self.form.get(name)
        return values[0] if values else ""
