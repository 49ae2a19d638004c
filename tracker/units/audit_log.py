"""How the 操作日志 (audit log) shows units.

Kept beside the models, not in them: models know nothing of the page. ``audit/sources.py``
imports this module when the app starts."""

from ..audit.present import choice, describe_object, enabled
from .models import UNIT_KINDS


def _describe_for_audit_log() -> None:
    """How the 操作日志 shows units (audit.present)."""

    describe_object("unit", "单位", {"code": ("单位编码", None), "name": ("单位名称", None),
                                     "kind": ("单位类型", choice(UNIT_KINDS)), "active": ("状态", enabled)})


_describe_for_audit_log()
