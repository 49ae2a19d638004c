"""Computing, storing and publishing scores (scoring.md; domain.md §5).

``compute`` reads everything a period needs in a fixed number of queries (the rubric, the units,
one query per rule source, the manual entries, the voids, the stored scores and items), evaluates
each unit on its own in memory, and then stores each unit in its own savepoint (both through
``sweeps.isolated``), so that a unit that fails is logged, named to the office on the period's page
and on 系统运行状况, and skipped while every other unit is computed.

A period moves provisional → final → published, by the transitions below (each audited; nothing
else writes ``ScorePeriod.state``). A published period is frozen: computing it again only makes a
re-run (``ScoreRerun``) with old → new per unit, which the office accepts or discards.
"""
from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from ..applications.models import Application
from ..audit.services import record
from ..disclosure.models import Task
from ..errors import ServiceError
from ..extensions import db
from ..notify.reminders import recipients_by_unit
from ..notify.services import Message, notify
from ..sweeps import isolated, register_record_type
from ..sweeps.errors import describe_error
from ..timeutil import utcnow
from ..units.models import Unit
from ..workcal.services import add_workdays, get_calendar
from .engine import Draft, Tally, manual_drafts, rule_drafts, tally
from .models import ManualEntry, Rubric, Score, ScoreItem, ScorePeriod, ScoreRerun, ScoreVoid
from .numbers import points_text, to_points
from .periods import Period, periods_since
from .rubrics import rubric_for_year, spec_of
from .rules import RULES
from .sources import SOURCES


# A unit's score of a period ("2026-Q3:12") that could not be computed, as 系统运行状况 names it.
def _score_page(record_id: str) -> str | None:
    from flask import url_for

    key, _, unit_id = record_id.rpartition(":")
    return url_for("scores.unit", key=key, unit_id=int(unit_id)) if key and unit_id.isdigit() else None


register_record_type("score", "考核得分", link=_score_page)
OBJECTION_WORKDAYS = 5  # practice: a unit may object within 5 working days of publication
TRANSITIONS = {("provisional", "provisional"), ("provisional", "final"), ("final", "final"),
               ("final", "published")}
ITEM_FIELDS = ("category", "kind", "points", "record_type", "record_id", "label", "detail", "rule_label", "source",
               "manual_id")


@dataclass
class UnitResult:
    unit: Unit
    drafts: list[Draft]
    tally: Tally


@dataclass
class Outcome:
    period: ScorePeriod
    computed: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    rerun: ScoreRerun | None = None


# --- periods -----------------------------------------------------------------------------------------

def find_period(period: Period) -> ScorePeriod | None:
    return db.session.scalar(select(ScorePeriod).where(ScorePeriod.key == period.key))


def _period_row(period: Period) -> ScorePeriod:
    """The period's row, created once even when two sweeps start it at the same moment
    (INSERT .. ON CONFLICT DO NOTHING on the unique key, then read)."""
    row = find_period(period)
    if row is None:
        module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        db.session.execute(module.insert(ScorePeriod).values(
            key=period.key, year=period.year, quarter=period.quarter, state="provisional")
            .on_conflict_do_nothing(index_elements=["key"]))
        row = find_period(period)
    return row


def _move(row: ScorePeriod, to_state: str, actor, note: str | None = None, **after) -> None:
    """The one writer of ``ScorePeriod.state``: checks the transition, writes an audit event."""
    if (row.state, to_state) not in TRANSITIONS:
        raise ServiceError(f"{row.label}得分当前为“{row.state_label}”，不能改为该状态。")
    before = row.state
    row.state = to_state
    if before != to_state:
        record(f"scores.{to_state}", object_type="score_period", object_id=row.id, object_label=row.label,
               before={"state": before}, after={"state": to_state, **after}, note=note, actor=actor)


# --- reading what a period needs -----------------------------------------------------------------------

def _units(codes: list[str] | None) -> list[Unit]:
    stmt = select(Unit).where(Unit.active.is_(True), Unit.kind != "office").order_by(Unit.code)
    if codes:
        stmt = select(Unit).where(Unit.code.in_(codes), Unit.kind != "office").order_by(Unit.code)
    units = db.session.scalars(stmt).all()
    missing = set(codes or []) - {u.code for u in units}
    if missing:
        raise ServiceError(f"单位编码不存在：{'、'.join(sorted(missing))}。", "unit")
    return units


