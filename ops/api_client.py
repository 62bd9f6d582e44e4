"""The stack's HTTP API as a caller with an API key sees it, for the checks the CLI makes.

Every request has a timeout and follows no redirect: a redirect is an answer to look at (the
short links are redirects), never something to chase. Answers the caller did not expect raise
`UnexpectedAnswer` with the status and the problem's `detail`, which is what an operator reads.
"""

from __future__ import annotations

from typing import Any

import requests

REQUEST_TIMEOUT_SECONDS = 15.0


class UnexpectedAnswer(Exception):
    """An HTTP answer other than the one the call expects; the message says what came."""


def describe(response: requests.Response) -> str:
    """`404 Not Found: the link was not found`: status, reason and a problem's detail if any."""
    text = f"{response.status_code} {response.reason}".strip()
    try:
        body = response.json()
    except ValueError:
        return text
    detail = body.get("detail") if isinstance(body, dict) else None
    return f"{text}: {detail}" if detail else text


def fetch(url: str, *, headers: dict[str, str] | None = None) -> requests.Response:
    """A GET of a public URL (a short link, an image), redirects not followed."""
    return requests.get(
        url, headers=headers, allow_redirects=False, timeout=REQUEST_TIMEOUT_SECONDS
    )


class ApiClient:
    """Calls the management API at `base_url` with `Authorization: Bearer <key>`."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {key}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self._session.request(
            method,
            self.base_url + path,
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT_SECONDS,
            **kwargs,
        )

    def expect(self, status: int, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.request(method, path, **kwargs)
        if response.status_code != status:
            raise UnexpectedAnswer(f"{method} {path} answered {describe(response)}")
        return response

    def create_link(self, url: str) -> dict[str, Any]:
        created: dict[str, Any] = self.expect(201, "POST", "/links", json={"url": url}).json()
        return created

    def link(self, code: str) -> dict[str, Any]:
        found: dict[str, Any] = self.expect(200, "GET", f"/links/{code}").json()
        return found

    def delete_link(self, code: str) -> None:
        self.expect(204, "DELETE", f"/links/{code}")
