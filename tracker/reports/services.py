"""Annual reports: what a report says (live or frozen), the city report, drift, due dates, and the
table 二 figures entered per unit and year or imported from Excel.

Rules (《政府信息公开条例》 Art. 49–50; annual-report-format.md):
* units hand their report to the office by the internal due date the office sets, and publish by
  January 31; the city's report (the sum of its units' accepted reports plus the office's own
  figures and narrative) is published by March 31. Without an internal due date, January 31 is it.
* a report handed in is frozen: its figures are the snapshot taken then; the page shows where
  the live figures have drifted from it since.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload, lazyload, load_only, selectinload

from ..audit.services import record
from ..errors import ServiceError, ValidationErrors
from ..extensions import db
from ..timeutil import china_today, utcnow
from ..units.models import Unit
from . import consistency, figures, formats, narrative
from .models import HANDED_IN_STATES, AnnualReport, ReportFigure, ReportSubmission, ReportYear

MAX_TEXT = 20000
MAX_FIGURE = Decimal("999999999")


def report_season_year(today: date | None = None) -> int:
    """The year whose report is being prepared: last year's until the end of April, then this year's."""
    today = today or china_today()
    return today.year - 1 if today.month <= 4 else today.year


def check_year(year: int) -> int:
    try:
        formats.format_for(year)
    except ValueError as exc:
        raise ServiceError(str(exc), "year") from None
    if year > china_today().year:
        raise ServiceError(f"{year}年尚未开始，不能生成该年度的报告。", "year")
    return year


def reporting_units() -> list[Unit]:
    """The units that report: every active town and department (the office's figures are the city's)."""
    return db.session.scalars(select(Unit).where(Unit.active.is_(True), Unit.kind != "office")
                              .order_by(Unit.kind.desc(), Unit.code)).all()


def office_unit() -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.kind == "office").order_by(Unit.id))


# --- due dates -------------------------------------------------------------------------------------

def statutory_unit_deadline(year: int) -> date:
    """Art. 49: units publish their report on ``year`` by January 31 of the next year."""
    return date(year + 1, 1, 31)


def statutory_city_deadline(year: int) -> date:
    """Art. 49: the city's report by March 31 of the next year."""
    return date(year + 1, 3, 31)


def due_date(year: int) -> date:
    """The internal due date the office set for ``year``, else January 31 of the next year."""
    row = db.session.get(ReportYear, year)
    return row.due_date if row and row.due_date else statutory_unit_deadline(year)


def set_due_date(year: int, due: date | None, actor) -> None:
    """The office sets the internal due date (内部报送期限); audited."""
    check_year(year)
    if due is None:
        raise ServiceError("请填写报送期限。", "due_date")
    if not date(year + 1, 1, 1) <= due <= statutory_unit_deadline(year):
        raise ServiceError(f"报送期限应在{year + 1}年1月1日至1月31日之间（单位须在1月31日前公开年度报告）。", "due_date")
    row = db.session.get(ReportYear, year)
    before = row.due_date if row else None
    if row is None:
        row = ReportYear(year=year)
        db.session.add(row)
    row.due_date, row.updated_by_id, row.updated_at = due, actor.id, utcnow()
    record("report.due_date", object_type="report_year", object_id=year, object_label=f"{year}年度报告报送期限",
           before={"due_date": before}, after={"due_date": due}, actor=actor)


# --- snapshots ----------------------------------------------------------------------------------------

def dump_cells(cells: dict) -> dict:
    return {k: (formats.format_value(k, v) if formats.is_money(k) else int(v)) for k, v in cells.items()}


def load_cells(data: dict) -> dict:
    return {k: (Decimal(v) if formats.is_money(k) else int(v)) for k, v in (data or {}).items()}


