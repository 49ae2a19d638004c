"""Column watch (栏目巡查), on the database side: the office registers each unit's disclosure
columns (form or XLSX import); the sweep reads them (``reading.read_column``) and ``apply`` stores
what it found: the latest item, blank and stale columns by their kind, the links checked and
broken (the unit's link error rate), and personal data on the list pages.

How old a column's latest item may be (全国政府网站普查 indicators, 国办发〔2017〕47号):
动态要闻 2 weeks; 通知公告 and 政策文件 6 months; 人事 and 规划计划 a year by default here (the
indicators say "应更新而未更新" without a number); or the number of days registered with it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from ..audit.services import record, snapshot
from ..errors import ServiceError, ValidationErrors
from ..extensions import db
from ..spreadsheets import read_rows
from ..units.models import Unit
from . import findings
from .models import COLUMN_KINDS, WebColumn, WebFinding
from .reading import ColumnReading, column_verdict
from .settings import address_problem

MAX_CUSTOM_DAYS = 3660
IMPORT_COLUMNS = {"单位编码": "unit_code", "栏目名称": "name", "栏目地址": "url", "栏目类型": "kind",
                  "更新时限（天）": "max_age_days", "更新时限(天)": "max_age_days"}


def months_back(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(d, day.day))
        except ValueError:
            continue
    return date(year, month, 28)  # pragma: no cover


def cutoff(kind: str, max_age_days: int | None, today: date) -> date:
    """The oldest latest-item date that still counts as updated on ``today``."""
    _, days, months = COLUMN_KINDS.get(kind, ("", 0, 6))
    if kind == "custom":
        return today - timedelta(days=max_age_days or 30)
    return today - timedelta(days=days) if days else months_back(today, months)


@dataclass
class ColumnData:
    unit_id: object
    name: str
    url: str
    kind: str
    max_age_days: object = None

    def validate(self) -> Unit:
        try:
            unit = db.session.get(Unit, int(self.unit_id))
        except (TypeError, ValueError):
            unit = None
        if unit is None or not unit.active or unit.kind == "office":
            raise ServiceError("请选择一个在用的被监督单位。", "unit_id")
        self.name = (self.name or "").strip()
        if not self.name or len(self.name) > 100:
            raise ServiceError("请填写栏目名称（不超过100个字符）。", "name")
        self.url = (self.url or "").strip()
        if len(self.url) > 500:
            raise ServiceError("栏目地址不能超过500个字符。", "url")
        problem = address_problem(self.url)
        if problem:
            raise ServiceError(f"栏目地址不能巡查：{problem}。", "url")
        if self.kind not in COLUMN_KINDS:
            raise ServiceError("请选择栏目类型。", "kind")
        if self.kind == "custom":
            try:
                self.max_age_days = int(str(self.max_age_days).strip())
            except (TypeError, ValueError):
                raise ServiceError("自定栏目请填写更新时限（天数，整数）。", "max_age_days") from None
            if not 1 <= self.max_age_days <= MAX_CUSTOM_DAYS:
                raise ServiceError(f"更新时限须为1至{MAX_CUSTOM_DAYS}天。", "max_age_days")
        else:
            self.max_age_days = None
        return unit


def _duplicate(unit_id: int, url: str, exclude: int | None = None) -> bool:
    stmt = select(WebColumn.id).where(WebColumn.unit_id == unit_id, WebColumn.url == url)
    if exclude:
        stmt = stmt.where(WebColumn.id != exclude)
    return db.session.scalar(stmt) is not None


def create_column(data: ColumnData, actor, now: datetime) -> WebColumn:
    """Register a column; the sweep reads it at its next run (never inside this request)."""
    _office(actor)
    unit = data.validate()
    if _duplicate(unit.id, data.url):
        raise ServiceError("该单位的这个栏目地址已经登记过。", "url")
    column = WebColumn(unit_id=unit.id, name=data.name, url=data.url, kind=data.kind, max_age_days=data.max_age_days,
                       active=True, created_by_id=actor.id, created_at=now, next_check_at=now, status="pending")
    db.session.add(column)
    db.session.flush()
    record("website.column_create", column, after=snapshot(column, WebColumn.AUDIT_FIELDS), actor=actor)
    return column


def update_column(column: WebColumn, data: ColumnData, actor, now: datetime) -> WebColumn:
    _office(actor)
    unit = data.validate()
    if _duplicate(unit.id, data.url, exclude=column.id):
        raise ServiceError("该单位的这个栏目地址已经登记过。", "url")
    before = snapshot(column, WebColumn.AUDIT_FIELDS)
    column.unit_id, column.name, column.url = unit.id, data.name, data.url
    column.kind, column.max_age_days = data.kind, data.max_age_days
    column.next_check_at = now   # read again with what changed
    record("website.column_update", column, before=before, after=snapshot(column, WebColumn.AUDIT_FIELDS),
           actor=actor)
    return column


def set_active(column: WebColumn, active: bool, actor, now: datetime) -> None:
    """停用 / 启用: a column taken off the site (or merged) is no longer read; its open findings close."""
    _office(actor)
    column.active = bool(active)
    column.next_check_at = now if active else None
    if not active:
        findings.gone(WebFinding.column_id == column.id, tuple(k for k in ("stale_column", "blank_column", "dead_link",
                                                                            "privacy_leak")),
                      set(), now, "栏目已停用")
    record("website.column_active", column, after={"active": column.active}, actor=actor)


def _office(actor) -> None:
    if actor is None or actor.role != "office":
        raise ServiceError("只有公开办可以登记网站栏目。")


def import_columns(filename: str, data: bytes, actor, now: datetime) -> tuple[int, int]:
    """Register or update columns from an XLSX (单位编码、栏目名称、栏目地址、栏目类型[、更新时限（天）]).
    A row is matched to a column by (unit, address). Every row is checked first; any error refuses
    the whole file, listing every problem. Returns (added, updated)."""
    _office(actor)
    rows = read_rows(filename, data, IMPORT_COLUMNS, ["单位编码", "栏目名称", "栏目地址", "栏目类型"], allow_csv=False)
    units = {u.code: u.id for u in db.session.scalars(select(Unit).where(Unit.active.is_(True),
                                                                        Unit.kind != "office"))}
    kinds = {label: k for k, (label, _, _) in COLUMN_KINDS.items()} | {k: k for k in COLUMN_KINDS}
    kinds |= {"通知公告类": "notice", "政策文件类": "policy", "动态要闻类": "news", "动态": "news", "要闻": "news"}
    errors, plans, seen = [], [], set()
    for number, row in rows:
        unit_id = units.get(row.get("unit_code", ""))
        kind = kinds.get(row.get("kind", ""))
        if kind is None and row.get("kind", "").isascii() and row.get("kind", "").isdigit():
            kind, row["max_age_days"] = "custom", row["kind"]
        data_row = ColumnData(unit_id, row.get("name", ""), row.get("url", ""), kind or "", row.get("max_age_days"))
        if unit_id is None:
            errors.append(f"第{number}行：单位编码“{row.get('unit_code', '')}”不存在。")
            continue
        try:
            data_row.validate()
        except ServiceError as exc:
            errors.append(f"第{number}行：{exc.message}")
            continue
        if (unit_id, data_row.url) in seen:
            errors.append(f"第{number}行：与前面的行重复（同一单位、同一地址）。")
            continue
        seen.add((unit_id, data_row.url))
        plans.append(data_row)
    if errors:
        raise ValidationErrors("导入失败，未保存任何栏目。请修改后重新导入：", errors)
    added = updated = 0
    existing = {(c.unit_id, c.url): c for c in db.session.scalars(select(WebColumn))}
    for plan in plans:
        column = existing.get((int(plan.unit_id), plan.url))
        if column is None:
            create_column(plan, actor, now)
            added += 1
        else:
            update_column(column, plan, actor, now)
            updated += 1
    return added, updated


# --- the sweep's side ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnJob:
    column_id: int
    unit_id: int
    name: str
    url: str
    kind: str
    max_age_days: int | None


def due_jobs(now: datetime, limit: int, exclude=()) -> list[ColumnJob]:
    stmt = (select(WebColumn.id, WebColumn.unit_id, WebColumn.name, WebColumn.url, WebColumn.kind,
                   WebColumn.max_age_days)
            .where(WebColumn.active.is_(True), WebColumn.next_check_at <= now)
            .order_by(WebColumn.next_check_at, WebColumn.id).limit(limit))
    if exclude:
        stmt = stmt.where(WebColumn.id.not_in(sorted(exclude)))
    return [ColumnJob(*row) for row in db.session.execute(stmt)]


def apply(job: ColumnJob, reading: ColumnReading, today: date, now: datetime, values: dict) -> str:
    """Store one reading of a column (see the module docstring); returns its status."""
    column = db.session.get(WebColumn, job.column_id)
    column.checked_at = now
    column.next_check_at = now + timedelta(hours=values["column_hours"])
    f = reading.fetched
    if f.problem():
        column.status = "refused" if f.error == "refused" else "unreachable"
        column.error = (f.problem() or "")[:500]
        if f.error != "refused":   # the column page itself is a dead link of the unit's site
            findings.seen("dead_link", job.unit_id, job.url, url=job.url, summary=f"栏目“{job.name}”无法打开：{f.problem()}",
                          now=now, column_id=job.column_id)
            column.links_checked, column.links_broken = 1, 1
        return column.status   # nothing else was read: the column's other findings stay as they were
    latest = reading.latest
    column.error = None
    column.items, column.pages_read = len(reading.items), reading.pages_read
    column.latest_date = latest.day if latest else None
    column.latest_title = latest.title[:300] if latest else None
    column.latest_url = latest.url[:500] if latest else None
    column.links_checked, column.links_broken = reading.links_checked, len(reading.broken)
    column.status = column_verdict(len(reading.items), column.latest_date, cutoff(job.kind, job.max_age_days, today))
    keep = set()
    key = f"column:{job.column_id}"
    if column.status == "blank":
        keep.add(findings.seen("blank_column", job.unit_id, key, url=job.url, column_id=job.column_id, now=now,
                               summary=f"栏目“{job.name}”未找到任何带日期的信息条目").id)
    elif column.status == "stale":
        limit = cutoff(job.kind, job.max_age_days, today)
        keep.add(findings.seen("stale_column", job.unit_id, key, url=job.url, column_id=job.column_id, now=now,
                               summary=f"栏目“{job.name}”（{column.kind_label}）最近一条信息发布于"
                                       f"{latest.day:%Y-%m-%d}，早于{limit:%Y-%m-%d}，未按时更新").id)
    for link in reading.broken:
        keep.add(findings.seen("dead_link", job.unit_id, link.url, url=link.url, found_on=job.url,
                               column_id=job.column_id, now=now,
                               summary=f"栏目“{job.name}”中的链接“{link.text[:60] or link.url}”无法打开："
                                       f"{link.problem}").id)
    for where, p in reading.personal:
        keep.add(findings.seen("privacy_leak", job.unit_id, f"{where}:{p.digest}", url=where, found_on=job.url,
                               column_id=job.column_id, excerpt=p.context, digest=p.digest, now=now,
                               summary=f"栏目“{job.name}”列表页中有未脱敏的{p.kind_label} {p.masked}").id)
    db.session.flush()
    findings.gone(WebFinding.column_id == job.column_id, ("stale_column", "blank_column", "dead_link", "privacy_leak"),
                  keep, now, "复查时未再发现")
    return column.status


def link_error_rates(unit_ids=None) -> dict[int, tuple[int, int]]:
    """{unit_id: (links checked, links broken)} over the units' active columns' last readings."""
    stmt = (select(WebColumn.unit_id, func.sum(WebColumn.links_checked), func.sum(WebColumn.links_broken))
            .where(WebColumn.active.is_(True), WebColumn.checked_at.is_not(None)).group_by(WebColumn.unit_id))
    if unit_ids is not None:
        stmt = stmt.where(WebColumn.unit_id.in_(list(unit_ids) or [-1]))
    return {unit_id: (int(checked or 0), int(broken or 0)) for unit_id, checked, broken in db.session.execute(stmt)}


def rate_text(checked: int, broken: int) -> str:
    return "—" if not checked else f"{broken / checked * 100:.1f}%"
