"""The office's turn (待公开办处理): work that waits for the office and runs on no deadline clock —
an objection to answer, scores computed and waiting to be published, an annual report handed in
and waiting to be accepted or returned, a drafted bulletin to publish, a published task to verify.

Each feature registers a ``Turn``: a SELECT of the rows waiting for the office (columns ``id``,
``text``, ``number``, ``unit_id``) and how one row reads in the list. One work source asks every
turn at once, in a single UNION ALL statement that keeps at most ``query.limit`` rows of each and
counts each turn's rows, with the name of the unit concerned; a new kind of
office work costs the dashboards no extra statement. The rows are undated: they
come after the work with a deadline, oldest first within their kind.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Integer, String, cast, func, literal, null, select, union_all

from ..extensions import db
from ..units.models import Unit
from .services import WorkItem, WorkQuery, WorkSlice


@dataclass(frozen=True)
class UnitRef:
    """The unit a row concerns, as much as a list shows of it (its name, linked to its page)."""
    id: int
    name: str
    kind: str


@dataclass(frozen=True)
class TurnRow:
    id: int
    text: str | None
    number: int | None
    unit: UnitRef | None


@dataclass(frozen=True)
class Turn:
    key: str
    label: str  # the slice's label in the totals: 评分申辩待答复
    rows: Callable[[], object]  # () -> Select of (id, text, number, unit_id) waiting for the office
    item: Callable[[TurnRow], WorkItem]
    more: Callable[[], str]  # the full list


_turns: list[Turn] = []


def register_office_turn(turn: Turn) -> Turn:
    if all(t.key != turn.key for t in _turns):
        _turns.append(turn)
    return turn


def columns(id_, text=None, number=None, unit_id=None) -> list:
    """The four columns every turn selects, typed alike so the UNION holds on PostgreSQL."""
    return [id_.label("id"), (cast(null(), String) if text is None else cast(text, String)).label("text"),
            (cast(null(), Integer) if number is None else number).label("number"),
            (cast(null(), Integer) if unit_id is None else unit_id).label("unit_id")]


def _part(i: int, turn: Turn, limit: int):
    """One turn's oldest ``limit`` rows with the turn's total beside them: the rows are limited before
    the UNION and the total is a count of its own, so a turn of tens of thousands of rows (tasks
    waiting for verification in a large city) is neither numbered nor materialised."""
    waiting = turn.rows()
    first = waiting.order_by(waiting.selected_columns.id).limit(limit).subquery()
    total = select(func.count()).select_from(waiting.subquery()).scalar_subquery()
    return select(first, literal(i).label("turn"), total.label("total"))


def _rows(limit: int) -> list:
    union = union_all(*(_part(i, t, limit) for i, t in enumerate(_turns))).subquery()
    return db.session.execute(select(union, Unit.name.label("unit_name"), Unit.kind.label("unit_kind"))
                              .outerjoin(Unit, Unit.id == union.c.unit_id)
                              .order_by(union.c.turn, union.c.id)).all()


def office_turns(user, query: WorkQuery) -> list[WorkSlice]:
    """For the office only (leaders read, they do not act): every turn's rows and total."""
    if user.role != "office" or not _turns:
        return []
    rows = _rows(query.limit)
    slices = []
    for i, turn in enumerate(_turns):
        mine = [r for r in rows if r.turn == i]
        if not mine:
            continue  # nothing waiting: the totals do not name it
        items = [turn.item(TurnRow(r.id, r.text, r.number,
                                   UnitRef(r.unit_id, r.unit_name, r.unit_kind) if r.unit_id is not None else None))
                 for r in mine]
        slices.append(WorkSlice(turn.label, items, mine[0].total, turn.more()))
    return slices