def parse_value(cell_key: str, text) -> Decimal | int:
    """A figure typed by a person: whole number (money: up to four decimals), or a Chinese error."""
    text = str(text if text is not None else "").strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ServiceError(f"“{text}”不是数字。", "value") from None
    if not value.is_finite() or abs(value) > MAX_FIGURE:
        raise ServiceError(f"“{text}”超出合理范围。", "value")
    if formats.is_money(cell_key):
        if value < 0 or value != value.quantize(formats.MONEY_PLACES):
            raise ServiceError("金额以万元为单位，不能为负数，最多保留四位小数。", "value")
        return value.quantize(formats.MONEY_PLACES)
    if value != value.to_integral_value():
        raise ServiceError("件数须为整数。", "value")
    if value < 0 and not formats.may_be_negative(cell_key):
        raise ServiceError("件数不能为负数。", "value")
    return int(value)


# --- what a report says ---------------------------------------------------------------------------

@dataclass
class Content:
    """A report as shown and exported: its figures after the unit's corrections, the narrative,
    the consistency problems and, once frozen, the drift of the live figures from the snapshot."""

    year: int
    fmt: formats.Format
    organ: str
    report: AnnualReport | None
    computed: dict                    # figures from the records (frozen ones once handed in)
    cells: dict                       # what the report states: computed, with the overrides applied
    overrides: dict
    facts: dict
    narrative: dict                   # overview / problems / other_matters
    frozen: bool = False
    drift: list = field(default_factory=list)   # (cell key, label, frozen, live)
    problems: list = field(default_factory=list)
    included: list = field(default_factory=list)  # city: the unit reports summed
    office: Unit | None = None                    # city: the office unit, whose own figures count

    @property
    def title(self) -> str:
        return formats.title(self.organ, self.year)

    @property
    def consistent(self) -> bool:
        return not self.problems

    def problems_by_cell(self) -> dict:
        out = {}
        for p in self.problems:
            out.setdefault(p.cell, []).append(p)
        return out


def find_report(year: int, unit_id: int | None, with_submissions: bool = True) -> AnnualReport | None:
    """The report of ``year`` for a unit (None: the city's), in one query: its submissions joined in
    (or left unloaded when only the report itself is read, e.g. last year's text)."""
    slot = f"unit:{unit_id}" if unit_id else "city"
    load = joinedload(AnnualReport.submissions) if with_submissions else lazyload(AnnualReport.submissions)
    return db.session.scalars(select(AnnualReport).options(load)
                              .where(AnnualReport.year == year, AnnualReport.slot == slot)).unique().first()


def apply_overrides(computed: dict, overrides: dict) -> dict:
    cells = dict(computed)
    for k, o in (overrides or {}).items():
        if k in cells:
            cells[k] = Decimal(o["value"]) if formats.is_money(k) else int(o["value"])
    return cells


def drift_between(fmt, frozen: dict, live: dict) -> list:
    return [(k, formats.cell_label(fmt, k), frozen.get(k, 0), live.get(k, 0))
            for k in formats.cell_keys(fmt) if frozen.get(k, 0) != live.get(k, 0)]


def _narrative_of(report: AnnualReport | None) -> dict:
    return {k: (getattr(report, k) or "") if report else "" for k in narrative.NARRATIVE}


def unit_content(year: int, unit: Unit, report: AnnualReport | None = None, live=None) -> Content:
    """A unit's report: live figures until it is handed in, then the frozen snapshot (and its drift)."""
    fmt = formats.format_for(year)
    report = report if report is not None else find_report(year, unit.id)
    if live is None:
        own = unit.id if unit.kind == "office" else None
        live = figures.unit_figures(year, [unit.id], own_unrouted=own)[unit.id]
    submission = report.last_submission if report is not None and report.frozen else None
    if submission is not None and submission.snapshot:
        snap = submission.snapshot
        computed = load_cells(snap["computed"])
        content = Content(year, fmt, unit.name, report, computed, load_cells(snap["cells"]), snap.get("overrides", {}),
                          snap.get("facts", {}), snap.get("narrative", {}), frozen=True)
        content.drift = drift_between(fmt, computed, live.cells)
    else:
        overrides = report.overrides if report else {}
        content = Content(year, fmt, unit.name, report, live.cells, apply_overrides(live.cells, overrides),
                          overrides or {}, live.facts, _narrative_of(report))
    content.problems = consistency.check(fmt, content.cells)
    return content