def manual_entries(unit_ids: list[int], period: Period) -> list[ManualEntry]:
    """The office's entries that count in ``period``: its own, and for a year those of its quarters."""
    keys = [period.key] + ([q.key for q in period.quarters()] if period.kind == "year" else [])
    return db.session.scalars(select(ManualEntry).where(ManualEntry.unit_id.in_(unit_ids),
                                                        ManualEntry.period_key.in_(keys))
                              .order_by(ManualEntry.id)).all()


def _voids(unit_ids: list[int]) -> dict[tuple[int, str], int]:
    return {(u, k): i for i, u, k in db.session.execute(
        select(ScoreVoid.id, ScoreVoid.unit_id, ScoreVoid.key).where(ScoreVoid.unit_id.in_(unit_ids)))}


def evaluate(period: Period, as_of: date, rubric, units: list[Unit]) -> tuple[list[UnitResult], dict[str, str]]:
    """Every unit's items and figures for ``period`` counting events up to ``as_of``: one query per
    source, then each unit on its own (a unit whose rules fail is reported, the others go on)."""
    spec = spec_of(rubric)
    unit_ids = [u.id for u in units]
    needed = {RULES[s.kind].rows for _, s in spec.rule_settings() if s.kind in RULES and RULES[s.kind].available}
    rows: dict[str, dict[int, list]] = {}
    for name in sorted(needed):
        grouped = defaultdict(list)
        for row in SOURCES[name](period, as_of, unit_ids):
            grouped[row.unit_id].append(row)
        rows[name] = grouped
    entries = defaultdict(list)
    for e in manual_entries(unit_ids, period):
        entries[e.unit_id].append(e)
    voided = defaultdict(set)
    for unit_id, key in _voids(unit_ids):
        voided[unit_id].add(key)
    calendar = get_calendar()
    results, failures = [], {}
    for unit in units:
        with isolated("score", f"{period.key}:{unit.id}", f"{period.label}考核得分：{unit.name}",
                      savepoint=False), _noted(failures, unit):
            mine = {name: grouped.get(unit.id, []) for name, grouped in rows.items()}
            drafts = rule_drafts(spec, mine, period, as_of, calendar) + manual_drafts(entries[unit.id])
            results.append(UnitResult(unit, drafts, tally(spec, drafts, voided[unit.id])))
    return results, failures


@contextmanager
def _noted(failures: dict[str, str], unit: Unit):
    """Keep a unit's error for the period page (the office sees which units failed and why), then
    let ``sweeps.isolated`` log it, record it for the system health page and go on."""
    try:
        yield
    except Exception as exc:
        chinese, raw = describe_error(exc)
        failures[unit.code] = f"{chinese}（{raw.splitlines()[0]}）"[:300]
        raise


# --- computing ---------------------------------------------------------------------------------------

def compute(period: Period, today: date, unit_codes: list[str] | None = None, actor=None,
            announce: bool = True) -> Outcome:
    """Compute ``period``'s scores as of ``today``.

    Before the period ends the scores are provisional (events up to yesterday count); once it has
    ended they are final, for the office to review and publish. A published period is frozen:
    the result is kept aside as a re-run showing old → new, until the office accepts it.
    """
    if today < period.start:
        raise ServiceError(f"{period.label}尚未开始，不能计算得分。", "period")
    row = _period_row(period)
    rubric = rubric_for_year(period.year, actor)
    units = _units(unit_codes)
    as_of = period.as_of(today)
    results, failures = evaluate(period, as_of, rubric, units)
    if row.is_published:
        return Outcome(row, len(results), failures, propose(row, results, failures, rubric, as_of, actor))

    row.as_of, row.computed_at, row.computed_on = as_of, utcnow(), today
    db.session.flush()
    stored = _store(row, results, rubric, failures)
    if unit_codes is None:
        _drop_departed(row, units)
    was = row.state
    target = "final" if period.has_ended(today) else "provisional"
    if (was, target) not in TRANSITIONS:
        raise ServiceError(f"{row.label}得分已是“{row.state_label}”，不能再计算为暂定得分。")
    scope = {u.code for u in units}
    row.failures = {k: v for k, v in (row.failures or {}).items() if k not in scope} | failures or None
    _move(row, target, actor, computed=stored, as_of=as_of)
    record("scores.compute", object_type="score_period", object_id=row.id, object_label=row.label,
           after={"state": target, "as_of": as_of, "units": stored, "failed": sorted(failures),
                  "rubric": rubric.label}, actor=actor)
    if target == "final" and was != "final" and announce:
        _tell_office(row, f"【考核得分待发布】{row.label}",
                     (f"{row.label}考核得分已按期末数据计算完成（{stored}个单位）。",
                      "请审核各单位得分、录入人工扣分和加分后发布。"), f"scores:{row.key}:final")
    return Outcome(row, stored, failures)


