"""Scores as the office's work without a deadline clock (see worklist.turns): objections (申辩)
to answer, and periods computed and waiting to be published."""
from flask import url_for
from sqlalchemy import select

from ..worklist.services import WorkItem
from ..worklist.turns import Turn, columns, register_office_turn
from .models import Objection, ScorePeriod
from .periods import parse_period


def _objection(row) -> WorkItem:
    return WorkItem("考核申辩", f"申辩：{row.text}", url_for("scores.objection", objection_id=row.id), None,
                    "待答复", "text-bg-warning", unit=row.unit, note="单位对扣分提出申辩，待公开办答复")


def _period(row) -> WorkItem:
    label = parse_period(row.text).label
    return WorkItem("考核得分", f"{label}考核得分", url_for("scores.period", key=row.text), None, "待发布",
                    "text-bg-info", note="得分已按期末数据计算，待公开办审核发布")


register_office_turn(Turn(
    "objections", "待答复的申辩",
    lambda: select(*columns(Objection.id, Objection.item_label, unit_id=Objection.unit_id))
    .where(Objection.state == "pending"),
    _objection, lambda: url_for("scores.objections", state="pending")))

register_office_turn(Turn(
    "scores", "待发布的考核得分",
    lambda: select(*columns(ScorePeriod.id, ScorePeriod.key)).where(ScorePeriod.state == "final"),
    _period, lambda: url_for("scores.periods")))
