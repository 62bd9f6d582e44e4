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
    WithJsonSchema,
    field_validator,
)

from shortener.api.problem_responses import ProblemDetails
from shortener.links.codes import ALIAS_PATTERN
from shortener.links.validation import (
    MAX_CLICKS,
    MAX_TAGS,
    MAX_URL_LENGTH,
    MAX_UTM_LENGTH,
    TAG_PATTERN,
    check_alias,
    check_future,
    check_target_url,
    check_unique,
)

BULK_MAX_ITEMS = 100
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
Tag = Annotated[str, Field(pattern=TAG_PATTERN, examples=["spring"])]
Tags = Annotated[
    list[Tag],
    Field(
        max_length=MAX_TAGS,
        description=f"Up to {MAX_TAGS} distinct labels; `GET /links?tag=` lists links by one.",
        json_schema_extra={"uniqueItems": True},
    ),
    AfterValidator(check_unique),
]
UtmValue = Annotated[str, Field(min_length=1, max_length=MAX_UTM_LENGTH)]
MaxClicks = Annotated[
    int,
    Field(
        strict=True,
        ge=1,
        le=MAX_CLICKS,
        description="Human clicks the link redirects; past them it answers like an expired one.",
    ),
]
FallbackUrl = Annotated[
    TargetUrl,
    Field(description="Where an expired or exhausted link redirects (302) instead of a 410."),
]


class Utm(BaseModel):
    """UTM parameters the redirect adds to the target (a `utm_*` already there stays)."""

    model_config = ConfigDict(extra="forbid")

    source: UtmValue | None = None
    medium: UtmValue | None = None
    campaign: UtmValue | None = None
    term: UtmValue | None = None
    content: UtmValue | None = None


class Targets(BaseModel):
    """Where phones and tablets go instead of `url`, by the visitor's platform."""

    model_config = ConfigDict(extra="forbid")

    ios: TargetUrl | None = None
    android: TargetUrl | None = None


class CreateLinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: TargetUrl
    alias: Alias | None = None
    expires_at: Expiry | None = None
    redirect_type: RedirectType = 302
    tags: Tags | None = None
    utm: Utm | None = None
    max_clicks: MaxClicks | None = None
    fallback_url: FallbackUrl | None = None
    targets: Targets | None = None


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
    """Only the fields present change; `null` removes an optional field (`tags: null` and
    `tags: []` both clear the tags)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=_not_nullable("url", "redirect_type")
    )

    url: TargetUrl | None = None
    expires_at: Expiry | None = None
    redirect_type: RedirectType | None = None
    tags: Tags | None = None
    utm: Utm | None = None
    max_clicks: MaxClicks | None = None
    fallback_url: FallbackUrl | None = None
    targets: Targets | None = None

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
    tags: list[str] = Field(description="The link's tags (empty when it has none).")
    utm: Utm | None
    max_clicks: int | None
    fallback_url: str | None
    targets: Targets | None


class EffectStatus(BaseModel):
    state: EffectState
    attempts: int
    updated_at: Timestamp | None
    last_error: str | None


class LinkWithEffects(Link):
    clicks_remaining: int | None = Field(
        description="Human clicks left before `max_clicks` is reached; null without a limit."
    )
    effects: dict[str, EffectStatus] = Field(
        description="What each asynchronous side effect (qr, stats, email, webhooks, cdn) did."
    )


class BulkCreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Each validated on its own as a create body (one bad item never fails the others).
    items: Annotated[
        list[Any],
        Field(min_length=1, max_length=BULK_MAX_ITEMS),
        WithJsonSchema(
            {
                "type": "array",
                "items": {"$ref": "#/components/schemas/CreateLinkRequest"},
                "minItems": 1,
                "maxItems": BULK_MAX_ITEMS,
                "description": "Create bodies, as for `POST /links`",
            }
        ),
    ]


class BulkItemResult(BaseModel):
    status: int = Field(description="`201` when created, else the item's problem's status")
    link: Link | None = Field(default=None, description="The new link (status 201)")
    problem: ProblemDetails | None = Field(default=None, description="Why nothing was written")


class BulkCreateResponse(BaseModel):
    items: list[BulkItemResult] = Field(description="One result per item, in request order")


class LinkPage(BaseModel):
    items: list[Link]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null when there is none."
    )
