"""How the 操作日志 (audit log) shows catalogue items, key areas and tasks.

Kept beside the models, not in them: models know nothing of the page. ``audit/sources.py``
imports this module when the app starts."""

from ..audit.present import choice, describe_object, enabled, yes_no
from ..extensions import db
from .models import ATTACHMENT_KINDS, ATTRIBUTES, CADENCES, CHANNELS, FREQUENCIES, PRIVACY, STATES, KeyArea
from .rules import period_label


def _describe_for_audit_log() -> None:
    """How the 操作日志 shows catalogue items, key areas and tasks (audit.present)."""

    def key_area(value, lookup):
        area = db.session.get(KeyArea, int(value)) if str(value).isdigit() else None
        return area.name if area else str(value)

    def period(value, lookup):
        return period_label(str(value))

    describe_object("disclosure_key_area", "重点领域", {"name": ("名称", None), "active": ("状态", enabled)})
    describe_object("disclosure_duty", "公开事项", {
        "title": ("公开事项名称", None), "key_area_id": ("重点领域", key_area), "cadence": ("公开类型", choice(CADENCES)),
        "frequency": ("周期", choice(FREQUENCIES)), "formation_offset_days": ("信息形成日（周期首日后天数）", None),
        "period_days": ("公开时限（工作日）", None), "channels": ("公开渠道", choice(CHANNELS)),
        "review_required": ("发布前须审核", yes_no), "start_date": ("起始日期", None), "note": ("备注", None),
        "active": ("状态", enabled)})
    describe_object("disclosure_task", "公开任务", {
        "state": ("状态", choice(STATES)), "title": ("任务名称", None), "period_key": ("周期", period),
        "formed_date": ("信息形成日期", None), "due_date": ("公开期限", None), "published_on": ("发布日期", None),
        "url": ("网址", None), "doc_number": ("文号", None), "normative": ("规范性文件", yes_no),
        "channels": ("公开渠道", choice(CHANNELS)), "attribute": ("公开属性", choice(ATTRIBUTES)),
        "privacy": ("保密审查", choice(PRIVACY)), "approved_on": ("审核通过日期", None),
        "verify_failures": ("核验未通过次数", None), "kind": ("材料类型", choice(ATTACHMENT_KINDS))},
        link=("disclosure.task", "task_id"))


_describe_for_audit_log()
