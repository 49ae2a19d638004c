"""How the 操作日志 (audit log) shows bulletins and the bulletin settings.

Kept beside the models, not in them: models know nothing of the page. ``audit/sources.py``
imports this module when the app starts."""

from ..audit.present import choice, describe_object
from .models import STATES


def _describe_for_audit_log() -> None:
    """How the 操作日志 shows bulletins and the bulletin settings (audit.present)."""

    def quarter(value, lookup):
        from ..errors import ServiceError
        from .quarters import Quarter
        try:
            return Quarter.parse(str(value)).label
        except ServiceError:  # not a quarter key: shown as stored
            return str(value)

    describe_object("bulletin", "季度通报", {
        "quarter": ("季度", quarter), "as_of": ("数据统计截至", None), "state": ("状态", choice(STATES)),
        "good_practice": ("工作亮点", None), "problems": ("存在问题", None), "requirements": ("下一步要求", None),
        "unit": ("单位", None), "requirement": ("整改要求", None), "period_days": ("整改期限（工作日）", None),
        "doc_number": ("发文字号", None), "published_on": ("印发日期", None), "items": ("整改要求条数", None)},
        link=("bulletins.detail", "bulletin_id"))
    describe_object("setting", "系统设置", {
        "issuer": ("发文机关", None), "number_prefix": ("机关代字", None), "area": ("通报范围", None),
        "addressees": ("主送机关", None), "item_days": ("整改期限默认工作日", None)})


_describe_for_audit_log()
