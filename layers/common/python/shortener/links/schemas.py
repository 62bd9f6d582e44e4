"""What a link looks like on the wire: request bodies (validated) and responses (documented)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

from shortener.links.codes import ALIAS_PATTERN
from shortener.links.validation import (
    MAX_URL_LENGTH,
    check_alias,
    check_future,
    check_target_url,
)

RedirectType = Literal[301, 302, 307, 308]
EffectState = Literal["pending", "done", "failed", "skipped"]


def _iso_text(value: Any) -> Any:
    # pydantic would also take a number as a unix time; the contract says ISO 8601 only.
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 datetime string with a timezone")
    return value


TargetUrl = Annotated[
    str,
    Field(
        max_length=MAX_URL_LENGTH,
        description="Where the short link redirects: an absolute http or https URL.",
        examples=["https://example.com/a/very/long/path?with=query"],
    ),
    AfterValidator(check_target_url),
]
Alias = Annotated[
    str,
    Field(
        pattern=ALIAS_PATTERN,
        description="A code of your choosing instead of a generated one (not a reserved path).",
        examples=["spring-sale"],
    ),
    AfterValidator(check_alias),
]
Expiry = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text),
    AfterValidator(check_future),
    Field(description="When the link stops redirecting (410): a future ISO 8601 time with zone."),
]
Timestamp = Annotated[str, Field(description="ISO 8601 UTC", examples=["2026-11-26T10:00:00Z"])]


class CreateLinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: TargetUrl
    alias: Alias | None = None
    expires_at: Expiry | None = None
    redirect_type: RedirectType = 302


def _not_nullable(*fields: str) -> Callable[[dict[str, Any]], None]:
    """Document these optional fields as the API takes them: absent, or a value (never null)."""

    def rewrite(schema: dict[str, Any]) -> None:
        for name in fields:
            field_schema = schema["properties"][name]
            options = [o for o in field_schema.pop("anyOf") if o.get("type") != "null"]
            [value] = options
            field_schema.update(value)

    return rewrite


class UpdateLinkRequest(BaseModel):
    """Only the fields present change; `expires_at: null` removes the expiry."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=_not_nullable("url", "redirect_type")
    )

    url: TargetUrl | None = None
    expires_at: Expiry | None = None
    redirect_type: RedirectType | None = None

    @field_validator("url", "redirect_type", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Defaults are not validated, so this only sees a null the caller sent.
        if value is None:
            raise ValueError("must not be null")
        return value


class QrStatus(BaseModel):
    status: Literal["pending", "ready"]
    href: str = Field(description="GET it for the QR code images (202 while pending).")


class Link(BaseModel):
    code: str
    short_url: str
    url: str
    created_at: Timestamp
    updated_at: Timestamp
    expires_at: Timestamp | None
    redirect_type: RedirectType
    qr: QrStatus


class EffectStatus(BaseModel):
    state: EffectState
    attempts: int
    updated_at: Timestamp | None
    last_error: str | None


class LinkWithEffects(Link):
    effects: dict[str, EffectStatus] = Field(
        description="What each asynchronous side effect (qr, stats, email, webhooks, cdn) did."
    )


class LinkPage(BaseModel):
    items: list[Link]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null when there is none."
    )
