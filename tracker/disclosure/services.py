"""Rules of proactive disclosure (主动公开, domain.md §2 and §4).

The catalogue, task deadlines (Art. 26: 20 working days from the day the information formed,
through the calendar service), opening tasks, the lists and figures. The parts it composes are
re-exported here: the task state machine (先审查、后公开) from ``workflow.py``; the periods of
periodic duties and the clauses from ``rules.py`` (with ``OPEN_STATES`` and ``DONE_STATES``, the
one definition of open, overdue, late and on time); the supervision figures from ``supervision.py``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload

from ..access import scope
from ..audit.services import changes, record, snapshot
from ..errors import ServiceError
from ..extensions import db
from ..timeutil import utcnow
from ..units.models import Unit
from ..workcal.services import add_workdays, register_deadline_source, set_deadline
from .models import (
    CADENCES,
    CHANNELS,
    DEFAULT_KEY_AREAS,
    DONE_STATES,
    FREQUENCIES,
    OPEN_STATES,
    STATES,
    Duty,
    KeyArea,
    Task,
    TaskChannel,
)
from .reminders import task_opened
from .rules import (  # noqa: F401  (the pure rules and the clauses, re-exported for views and other features)
    PERIOD_MONTHS,
    URL_RE,
    due_periods,
    due_soon_clause,
    late_clause,
    on_time_clause,
    overdue_clause,
    period_label,
    period_of,
    periodic_title,
    verification_failed_clause,
)
from .workflow import (  # noqa: F401  (the state machine, re-exported for views and other features)
    ATTACH_STATES,
    ROLE_NAMES,
    Draft,
    PublicationRecord,
    _event,
    acknowledge,
    allowed_actions,
    approve,
    cancel,
    draft_files,
    fail_verification,
    publish,
    publishable_states,
    return_task,
    submit_draft,
    timeline,
    verify,
)

DEFAULT_PERIOD_DAYS = 20  # Art. 26
DUE_SOON_WORKDAYS = 5
# How far into a period (in days) the information may form, per frequency.
MAX_OFFSET = {"monthly": 27, "quarterly": 89, "halfyearly": 180, "yearly": 364}
EARLIEST_START = date(2000, 1, 1)  # the earliest start date of a catalogue item

# --- key areas (重点领域) ---------------------------------------------------------------------------


def ensure_key_areas() -> None:
    """Seed the key areas of domain.md §2 when the list is empty (fresh install, emptied test DB)."""
    if db.session.scalar(select(func.count(KeyArea.id))):
        return
    for i, name in enumerate(DEFAULT_KEY_AREAS):
        db.session.add(KeyArea(name=name, sort_order=i * 10, active=True))
    db.session.flush()


def key_areas(active_only: bool = True) -> list[KeyArea]:
    ensure_key_areas()
    stmt = select(KeyArea).order_by(KeyArea.sort_order, KeyArea.id)
    if active_only:
        stmt = stmt.where(KeyArea.active.is_(True))
    return db.session.scalars(stmt).all()


def add_key_area(name: str) -> KeyArea:
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写重点领域名称。", "name")
    if len(name) > 60:
        raise ServiceError("重点领域名称不能超过60个字符。", "name")
    if db.session.scalar(select(KeyArea.id).where(KeyArea.name == name)):
        raise ServiceError(f"重点领域“{name}”已存在。", "name")
    top = db.session.scalar(select(func.max(KeyArea.sort_order))) or 0
    area = KeyArea(name=name, sort_order=top + 10, active=True)
    db.session.add(area)
    db.session.flush()
    record("disclosure.key_area_create", area, after={"name": name})
    return area


def set_key_area_active(area: KeyArea, active: bool) -> None:
    if area.active == active:
        return
    area.active = active
    record("disclosure.key_area_update", area, before={"active": not active}, after={"active": active})


# --- catalogue (公开目录) ---------------------------------------------------------------------------


@dataclass
class DutyData:
    """What the office types for a catalogue item; ``validate`` gives Chinese errors."""

    title: str
    key_area_id: int | None
    cadence: str
    frequency: str | None = None
    formation_offset_days: int = 0
    period_days: int = DEFAULT_PERIOD_DAYS
    channels: list[str] = field(default_factory=lambda: ["website"])
    review_required: bool = True
    start_date: date | None = None
    note: str | None = None

    def validate(self) -> None:
        self.title = (self.title or "").strip()
        if not self.title:
            raise ServiceError("请填写公开事项名称。", "title")
        if len(self.title) > 200:
            raise ServiceError("公开事项名称不能超过200个字符。", "title")
        if self.key_area_id is None or db.session.get(KeyArea, self.key_area_id) is None:
            raise ServiceError("请选择重点领域。", "key_area_id")
        if self.cadence not in CADENCES:
            raise ServiceError("请选择公开类型（常规性、临时性或固定性）。", "cadence")
        if self.cadence == "adhoc":
            self.frequency, self.formation_offset_days = None, 0
        elif self.frequency not in FREQUENCIES:
            raise ServiceError("常规性和固定性事项须选择周期（每月、每季度、每半年或每年）。", "frequency")
        elif not 0 <= (self.formation_offset_days or 0) <= MAX_OFFSET[self.frequency]:
            raise ServiceError(f"信息形成日须在周期首日后0至{MAX_OFFSET[self.frequency]}天之间。",
                               "formation_offset_days")
        if not 1 <= (self.period_days or 0) <= 120:
            raise ServiceError("公开时限须为1至120个工作日（条例第二十六条：一般为20个工作日）。", "period_days")
        if self.start_date is not None and self.start_date < EARLIEST_START:
            # Periods are caught up from the start date: a date centuries back would break the sweep.
            raise ServiceError(f"起始日期不能早于{EARLIEST_START:%Y-%m-%d}。", "start_date")
        self.channels = sorted(set(self.channels or []), key=list(CHANNELS).index) if set(
            self.channels or []) <= set(CHANNELS) else None
        if not self.channels:
            raise ServiceError("请至少选择一个公开渠道。", "channels")
        self.note = (self.note or "").strip() or None


def _apply_duty_data(duty: Duty, data: DutyData, today: date) -> None:
    duty.title, duty.key_area_id, duty.cadence = data.title, data.key_area_id, data.cadence
    duty.frequency, duty.formation_offset_days = data.frequency, data.formation_offset_days or 0
    duty.period_days, duty.channels = data.period_days, list(data.channels)
    duty.review_required, duty.note = bool(data.review_required), data.note
    duty.start_date = data.start_date or duty.start_date or today


def create_duty(unit: Unit, data: DutyData, today: date) -> Duty:
    """Add an item to a unit's catalogue (office only; views check the role)."""
    if unit is None or not unit.active or unit.kind == "office":
        raise ServiceError("请选择一个在用的被监督单位。", "unit_id")
    data.validate()
    duty = Duty(unit_id=unit.id, active=True)
    _apply_duty_data(duty, data, today)
    db.session.add(duty)
    db.session.flush()
    record("disclosure.duty_create", duty, after=snapshot(duty, Duty.AUDIT_FIELDS))
    return duty


