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
from datetime import date

from ..workcal.services import DaysLeft, days_left, due_soon_cutoff

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
    dated = sorted((i for i in items if i.due is not None), key=lambda i: i.due, reverse=descending)
    return dated + [i for i in items if i.due is None]


def collect(user, query: WorkQuery) -> WorkList:
    """Every source's work for ``user``, merged in deadline order, at most ``query.limit`` rows."""
    slices = []
    for source in _sources:
        found = source(user, query)
        slices.extend(found if isinstance(found, list) else [found])
    items = _order([i for s in slices for i in s.items], query.descending)[:query.limit]
    for item in items:
        item.left = days_left(item.due, query.today, item.provisional)
    return WorkList(items, slices, query.due_by)


def urgent(user, today: date, limit: int = URGENT_LIMIT) -> WorkList:
    """Overdue work and work due within 5 working days, most overdue first (the dashboards)."""
    return collect(user, WorkQuery(today, due_soon_cutoff(today), limit))


def owed(user, today: date, descending: bool = False, limit: int = OWED_LIMIT) -> WorkList:
    """All open work ``user`` may see, by working days left (待办)."""
    return collect(user, WorkQuery(today, None, limit, descending))