def snapshot_of(content: Content) -> dict:
    return {"format": content.fmt.key, "organ": content.organ, "title": content.title,
            "computed": dump_cells(content.computed), "cells": dump_cells(content.cells),
            "overrides": content.overrides, "facts": content.facts, "narrative": content.narrative,
            "taken_at": utcnow().isoformat()}


# --- the city ------------------------------------------------------------------------------------------

def _accepted(year: int):
    return (AnnualReport.year == year, AnnualReport.scope == "unit", AnnualReport.state == "accepted",
            ReportSubmission.decision == "accepted")


def accepted_submissions(year: int) -> list[ReportSubmission]:
    """The accepted unit reports of ``year`` (their frozen snapshots), one query."""
    return db.session.scalars(
        select(ReportSubmission).join(AnnualReport, AnnualReport.id == ReportSubmission.report_id)
        .where(*_accepted(year)).order_by(ReportSubmission.unit_id)).all()


def _no_facts() -> dict:
    return {"units": 0, "published": 0, "late": 0, "late_replies": 0, "fees": {"amount": 0, "count": 0},
            "by_channel": {}, "by_area": {}}


def count_accepted(submission: ReportSubmission) -> None:
    """Add an accepted unit report to its year's sums (``ReportYear.accepted_*``), in the same
    transaction as the acceptance. Accepted is final, so the sums only grow; the year's row is
    locked (created first if need be) so that two acceptances at once both count."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(ReportYear).values(year=submission.year, updated_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["year"]))
    row = db.session.scalars(select(ReportYear).where(ReportYear.year == submission.year).with_for_update()
                             .execution_options(populate_existing=True)).one()
    snap = submission.snapshot or {}
    cells = formats.add(load_cells(row.accepted_cells), load_cells(snap.get("cells")))
    facts = _no_facts()
    _add_facts(facts, row.accepted_facts or {})
    _add_facts(facts, snap.get("facts") or {})
    row.accepted_cells, row.accepted_facts = dump_cells(cells), facts
    row.accepted_units = sorted(set(row.accepted_units or []) | {submission.unit_id})


def city_content(year: int, report: AnnualReport | None = None) -> Content:
    """The city report: the sum of the accepted unit reports plus the office's own figures
    (its own records and entered figures, and applications not routed to any unit), with the
    office's narrative. Once finalised (定稿) its figures are the snapshot taken then."""
    fmt = formats.format_for(year)
    report = report if report is not None else find_report(year, None)
    office = office_unit()
    organ = office_organ(office)
    own = figures.unit_figures(year, [office.id], own_unrouted=office.id)[office.id] if office else None
    total, facts = formats.zero(fmt), _no_facts()
    accepted = db.session.get(ReportYear, year)  # the accepted unit reports, summed as each came in
    included = list(accepted.accepted_units or []) if accepted is not None else []
    if included:
        formats.add(total, load_cells(accepted.accepted_cells))
        _add_facts(facts, accepted.accepted_facts or {})
    facts["units"] = len(included)
    if own is not None:
        formats.add(total, load_cells(dump_cells(own.cells)))
        _add_facts(facts, own.facts)
        included.append(office.id)
    if report is not None and report.state == "final" and report.snapshot:
        frozen = load_cells(report.snapshot["cells"])
        content = Content(year, fmt, organ, report, frozen, frozen, {}, report.snapshot.get("facts", {}),
                          report.snapshot.get("narrative", {}), frozen=True,
                          included=report.snapshot.get("included", []))
        content.drift = drift_between(fmt, frozen, total)
    else:
        content = Content(year, fmt, organ, report, total, total, {}, facts, _narrative_of(report),
                          included=included)
    content.problems = consistency.check(fmt, content.cells)
    content.office = office
    return content


