"""The live figures of annual reports, computed from the records for many units at once.

Every figure of every unit comes from a fixed number of grouped queries (not one per unit, nor
one per cell), so the office's overview of 200 units and the drift check stay fast:

* table 二 第二十条第（一）项 — normative documents (register items marked normative, and documents
  entered for the years before the tracker), by kind (规章 / 行政规范性文件):
  本年制发 = issued (published) in the year; 本年废止 = repealed in the year;
  现行有效 = issued by December 31 and not repealed by then. (2019 format: 本年新制作 = 本年新公开 =
  issued in the year; 对外公开总数量 = in force at December 31.)
* table 二 other blocks — the figures entered per unit and year (``ReportFigure``).
* tables 三 and 四 — ``applications.statistics`` (receipt-date and closing-day rules there).
* facts the narrative uses: published items counted once however many channels
  ("不同渠道和方式公开相同信息计1条"), per channel, per key area; late publications and replies;
  information-processing fees charged (信息处理费, Art. 42) from the applications' fee records.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, select, true

from ..applications import clock
from ..applications.models import Application, ApplicationEvent
from ..applications.statistics import (
    COLUMNS,
    FOUR_COLUMNS,
    empty_table_three,
    tables_four_by_unit,
    tables_three_by_unit,
)
from ..disclosure.models import CHANNELS, DONE_STATES, KeyArea, Task, TaskChannel
from ..extensions import db
from . import formats
from .formats import Format, key
from .models import NormativeDocument, ReportFigure

NORMATIVE_ROWS = ("rule", "normative")


@dataclass
class UnitFigures:
    """A unit's computed figures (``cells``) and the facts its narrative draft is written from."""

    cells: dict
    facts: dict = field(default_factory=dict)


def entered_keys(fmt: Format) -> list[str]:
    """The table 二 cells that are entered (or imported), not computed from the register."""
    return [k for k in formats.cell_keys(fmt) if k.startswith("two/") and formats.split(k)[1] not in NORMATIVE_ROWS]


def _normative_counts(year: int, unit_ids) -> dict:
    """{unit_id: {kind: {"issued", "repealed", "in_force"}}} at the end of ``year``."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    register = (select(Task.unit_id, func.coalesce(NormativeDocument.kind, "normative"), Task.published_on,
                       NormativeDocument.repealed_on)
                .outerjoin(NormativeDocument, NormativeDocument.task_id == Task.id)
                .where(Task.normative.is_(True), Task.state.in_(DONE_STATES), Task.published_on <= end,
                       Task.unit_id.in_(unit_ids)))
    entered = (select(NormativeDocument.unit_id, NormativeDocument.kind, NormativeDocument.issued_on,
                      NormativeDocument.repealed_on)
               .where(NormativeDocument.task_id.is_(None), NormativeDocument.issued_on <= end,
                      NormativeDocument.unit_id.in_(unit_ids)))
    counts = defaultdict(lambda: {k: {"issued": 0, "repealed": 0, "in_force": 0} for k in NORMATIVE_ROWS})
    for stmt in (register, entered):
        for unit_id, kind, issued, repealed in db.session.execute(stmt):
            c = counts[unit_id][kind if kind in NORMATIVE_ROWS else "normative"]
            c["issued"] += start <= issued <= end
            c["repealed"] += repealed is not None and start <= repealed <= end
            c["in_force"] += repealed is None or repealed > end
    return counts


def _entered(year: int, unit_ids) -> dict:
    rows = db.session.execute(select(ReportFigure.unit_id, ReportFigure.key, ReportFigure.value)
                              .where(ReportFigure.year == year, ReportFigure.unit_id.in_(unit_ids)))
    out = defaultdict(dict)
    for unit_id, cell_key, value in rows:
        out[unit_id][cell_key] = value
    return out


def _published(year: int, unit_ids) -> dict:
    """Items published in the year: once each, per channel, per key area, late / on time."""
    in_year = and_(Task.state.in_(DONE_STATES), Task.published_on >= date(year, 1, 1),
                   Task.published_on <= date(year, 12, 31), Task.unit_id.in_(unit_ids))
    facts = defaultdict(lambda: {"published": 0, "late": 0, "normative_published": 0,
                                 "by_channel": {c: 0 for c in CHANNELS}, "by_area": {}})
    for unit_id, total, late, normative in db.session.execute(
            select(Task.unit_id, func.count(Task.id),
                   func.coalesce(func.sum(case((Task.published_on > Task.due_date, 1), else_=0)), 0),
                   func.coalesce(func.sum(case((Task.normative.is_(True), 1), else_=0)), 0))
            .where(in_year).group_by(Task.unit_id)):
        facts[unit_id].update(published=total, late=int(late), normative_published=int(normative))
    for unit_id, channel, n in db.session.execute(
            select(Task.unit_id, TaskChannel.channel, func.count(func.distinct(Task.id)))
            .join(TaskChannel, TaskChannel.task_id == Task.id).where(in_year)
            .group_by(Task.unit_id, TaskChannel.channel)):
        facts[unit_id]["by_channel"][channel] = n
    for unit_id, area, n in db.session.execute(
            select(Task.unit_id, KeyArea.name, func.count(Task.id)).join(KeyArea, KeyArea.id == Task.key_area_id)
            .where(in_year).group_by(Task.unit_id, KeyArea.name)):
        facts[unit_id]["by_area"][area] = n
    return facts


def _fees_and_replies(year: int, unit_ids=None) -> tuple[dict, dict]:
    """Fees paid in the year ({unit: {"amount": 元, "count": n}}) and late replies closed in it."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    units = (Application.unit_id.in_(list(unit_ids)) | Application.unit_id.is_(None)) if unit_ids is not None \
        else true()
    fees = defaultdict(lambda: {"amount": 0, "count": 0})
    for unit_id, details in db.session.execute(
            select(Application.unit_id, ApplicationEvent.details).join(Application)
            .where(ApplicationEvent.kind == clock.FEE_PAID, ApplicationEvent.day >= start,
                   ApplicationEvent.day <= end, units)):
        fees[unit_id]["amount"] += int((details or {}).get("amount") or 0)
        fees[unit_id]["count"] += 1
    late = dict(db.session.execute(
        select(Application.unit_id, func.count(Application.id))
        .where(Application.closed_on >= start, Application.closed_on <= end, Application.reply_late.is_(True), units)
        .group_by(Application.unit_id)).all())
    return fees, late