def update_duty(duty: Duty, data: DutyData, today: date) -> None:
    data.validate()
    before = snapshot(duty, Duty.AUDIT_FIELDS)
    _apply_duty_data(duty, data, today)
    db.session.flush()
    b, a = changes(before, snapshot(duty, Duty.AUDIT_FIELDS))
    if a:
        record("disclosure.duty_update", duty, before=b, after=a)


def set_duty_active(duty: Duty, active: bool) -> None:
    if duty.active == active:
        return
    duty.active = active
    record("disclosure.duty_update", duty, before={"active": not active}, after={"active": active})


def apply_template(source_unit_id: int, target_unit_ids: list[int], today: date) -> int:
    """Copy a unit's active catalogue (the template) to other units; items whose title the target
    already has are skipped, so applying twice adds nothing. Returns the number of items added."""
    source = db.session.scalars(select(Duty).where(Duty.unit_id == source_unit_id, Duty.active.is_(True))
                                .order_by(Duty.id)).all()
    if not source:
        raise ServiceError("模板单位的公开目录为空，请选择已有公开事项的单位作为模板。", "source_unit_id")
    targets = db.session.scalars(select(Unit).where(Unit.id.in_(target_unit_ids or [-1]),
                                                    Unit.id != source_unit_id, Unit.active.is_(True),
                                                    Unit.kind != "office")).all()
    if not targets:
        raise ServiceError("请至少选择一个目标单位（不能是模板单位本身）。", "target_unit_ids")
    have = set(db.session.execute(select(Duty.unit_id, Duty.title)
                                  .where(Duty.unit_id.in_([u.id for u in targets]))).all())
    added = 0
    for unit in targets:
        for item in source:
            if (unit.id, item.title) in have:
                continue
            data = DutyData(item.title, item.key_area_id, item.cadence, item.frequency,
                            item.formation_offset_days, item.period_days, list(item.channels or []),
                            item.review_required, max(item.start_date, today), item.note)
            create_duty(unit, data, today)
            added += 1
    return added