def _store(row: ScorePeriod, results: list[UnitResult], rubric, failures: dict[str, str]) -> int:
    """Write each unit's score and items in its own savepoint; returns how many were stored."""
    unit_ids = [r.unit.id for r in results]
    scores = {s.unit_id: s for s in db.session.scalars(
        select(Score).where(Score.period_id == row.id, Score.unit_id.in_(unit_ids)))}
    items = _items_by_score([s.id for s in scores.values()])
    voids = _voids(unit_ids)
    stored = 0
    for result in results:
        unit = result.unit
        with isolated("score", f"{row.key}:{unit.id}", f"{row.label}考核得分：{unit.name}"), _noted(failures, unit):
            score = scores.get(unit.id)
            if score is None:
                score = Score(period_id=row.id, unit_id=unit.id)
                db.session.add(score)
            _set_figures(score, unit, rubric, result.tally)
            db.session.flush()
            apply_items(score, items.get(score.id, {}), result.drafts, voids)
            db.session.flush()
            stored += 1
    return stored


def _drop_departed(row: ScorePeriod, units: list[Unit]) -> None:
    """A unit deactivated (or turned into the office) since the last run leaves the unpublished
    ranking; published periods keep everyone they were published with."""
    kept = {u.id for u in units}
    for score in db.session.scalars(select(Score).where(Score.period_id == row.id, Score.unit_id.not_in(kept))):
        db.session.delete(score)


def _set_figures(score: Score, unit: Unit, rubric, t: Tally) -> None:
    score.unit_code, score.unit_name, score.unit_kind = unit.code, unit.name, unit.kind
    score.rubric_id, score.total, score.bonus = rubric.id, t.total, t.bonus
    score.figures, score.computed_at = t.figures(), utcnow()


def _items_by_score(score_ids: list[int]) -> dict[int, dict[str, ScoreItem]]:
    out: dict[int, dict[str, ScoreItem]] = defaultdict(dict)
    if score_ids:
        for item in db.session.scalars(select(ScoreItem).where(ScoreItem.score_id.in_(score_ids))):
            out[item.score_id][item.key] = item
    return out


def apply_items(score: Score, current: dict[str, ScoreItem], drafts: list[Draft],
                voids: dict[tuple[int, str], int]) -> None:
    """Make the score's items equal to ``drafts``, keeping the rows (and ids) of unchanged keys."""
    wanted = {d.key: d for d in drafts}
    for key, item in current.items():
        if key not in wanted:
            db.session.delete(item)
    new = []
    for key, d in wanted.items():
        item = current.get(key)
        void_id = voids.get((score.unit_id, key))
        if item is None:
            new.append({"score_id": score.id, "key": key, "void_id": void_id,
                        **{name: getattr(d, name) for name in ITEM_FIELDS}})
            continue
        for name in ITEM_FIELDS:
            if getattr(item, name) != getattr(d, name):
                setattr(item, name, getattr(d, name))
        if item.void_id != void_id:
            item.void_id = void_id
    if new:  # one multi-row INSERT, not one per item
        db.session.execute(insert(ScoreItem), new)


def retally(score: Score) -> None:
    """Add up a stored score again from its own items (after a void or a manual entry); the
    records behind the items are not read, so a published score stays frozen."""
    items = db.session.scalars(select(ScoreItem).where(ScoreItem.score_id == score.id)).all()
    t = tally(spec_of(score.rubric), items, {i.key for i in items if i.void_id is not None})
    score.total, score.bonus, score.figures = t.total, t.bonus, t.figures()


# --- re-running a published period ------------------------------------------------------------------------

def _snapshot(items) -> dict[str, tuple]:
    return {i.key: (to_points(i.points), i.label, i.detail or "", i.category) for i in items}