def unit_figures(year: int, unit_ids: list[int], own_unrouted: int | None = None) -> dict[int, UnitFigures]:
    """The live figures of each unit in ``unit_ids`` for ``year``.

    ``own_unrouted``: the office's unit, whose figures also take in the applications not routed to
    any unit (the office handles those itself).
    """
    fmt = formats.format_for(year)
    unit_ids = list(unit_ids)
    few = unit_ids if len(unit_ids) <= 20 else None  # a few units: fetch theirs only; many: all at once
    threes, fours = tables_three_by_unit(year, few), tables_four_by_unit(year, few)
    normative, entered, published = _normative_counts(year, unit_ids), _entered(year, unit_ids), _published(year, unit_ids)
    fees, late_replies = _fees_and_replies(year, few)
    result = {}
    for unit_id in unit_ids:
        cells = formats.zero(fmt)
        _fill_two(fmt, cells, normative.get(unit_id), entered.get(unit_id, {}))
        three = threes.get(unit_id) or empty_table_three(year, unit_id)
        four = fours.get(unit_id)
        _fill_three(fmt, cells, three.as_dict())
        _fill_four(cells, four)
        facts = dict(published[unit_id])
        fee = dict(fees.get(unit_id, {"amount": 0, "count": 0}))
        late = late_replies.get(unit_id, 0)
        if own_unrouted is not None and unit_id == own_unrouted:
            if None in threes:
                _fill_three(fmt, cells, threes[None].as_dict())
            _fill_four(cells, fours.get(None))
            fee["amount"] += fees.get(None, {}).get("amount", 0)
            fee["count"] += fees.get(None, {}).get("count", 0)
            late += late_replies.get(None, 0)
        facts.update(fees=fee, late_replies=late)
        result[unit_id] = UnitFigures(cells, facts)
    return result


def statistics_cells(year: int, unit_id: int | None = None) -> dict:
    """The cells of tables 三 and 四 for one unit (or every unit), as the statistics page shows them."""
    from ..applications.statistics import table_four, table_three

    fmt = formats.format_for(year)
    cells = formats.zero(fmt)
    _fill_three(fmt, cells, table_three(year, unit_id).as_dict())
    _fill_four(cells, table_four(year, unit_id))
    return cells


def _fill_two(fmt: Format, cells: dict, normative: dict | None, entered: dict) -> None:
    for row in NORMATIVE_ROWS:
        c = (normative or {}).get(row, {"issued": 0, "repealed": 0, "in_force": 0})
        if fmt.key == "2021":
            cells[key("two", row, "issued")] = c["issued"]
            cells[key("two", row, "repealed")] = c["repealed"]
            cells[key("two", row, "in_force")] = c["in_force"]
        else:
            cells[key("two", row, "made")] = c["issued"]
            cells[key("two", row, "published")] = c["issued"]
            cells[key("two", row, "total")] = c["in_force"]
    for cell_key in entered_keys(fmt):
        if cell_key in entered:
            value = Decimal(entered[cell_key])
            cells[cell_key] = value.quantize(formats.MONEY_PLACES) if formats.is_money(cell_key) else int(value)


def _fill_three(fmt: Format, cells: dict, table: dict) -> None:
    """Add a table 三 (row key → 7 numbers) into the cells; the 2019 format folds （六）'s sub-rows."""
    for row, values in table.items():
        if values is None:
            continue
        if row.startswith("other.") and not fmt.other_has_subrows:
            row = "other"
        for col, v in zip(COLUMNS, values):
            cells[key("three", row, col)] += v


def _fill_four(cells: dict, table: dict | None) -> None:
    for group, values in (table or {}).items():
        for col, v in zip(FOUR_COLUMNS, values):
            cells[key("four", group, col)] += v