def import_catalogue(rows: list[dict], today: date) -> int:
    """Create or update catalogue items from parsed spreadsheet rows (see exports.read_catalogue).

    A row is matched to an existing item by (unit, title). All rows are checked first; any error
    rejects the whole file (nothing is saved) with every problem listed.
    """
    from ..errors import ValidationErrors

    units = {u.code: u for u in db.session.scalars(select(Unit))}
    areas = {a.name: a for a in key_areas(active_only=False)}
    cadence_by_label = {v.split("（")[0]: k for k, v in CADENCES.items()} | {k: k for k in CADENCES}
    freq_by_label = {v: k for k, v in FREQUENCIES.items()} | {k: k for k in FREQUENCIES}
    channel_by_label = {v: k for k, v in CHANNELS.items()} | {k: k for k in CHANNELS}
    errors, plans = [], []
    for row in rows:
        n = row["row"]
        unit = units.get(str(row.get("unit_code") or "").strip())
        if unit is None or unit.kind == "office":
            errors.append(f"第{n}行：单位编码“{row.get('unit_code') or ''}”不存在。")
            continue
        area = areas.get(str(row.get("key_area") or "").strip())
        if area is None:
            errors.append(f"第{n}行：重点领域“{row.get('key_area') or ''}”不在重点领域列表中。")
            continue
        channels = [channel_by_label.get(c.strip()) for c in re.split(r"[、,，;；]", str(row.get("channels") or ""))
                    if c.strip()]
        if None in channels:
            errors.append(f"第{n}行：公开渠道只能是{'、'.join(CHANNELS.values())}。")
            continue
        try:
            period_days = int(row.get("period_days") or DEFAULT_PERIOD_DAYS)
            offset = int(row.get("formation_offset_days") or 0)
        except (TypeError, ValueError):
            errors.append(f"第{n}行：公开时限和信息形成日须为整数。")
            continue
        review = str(row.get("review_required") or "是").strip() not in ("否", "N", "n", "0", "false")
        data = DutyData(str(row.get("title") or ""), area.id,
                        cadence_by_label.get(str(row.get("cadence") or "").strip(), ""),
                        freq_by_label.get(str(row.get("frequency") or "").strip()), offset, period_days,
                        channels, review, None, row.get("note"))
        try:
            data.validate()
        except ServiceError as exc:
            errors.append(f"第{n}行：{exc.message}")
            continue
        plans.append((unit, data))
    if errors:
        raise ValidationErrors("导入文件有错误，未导入任何内容。", errors)
    if not plans:
        raise ServiceError("导入文件中没有公开事项。")
    existing = {(d.unit_id, d.title): d for d in db.session.scalars(
        select(Duty).where(Duty.unit_id.in_({u.id for u, _ in plans})))}
    for unit, data in plans:
        duty = existing.get((unit.id, data.title))
        if duty is None:
            existing[(unit.id, data.title)] = create_duty(unit, data, today)
        else:
            update_duty(duty, data, today)
    return len(plans)


def catalogue_query(user, unit_id: int | None = None, key_area_id: int | None = None, q: str = ""):
    """Catalogue items visible to ``user``, filtered; used by the page and its export."""
    stmt = scope(select(Duty), Duty, user).join(Unit, Duty.unit_id == Unit.id)
    if unit_id:
        stmt = stmt.where(Duty.unit_id == unit_id)
    if key_area_id:
        stmt = stmt.where(Duty.key_area_id == key_area_id)
    if q:
        stmt = stmt.where(Duty.title.ilike(f"%{q}%"))
    return stmt.order_by(Unit.kind.desc(), Unit.code, Duty.active.desc(), Duty.id)


