"""How the 操作日志 (audit log) shows scores, manual items, objections, periods and rubrics.

Kept beside the models, not in them: models know nothing of the page. ``audit/sources.py``
imports this module when the app starts."""

from ..audit.present import choice, describe_object
from .models import BONUS, OBJECTION_STATES, PERIOD_STATES


def _describe_for_audit_log() -> None:
    """How the 操作日志 shows scores, manual items, objections, periods and rubrics (audit.present)."""
    from .rubrics import default_spec

    categories = {c.key: c.name for c in default_spec().categories} | {BONUS: "加分"}
    describe_object("score", "考核得分", {"total": ("总分", None), "item": ("扣分项", None), "points": ("分值", None),
                                      "voided": ("撤销的扣分", None)})
    describe_object("score_manual", "人工扣分（加分）", {
        "category": ("类别", choice(categories)), "type": ("类型", None), "points": ("分值", None),
        "evidence": ("佐证材料", None)})
    describe_object("score_objection", "考核申辩", {
        "item": ("申辩的扣分项", None), "points": ("分值", None), "evidence": ("佐证材料", None),
        "state": ("状态", choice(OBJECTION_STATES))}, link=("scores.objection", "objection_id"))
    describe_object("score_period", "考核期", {
        "state": ("状态", choice(PERIOD_STATES)), "computed": ("已计算单位数", None), "as_of": ("统计截至", None),
        "units": ("单位数", None), "failed": ("计算失败的单位", None), "rubric": ("评分细则", None),
        "objection_deadline": ("申辩截止日期", None), "changed": ("得分有变化的单位", None)})
    describe_object("score_rubric", "评分细则", {"year": ("年度", None), "version": ("版本", None),
                                             "changes": ("修改内容", None)})


_describe_for_audit_log()
