"""`ops smoke`: walk through the stack once as its users do, then leave nothing behind.

After a deploy (or on `make run`) this answers "does it work?" end to end: a throwaway API key
creates a link through the stack's public address, the short URL redirects to the target, every
side effect of the link finishes, its QR image is served, and the link and the key are deleted
again (also when a step fails). Each step prints as it ends, with its time; the exit code is 0
only when every step held.

The public address is the stack's `ShortBaseUrl` output: the short links live there, and so does
the API (CloudFront routes the API's paths to it; locally that address serves the API too), so
the check goes through the same front door as every user.

AWS behaviour it relies on:
- A CloudFront answer says whether the cache served it in `X-Cache` (`Hit from cloudfront`,
  `Miss from cloudfront`, `RefreshHit from cloudfront`):
  https://repost.aws/knowledge-center/cloudfront-custom-object-caching
- The confirmation email goes to SES's mailbox simulator by default, which accepts mail even
  while the account is in the SES sandbox and never harms its reputation:
  https://docs.aws.amazon.com/ses/latest/DeveloperGuide/mailbox-simulator.html
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from rich.text import Text

from ops.api_client import ApiClient, UnexpectedAnswer, describe, fetch
from ops.context import Context
from ops.errors import translate
from ops.keys import check_key_fields, delete_key, issue_key
from ops.output import Output
from shortener.models import ApiKeyModel

OUTPUT_SHORT_BASE_URL = "ShortBaseUrl"
SIMULATOR_RECIPIENT = "success@simulator.amazonses.com"
DEFAULT_WAIT_SECONDS = 120
POLL_SECONDS = 0.5
FINISHED_EFFECT_STATES = ("done", "skipped")
REDIRECT_STATUSES = (301, 302, 307, 308)
CDN_CACHE_STATUS = re.compile(r"(Hit|Miss|RefreshHit) from cloudfront", re.IGNORECASE)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class StepFailed(Exception):
    """The step did not hold; the message is the reason the operator reads."""


@dataclass(frozen=True)
class StepResult:
    step: str
    ok: bool
    seconds: float
    detail: str


@dataclass
class Throwaways:
    """What the check made and must remove: the key (and its client), the link."""

    record: ApiKeyModel | None = None
    api: ApiClient | None = None
    link: dict[str, Any] | None = None


@dataclass
class SmokeRun:
    """The steps taken so far; each is shown the moment it ends."""

    out: Output
    results: list[StepResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(result.ok for result in self.results)

    def step(self, name: str, action: Callable[[], str]) -> bool:
        """Run one step; True when it held. AWS and HTTP failures fail the step, bugs do not."""
        started = time.perf_counter()
        try:
            detail, ok = action(), True
        except (StepFailed, UnexpectedAnswer) as failure:
            detail, ok = str(failure), False
        except requests.RequestException as error:
            detail, ok = f"{type(error).__name__}: {error}", False
        except Exception as error:
            translated = translate(error)
            if translated is None:
                raise
            detail, ok = str(translated), False
        result = StepResult(name, ok, round(time.perf_counter() - started, 2), detail)
        self.results.append(result)
        self.out.show(_row(result))
        return ok


def _row(result: StepResult) -> Text:
    mark = ("ok  ", "green") if result.ok else ("FAIL", "bold red")
    return Text.assemble(mark, f"  {result.step:<16} {result.seconds:>7.2f} s  {result.detail}")


def wait_for(
    what: Callable[[], Any], timeout: float, out: Output, description: str
) -> tuple[bool, Any]:
    """Poll `what` until it returns something truthy or `timeout` passes: (held, last value)."""
    deadline = time.monotonic() + timeout
    with out.progress(description) as spinner:
        while True:
            last = what()
            if last:
                return True, last
            if time.monotonic() >= deadline:
                return False, last
            spinner.update(description=f"{description} ({deadline - time.monotonic():.0f} s left)")
            time.sleep(POLL_SECONDS)


def effect_summary(effects: dict[str, dict[str, Any]]) -> str:
    """`qr done, email failed (2 attempts: MessageRejected ...)`, in the API's order."""
    parts = []
    for name, status in effects.items():
        text = f"{name} {status.get('state')}"
        if status.get("state") not in FINISHED_EFFECT_STATES and status.get("last_error"):
            text += f" ({status.get('attempts')} attempts: {status['last_error']})"
        parts.append(text)
    return ", ".join(parts)


