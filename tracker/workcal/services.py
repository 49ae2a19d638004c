"""The working-day calendar as the rest of the tracker uses it.

``get_calendar()`` gives the engine built from the packaged data plus every day the office
recorded; it is cached per process and rebuilt when the recorded days change (checked once per
app context — a request, a scheduled job, a command — so several web workers agree). Features store deadlines on their rows and register a
recompute function here: when the office records days, every open deadline is recomputed and
each move is kept in ``DeadlineChange``.
"""
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app, g, has_app_context, has_request_context
from flask_login import current_user
from sqlalchemy import delete, func, select

from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..timeutil import FIRST_YEAR, YEARS_AHEAD, china_today, utcnow
from .engine import DayOverride, WorkCalendar, WorkdayAnswer
from .models import CalendarDay, CalendarNotice, DeadlineChange
from .notices import HolidayRange, validate_notice

_cache: dict[str, tuple[tuple, WorkCalendar]] = {}
_cache_lock = threading.Lock()

# Functions ``fn(reason: str) -> int`` that recompute their open deadlines; see register_deadline_source.
_deadline_sources: list[Callable[[str], int]] = []


def _version() -> tuple:
    """A cheap fingerprint of the recorded days; changes whenever the office records something."""
    days = db.session.execute(select(func.count(CalendarDay.id), func.max(CalendarDay.recorded_at))).one()
    notices = db.session.execute(select(func.count(CalendarNotice.id), func.max(CalendarNotice.recorded_at))).one()
    return tuple(days) + tuple(notices)


def get_calendar() -> WorkCalendar:
    """The calendar with every recorded day applied (sources of truth in calendar.md order)."""
    if has_app_context() and "workcal" in g:  # checked once per request, job or command
        return g.workcal
    key = current_app.config["SQLALCHEMY_DATABASE_URI"]
    version = _version()
    cached = _cache.get(key)
    if cached is None or cached[0] != version:
        with _cache_lock:
            cached = _cache.get(key)
            if cached is None or cached[0] != version:
                overrides = [DayOverride(d.day, d.is_workday, d.name, official=d.source == "notice")
                             for d in db.session.scalars(select(CalendarDay).order_by(CalendarDay.day))]
                years = db.session.scalars(select(CalendarNotice.year)).all()
                cached = (version, WorkCalendar(overrides, official_years=years))
                _cache[key] = cached
    g.workcal = cached[1]
    return cached[1]


def check_in_range(day: date, label: str = "日期", field: str | None = None) -> date:
    """Dates the calendar answers for: from 2004 (its first official year) to ten years ahead.

    Anything else is refused in Chinese (the engine cannot go before 2004, and a far-future date
    would make every process build its index up to that year)."""
    last = china_today().year + YEARS_AHEAD
    if not FIRST_YEAR <= day.year <= last:
        raise ServiceError(f"{label}超出工作日历的范围：应在{FIRST_YEAR}年至{last}年之间。", field)
    return day


def add_workdays(start: date, n: int) -> WorkdayAnswer:
    """The n-th working day after ``start`` (domain §4: the start day is not counted)."""
    return get_calendar().add(start, n)


def workdays_between(d1: date, d2: date) -> WorkdayAnswer:
    """Working days after ``d1`` up to and including ``d2``."""
    return get_calendar().between(d1, d2)


DUE_SOON_WORKDAYS = 5  # "due soon": within 5 working days (the dashboards' urgent lists)


@dataclass(frozen=True)
class DaysLeft:
    """How far a deadline is from today in working days, as every list with deadlines shows it.

    ``left``: working days after today up to and including the deadline (0 on the day itself);
    ``over``: working days after the deadline up to and including today. The same counting as the
    reminders (domain.md §4: the start day is not counted), so a list and a reminder agree.
    """

    due: date
    left: int
    over: int
    overdue: bool
    provisional: bool

    @property
    def label(self) -> str:
        if self.overdue:
            return f"超期 {self.over} 个工作日" if self.over else "已超期"
        return "今日到期" if self.left == 0 else f"剩余 {self.left} 个工作日"

    @property
    def signed(self) -> int:
        """Working days left, negative when overdue (for sorting and data attributes)."""
        return -self.over if self.overdue else self.left

    @property
    def tone(self) -> str:
        """danger: overdue; warning: due within 5 working days; secondary: later."""
        if self.overdue:
            return "danger"
        return "warning" if self.left <= DUE_SOON_WORKDAYS else "secondary"


def due_soon_cutoff(today: date) -> date:
    """The last day that counts as due soon: the 5th working day after today."""
    return add_workdays(today, DUE_SOON_WORKDAYS).day


def days_left(due: date | None, today: date | None = None, provisional: bool = False) -> DaysLeft | None:
    """Working days from ``today`` to ``due`` (None when there is no deadline)."""
    if due is None:
        return None
    today = today or china_today()
    if due >= today:
        answer = workdays_between(today, due)
        return DaysLeft(due, answer.count, 0, False, provisional or answer.provisional)
    answer = workdays_between(due, today)
    return DaysLeft(due, 0, answer.count, True, provisional or answer.provisional)


def _forget_request_calendar() -> None:
    g.pop("workcal", None)


# --- deadlines stored on records -----------------------------------------------------------------

def register_deadline_source(fn: Callable[[str], int]) -> Callable[[str], int]:
    """Register ``fn(reason) -> number of deadlines moved`` to run when the calendar changes."""
    if fn not in _deadline_sources:
        _deadline_sources.append(fn)
    return fn


