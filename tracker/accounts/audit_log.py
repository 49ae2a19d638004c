"""How the 操作日志 (audit log) shows accounts.

Kept beside the models, not in them: models know nothing of the page. ``audit/sources.py``
imports this module when the app starts."""

from ..audit.present import choice, describe_object, enabled, unit
from .models import ROLES


def _describe_for_audit_log() -> None:
    """How the 操作日志 shows accounts (audit.present)."""

    describe_object("user_account", "用户", {
        "username": ("用户名", None), "display_name": ("姓名", None), "email": ("电子邮箱", None),
        "phone": ("电话", None), "role": ("角色", choice(ROLES)), "unit_id": ("所属单位", unit),
        "active": ("账号状态", enabled)},
        link=("accounts.edit_user", "user_id"))


_describe_for_audit_log()
