"""GET /links/{code}/clicks: a link's clicks as the clicks function counted them.

Owner-scoped like `GET /links/{code}`: another owner's link is as missing as an unknown one.
`from` and `to` are UTC days (`YYYY-MM-DD`) or moments (`YYYY-MM-DDTHH:MM:SSZ`, counted from
the start of their hour), both included; the default is the last 7 days, by day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from shortener.api.caller import current_owner
from shortener.api.problem_responses import documented_responses
from shortener.clicks.aggregation import LinkRef
from shortener.clicks.queries import link_clicks
from shortener.clock import utcnow
from shortener.links import store
from shortener.problems import Problem, not_found, validation_problem

router = Router()

DEFAULT_DAYS = 7
EARLIEST_YEAR, LATEST_YEAR = 1970, 9000
# A year of days (the counters keep 400), or a month of hours, per request.
MAX_RANGE = {"day": timedelta(days=366), "hour": timedelta(days=31)}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def _require_day_or_moment(value: Any) -> Any:
    if not isinstance(value, str) or not (_DAY.fullmatch(value) or _MOMENT.fullmatch(value)):
        raise ValueError("must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ)")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ValueError("is not a real date or time") from error
    # Clicks exist from the epoch on; a far year would only overflow the series' arithmetic.
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"must be in the years {EARLIEST_YEAR} to {LATEST_YEAR}")
    return value


DayOrMoment = Annotated[str, BeforeValidator(_require_day_or_moment)]
Interval = Literal["day", "hour"]
GroupBy = Literal["country", "device", "browser", "os", "referrer", "source"]


class ClickTotals(BaseModel):
    clicks: int = Field(description="Clicks by people (bots and HEAD requests excluded)")
    unique_visitors: int = Field(description="Distinct visitors, counted once per UTC day")
    bots: int = Field(description="Requests by known bots, crawlers, preview fetchers, HEAD")
    qr_scans: int = Field(description="Clicks that came from the link's QR code")


class ClickInterval(ClickTotals):
    start: str = Field(description="The day (YYYY-MM-DD) or hour (YYYY-MM-DDTHH:00:00Z)")


class BreakdownEntry(BaseModel):
    key: str = Field(description="A country code, device type, browser, OS, host or source")
    clicks: int


class LinkClicks(BaseModel):
    code: str
    from_: str = Field(alias="from", description="The first day or hour of the range")
    to: str = Field(description="The last day or hour of the range (included)")
    interval: Interval
    totals: ClickTotals
    series: list[ClickInterval] = Field(description="Every day or hour of the range, oldest first")
    breakdown: list[BreakdownEntry] | None = Field(
        default=None, description="Human clicks by `group_by`, most first; only with `group_by`"
    )

    @model_serializer(mode="wrap")
    def _breakdown_only_when_asked(self, serialize: SerializerFunctionWrapHandler) -> Any:
        data = serialize(self)
        if self.breakdown is None:
            data.pop("breakdown", None)
        return data


def _invalid(parameter: str, detail: str) -> Problem:
    return validation_problem([{"loc": ("query", parameter), "msg": detail}])


def _hour(value: str, *, end: bool) -> datetime:
    """A parameter as an hour start: a day starts at 00:00 and, as `to`, ends at 23:00."""
    if _DAY.fullmatch(value):
        day = date.fromisoformat(value)
        return datetime.combine(day, time(23 if end else 0), UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def _range(first: str | None, last: str | None, interval: str) -> tuple[datetime, datetime]:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    high = _hour(last, end=True) if last else now
    low = (
        _hour(first, end=False)
        if first
        else high.replace(hour=0) - timedelta(days=DEFAULT_DAYS - 1)
    )
    if interval == "day":
        low, high = low.replace(hour=0), high.replace(hour=23)
    if low > high:
        raise _invalid("from", "must not be after to")
    if high - low >= MAX_RANGE[interval]:
        raise _invalid("from", f"the range may cover at most {MAX_RANGE[interval].days} days")
    return low, high


def _label(moment: datetime, interval: str) -> str:
    return moment.date().isoformat() if interval == "day" else f"{moment:%Y-%m-%dT%H}:00:00Z"


@router.get(
    "/links/<code>/clicks",
    summary="A link's clicks, by day or by hour",
    description=(
        "Clicks counted from the CDN's request logs, cache hits included, within about a "
        "minute. Bots and HEAD requests count as `bots`; a visitor is counted once per UTC day."
    ),
    tags=["links"],
    responses=documented_responses(200, "The link's clicks over the range", 401, 404),
)
def get_link_clicks(
    code: Annotated[str, Path(description="The link's short code")],
    first: Annotated[
        DayOrMoment | None,
        Query(alias="from", description="First day or time (UTC); default: 6 days before `to`"),
    ] = None,
    last: Annotated[
        DayOrMoment | None, Query(alias="to", description="Last day or time (UTC); default: now")
    ] = None,
    interval: Annotated[Interval, Query(description="One entry per day or per hour")] = "day",
    group_by: Annotated[
        GroupBy | None, Query(description="Break the human clicks down by this dimension")
    ] = None,
) -> LinkClicks:
    link = store.find_owned(code, current_owner(router))
    if link is None:
        raise not_found("the link")
    low, high = _range(first, last, interval)
    report = link_clicks(
        LinkRef(code=link.code, owner=link.owner, created_at=link.created_at),
        low,
        high,
        interval,
        group_by,
    )
    return LinkClicks.model_validate(
        {
            "code": link.code,
            "from": _label(low, interval),
            "to": _label(high, interval),
            "interval": interval,
            "totals": report.totals,
            "series": [
                {"start": _label(start, interval), **counts} for start, counts in report.series
            ],
            "breakdown": (
                [{"key": key, "clicks": clicks} for key, clicks in report.breakdown]
                if group_by
                else None
            ),
        }
    )