def set_deadline(obj, answer: WorkdayAnswer, reason: str, *, field: str = "due_date",
                 provisional_field: str = "due_provisional") -> bool:
    """Store a computed deadline on ``obj``; if it differs, keep old → new in its history.

    Returns True when the date or its provisional mark changed.
    """
    old, old_prov = getattr(obj, field), bool(getattr(obj, provisional_field))
    if old == answer.day and old_prov == answer.provisional:
        return False
    setattr(obj, field, answer.day)
    setattr(obj, provisional_field, answer.provisional)
    db.session.flush()
    actor = current_user if has_request_context() and current_user.is_authenticated else None
    db.session.add(DeadlineChange(
        object_type=obj.__tablename__, object_id=obj.id, old_due=old, new_due=answer.day,
        old_provisional=old_prov, new_provisional=answer.provisional, reason=reason[:200],
        actor_id=actor.id if actor else None))
    return True


def deadline_history(obj) -> list[DeadlineChange]:
    return db.session.scalars(
        select(DeadlineChange).where(DeadlineChange.object_type == obj.__tablename__,
                                     DeadlineChange.object_id == obj.id)
        .order_by(DeadlineChange.at, DeadlineChange.id)).all()


def recompute_open_deadlines(reason: str) -> int:
    """Ask every registered feature to recompute its open deadlines; returns how many moved."""
    _forget_request_calendar()
    return sum(fn(reason) for fn in _deadline_sources)


# --- the office records days ---------------------------------------------------------------------

def record_notice(year: int, holidays: list[HolidayRange], makeup_days: list[date],
                  title: str = "", text: str | None = None) -> int:
    """Record a year's State Council notice (replacing an earlier recording of the same year).

    The year becomes official (no longer provisional). Returns the number of deadlines moved.
    """
    errors = validate_notice(holidays, makeup_days, year)
    if errors:
        raise ServiceError("；".join(errors))
    if not holidays:
        raise ServiceError("至少需要一个放假区间。")
    actor_id = current_user.id if has_request_context() and current_user.is_authenticated else None
    now = utcnow()
    notice = db.session.scalar(select(CalendarNotice).where(CalendarNotice.year == year))
    before = None
    if notice is None:
        notice = CalendarNotice(year=year)
        db.session.add(notice)
    else:
        before = {"title": notice.title}
    notice.title = title.strip() or f"国务院办公厅关于{year}年部分节假日安排的通知"
    notice.text = text
    notice.recorded_by_id, notice.recorded_at = actor_id, now
    db.session.execute(delete(CalendarDay).where(
        CalendarDay.source == "notice", CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)))
    days: dict[date, tuple[bool, str | None]] = {}
    for r in holidays:
        for d in r.days():
            days[d] = (False, r.name or "节假日")
    for d in makeup_days:
        days[d] = (True, "调休上班")
    local = set(db.session.scalars(select(CalendarDay.day).where(CalendarDay.day.in_(list(days)))))
    for d, (is_workday, name) in sorted(days.items()):
        if d in local:
            continue  # a local decision for that day stays in force
        db.session.add(CalendarDay(day=d, is_workday=is_workday, name=name, source="notice",
                                   recorded_by_id=actor_id, recorded_at=now))
    db.session.flush()
    record("calendar.notice", notice, before=before, after={
        "year": year, "holidays": [[r.start, r.end, r.name] for r in holidays], "makeup_days": makeup_days})
    return recompute_open_deadlines(f"录入{year}年节假日安排")


def record_local_day(day: date, is_workday: bool, name: str, note: str = "") -> int:
    """Record a local closure (or an extra working day) decided by the city; wins over everything."""
    check_in_range(day, "日期", "day")
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写名称（如：防汛停工）。", "name")
    actor_id = current_user.id if has_request_context() and current_user.is_authenticated else None
    existing = db.session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    before = None
    if existing is None:
        existing = CalendarDay(day=day)
        db.session.add(existing)
    else:
        before = {"is_workday": existing.is_workday, "name": existing.name, "source": existing.source}
    existing.is_workday, existing.name, existing.source = is_workday, name[:60], "local"
    existing.note = (note or "").strip()[:200] or None
    existing.recorded_by_id, existing.recorded_at = actor_id, utcnow()
    db.session.flush()
    record("calendar.local_day", existing, before=before,
           after={"day": day, "is_workday": is_workday, "name": name}, note=note or None)
    return recompute_open_deadlines(f"{day:%Y-%m-%d} 记为{'工作日' if is_workday else '休息日'}（{name}）")




def notice_for_year(year: int) -> CalendarNotice | None:
    return db.session.scalar(select(CalendarNotice).where(CalendarNotice.year == year))


def recorded_days(year: int) -> list[CalendarDay]:
    """Days the office recorded in ``year``, for the year page."""
    return db.session.scalars(
        select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)).all()


def days_left_figures(due: date | None, today: date, provisional: bool = False) -> tuple[int | None, int | None, bool]:
    """``days_left`` as figures for an export's number columns: (剩余工作日, 超期工作日, 暂定), one of
    the two counts None (both without a deadline or outside the calendar); 今日到期 is 0 left and
    已超期 (past only by days off) 0 over."""
    try:
        left = days_left(due, today, provisional)
    except ValueError:  # a date before the calendar's first year
        return None, None, False
    if not left:
        return None, None, False
    return (None, left.over, left.provisional) if left.overdue else (left.left, None, left.provisional)
