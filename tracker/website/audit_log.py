"""How the 操作日志 (audit log) shows website columns and findings.

Kept beside the models, not in them: models know nothing of the page. ``audit/sources.py``
imports this module when the app starts."""

from ..audit.present import choice, describe_object, enabled, unit
from .models import COLUMN_KINDS, FINDING_STATES


def _describe_for_audit_log() -> None:
    """How the 操作日志 shows columns and findings (audit.present)."""

    describe_object("web_column", "网站栏目", {
        "unit_id": ("单位", unit), "name": ("栏目名称", None), "url": ("栏目地址", None),
        "kind": ("栏目类型", choice({k: v[0] for k, v in COLUMN_KINDS.items()})),
        "max_age_days": ("更新时限（天）", None), "active": ("状态", enabled)})
    describe_object("web_finding", "网站巡查发现", {
        "state": ("状态", choice(FINDING_STATES)), "rectification_id": ("整改事项", None)})


_describe_for_audit_log()