class SmokeCheck:
    """The steps, in the order a user meets them."""

    def __init__(self, ctx: Context, email: str, wait_seconds: float) -> None:
        self.ctx = ctx
        self.email = email
        self.wait_seconds = wait_seconds
        self.owner = f"smoke-{secrets.token_hex(4)}"
        self.target = f"https://example.com/shortener-smoke/{self.owner}"
        self.made = Throwaways()
        self.base_url = ""
        self.last_effects: dict[str, dict[str, Any]] = {}
        self.link_code: str | None = None  # kept after the link is deleted, for the report

    @property
    def api(self) -> ApiClient:
        assert self.made.api is not None, "the key is made first"
        return self.made.api

    @property
    def code(self) -> str:
        assert self.made.link is not None, "the link is made first"
        return str(self.made.link["code"])

    def find_stack(self) -> None:
        """The stack's address and tables; a missing stack fails like any other command."""
        self.base_url = self.ctx.stack.output(OUTPUT_SHORT_BASE_URL).rstrip("/")
        self.ctx.stack.bind_tables()

    def create_key(self) -> str:
        key, record = issue_key(self.ctx, self.owner, self.email)
        self.made.record = record
        self.made.api = ApiClient(self.base_url, key)
        return f"{record.key_id} for {self.owner} <{self.email}>"

    def create_link(self) -> str:
        self.made.link = self.api.create_link(self.target)
        self.link_code = str(self.made.link["code"])
        return f"{self.code} at {self.made.link['short_url']}"

    def follow_short_url(self) -> str:
        """Twice: a CDN answers the first from the origin and may answer the next from cache."""
        assert self.made.link is not None
        answers = [self._redirect(str(self.made.link["short_url"])) for _ in range(2)]
        cache = [answer for answer in answers if answer]
        via = f" ({', then '.join(cache)})" if cache else " (no X-Cache: no CDN in front)"
        return f"{self.made.link['redirect_type']} to {self.target}{via}"

    def _redirect(self, short_url: str) -> str | None:
        response = fetch(short_url)
        expected = self.made.link["redirect_type"] if self.made.link else 302
        if response.status_code != expected or response.status_code not in REDIRECT_STATUSES:
            raise StepFailed(f"GET {short_url} answered {describe(response)}, not {expected}")
        location = response.headers.get("Location")
        if location != self.target:
            raise StepFailed(f"GET {short_url} redirects to {location!r}, not {self.target}")
        cache_status = response.headers.get("X-Cache")
        if cache_status is not None and not CDN_CACHE_STATUS.fullmatch(cache_status.strip()):
            raise StepFailed(f"GET {short_url}: unexpected X-Cache {cache_status!r}")
        return cache_status

    def wait_for_effects(self) -> str:
        def finished() -> bool:
            self.last_effects = self.api.link(self.code)["effects"]
            states = [status.get("state") for status in self.last_effects.values()]
            return all(state in FINISHED_EFFECT_STATES for state in states)

        held, _ = wait_for(finished, self.wait_seconds, self.ctx.out, "waiting for side effects")
        summary = effect_summary(self.last_effects)
        if not held:
            raise StepFailed(f"not all done after {self.wait_seconds:g} s: {summary}")
        return summary

    def fetch_qr_images(self) -> str:
        def ready() -> dict[str, Any] | None:
            response = self.api.request("GET", f"/links/{self.code}/qr")
            if response.status_code == 202:
                return None
            if response.status_code != 200:
                raise StepFailed(f"GET /links/{self.code}/qr answered {describe(response)}")
            images: dict[str, Any] = response.json()
            return images

        held, images = wait_for(ready, self.wait_seconds, self.ctx.out, "waiting for the QR code")
        if not held:
            raise StepFailed(f"GET /links/{self.code}/qr still 202 after {self.wait_seconds:g} s")
        png = fetch(str(images["png_url"]))
        content_type = png.headers.get("Content-Type", "")
        if png.status_code != 200 or not content_type.startswith("image/png"):
            raise StepFailed(f"GET {images['png_url']} answered {describe(png)} ({content_type})")
        if not png.content.startswith(PNG_SIGNATURE):
            raise StepFailed(f"GET {images['png_url']} is not a PNG image")
        svg = fetch(str(images["svg_url"]))
        if svg.status_code != 200 or not svg.headers.get("Content-Type", "").startswith(
            "image/svg+xml"
        ):
            raise StepFailed(f"GET {images['svg_url']} answered {describe(svg)}")
        return f"{images['png_url']} ({len(png.content)} bytes), SVG too"

    def delete_link(self) -> str:
        code = self.code
        self.api.delete_link(code)
        self.made.link = None
        gone = self.api.request("GET", f"/links/{code}")
        if gone.status_code != 404:
            raise StepFailed(f"GET /links/{code} after the deletion answered {describe(gone)}")
        return f"{code}: 204, then 404"

    def delete_key(self) -> str:
        assert self.made.record is not None
        key_id = self.made.record.key_id
        delete_key(self.ctx, self.made.record)
        self.made.record = None
        return f"{key_id} removed"


def smoke(ctx: Context, email: str | None, wait_seconds: float) -> int:
    check = SmokeCheck(ctx, email or SIMULATOR_RECIPIENT, wait_seconds)
    check_key_fields(check.owner, check.email)
    check.find_stack()
    ctx.out.show(Text(f"Smoke check of {ctx.stack_name} through {check.base_url}"))
    run = SmokeRun(ctx.out)
    steps: list[tuple[str, Callable[[], str]]] = [
        ("create key", check.create_key),
        ("create link", check.create_link),
        ("follow short URL", check.follow_short_url),
        ("side effects", check.wait_for_effects),
        ("QR image", check.fetch_qr_images),
        ("delete link", check.delete_link),
    ]
    try:
        for name, action in steps:
            if not run.step(name, action):
                break
    finally:
        # Whatever happened, nothing the check made stays behind.
        if check.made.link is not None and check.made.api is not None:
            run.step("delete link", check.delete_link)
        if check.made.record is not None:
            run.step("delete key", check.delete_key)
    return _report(ctx, check, run)


def _report(ctx: Context, check: SmokeCheck, run: SmokeRun) -> int:
    total = sum(result.seconds for result in run.results)
    failed = next((result for result in run.results if not result.ok), None)
    data = {
        "stack": ctx.stack_name,
        "base_url": check.base_url,
        "owner": check.owner,
        "code": check.link_code,
        "passed": run.passed,
        "seconds": round(total, 2),
        "steps": [vars(result) for result in run.results],
    }
    if failed is not None:
        ctx.out.error(f"smoke check failed at {failed.step!r}: {failed.detail}")
    ctx.out.result(
        data,
        lambda: Text(
            f"smoke check of {ctx.stack_name} passed: {len(run.results)} steps in {total:.1f} s"
            if run.passed
            else f"smoke check of {ctx.stack_name} FAILED ({len(run.results)} steps, {total:.1f} s)"
        ),
    )
    return 0 if run.passed else 1