def propose(row: ScorePeriod, results: list[UnitResult], failures: dict[str, str], rubric, as_of: date,
            actor) -> ScoreRerun:
    """Keep a recomputation of a published period aside: old → new per unit; earlier pending
    re-runs of the period are superseded."""
    scores = {s.unit_id: s for s in db.session.scalars(select(Score).where(Score.period_id == row.id))}
    items = _items_by_score([s.id for s in scores.values()])
    out = []
    for r in results:
        old = scores.get(r.unit.id)
        old_items = list(items.get(old.id, {}).values()) if old else []
        before, after = _snapshot(old_items), _snapshot(r.drafts)
        labels_before = {k: v[1] for k, v in before.items()}
        changed = before != after or (old is not None and old.rubric_id != rubric.id)
        out.append({
            "unit_id": r.unit.id, "code": r.unit.code, "name": r.unit.name, "kind": r.unit.kind,
            "old_total": str(to_points(old.total)) if old else None, "new_total": str(to_points(r.tally.total)),
            "old_figures": old.figures if old else None, "new_figures": r.tally.figures(),
            "items_changed": changed,
            "added": [d.rule_label + ("" if d.label in d.rule_label else "：" + d.label)
                      for d in r.drafts if d.key not in before],
            "removed": [labels_before[k] for k in before if k not in after],
            "items": [d.to_json() for d in r.drafts] if changed else None,
        })
    for earlier in db.session.scalars(select(ScoreRerun).where(ScoreRerun.period_id == row.id,
                                                                 ScoreRerun.state == "pending")):
        earlier.state, earlier.decided_at = "discarded", utcnow()
    rerun = ScoreRerun(period_id=row.id, state="pending", as_of=as_of, rubric_id=rubric.id, results=out,
                       failures=failures or None, created_by_id=actor.id if actor else None)
    db.session.add(rerun)
    db.session.flush()
    record("scores.rerun", rerun, object_type="score_rerun", object_label=f"{row.label}重新计算",
           after={"as_of": as_of, "changed": [f"{r['name']}：{points_text(r['old_total'])} → "
                                              f"{points_text(r['new_total'])}" for r in rerun.changed]},
           actor=actor)
    return rerun


def accept_rerun(rerun: ScoreRerun, actor) -> int:
    """The office accepts a re-run: the changed units' published scores take the new figures and
    items (voids and objections stay with their keys); the units are told. Returns units changed."""
    _require_office(actor)
    if rerun.state != "pending":
        raise ServiceError(f"该重算结果{rerun.state_label}，不能再采用。")
    row = rerun.period
    scores = {s.unit_id: s for s in db.session.scalars(select(Score).where(Score.period_id == row.id))}
    items = _items_by_score([s.id for s in scores.values()])
    changed = rerun.changed
    voids = _voids([r["unit_id"] for r in changed])
    rubric = db.session.get(Rubric, rerun.rubric_id)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_([r["unit_id"] for r in changed])))}
    for r in changed:
        drafts = [Draft.from_json(d) for d in r["items"] or []]
        score = scores.get(r["unit_id"])
        if score is None:
            score = Score(period_id=row.id, unit_id=r["unit_id"])
            db.session.add(score)
        spec_tally = tally(spec_of(rubric), drafts, {k for (u, k) in voids if u == r["unit_id"]})
        _set_figures(score, units[r["unit_id"]], rubric, spec_tally)
        db.session.flush()
        apply_items(score, items.get(score.id, {}), drafts, voids)
    rerun.state, rerun.decided_at, rerun.decided_by_id = "accepted", utcnow(), actor.id
    record("scores.rerun_accept", rerun, object_type="score_rerun", object_label=f"{row.label}重新计算",
           after={"changed": [f"{r['name']}：{points_text(r['old_total'])} → {points_text(r['new_total'])}"
                              for r in changed]}, actor=actor)
    people = recipients_by_unit([r["unit_id"] for r in changed])
    for r in changed:
        for user in people[r["unit_id"]].contacts + people[r["unit_id"]].reviewers:
            notify(user, Message(f"【考核得分更新】{row.label}", (
                f"公开办重新核算了{row.label}考核得分：{points_text(r['old_total'])} → {points_text(r['new_total'])}。",),
                f"/scores/{row.key}/units/{r['unit_id']}"), key=f"scores:{row.key}:rerun{rerun.id}:{user.id}")
    return len(changed)


