"""The CDN on the local stack, end to end as a user meets it: a short URL from the create
response redirects through the CDN (a miss, then a hit), a PATCH reaches it once the CDN effect
has invalidated the cached redirect, the QR image is a stable CDN URL, and a burst of viewers is
held without a reset."""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.integration.helpers import Owner, describe, make_owner, unique, wait_until

EFFECT_TIMEOUT = 60  # seconds; the pipeline's goal is 2 s at p95
BURST = 200
TARGET = "https://example.com/cdn-first"
MOVED = "https://example.org/cdn-moved"


@pytest.fixture(scope="module")
def owner(api_url: str, aws_endpoint: str) -> Owner:
    return make_owner(api_url, aws_endpoint, "cdn")


def follow_once(url: str) -> requests.Response:
    return requests.get(url, allow_redirects=False, timeout=30)


def answer_when(
    url: str, holds: Callable[[requests.Response], bool]
) -> list[requests.Response] | None:
    """The answer in a list once it holds (a Response of a 4xx is falsy itself)."""
    answer = follow_once(url)
    return [answer] if holds(answer) else None


def test_a_short_url_redirects_through_the_cdn_a_miss_then_a_hit(
    owner: Owner, cdn_url: str
) -> None:
    link = owner.api.create_link(TARGET)
    assert link["short_url"] == f"{cdn_url}/{link['code']}"

    first, second = follow_once(link["short_url"]), follow_once(link["short_url"])

    for response in (first, second):
        assert response.status_code == 302, describe(response)
        assert response.headers["Location"] == TARGET
    assert first.headers["X-Cache"] == "Miss from cloudfront"
    assert second.headers["X-Cache"] == "Hit from cloudfront"
    assert "Age" in second.headers


def test_after_a_patch_the_cdn_redirects_to_the_new_target_once_the_cdn_effect_is_done(
    owner: Owner,
) -> None:
    link = owner.api.create_link(TARGET, alias=unique("cdn-moves"))
    wait_until(
        lambda: owner.api.link(link["code"])["effects"]["cdn"]["state"] == "done",
        EFFECT_TIMEOUT,
        what="the alias's creation invalidated",
    )
    assert follow_once(link["short_url"]).headers["Location"] == TARGET
    assert follow_once(link["short_url"]).headers["X-Cache"] == "Hit from cloudfront"

    patched = owner.api.patch(f"/links/{link['code']}", json={"url": MOVED})
    assert patched.status_code == 200, describe(patched)

    (moved,) = wait_until(
        lambda: answer_when(link["short_url"], lambda a: a.headers["Location"] == MOVED),
        EFFECT_TIMEOUT,
        what="the CDN to redirect to the new target",
    )
    assert moved.headers["X-Cache"] == "Miss from cloudfront"
    effect = owner.api.link(link["code"])["effects"]["cdn"]
    assert effect["state"] == "done"


def test_the_qr_image_is_a_stable_cdn_url_that_decodes_to_the_scan_url(
    owner: Owner, cdn_url: str, tmp_path: Path
) -> None:
    link = owner.api.create_link(TARGET)

    def ready() -> dict[str, str] | None:
        answer = owner.api.get(f"/links/{link['code']}/qr")
        return dict(answer.json()) if answer.status_code == 200 else None

    images = wait_until(ready, EFFECT_TIMEOUT, what="the QR images")
    assert images["png_url"] == f"{cdn_url}/qr/{link['code']}.png"
    assert images["svg_url"] == f"{cdn_url}/qr/{link['code']}.svg"
    assert "Signature" not in images["png_url"]  # nothing presigned: nothing expires

    png, again = follow_once(images["png_url"]), follow_once(images["png_url"])
    assert png.status_code == 200, describe(png)
    assert png.headers["Content-Type"] == "image/png"
    assert again.headers["X-Cache"] == "Hit from cloudfront"
    (tmp_path / "qr.png").write_bytes(png.content)
    decoded = subprocess.run(
        ["zbarimg", "--raw", "-q", str(tmp_path / "qr.png")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert decoded.stdout.strip() == f"{link['short_url']}?qr=1"
    svg = follow_once(images["svg_url"])
    assert svg.headers["Content-Type"] == "image/svg+xml"


def test_the_qr_bucket_is_reachable_only_through_the_cdn(
    owner: Owner, aws_endpoint: str, cdn_url: str
) -> None:
    link = owner.api.create_link(TARGET)
    wait_until(
        lambda: owner.api.get(f"/links/{link['code']}/qr").status_code == 200,
        EFFECT_TIMEOUT,
        what="the QR images",
    )
    deleted = owner.api.delete(f"/links/{link['code']}")
    assert deleted.status_code == 204, describe(deleted)

    # Once the link is gone, so are its images, from the CDN too (S3's 403 for a missing key).
    (gone,) = wait_until(
        lambda: answer_when(f"{cdn_url}/qr/{link['code']}.png", lambda a: a.status_code == 403),
        EFFECT_TIMEOUT,
        what="the QR image to go with its link",
    )
    assert "<Code>AccessDenied</Code>" in gone.text


def test_a_burst_of_200_viewers_is_held_without_a_connection_error(
    owner: Owner,
) -> None:
    link = owner.api.create_link(TARGET)
    follow_once(link["short_url"])  # cached: the burst measures the edge, not the origin
    start = threading.Barrier(BURST)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def viewer() -> None:
        start.wait()
        try:
            outcome = str(follow_once(link["short_url"]).status_code)
        except requests.RequestException as error:
            outcome = type(error).__name__
        with lock:
            outcomes[outcome] += 1

    viewers = [threading.Thread(target=viewer) for _ in range(BURST)]
    for thread in viewers:
        thread.start()
    for thread in viewers:
        thread.join()

    assert outcomes == Counter({"302": BURST})
