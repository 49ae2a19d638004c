"""The figures of a quarterly bulletin, per unit, computed in one place with a fixed number of
queries however many units the city has (domain.md §5: per unit, what was due, published on
time, late, still overdue; applications on time / late; units with zero output named).

Which quarter a record counts in — the rules, so that every figure can be checked by hand:

* **Tasks** (主动公开, Art. 26) count in the quarter their deadline (``due_date``) falls in, like
  the scores ("the quarter's score counts what fell due in that quarter"). Cancelled tasks are
  not counted. Each is judged on the day the figures are taken (``as_of``, the drafting day):
  published on or before the deadline → 按时公开; published after it → 逾期公开; not yet
  published → 逾期未公开. So a task due on 25 September and published on 15 October counts in
  the third quarter: as 逾期未公开 in figures taken before 15 October, as 逾期公开 in figures
  taken after; it never counts in the fourth quarter (nothing of it fell due there). Since a
  bulletin is only drafted for a quarter that has ended, 应公开 = 按时 + 逾期公开 + 逾期未公开.
* **签收延迟**: of those tasks, the ones acknowledged more than the office's "not acknowledged"
  reminder rule (``unack_after`` working days, default 3 — scoring.md: −0.5 each) after they
  were handed to the unit, or still not acknowledged past that limit.
* **核验未通过**: of those tasks, the times the office failed the check of the published
  information (dead address, missing content) and sent it back to the unit, however it ended.
* **Published information** (公开信息条数) counts items published (``published_on``) within the
  quarter, whatever their deadline; a unit with none is named as having no published information.
* **Applications** (依申请公开, Art. 33) count in the quarter their *current* reply deadline falls
  in. A pause (consultation, fee: Art. 32, 34, 42) moves the deadline later by the paused working
  days, and while a pause is running there is no deadline at all: an application received in the
  third quarter and paused across 30 September counts in the quarter its moved deadline falls in
  (the fourth), and in no quarter while still paused. Withdrawn and lapsed applications owe no
  reply and are not counted. Replied in time / late follows the application's own judgement of
  its reply (``reply_late``: delivered after the deadline, R9); not replied and past the deadline
  on ``as_of`` → 超期未答复.
* **Rectifications** (督查整改): items still open on ``as_of``, and items due in the quarter not
  done by their deadline (``inspections.services.missed_clause``).
* **督办**: urgings made within the quarter.
* **网站巡查**: columns found stale or blank and personal data found during the quarter, and
  each unit's link error rate as its columns were last read (``website.figures``); only for a
  city that registered its website columns.
* **社会评议** (Art. 47): the applicants' ratings of replies given within the quarter (``rated_on``),
  per unit that replied: 满意, 基本满意, 不满意 and the 满意率 ((满意 + 基本满意) / 评议数); only
  once some rating was given in the quarter (``applications.ratings.counts_by_unit``).
* **Score and rank**: the unit's published assessment score of the quarter, its rank among the
  units of its kind (towns and departments are ranked separately) and its rank among all units,
  once the office has published the quarter's scores (``scores.ranking.rank_by_unit``).
"""
from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import and_, case, func, or_, select

from ..applications import ratings
from ..applications.models import RUNNING_STATES, Application
from ..disclosure.models import DONE_STATES, OPEN_STATES, Task
from ..disclosure.services import late_clause, on_time_clause, on_time_rate, overdue_clause
from ..extensions import db
from ..inspections import services as inspections
from ..inspections import urging
from ..notify.services import reminder_settings
from ..timeutil import to_china, utcnow
from ..units.models import Unit
from ..website import figures as website_figures
from ..workcal.services import get_calendar
from .quarters import Quarter

log = logging.getLogger("tracker.bulletins")

# The unit table: (group, [(key, column label)]), in the order of the printed table.
COLUMN_GROUPS = [
    ("主动公开", [("tasks_due", "应公开"), ("tasks_on_time", "按时公开"), ("tasks_late", "逾期公开"),
                ("tasks_overdue", "逾期未公开"), ("ack_delays", "签收延迟"), ("verify_failures", "核验未通过"),
                ("published", "本季度公开信息")]),
    ("依申请公开", [("apps_due", "应答复"), ("apps_on_time", "按时答复"), ("apps_late", "逾期答复"),
                 ("apps_overdue", "超期未答复")]),
    ("督查整改", [("rect_open", "未销号"), ("rect_missed", "逾期未整改")]),
    ("督办", [("urgings", "督办次数")]),
]
RATING_GROUP = ("社会评议", [("ratings", "评议数"), ("rating_satisfied", "满意"), ("rating_basic", "基本满意"),
                          ("rating_dissatisfied", "不满意")])
