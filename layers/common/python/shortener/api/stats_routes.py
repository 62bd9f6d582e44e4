"""GET /stats: the caller's daily counters, newest first: link changes as the stats consumer
counted them, and human clicks as the clicks function counted them (in the Clicks table)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, BeforeValidator, Field
from pynamodb.expressions.condition import Condition

from shortener.api.caller import current_owner
from shortener.api.problem_responses import documented_responses
from shortener.clicks.queries import owner_day_clicks
from shortener.models import DailyStatsModel
from shortener.problems import Problem

router = Router()

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _require_iso_day(value: Any) -> Any:
    # pydantic alone would also take datetimes and unix times; the contract says dates.
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


IsoDay = Annotated[date, BeforeValidator(_require_iso_day)]


class DayCounts(BaseModel):
    date: str = Field(description="The UTC day, YYYY-MM-DD")
    created: int
    updated: int
    deleted: int
    clicks: int = Field(description="Clicks by people on the owner's links (bots excluded)")


class Stats(BaseModel):
    days: list[DayCounts]


def daily_counts(owner: str, first: date | None, last: date | None) -> list[DayCounts]:
    """The owner's counters from `first` to `last` (both included, either open), newest first."""
    sort_key = DailyStatsModel.sk
    low, high = (DailyStatsModel.sort_key(d.isoformat()) if d else None for d in (first, last))
    condition: Condition
    if low and high:
        condition = sort_key.between(low, high)
    elif low:
        condition = sort_key >= low
    elif high:
        condition = sort_key <= high
    else:
        condition = sort_key.startswith(DailyStatsModel.sort_key(""))
    counters = DailyStatsModel.query(
        DailyStatsModel.partition_key(owner), condition, scan_index_forward=False
    )
    days: dict[str, DayCounts] = {}
    for counter in counters:
        day = counter.sk.removeprefix(DailyStatsModel.sort_key(""))
        days[day] = DayCounts(
            date=day,
            # A counter item holds only the columns that were ever added to.
            created=int(counter.created or 0),
            updated=int(counter.updated or 0),
            deleted=int(counter.deleted or 0),
            clicks=0,
        )
    for day, clicks in owner_day_clicks(owner, first, last).items():
        counts = days.setdefault(
            day, DayCounts(date=day, created=0, updated=0, deleted=0, clicks=0)
        )
        counts.clicks = clicks
    return [days[day] for day in sorted(days, reverse=True)]


@router.get(
    "/stats",
    summary="The caller's daily counts of created, updated and deleted links, and of clicks",
    description="Newest day first; a day without any change or click has no entry. Days are UTC.",
    tags=["stats"],
    responses=documented_responses(200, "The caller's counters", 401),
)
def get_stats(
    first: Annotated[
        IsoDay | None, Query(alias="from", description="First day, YYYY-MM-DD")
    ] = None,
    last: Annotated[IsoDay | None, Query(alias="to", description="Last day, YYYY-MM-DD")] = None,
) -> Stats:
    if first and last and first > last:
        raise Problem(
            422,
            "the request is not valid: see errors",
            slug="validation-error",
            title="Invalid request",
            errors=[{"parameter": "from", "detail": "must not be after to"}],
        )
    return Stats(days=daily_counts(current_owner(router), first, last))