def discard_rerun(rerun: ScoreRerun, actor) -> None:
    _require_office(actor)
    if rerun.state != "pending":
        raise ServiceError(f"该重算结果{rerun.state_label}。")
    rerun.state, rerun.decided_at, rerun.decided_by_id = "discarded", utcnow(), actor.id
    record("scores.rerun_discard", rerun, object_type="score_rerun", object_label=f"{rerun.period.label}重新计算",
           actor=actor)


def pending_rerun(row: ScorePeriod) -> ScoreRerun | None:
    return db.session.scalar(select(ScoreRerun).where(ScoreRerun.period_id == row.id, ScoreRerun.state == "pending")
                             .order_by(ScoreRerun.id.desc()).limit(1))


# --- publishing ----------------------------------------------------------------------------------------

def _require_office(actor) -> None:
    if actor is None or actor.role != "office":
        raise ServiceError("只有公开办可以进行此操作。")


# --- what a period has to score ---------------------------------------------------------------------

def first_record_day() -> date | None:
    """The first day the tracker holds work for: its earliest task deadline or application received."""
    days = [db.session.scalar(select(func.min(Task.due_date))),
            db.session.scalar(select(func.min(Application.receipt_date)))]
    return min((d for d in days if d is not None), default=None)


def computable_periods(today: date) -> list[Period]:
    """The periods to choose from when computing: the quarters (and years) since the first record,
    newest first; only the current ones while the tracker holds nothing yet."""
    return periods_since(first_record_day() or today, today)


def records_due(period: Period) -> int:
    """How many tasks and applications fell due within ``period``: with none, every unit would get
    full marks for nothing done (a period before the tracker held any records)."""
    tasks = db.session.scalar(select(func.count()).select_from(Task).where(
        Task.due_date >= period.start, Task.due_date <= period.end))
    apps = db.session.scalar(select(func.count()).select_from(Application).where(
        Application.due_date >= period.start, Application.due_date <= period.end))
    return tasks + apps


def publish(row: ScorePeriod, actor, today: date, now: datetime | None = None, announce: bool = True) -> int:
    """发布: the office publishes a period's final scores. They are frozen from now on; each unit
    may object to a deduction within 5 working days (the deadline is stored and told to the
    units' contacts and reviewers). Returns the number of units published."""
    _require_office(actor)
    if row.state != "final":
        raise ServiceError(f"{row.label}得分当前为“{row.state_label}”，只有期末计算完成的得分才能发布。")
    if row.failures:
        raise ServiceError(f"有{len(row.failures)}个单位计算失败（{'、'.join(sorted(row.failures))}），"
                           "请处理后重新计算，再发布。")
    scores = db.session.scalars(select(Score).where(Score.period_id == row.id)).all()
    if not scores:
        raise ServiceError(f"{row.label}还没有任何单位的得分。")
    if not records_due(row.period):
        raise ServiceError(f"{row.label}没有任何到期的公开任务或政府信息公开申请（系统当时尚无记录），"
                           "各单位得分均为满分，不能发布。")
    row.published_at, row.published_on, row.published_by_id = now or utcnow(), today, actor.id
    row.objection_deadline = add_workdays(today, OBJECTION_WORKDAYS).day
    _move(row, "published", actor, units=len(scores), objection_deadline=row.objection_deadline)
    if announce:
        people = recipients_by_unit([s.unit_id for s in scores])
        for s in scores:
            for user in people[s.unit_id].contacts + people[s.unit_id].reviewers:
                notify(user, Message(f"【考核得分发布】{row.label}：{points_text(s.total)}分", (
                    f"{row.label}考核得分已发布，本单位得分 {points_text(s.total)} 分。",
                    f"如对扣分有异议，请于 {row.objection_deadline:%Y-%m-%d} 前在系统中逐项提出申辩并附佐证材料。"),
                    f"/scores/{row.key}/units/{s.unit_id}"), key=f"scores:{row.key}:published:{user.id}")
    return len(scores)


def _tell_office(row: ScorePeriod, title: str, lines: tuple, key: str) -> None:
    for user in recipients_by_unit([])[None].office:
        notify(user, Message(title, lines, f"/scores/periods/{row.key}"), key=f"{key}:{user.id}")
