"""Assessment periods: a quarter ("2026-Q3") or a year ("2026").

A quarter's score counts what fell due in that quarter; a year's score is computed over the
year's records (not the average of its quarters) — scoring.md. Pure: no database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from ..errors import ServiceError

FIRST_YEAR = 2000
_QUARTER_RE = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR_RE = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    quarter: int | None = None  # None: the whole year

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else f"{self.year}"

    @property
    def kind(self) -> str:
        return "quarter" if self.quarter else "year"

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度" if self.quarter else f"{self.year}年度"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1) if self.quarter else date(self.year, 1, 1)

    @property
    def end(self) -> date:
        if not self.quarter or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    def previous(self) -> Period:
        """The period before: the previous quarter (Q1 → last year's Q4), or the previous year."""
        if not self.quarter:
            return Period(self.year - 1)
        return Period(self.year, self.quarter - 1) if self.quarter > 1 else Period(self.year - 1, 4)

    def quarters(self) -> list[Period]:
        """The quarters of a year (a quarter is its own only quarter)."""
        return [Period(self.year, q) for q in range(1, 5)] if not self.quarter else [self]

    def year_period(self) -> Period:
        return Period(self.year)

    def as_of(self, today: date) -> date:
        """The last day whose events count: the period's end once it is over, otherwise yesterday
        (a provisional score counts what happened up to the end of the day before)."""
        return min(self.end, today - timedelta(days=1))

    def has_ended(self, today: date) -> bool:
        return today > self.end

    def __str__(self) -> str:
        return self.key


def parse_period(text: str | None, today: date | None = None) -> Period:
    """"2026-Q3" or "2026" → Period; anything else is refused with a Chinese message."""
    value = (text or "").strip()
    match = _QUARTER_RE.match(value)
    period = None
    if match:
        period = Period(int(match.group(1)), int(match.group(2)))
    elif (match := _YEAR_RE.match(value)):
        period = Period(int(match.group(1)))
    if period is None:
        raise ServiceError(f"考核期格式不正确：“{value}”，应为季度如 2026-Q3，或年度如 2026。", "period")
    last = (today.year + 1) if today else 2100
    if not FIRST_YEAR <= period.year <= last:
        raise ServiceError(f"考核期年份超出范围：应在{FIRST_YEAR}年至{last}年之间。", "period")
    return period


def quarter_of(day: date) -> Period:
    return Period(day.year, (day.month - 1) // 3 + 1)


def periods_since(first: date, today: date) -> list[Period]:
    """The periods the office may compute, newest first: every quarter from the one holding
    ``first`` (the tracker's first record) up to the current one, each year after its quarters."""
    found: list[Period] = []
    quarter = quarter_of(first if first <= today else today)
    current = quarter_of(today)
    while quarter <= current:
        found.append(quarter)
        if quarter.quarter == 4 or quarter == current:
            found.append(quarter.year_period())
        quarter = Period(quarter.year + 1, 1) if quarter.quarter == 4 else Period(quarter.year, quarter.quarter + 1)
    return list(reversed(found))
