"""A batch of clicks summed in memory: one counter update per link hour and per owner day.

A hot link then costs one write per batch, not one per click. Each link hour sums its clicks,
bots, QR scans, the day's new visitors seen in that hour, and the human clicks by country,
device, browser, OS, referrer and source; each owner day sums its human clicks.

Unique visitors are per day: a visitor counts once a day, in the hour of their first counted
click, so the hours of a day add up to the day's distinct visitors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from shortener.clicks.classification import Click


@dataclass(frozen=True)
class LinkRef:
    """The link a click counts for: a code names one link from its creation to its deletion."""

    code: str
    owner: str
    created_at: str


@dataclass
class HourTally:
    clicks: int = 0
    bots: int = 0
    qr_scans: int = 0
    unique_visitors: int = 0
    breakdown: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, click: Click, new_visitor: bool) -> None:
        if click.is_bot:
            self.bots += 1
            return
        self.clicks += 1
        self.qr_scans += click.is_qr_scan
        self.unique_visitors += new_visitor
        self.breakdown.update(click.dimensions().items())

    def totals(self) -> dict[str, int]:
        return {
            "clicks": self.clicks,
            "bots": self.bots,
            "qr_scans": self.qr_scans,
            "unique_visitors": self.unique_visitors,
        }


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass
class Tally:
    """What a set of clicks adds to the counters."""

    hours: dict[tuple[LinkRef, datetime], HourTally] = field(default_factory=dict)
    owner_days: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, link: LinkRef, click: Click, new_visitor: bool) -> None:
        key = (link, hour_of(click.at))
        self.hours.setdefault(key, HourTally()).add(click, new_visitor)
        if not click.is_bot:
            self.owner_days[(link.owner, click.at.date().isoformat())] += 1


def tally(entries: Iterable[tuple[LinkRef, Click, bool]]) -> Tally:
    """Sum (link, click, is the visitor new today) entries."""
    result = Tally()
    for link, click, new_visitor in entries:
        result.add(link, click, new_visitor)
    return result