def office_organ(office: Unit | None) -> str:
    """The city government's name for the city report's title (the office unit's name without
    the office's own bracket, e.g. 东宁市人民政府办公室（政务公开办） → 东宁市人民政府)."""
    if office is None:
        return "全市"
    name = office.name.split("（")[0]
    return name[:-3] if name.endswith("办公室") else name


def _add_facts(total: dict, facts: dict) -> None:
    for k in ("published", "late", "late_replies"):
        total[k] += int(facts.get(k, 0) or 0)
    for k in ("amount", "count"):
        total["fees"][k] += int((facts.get("fees") or {}).get(k, 0) or 0)
    for bucket in ("by_channel", "by_area"):
        for name, n in (facts.get(bucket) or {}).items():
            total[bucket][name] = total[bucket].get(name, 0) + n


@dataclass
class UnitStatus:
    unit: Unit
    report: AnnualReport | None
    submission: ReportSubmission | None
    drifted: bool = False

    @property
    def handed_in(self) -> bool:
        return self.report is not None and self.report.state in HANDED_IN_STATES

    @property
    def state_label(self) -> str:
        return self.report.state_label if self.report else "未开始"


def unit_statuses(year: int, with_drift: bool = True) -> list[UnitStatus]:
    """Every reporting unit's report for ``year``: state, last submission and whether its live
    figures have drifted from what it handed in (bounded queries: all units' figures at once)."""
    # One query for the units and their reports' states (not their texts); the submissions' facts,
    # and their snapshots only for the drift.
    submissions = selectinload(AnnualReport.submissions).options(
        lazyload(ReportSubmission.submitted_by), lazyload(ReportSubmission.decided_by))
    rows = db.session.execute(
        select(Unit, AnnualReport).outerjoin(AnnualReport, (AnnualReport.unit_id == Unit.id) & (
            AnnualReport.year == year) & (AnnualReport.scope == "unit"))
        .options(load_only(AnnualReport.id, AnnualReport.year, AnnualReport.scope, AnnualReport.unit_id,
                           AnnualReport.state), lazyload(AnnualReport.unit),
                 submissions if with_drift else submissions.options(defer(ReportSubmission.snapshot)))
        .where(Unit.active.is_(True), Unit.kind != "office").order_by(Unit.kind.desc(), Unit.code)).all()
    units, reports = [unit for unit, _ in rows], {unit.id: report for unit, report in rows if report is not None}
    live = figures.unit_figures(year, [u.id for u in units]) if with_drift and reports else {}
    out = []
    for unit in units:
        report = reports.get(unit.id)
        submission = report.last_submission if report else None
        status = UnitStatus(unit, report, submission)
        if with_drift and report is not None and report.frozen and submission and submission.snapshot:
            status.drifted = load_cells(submission.snapshot["computed"]) != live[unit.id].cells
        out.append(status)
    return out


# --- table 二 figures from other systems ------------------------------------------------------------

def entered_fields(fmt: formats.Format) -> list[tuple[str, str]]:
    """(cell key, header) of the figures a unit enters: 行政许可, 行政处罚, 行政强制, 行政事业性收费（万元）…"""
    out = []
    for b in fmt.blocks:
        for r, row_label in b.rows:
            for c, col_label in b.columns:
                k = formats.key("two", r, c)
                if k not in figures.entered_keys(fmt):
                    continue
                header = row_label if len(b.columns) == 1 else f"{row_label}·{col_label}"
                if formats.is_money(k):
                    header = f"{row_label}（万元）" if len(b.columns) == 1 else f"{row_label}·{col_label}（万元）"
                out.append((k, header))
    return out


def entered_values(unit_id: int, year: int) -> dict:
    return {f.key: f.value for f in db.session.scalars(
        select(ReportFigure).where(ReportFigure.unit_id == unit_id, ReportFigure.year == year))}


