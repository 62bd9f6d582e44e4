"""A link's clicks over a range, by day or by hour, with an optional breakdown.

Days are the sums of their hours (UTC). `unique_visitors` of an hour counts the day's visitors
first seen in that hour, so a day's value is its distinct visitors, and the total of a range
is the sum of its days' distinct visitors (a visitor back on another day counts again: the
visitor hash itself changes every day). The series has an entry for every day or hour of the
range, zeros included, oldest first; the breakdown counts human clicks, most first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from shortener.clicks import store
from shortener.clicks.aggregation import LinkRef

INTERVALS = ("day", "hour")
GROUPS = ("country", "device", "browser", "os", "referrer", "source")
ZERO_TOTALS = dict.fromkeys(store.TOTALS, 0)


@dataclass
class ClickReport:
    totals: dict[str, int] = field(default_factory=lambda: dict(ZERO_TOTALS))
    series: list[tuple[datetime, dict[str, int]]] = field(default_factory=list)
    breakdown: list[tuple[str, int]] = field(default_factory=list)


def _bucket(hour: datetime, interval: str) -> datetime:
    return hour.replace(hour=0) if interval == "day" else hour


def _steps(first: datetime, last: datetime, interval: str) -> list[datetime]:
    step = timedelta(days=1) if interval == "day" else timedelta(hours=1)
    starts, moment = [], first
    while moment <= last:
        starts.append(moment)
        moment += step
    return starts


def link_clicks(
    link: LinkRef, first: datetime, last: datetime, interval: str, group_by: str | None
) -> ClickReport:
    """Counters of the hours from `first` to `last` (both hour starts, included)."""
    buckets = {
        start: dict(ZERO_TOTALS)
        for start in _steps(_bucket(first, interval), _bucket(last, interval), interval)
    }
    report = ClickReport()
    groups: Counter[str] = Counter()
    prefix = f"{group_by}:" if group_by else None
    for item in store.hour_items(link, first, last, breakdown=prefix is not None):
        hour = datetime.strptime(item["sk"], "hour#%Y-%m-%dT%H").replace(tzinfo=first.tzinfo)
        counts = buckets.setdefault(_bucket(hour, interval), dict(ZERO_TOTALS))
        for name in store.TOTALS:
            amount = int(item.get(name, 0))
            counts[name] += amount
            report.totals[name] += amount
        if prefix:
            for attribute, value in item.items():
                if attribute.startswith(prefix):
                    groups[attribute.removeprefix(prefix)] += int(value)
    report.series = sorted(buckets.items())
    report.breakdown = sorted(groups.items(), key=lambda entry: (-entry[1], entry[0]))
    return report


def owner_day_clicks(owner: str, first: date | None, last: date | None) -> dict[str, int]:
    """The owner's human clicks per day; either end may be open."""
    low = first.isoformat() if first else "0000-00-00"
    high = last.isoformat() if last else "9999-99-99"
    return store.owner_day_clicks(owner, low, high)
