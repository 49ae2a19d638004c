"""Chinese working-day calendar engine (pure Python: no Flask, no database).

Rules implemented (see shared/spec/calendar.md and domain.md section 4):

* A working day is Monday-Friday that is not a public holiday, plus every weekend day the
  State Council's annual notice declares a make-up working day (调休上班).
* Sources of truth, in order of precedence:
    1. days recorded by the office itself (``DayOverride``) - these always win;
    2. the ``chinese_calendar`` package for the years it has official data for;
    3. for every other year, a rule-based estimate: weekends off plus the statutory holidays
       computed by the ``holidays`` package's China calendar, with no make-up days.
       Every answer that depends on such a year is *provisional*.
  A year listed in ``official_years`` (the office typed in that year's notice by hand) is
  official even if ``chinese_calendar`` lacks it; its days are the plain weekday/weekend base
  plus the office's overrides.
* The start day of a period is not counted: "N working days after D" is the N-th working day
  strictly after D. A start day that is a holiday changes nothing.

All the counting is done on a precomputed index (a sorted array of working-day ordinals plus
a prefix-count array indexed by day offset), so ``add`` and ``between`` are O(1) per call.

The State Council's annual notice, as text, is parsed and checked in ``notices.py``.
"""
from __future__ import annotations

import calendar as _calendar
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays as _holidays_pkg

__all__ = [
    "DayOverride",
    "WorkdayAnswer",
    "DayInfo",
    "WorkCalendar",
    "chinese_calendar_years",
    "KINDS",
]

_CHINA_TZ = ZoneInfo("Asia/Shanghai")

# Day kinds shown in the month grid.
KIND_WORKDAY = "workday"
KIND_WEEKEND = "weekend"
KIND_HOLIDAY = "holiday"
KIND_MAKEUP = "makeup"
KIND_OVERRIDE_WORKDAY = "override_workday"
KIND_OVERRIDE_HOLIDAY = "override_holiday"
KINDS = (
    KIND_WORKDAY,
    KIND_WEEKEND,
    KIND_HOLIDAY,
    KIND_MAKEUP,
    KIND_OVERRIDE_WORKDAY,
    KIND_OVERRIDE_HOLIDAY,
)

# chinese_calendar gives English holiday names; the UI is Chinese.
_CC_NAME_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


# ---------------------------------------------------------------------------
# Data classes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DayOverride:
    """A day recorded by the office (from the State Council notice or a local closure).

    Rule: source 1 - an override always wins over chinese_calendar and over the estimate.
    ``name`` is optional (e.g. "春节", "停电闭馆") and is only used for display. ``official``
    marks a day of the State Council's notice (shown like the packaged official days); other
    overrides are the office's local decisions (shown in the local style).
    """

    day: date
    is_workday: bool
    name: str | None = None
    official: bool = False


@dataclass(frozen=True)
class WorkdayAnswer:
    """Result of ``WorkCalendar.add`` (``day``) or ``WorkCalendar.between`` (``count``).

    ``provisional`` is True when the answer depends on a year without official data.
    """

    day: date | None
    count: int | None
    provisional: bool


@dataclass(frozen=True)
class DayInfo:
    """One cell of the month grid: a day, whether it is worked, and why."""

    day: date
    is_workday: bool
    kind: str  # one of KINDS
    name: str | None
    provisional: bool


# ---------------------------------------------------------------------------
# chinese_calendar data range
# ---------------------------------------------------------------------------

_CC_YEARS: frozenset[int] | None = None
_CC_LOCK = threading.Lock()


def chinese_calendar_years(probe_from: int = 1990, probe_to: int = 2100) -> frozenset[int]:
    """Years for which chinese_calendar has official data (source 2).

    Detected once by probing 1 January of each year; chinese_calendar raises
    NotImplementedError for years outside its data.
    """
    global _CC_YEARS
    if _CC_YEARS is None:
        with _CC_LOCK:
            if _CC_YEARS is None:
                found = set()
                for y in range(probe_from, probe_to + 1):
                    try:
                        chinese_calendar.is_workday(date(y, 1, 1))
                    except NotImplementedError:
                        continue
                    found.add(y)
                _CC_YEARS = frozenset(found)
    return _CC_YEARS


def _china_today() -> date:
    return datetime.now(_CHINA_TZ).date()


# Internal kind codes stored in the index (bytearray).
_K_CODES = {k: i for i, k in enumerate(KINDS)}