RATING_KEYS = [key for key, _ in RATING_GROUP[1]]
SCORE_GROUP = ("考核", [("score", "得分"), ("rank_in_kind", "类内排名"), ("rank", "总排名")])
RANK_NOTE = "类内排名为镇（街道）、市直部门分别排名，总排名为全部单位排名，得分相同的名次相同。"
COUNT_KEYS = [key for _, cols in COLUMN_GROUPS for key, _ in cols]


def column_groups(with_scores: bool, with_website: bool = False, with_ratings: bool = False) -> list:
    return (COLUMN_GROUPS + ([website_figures.GROUP] if with_website else []) + ([RATING_GROUP] if with_ratings else [])
            + ([SCORE_GROUP] if with_scores else []))


def _n(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _units() -> list[Unit]:
    """The supervised units in their official order: towns, then departments, by code."""
    return db.session.scalars(select(Unit).where(Unit.active.is_(True), Unit.kind != "office")
                              .order_by(Unit.kind.desc(), Unit.code)).all()


def task_figures(q: Quarter, as_of: date) -> dict[int, dict]:
    """Tasks due in the quarter per unit: due, on time, late, still overdue on ``as_of``, failed
    verifications, and published within the quarter. Two GROUP BY queries."""
    due_in = and_(Task.due_date >= q.start, Task.due_date <= q.end, Task.state.in_(OPEN_STATES + DONE_STATES))
    out: dict[int, dict] = {}
    for unit_id, due, on_time, late, overdue, failures in db.session.execute(
            select(Task.unit_id, func.count(), _n(on_time_clause()), _n(late_clause()), _n(overdue_clause(as_of)),
                   func.coalesce(func.sum(Task.verify_failures), 0))
            .where(due_in).group_by(Task.unit_id)):
        out[unit_id] = {"tasks_due": due, "tasks_on_time": on_time, "tasks_late": late, "tasks_overdue": overdue,
                        "verify_failures": failures}
    for unit_id, published in db.session.execute(
            select(Task.unit_id, func.count()).where(Task.state.in_(DONE_STATES), Task.published_on >= q.start,
                                                     Task.published_on <= q.end).group_by(Task.unit_id)):
        out.setdefault(unit_id, {})["published"] = published
    return out


def ack_delays(q: Quarter, as_of: date, problems: dict[int, str] | None = None) -> dict[int, int]:
    """Tasks due in the quarter acknowledged later than ``unack_after`` working days after they
    were handed to the unit, or not acknowledged and past that limit on ``as_of``. One query; the
    limit is computed once per hand-over day from the in-memory calendar. A task whose limit cannot
    be computed (a hand-over day outside the calendar) is skipped and its unit noted in
    ``problems`` — it never stops the other units' figures."""
    limit_days = reminder_settings()["unack_after"]
    calendar = get_calendar()
    limits: dict[date, date] = {}
    counts: dict[int, int] = {}
    rows = db.session.execute(select(Task.id, Task.unit_id, Task.created_at, Task.acknowledged_at, Task.state).where(
        Task.due_date >= q.start, Task.due_date <= q.end, Task.state.in_(OPEN_STATES + DONE_STATES)))
    for task_id, unit_id, created_at, acknowledged_at, state in rows:
        try:
            opened = to_china(created_at).date()
            if opened not in limits:
                limits[opened] = calendar.add(opened, limit_days).day
            limit = limits[opened]
        except (ValueError, OverflowError) as exc:
            log.warning("bulletin %s: acknowledgement limit of task %s not computed: %s", q.key, task_id, exc)
            if problems is not None:
                problems[unit_id] = f"公开任务#{task_id}的下达日期超出工作日历范围，未计入签收延迟"
            continue
        if acknowledged_at is not None:
            late = to_china(acknowledged_at).date() > limit
        else:
            late = state in OPEN_STATES and as_of > limit
        if late:
            counts[unit_id] = counts.get(unit_id, 0) + 1
    return counts


def application_figures(q: Quarter, as_of: date) -> dict[int, dict]:
    """Applications whose current reply deadline falls in the quarter, per handling unit: due,
    replied on time, replied late, not replied and past the deadline on ``as_of``. One query."""
    replied = Application.reply_date.is_not(None)
    running = Application.state.in_(RUNNING_STATES)
    rows = db.session.execute(
        select(Application.unit_id, func.count(), _n(and_(replied, Application.reply_late.is_(False))),
               _n(and_(replied, Application.reply_late.is_(True))), _n(and_(running, Application.due_date < as_of)))
        .where(Application.unit_id.is_not(None), Application.due_date >= q.start, Application.due_date <= q.end,
               or_(replied, running))
        .group_by(Application.unit_id))
    return {unit_id: {"apps_due": due, "apps_on_time": on_time, "apps_late": late, "apps_overdue": overdue}
            for unit_id, due, on_time, late, overdue in rows}


def score_figures(q: Quarter) -> dict[int, tuple]:
    """{unit_id: (total, rank among all, rank among its kind)} from the quarter's published
    assessment scores, ranked as the scores pages rank them; empty while they are not published,
    and the bulletin then carries no score columns. Two queries."""
    from ..scores.models import Score, ScorePeriod
    from ..scores.ranking import rank_by_unit

    period_id = db.session.scalar(select(ScorePeriod.id).where(ScorePeriod.key == q.key,
                                                               ScorePeriod.state == "published"))
    if period_id is None:
        return {}
    rows = db.session.execute(select(Score.unit_id, Score.unit_kind, Score.total)
                              .where(Score.period_id == period_id)).all()
    ranks = rank_by_unit(rows)
    return {r.unit_id: (float(r.total), *ranks[r.unit_id]) for r in rows}


def compute(q: Quarter, as_of: date) -> dict:
    """Every figure of the bulletin of ``q`` as taken on ``as_of``: one row per supervised unit
    (official order), the totals, the units with no published information, and the quarter's
    督办. A fixed number of queries (units, 2 task, 1 acknowledgement, 1 application, 1
    rectification, 2 urging, 1 rating, scores)."""
    units = _units()
    problems: dict[int, str] = {}
    tasks = task_figures(q, as_of)
    acks = ack_delays(q, as_of, problems)
    apps = application_figures(q, as_of)
    rects = inspections.counts_by_unit(q.start, q.end, as_of)
    urged = urging.counts_by_unit(q.start, q.end)
    scores = score_figures(q)
    web = website_figures.quarter_figures(q.start, q.end, as_of)
    rated = ratings.counts_by_unit(q.start, min(q.end, as_of))
    rows = []
    for unit in units:
        row = {"unit_id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind}
        row.update({key: 0 for key in COUNT_KEYS})
        row.update(tasks.get(unit.id, {}))
        row.update(apps.get(unit.id, {}))
        row["ack_delays"] = acks.get(unit.id, 0)
        row["rect_open"] = rects.get(unit.id, {}).get("open", 0)
        row["rect_missed"] = rects.get(unit.id, {}).get("missed", 0)
        row["urgings"] = urged.get(unit.id, 0)
        row["rate"] = on_time_rate(row["tasks_on_time"], row["tasks_late"], row["tasks_overdue"])
        if web:
            row.update({"web_stale": 0, "web_privacy": 0, "web_link_rate": "—", **web["rows"].get(unit.id, {})})
        if rated:
            counts = rated.get(unit.id) or ratings.RatingCounts()
            row.update({"ratings": counts.rated, "rating_satisfied": counts.satisfied, "rating_basic": counts.basic,
                        "rating_dissatisfied": counts.dissatisfied, "rating_rate": counts.satisfaction})
        if scores:
            row["score"], row["rank"], row["rank_in_kind"] = scores.get(unit.id, (None, None, None))
        rows.append(row)
    totals = {key: sum(r[key] for r in rows) for key in COUNT_KEYS}
    totals["rate"] = on_time_rate(totals["tasks_on_time"], totals["tasks_late"], totals["tasks_overdue"])
    totals["apps_rate"] = on_time_rate(totals["apps_on_time"], totals["apps_late"], totals["apps_overdue"])
    totals.update(web.get("totals", {}))
    if rated:
        total = ratings.RatingCounts(*(sum(r[k] for r in rows) for k in RATING_KEYS))
        totals.update({k: getattr(total, a) for k, a in zip(RATING_KEYS, ("rated", "satisfied", "basic", "dissatisfied"))},
                      rating_rate=total.satisfaction)
    names = {u.id: u.name for u in units}
    urgings = [{"unit_id": u.unit_id, "unit": names.get(u.unit_id) or u.unit.name, "kind": u.kind_label,
                "label": u.record_label, "urged_on": u.urged_on.isoformat(), "overdue": u.overdue,
                "message": u.message or ""}
               for u in urging.urgings_between(q.start, q.end)]
    return {"quarter": q.key, "as_of": as_of.isoformat(), "computed_at": utcnow().isoformat(timespec="seconds"),
            "rows": rows, "totals": totals, "scores": bool(scores),
            "no_output": [r["name"] for r in rows if not r["published"]],
            "units_with_overdue": [r["name"] for r in rows if r["tasks_overdue"] or r["apps_overdue"]],
            "urgings": urgings, "website": bool(web), "ratings": bool(rated),
            "units_with_stale_columns": [names[u] for u in web.get("stale_units", []) if u in names],
            "problems": [f"{names.get(uid, uid)}：{text}" for uid, text in problems.items()]}
