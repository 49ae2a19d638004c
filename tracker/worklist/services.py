"""Work that is owed, across features: the contact's 待办 and the dashboards' urgent lists.

Each feature registers a *work source*, ``fn(user, query) -> WorkSlice``: the open items of its
records that ``user`` may see, ordered by deadline and limited in SQL. The lists here merge the
sources, so a new kind of work (rectifications after an inspection, say) appears on every dashboard
and 待办 page by registering one function (see ``sources.load``).

Deadlines are sorted by date, which orders exactly as working days left do; the working days
(剩余 N 个工作日 / 超期 N 个工作日, domain.md §4) are computed only for the rows shown.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from ..timeutil import to_china, utcnow
from ..workcal.services import DaysLeft, days_left, due_soon_cutoff, workdays_between

URGENT_LIMIT = 15  # rows of the dashboards' urgent lists
OWED_LIMIT = 200  # rows of the 待办 page (each source links to its full list)


@dataclass
class WorkItem:
    """One thing owed: a task to publish, an application to answer, a rectification to make."""

    kind: str  # what sort of work, in Chinese: 主动公开, 依申请公开 ...
    title: str
    link: str
    due: date | None  # the deadline; None for work that waits on someone else (e.g. a paused clock)
    state: str  # the record's state in Chinese: the one badge it gets
    badge: str = "text-bg-secondary"  # CSS classes of that badge
    unit: object = None  # the unit that owes it
    reference: str | None = None  # e.g. an application's tracking code
    provisional: bool = False
    note: str | None = None
    left: DaysLeft | None = None  # filled in by ``collect`` for the rows shown
    # work waiting on the office since this moment with no deadline yet (an online application to
    # confirm and route): listed before everything else, oldest first, with the time waited
    waiting_since: datetime | None = None
    waited: str | None = None  # filled in by ``collect``: 已等待 N 小时 / N 个工作日


@dataclass
class WorkSlice:
    """What one source found: the first items by deadline, how many in all, and its full list."""

    label: str
    items: list[WorkItem]
    total: int
    more: str | None = None


@dataclass(frozen=True)
class WorkQuery:
    today: date
    due_by: date | None  # only work due by this day (urgent lists); None: all open work
    limit: int
    descending: bool = False  # latest deadline first (undated work still last)


@dataclass
class WorkList:
    items: list[WorkItem]
    slices: list[WorkSlice] = field(default_factory=list)
    due_by: date | None = None

    @property
    def total(self) -> int:
        return sum(s.total for s in self.slices)


_sources: list[Callable[[object, WorkQuery], WorkSlice]] = []


def register_work_source(fn):
    """Register ``fn(user, query) -> WorkSlice`` (or a list of them); it must scope to what ``user``
    may see and return at most ``query.limit`` items per slice ordered by deadline (ascending
    unless ``query.descending``)."""
    if fn not in _sources:
        _sources.append(fn)
    return fn


def _order(items: list[WorkItem], descending: bool) -> list[WorkItem]:
    """Work waiting on the office first (oldest first: nothing else can start before it), then by
    deadline, then undated work."""
    waiting = sorted((i for i in items if i.waiting_since is not None), key=lambda i: i.waiting_since)
    rest = [i for i in items if i.waiting_since is None]
    dated = sorted((i for i in rest if i.due is not None), key=lambda i: i.due, reverse=descending)
    return waiting + dated + [i for i in rest if i.due is None]


def waited_label(since: datetime, now: datetime | None = None) -> str:
    """How long work has waited: hours under a day, working days after that (the start day not
    counted, domain.md §4, as every deadline here)."""
    now = now or utcnow()
    hours = max(0, int((to_china(now) - to_china(since)).total_seconds() // 3600))
    if hours < 24:
        return f"已等待 {hours} 小时" if hours else "已等待不到 1 小时"
    days = workdays_between(to_china(since).date(), to_china(now).date()).count
    return f"已等待 {days} 个工作日"


def collect(user, query: WorkQuery) -> WorkList:
    """Every source's work for ``user``, merged in deadline order, at most ``query.limit`` rows."""
    slices = []
    for source in _sources:
        found = source(user, query)
        slices.extend(found if isinstance(found, list) else [found])
    items = _order([i for s in slices for i in s.items], query.descending)[:query.limit]
    for item in items:
        item.left = days_left(item.due, query.today, item.provisional)
        if item.waiting_since is not None:
            item.waited = waited_label(item.waiting_since)
    return WorkList(items, slices, query.due_by)


def urgent(user, today: date, limit: int = URGENT_LIMIT) -> WorkList:
    """Overdue work and work due within 5 working days, most overdue first (the dashboards)."""
    return collect(user, WorkQuery(today, due_soon_cutoff(today), limit))


def owed(user, today: date, descending: bool = False, limit: int = OWED_LIMIT) -> WorkList:
    """All open work ``user`` may see, by working days left (待办)."""
    return collect(user, WorkQuery(today, None, limit, descending))