# --- deadlines ------------------------------------------------------------------------------------


def deadline_for(formed: date, period_days: int):
    """R1 (Art. 26): due on the ``period_days``-th working day after the information formed."""
    return add_workdays(formed, period_days)


def recompute_open_deadlines(reason: str) -> int:
    """Deadline source for the calendar: recompute every open task's deadline (history kept by
    set_deadline); returns how many moved. Published, verified and cancelled tasks keep theirs."""
    moved = 0
    for task in db.session.scalars(select(Task).where(Task.state.in_(OPEN_STATES)).order_by(Task.id)):
        moved += set_deadline(task, deadline_for(task.formed_date, task.period_days), reason)
    return moved


register_deadline_source(recompute_open_deadlines)


def due_soon_cutoff(today: date) -> date:
    """The last day that counts as "due soon": 5 working days from today (computed once per request)."""
    return add_workdays(today, DUE_SOON_WORKDAYS).day


# --- opening tasks --------------------------------------------------------------------------------


def open_adhoc_task(duty: Duty, formed: date, actor, today: date, title: str = "", note: str = "") -> Task:
    """A contact or the office opens a task because information formed (临时性工作随时公开).

    Due ``duty.period_days`` working days after the formation date. A contact opening a task for
    their own unit has thereby acknowledged it.
    """
    if actor.role not in ("contact", "office"):
        raise ServiceError("只有联络员或公开办可以登记新形成的信息。")
    if not actor.sees_all_units and actor.unit_id != duty.unit_id:
        raise ServiceError("不能为其他单位登记公开任务。")
    if not duty.active:
        raise ServiceError("该公开事项已停用。", "duty_id")
    if formed > today:
        raise ServiceError("信息形成日期不能晚于今天。", "formed_date")
    if formed < today - timedelta(days=366):
        raise ServiceError("信息形成日期不能早于一年前。", "formed_date")
    title = (title or "").strip() or f"{duty.title}（{formed:%Y-%m-%d}形成）"
    if len(title) > 300:
        raise ServiceError("任务名称不能超过300个字符。", "title")
    task = create_task(duty, formed, title, note, actor)
    if actor.role == "contact":
        acknowledge(task, actor)
    return task


def create_task(duty: Duty, formed: date, title: str, note: str | None, actor) -> Task:
    """A new task of ``duty`` (待签收), due ``duty.period_days`` working days after ``formed``."""
    task = Task(duty_id=duty.id, unit_id=duty.unit_id, key_area_id=duty.key_area_id, title=title,
                period_key=None, formed_date=formed, period_days=duty.period_days,
                review_required=duty.review_required, state="pending_ack", note=(note or "").strip() or None,
                created_by_id=actor.id if actor is not None else None)
    db.session.add(task)
    db.session.flush()
    set_deadline(task, deadline_for(formed, duty.period_days), "信息形成，生成任务")
    _event(task.id, "open", None, "pending_ack", actor)
    record("disclosure.task_open", task, after={"title": title, "formed_date": formed, "due_date": task.due_date},
           actor=actor)
    if actor is None or actor.role != "contact":  # a contact who opens a task acknowledges it at once
        task_opened(task)
    return task


