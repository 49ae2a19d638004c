"""How the 操作日志 (audit log) shows applications and their reconsiderations / lawsuits.

Kept beside the models, not in them: models know nothing of the page. ``audit/sources.py``
imports this module when the app starts."""

from ..audit.present import choice, describe_object, unit, yes_no
from .models import CASE_KINDS, CASE_RESULTS, CHANNELS, DOCUMENT_KINDS, RATING_LEVELS, RATING_REASONS, STATES


def _describe_for_audit_log() -> None:
    """How the 操作日志 shows applications and their reconsiderations / lawsuits (audit.present)."""
    from .outcomes import OUTCOMES

    def outcome(value, lookup):
        return OUTCOMES[value].short if value in OUTCOMES else str(value)

    describe_object("application", "政府信息公开申请", {
        "state": ("状态", choice(STATES)), "channel": ("收到申请的渠道", choice(CHANNELS)),
        "receipt_date": ("收到申请日期", None), "unit_id": ("承办单位", unit), "from_unit_id": ("原承办单位", unit),
        "due_date": ("答复期限", None), "due": ("期限", None), "outcome": ("办理结果", outcome),
        "reply_date": ("答复日期", None), "delivered_on": ("送达日期", None), "late": ("逾期答复", yes_no),
        "closed_on": ("办结日期", None), "sent_on": ("发出日期", None), "received_on": ("收到日期", None),
        "answered_on": ("收到答复日期", None), "lapsed": ("期满未答复", yes_no), "party": ("征求意见对象", None),
        "amount": ("金额（元）", None), "paid_on": ("缴费日期", None), "days": ("延长工作日数", None),
        "approved_on": ("批准日期", None), "notice_sent_on": ("延期告知发出日期", None),
        "kind": ("材料类型", choice(DOCUMENT_KINDS)), "level": ("评价", choice(RATING_LEVELS)),
        "reason": ("主要原因", choice(RATING_REASONS)), "handled": ("已处理", yes_no)},
        link=("applications.detail", "app_id"))
    describe_object("application_case", "行政复议 / 行政诉讼", {
        "application": ("申请查询码", None), "kind": ("类型", choice(CASE_KINDS)), "filed_on": ("立案（申请）日期", None),
        "result": ("结果", choice(CASE_RESULTS)), "decided_on": ("审结日期", None)})


_describe_for_audit_log()
