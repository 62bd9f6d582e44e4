"""Where a link's QR images live and when they count as ready.

Kept apart from the QR consumer so that the API answers `GET /links/{code}/qr` without importing
the QR renderer on every cold start.
"""

from __future__ import annotations

from shortener.models import EffectStatusModel

EFFECT = "qr"


def png_key(code: str) -> str:
    return f"qr/{code}.png"


def svg_key(code: str) -> str:
    return f"qr/{code}.svg"


def stored_objects(status: EffectStatusModel | None) -> tuple[str, str] | None:
    """The (png, svg) keys the status says exist, or None while there are none."""
    detail = status.detail.as_dict() if status is not None and status.detail else {}
    if "png_key" not in detail or "svg_key" not in detail:
        return None
    return str(detail["png_key"]), str(detail["svg_key"])


def ready_images(status: EffectStatusModel | None, created_at: str) -> tuple[str, str] | None:
    """The (png, svg) keys of the images of the link created at `created_at`, once they exist.

    A status left by an earlier link with the same code (deleted, then the alias taken again)
    reflects a version older than this link's creation, so it does not count.
    """
    if status is None or (status.version or "") < created_at:
        return None
    return stored_objects(status)
