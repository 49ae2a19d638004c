"""How the 操作日志 (audit log) shows checks, rectification items and 督办.

Kept beside the models, not in them: models know nothing of the page. ``audit/sources.py``
imports this module when the app starts."""

from ..audit.present import choice, describe_object, unit, yes_no
from .models import INSPECTION_KINDS, RECTIFICATION_STATES


def _describe_for_audit_log() -> None:
    """How the 操作日志 shows checks, rectification items and 督办 (audit.present)."""

    describe_object("inspection", "督查检查", {
        "kind": ("检查类型", choice(INSPECTION_KINDS)), "title": ("检查名称", None), "inspected_on": ("检查日期", None),
        "scope": ("检查范围", None), "method": ("检查方式", None), "summary": ("总体情况", None),
        "units": ("被检查单位", None), "unit_id": ("单位", unit), "finding": ("发现的问题", None)},
        link=("inspections.detail", "inspection_id"))
    describe_object("rectification", "整改事项", {
        "unit_id": ("单位", unit), "title": ("整改事项", None), "requirement": ("整改要求", None),
        "issued_on": ("下达日期", None), "period_days": ("整改期限（工作日）", None), "due_date": ("整改期限", None),
        "state": ("状态", choice(RECTIFICATION_STATES)), "files": ("佐证材料", None),
        "completed_on": ("整改完成日期", None), "on_time": ("按期整改", yes_no)},
        link=("inspections.rectification", "rectification_id"))
    describe_object("urging", "督办", {"record": ("督办事项", None), "message": ("督办意见", None)})


_describe_for_audit_log()
