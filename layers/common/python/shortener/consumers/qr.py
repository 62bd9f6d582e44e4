"""QR codes of a link's short URL, as PNG and SVG objects in the QR bucket.

A QR code encodes `{short_url}?qr=1`: the redirect ignores the query (it never reaches the
target) and the CDN's cache key leaves it out, but the CDN's log keeps it, so click analytics
count a scan as a `qr_scan` (docs/analytics.md).

The effect is a state of the link, not a reaction to each event: while the link exists, both
objects exist; once it is deleted, neither does. So the consumer runs `ordered` (see
`shortener.consumers.runner`): an event whose change the status already reflects, or that is
older than one it reflects, is skipped without any write. In particular a link.created or
link.updated arriving after the link.deleted was applied writes nothing.

- link.created / link.updated: write both objects unless the status says they already exist (the
  short URL of a code never changes, so an update needs no new image). A deletion of the same
  link can be applied concurrently by another invocation: it records itself before removing the
  objects, and a write re-reads the status afterwards and removes what it wrote if a deletion
  came in between, so no image outlives its link.
- link.deleted: record the deletion, then remove both objects (removing is idempotent).

The status detail names the objects while they exist ({"png_key", "svg_key"}); the API's
`GET /links/{code}/qr` answers ready exactly when it does (`ready_images`).

The keys are the CDN's paths (`qr/{code}.png` is served at `{short base}/qr/{code}.png`), and
each object says how long it may be cached: a day by browsers, a year by the CDN, which the cdn
consumer invalidates when the link changes or is deleted.
"""

from __future__ import annotations

import io
from typing import Any

import qrcode
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathImage

from shortener import effects, settings
from shortener.aws_clients import client
from shortener.events import LinkEvent
from shortener.qr_status import EFFECT, png_key, stored_objects, svg_key

PNG_CONTENT_TYPE = "image/png"
SVG_CONTENT_TYPE = "image/svg+xml"
CACHE_CONTROL = "public, max-age=86400, s-maxage=31536000"
QR_SCAN_QUERY = "qr=1"


def scan_url(short_url: str) -> str:
    """What a QR code of `short_url` encodes: the short URL marked as a scan."""
    return f"{short_url}?{QR_SCAN_QUERY}"


def render_png(text: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(text, image_factory=PyPNGImage).save(buffer)
    return buffer.getvalue()


def render_svg(text: str) -> bytes:
    image = qrcode.make(text, image_factory=SvgPathImage)
    return bytes(image.to_string(encoding="utf-8"))


def _write_objects(code: str, short_url: str) -> dict[str, str]:
    text = scan_url(short_url)
    for key, body, content_type in (
        (png_key(code), render_png(text), PNG_CONTENT_TYPE),
        (svg_key(code), render_svg(text), SVG_CONTENT_TYPE),
    ):
        client("s3").put_object(
            Bucket=settings.qr_bucket_name(),
            Key=key,
            Body=body,
            ContentType=content_type,
            CacheControl=CACHE_CONTROL,
        )
    return {"png_key": png_key(code), "svg_key": svg_key(code)}


def _remove_objects(code: str) -> None:
    client("s3").delete_objects(
        Bucket=settings.qr_bucket_name(),
        Delete={"Objects": [{"Key": png_key(code)}, {"Key": svg_key(code)}], "Quiet": True},
    )


def _publish(event: LinkEvent) -> dict[str, Any]:
    code = event.link.code
    status = effects.current(code, EFFECT)
    existing = stored_objects(status)
    if existing is not None:
        return {"png_key": existing[0], "svg_key": existing[1]}
    written = _write_objects(code, event.link.short_url)
    if effects.deleted_after(effects.current(code, EFFECT), event):
        # The link was deleted while we wrote: its removal may have run before our write.
        _remove_objects(code)
        return {"state": "skipped"}
    return written


def _withdraw(event: LinkEvent) -> dict[str, Any]:
    code, detail = event.link.code, {"deleted": True}
    # Recorded first, so that a concurrent write of this link sees it (see _publish).
    recorded = effects.record_done(
        code, EFFECT, event_id=event.id, version=effects.version_of(event), detail=detail
    )
    if not recorded:
        # A link created again with this code is already handled: its images must stay.
        return {"state": "skipped"}
    _remove_objects(code)
    return detail


def apply_qr(event: LinkEvent) -> dict[str, Any]:
    """Bring the QR objects in line with the event's change; the detail for the status."""
    if event.type == "link.deleted":
        return _withdraw(event)
    return _publish(event)