def _validated(fmt, values: dict) -> dict:
    """{cell key: value or None (blank)} from typed text; raises on the first bad one."""
    clean = {}
    for k, header in entered_fields(fmt):
        text = str(values.get(k) or "").strip()
        if not text:
            clean[k] = None
            continue
        try:
            clean[k] = parse_value(k, text)
        except ServiceError as exc:
            raise ServiceError(f"{header}：{exc.message}", k) from None
    return clean


def save_figures(unit: Unit, year: int, values: dict, actor, source: str = "form") -> int:
    """Store the entered figures of one unit and year (blank removes one); audited. Returns changes."""
    check_year(year)
    fmt = formats.format_for(year)
    clean = _validated(fmt, values)
    return _store(unit, year, clean, actor, source)


def _store(unit: Unit, year: int, clean: dict, actor, source: str) -> int:
    existing = {f.key: f for f in db.session.scalars(
        select(ReportFigure).where(ReportFigure.unit_id == unit.id, ReportFigure.year == year))}
    before, after = {}, {}
    for k, value in clean.items():
        row = existing.get(k)
        old = row.value if row else None
        if (old is None and value is None) or (old is not None and value is not None and Decimal(old) == Decimal(value)):
            continue
        before[k], after[k] = old, value
        if value is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(ReportFigure(unit_id=unit.id, year=year, key=k, value=Decimal(value), source=source,
                                        updated_by_id=actor.id if actor else None))
        else:
            row.value, row.source, row.updated_at = Decimal(value), source, utcnow()
            row.updated_by_id = actor.id if actor else None
    if after:
        record("report.figures", object_type="unit", object_id=unit.id, object_label=f"{unit.name}{year}年度表二数据",
               before=before, after=after, actor=actor, note="导入" if source == "import" else None)
    db.session.flush()
    return len(after)


def import_columns(fmt) -> dict:
    return {"单位编码": "code", "单位名称": "name", **{header: k for k, header in entered_fields(fmt)}}


def import_figures(year: int, filename: str, data: bytes, actor) -> int:
    """Import table 二 figures for many units from Excel (单位编码 plus one column per figure).
    Every row is checked first; if any is wrong, the bad rows are listed and nothing is imported.
    A blank cell leaves that figure as it is. Returns the number of units changed."""
    from ..spreadsheets import read_rows

    check_year(year)
    fmt = formats.format_for(year)
    columns = import_columns(fmt)
    rows = read_rows(filename, data, columns, ["单位编码"], hint="（第1行应为：" + "、".join(columns) + "）")
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    errors, plans, seen = [], [], {}
    for number, cells in rows:
        unit = units.get(cells.get("code", ""))
        if unit is None:
            errors.append(f"第{number}行：单位编码“{cells.get('code', '')}”不存在。")
            continue
        if unit.code in seen:
            errors.append(f"第{number}行：单位“{unit.name}”与第{seen[unit.code]}行重复。")
            continue
        seen[unit.code] = number
        wanted = {k: cells[k] for k in columns.values() if k not in ("code", "name") and cells.get(k)}
        try:
            clean = {k: v for k, v in _validated(fmt, wanted).items() if v is not None}
        except ServiceError as exc:
            errors.append(f"第{number}行（{unit.name}）：{exc.message}")
            continue
        plans.append((unit, clean))
    if errors:
        raise ValidationErrors(f"有{len(errors)}行数据有误，未导入任何数据。请修改后重新上传。", errors)
    return sum(1 for unit, clean in plans if _store(unit, year, clean, actor, "import"))


def import_template(year: int) -> bytes:
    from ..spreadsheets import workbook

    fmt = formats.format_for(year)
    headers = list(import_columns(fmt))
    rows = [[u.code, u.name] + [""] * (len(headers) - 2) for u in reporting_units()]
    return workbook(f"{year}年度表二数据", headers, rows)