class _Index:
    """Immutable precomputed index over [first_year-01-01, last_year-12-31]."""

    __slots__ = ("base", "ndays", "first_year", "last_year", "workdays", "prefix", "kinds", "names")

    def __init__(self, first_year, last_year, workdays, prefix, kinds, names):
        self.first_year = first_year
        self.last_year = last_year
        self.base = date(first_year, 1, 1).toordinal()
        self.ndays = date(last_year, 12, 31).toordinal() - self.base + 1
        # Sorted ordinals of every working day in range.
        self.workdays: list[int] = workdays
        # prefix[i] = number of working days among offsets [0, i); len == ndays + 1.
        self.prefix: list[int] = prefix
        self.kinds: bytearray = kinds
        self.names: dict[int, str] = names


class WorkCalendar:
    """Working-day calendar over a precomputed index (domain.md section 4)."""

    def __init__(
        self,
        overrides: Iterable[DayOverride] = (),
        official_years: Iterable[int] = (),
        first_year: int = 2004,
        last_year: int | None = None,
    ):
        """Build the precomputed index.

        Sources in order: (1) overrides, (2) chinese_calendar for the years it has data for,
        (3) rule-based estimate for other years: weekends off plus statutory holidays from
        holidays.China (no make-up days) -> provisional.

        ``official_years``: years for which the office recorded the State Council notice by
        hand. Those years are official (not provisional) even if chinese_calendar lacks them;
        their days are the weekday/weekend base plus overrides (no rule-based holidays).
        If chinese_calendar does have such a year, its data is still used under the overrides.

        ``last_year`` defaults to today's year (China time) + 10. The index grows automatically
        (rule-based years) if a later date is asked for. Dates before ``first_year`` raise
        ValueError. If several overrides name the same day, the last one wins.
        """
        self._overrides: dict[date, DayOverride] = {}
        for ov in overrides:
            self._overrides[ov.day] = ov
        self._official_years = frozenset(int(y) for y in official_years)
        self._cc_years = chinese_calendar_years()
        self.first_year = int(first_year)
        if last_year is None:
            last_year = _china_today().year + 10
        last_year = int(last_year)
        if self._overrides:
            last_year = max(last_year, max(d.year for d in self._overrides))
        if last_year < self.first_year:
            raise ValueError("last_year must be >= first_year")
        self._grow_lock = threading.Lock()
        self._idx = self._build(self.first_year, last_year)

    # -- index construction -------------------------------------------------

    @property
    def last_year(self) -> int:
        return self._idx.last_year

    @property
    def official_years(self) -> frozenset[int]:
        return self._official_years

    def _build(self, first_year: int, last_year: int) -> _Index:
        start = date(first_year, 1, 1)
        base = start.toordinal()
        ndays = date(last_year, 12, 31).toordinal() - base + 1
        kinds = bytearray(ndays)
        names: dict[int, str] = {}

        estimate_years = [
            y
            for y in range(first_year, last_year + 1)
            if y not in self._cc_years and y not in self._official_years
        ]
        rule_holidays = (
            _holidays_pkg.China(years=estimate_years, language="zh_CN") if estimate_years else {}
        )

        kw, kwe, khol, kmk = (
            _K_CODES[KIND_WORKDAY],
            _K_CODES[KIND_WEEKEND],
            _K_CODES[KIND_HOLIDAY],
            _K_CODES[KIND_MAKEUP],
        )
        get_detail = chinese_calendar.get_holiday_detail
        d = start
        one = timedelta(days=1)
        for off in range(ndays):
            y = d.year
            weekend = d.weekday() >= 5
            if y in self._cc_years:
                # Source 2: official data. get_holiday_detail -> (is_off, name); is_off is
                # exactly `not chinese_calendar.is_workday(d)` (make-up days included).
                is_off, name = get_detail(d)
                if is_off:
                    kinds[off] = khol if name else kwe
                else:
                    kinds[off] = kmk if weekend else kw
                if name:
                    names[off] = _CC_NAME_ZH.get(name, name)
            elif y in self._official_years:
                # Hand-recorded notice: plain weekday/weekend base, overrides applied below.
                kinds[off] = kwe if weekend else kw
            else:
                # Source 3: rule-based estimate, no make-up days (provisional).
                name = rule_holidays.get(d)
                if name:
                    kinds[off] = khol
                    names[off] = name
                else:
                    kinds[off] = kwe if weekend else kw
            d += one

        # Source 1: overrides always win. A day of the State Council's notice reads like the
        # packaged official days (holiday / make-up day); a local decision keeps its own kinds.
        kow, koh = _K_CODES[KIND_OVERRIDE_WORKDAY], _K_CODES[KIND_OVERRIDE_HOLIDAY]
        for day, ov in self._overrides.items():
            off = day.toordinal() - base
            if 0 <= off < ndays:
                if not ov.official:
                    kinds[off] = kow if ov.is_workday else koh
                elif ov.is_workday:
                    kinds[off] = kmk if day.weekday() >= 5 else kw
                else:
                    kinds[off] = khol
                if ov.name:
                    names[off] = ov.name

        working = {kw, kmk, kow}
        workdays: list[int] = []
        prefix = [0] * (ndays + 1)
        count = 0
        for off in range(ndays):
            if kinds[off] in working:
                count += 1
                workdays.append(base + off)
            prefix[off + 1] = count
        return _Index(first_year, last_year, workdays, prefix, kinds, names)

    def _ensure_year(self, year: int) -> _Index:
        """Return an index covering ``year``; grow it (rebuild) if needed."""
        idx = self._idx
        if year < idx.first_year:
            raise ValueError(f"{year} is before the calendar's first year {idx.first_year}")
        if year <= idx.last_year:
            return idx
        with self._grow_lock:
            idx = self._idx
            if year > idx.last_year:
                idx = self._build(idx.first_year, max(year, idx.last_year + 10))
                self._idx = idx
        return idx

    def _offset(self, d: date) -> tuple[_Index, int]:
        idx = self._ensure_year(d.year)
        return idx, d.toordinal() - idx.base

    # -- queries --------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """Working day per domain.md section 4 (overrides > chinese_calendar > estimate)."""
        idx, off = self._offset(d)
        return idx.prefix[off + 1] != idx.prefix[off]

    def is_provisional_year(self, year: int) -> bool:
        """True if ``year`` has no official data (neither chinese_calendar nor official_years)."""
        return year not in self._cc_years and year not in self._official_years

    def years_spanned_provisional(self, d1: date, d2: date) -> bool:
        """True if any year from min(d1, d2).year to max(d1, d2).year is provisional."""
        y1, y2 = d1.year, d2.year
        if y1 == y2:
            return y1 not in self._cc_years and y1 not in self._official_years
        if y1 > y2:
            y1, y2 = y2, y1
        return any(self.is_provisional_year(y) for y in range(y1, y2 + 1))

    def add(self, start: date, n: int) -> WorkdayAnswer:
        """The n-th working day AFTER ``start`` (domain.md section 4).

        The start day is never counted, even if it is a working day; a start on a holiday
        changes nothing (counting begins at the next working day). ``n == 0`` returns
        ``start`` itself (provisional per start's year). ``n < 0`` raises ValueError.
        Provisional if any year from start.year to the result's year is provisional.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return WorkdayAnswer(start, None, self.is_provisional_year(start.year))
        idx, off = self._offset(start)
        # Number of working days on or before start, so workdays[k] is the first after start.
        k = idx.prefix[off + 1]
        target = k + n - 1
        while target >= len(idx.workdays):
            # Grow by enough years to hold n more working days (~240 per year, be generous).
            idx = self._ensure_year(idx.last_year + max(5, n // 200 + 2))
        result = date.fromordinal(idx.workdays[target])
        return WorkdayAnswer(result, None, self.years_spanned_provisional(start, result))

    def between(self, d1: date, d2: date) -> WorkdayAnswer:
        """Number of working days after ``d1`` up to and including ``d2`` (0 if d2 <= d1).

        Provisional if any year spanned is provisional; a count of 0 for d2 <= d1 does not
        depend on any calendar and is never provisional.
        """
        if d2 <= d1:
            return WorkdayAnswer(None, 0, False)
        idx = self._ensure_year(d2.year)
        off1 = d1.toordinal() - idx.base
        off2 = d2.toordinal() - idx.base
        if off1 < 0:
            raise ValueError(f"{d1} is before the calendar's first year {idx.first_year}")
        count = idx.prefix[off2 + 1] - idx.prefix[off1 + 1]
        return WorkdayAnswer(None, count, self.years_spanned_provisional(d1, d2))

    def day_info(self, d: date) -> DayInfo:
        """Kind and name of one day (see ``month_grid``)."""
        idx, off = self._offset(d)
        kind = KINDS[idx.kinds[off]]
        return DayInfo(
            day=d,
            is_workday=kind in (KIND_WORKDAY, KIND_MAKEUP, KIND_OVERRIDE_WORKDAY),
            kind=kind,
            name=idx.names.get(off),
            provisional=self.is_provisional_year(d.year) and d not in self._overrides,
        )

    def month_grid(self, year: int, month: int) -> list[list[DayInfo | None]]:
        """Weeks (Monday..Sunday) of a month for the UI; days outside the month are None.

        kind: workday / weekend / holiday / makeup (a weekend day worked by notice), from the
        packaged data or a recorded State Council notice alike; override_workday /
        override_holiday only for the office's local decisions. ``name`` is the holiday
        name when known (chinese_calendar for official years, holidays.China for estimates,
        the override's own name). ``provisional`` is True for estimated days.
        """
        weeks = _calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
        return [[self.day_info(d) if d.month == month else None for d in week] for week in weeks]