def open_periodic_task(duty: Duty, key: str, formed: date) -> Task | None:
    """Insert the task of one period unless it exists (INSERT .. ON CONFLICT DO NOTHING on the
    unique (duty_id, period_key)); safe when several sweeps run at once. Returns the new task or None."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = (insert(Task).values(
        duty_id=duty.id, unit_id=duty.unit_id, key_area_id=duty.key_area_id, title=periodic_title(duty, key),
        period_key=key, formed_date=formed, period_days=duty.period_days, review_required=duty.review_required,
        due_provisional=False, state="pending_ack", normative=False, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["duty_id", "period_key"]).returning(Task.id))
    new_id = db.session.execute(stmt).scalar()
    if new_id is None:
        return None
    task = db.session.get(Task, new_id)
    set_deadline(task, deadline_for(formed, duty.period_days), "周期性事项，生成任务")
    _event(task.id, "open", None, "pending_ack", None)
    record("disclosure.task_open", task, after={"title": task.title, "period_key": key, "formed_date": formed,
                                                "due_date": task.due_date})
    task_opened(task)
    return task


# --- lists: one function builds each filtered, scoped SELECT (page and export alike) ---------------

FLAGS = {
    "overdue": "已逾期",
    "due_soon": "5个工作日内到期",
    "unacknowledged": "未签收",
    "in_review": "待审核",
    "to_publish": "审核通过待发布",
    "to_verify": "待核验",
    "rework": "核验未通过待整改",
    "failed": "曾核验未通过",
    "late": "逾期发布",
    "on_time": "按时发布",
    "open": "未完成",
}


def flag_clause(flag: str | None, today: date, cutoff: date):
    """The condition of a list flag (FLAGS), or None for an unknown flag."""
    return {"overdue": lambda: overdue_clause(today), "due_soon": lambda: due_soon_clause(today, cutoff),
            "unacknowledged": lambda: Task.state == "pending_ack", "in_review": lambda: Task.state == "in_review",
            "to_publish": lambda: Task.state == "approved", "to_verify": lambda: Task.state == "published",
            "rework": lambda: Task.state == "rework", "failed": verification_failed_clause,
            "late": late_clause, "on_time": on_time_clause,
            "open": lambda: Task.state.in_(OPEN_STATES)}.get(flag or "", lambda: None)()


@dataclass
class TaskFilters:
    unit_id: int | None = None
    key_area_id: int | None = None
    state: str | None = None
    flag: str | None = None
    year: int | None = None
    q: str = ""
    sort: str | None = None  # "due": by deadline (= by working days left) instead of by urgency
    desc: bool = False


def urgency_order(today: date, cutoff: date):
    """Most urgent first: overdue, due soon, sent back (returned draft, failed verification) or
    approved and waiting to go out, not acknowledged, other open work, then finished (the groups of
    rules.URGENCY_GROUPS; rules.urgency_rank says the same of one task)."""
    return case((overdue_clause(today), 0), (due_soon_clause(today, cutoff), 1),
                (Task.state.in_(("returned", "rework", "approved")), 2), (Task.state == "pending_ack", 3),
                (Task.state.in_(OPEN_STATES), 4), else_=5)


def _tasks_or_columns(columns: tuple):
    """``select(Task)`` with its unit and key area, or of ``columns`` only (exports: no objects)."""
    if columns:
        return select(*columns).select_from(Task)
    return select(Task).options(joinedload(Task.unit), joinedload(Task.key_area))


def task_query(f: TaskFilters, user, today: date, cutoff: date, columns: tuple = ()):
    """Tasks ``user`` may see, filtered; ordered by urgency then deadline."""
    stmt = scope(_tasks_or_columns(columns), Task, user)
    if f.unit_id:
        stmt = stmt.where(Task.unit_id == f.unit_id)
    if f.key_area_id:
        stmt = stmt.where(Task.key_area_id == f.key_area_id)
    if f.state in STATES:
        stmt = stmt.where(Task.state == f.state)
    if f.year:
        stmt = stmt.where(Task.due_date >= date(f.year, 1, 1), Task.due_date <= date(f.year, 12, 31))
    if f.q:
        stmt = stmt.where(or_(Task.title.ilike(f"%{f.q}%"), Task.doc_number.ilike(f"%{f.q}%")))
    flag = flag_clause(f.flag, today, cutoff)
    if flag is not None:
        stmt = stmt.where(flag)
    if f.sort == "due":  # the deadline orders exactly as working days left do, and is indexed
        return stmt.order_by(Task.due_date.desc() if f.desc else Task.due_date, Task.id.desc() if f.desc else Task.id)
    return stmt.order_by(urgency_order(today, cutoff), Task.due_date, Task.id)


@dataclass
class RegisterFilters:
    unit_id: int | None = None
    key_area_id: int | None = None
    channel: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    timeliness: str | None = None  # "on_time" | "late"
    normative: str | None = None  # "yes" | "no"
    q: str = ""


def register_query(f: RegisterFilters, user, columns: tuple = ()):
    """The register of published information (已发布、已核验), filtered, visible to ``user``.

    The state test is written ``state || ''`` so that no planner takes the state index for it:
    published items are nearly every task of a city's history, and walking the (published_on, id)
    index newest first, stopping after a page, is far cheaper than fetching them all to sort them
    (SQLite, without statistics, would otherwise prefer the state index).
    """
    stmt = scope(_tasks_or_columns(columns), Task, user).where((Task.state + "").in_(DONE_STATES))
    if f.unit_id:
        stmt = stmt.where(Task.unit_id == f.unit_id)
    if f.key_area_id:
        stmt = stmt.where(Task.key_area_id == f.key_area_id)
    if f.channel in CHANNELS:
        stmt = stmt.where(Task.id.in_(select(TaskChannel.task_id).where(TaskChannel.channel == f.channel)))
    if f.date_from:
        stmt = stmt.where(Task.published_on >= f.date_from)
    if f.date_to:
        stmt = stmt.where(Task.published_on <= f.date_to)
    if f.timeliness == "on_time":
        stmt = stmt.where(on_time_clause())
    elif f.timeliness == "late":
        stmt = stmt.where(late_clause())
    if f.normative == "yes":
        stmt = stmt.where(Task.normative.is_(True))
    elif f.normative == "no":
        stmt = stmt.where(Task.normative.is_(False))
    if f.q:
        stmt = stmt.where(or_(Task.title.ilike(f"%{f.q}%"), Task.doc_number.ilike(f"%{f.q}%")))
    return stmt.order_by(Task.published_on.desc(), Task.id.desc())


def register_counts(stmt, whole: bool = False) -> dict:
    """Totals of a register selection: each item once in ``total`` ("不同渠道公开相同信息计1条"),
    and once per channel it went out on in ``by_channel``. When the selection is the whole
    register (``whole``), both are counted as everything less what lies outside the register
    (open or cancelled tasks, a few thousand, by the state index) instead of over every published
    item of every year."""
    per_channel = select(TaskChannel.channel, func.count()).group_by(TaskChannel.channel)
    if whole:
        outside = Task.state.in_([s for s in STATES if s not in DONE_STATES])
        total = (db.session.scalar(select(func.count()).select_from(Task))
                 - db.session.scalar(select(func.count()).select_from(Task).where(outside)))
        not_listed = dict(db.session.execute(
            per_channel.join(Task, Task.id == TaskChannel.task_id).where(outside)).all())
        per = {k: n - not_listed.get(k, 0) for k, n in db.session.execute(per_channel).all()}
    else:  # one row per (task, channel): count(*) counts each item once per channel
        ids = stmt.with_only_columns(Task.id).order_by(None).subquery()
        total = db.session.scalar(select(func.count()).select_from(ids))
        per = dict(db.session.execute(per_channel.where(TaskChannel.task_id.in_(select(ids.c.id)))).all())
    return {"total": total, "by_channel": [(k, label, per.get(k, 0)) for k, label in CHANNELS.items()]}


# --- supervision (公开督查): in ``supervision.py``, re-exported -----------------------------------------

from .supervision import (  # noqa: E402,F401
    SUPERVISION_COLUMNS,
    figures_by_unit,
    monthly_on_time,
    on_time_rate,
    totals,
    unit_supervision,
    worst_units,
)

# --- panels on the home dashboard -------------------------------------------------------------------


def dashboard_panel(user, today: date) -> dict:
    """What the home dashboard shows of disclosure work for ``user`` (a few fixed queries)."""
    cutoff = due_soon_cutoff(today)
    by_unit = figures_by_unit(user, today, cutoff, today.year)
    panel = {"today": today, "cutoff": cutoff, "totals": totals(user, today, cutoff, today.year, by_unit)}
    if user.role == "contact":
        stmt = task_query(TaskFilters(flag="open"), user, today, cutoff).limit(8)
        panel["tasks"] = db.session.scalars(stmt).unique().all()
    elif user.role == "reviewer":
        stmt = task_query(TaskFilters(state="in_review"), user, today, cutoff).limit(8)
        panel["tasks"] = db.session.scalars(stmt).unique().all()
    else:
        panel["worst"] = worst_units(by_unit)
    return panel
