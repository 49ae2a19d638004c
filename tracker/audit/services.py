"""The one helper that writes audit events. Every feature records its changes through ``record``."""
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from .models import AuditEvent

# Short Chinese descriptions of actions for the audit log page; unknown actions show their code.
ACTION_LABELS = {
    "user.login": "登录",
    "user.logout": "退出",
    "user.create": "创建用户",
    "user.update": "修改用户",
    "user.deactivate": "停用用户",
    "user.activate": "启用用户",
    "user.password_change": "修改密码",
    "user.password_reset": "重置密码",
    "unit.create": "创建单位",
    "unit.update": "修改单位",
    "unit.deactivate": "停用单位",
    "unit.activate": "启用单位",
    "import.units": "批量导入单位",
    "import.users": "批量导入用户",
    "calendar.notice": "录入节假日安排",
    "calendar.local_day": "录入本地工作日调整",
}


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj, fields) -> dict:
    """The named fields of a record as JSON-safe values, for ``before``/``after``."""
    return {f: _plain(getattr(obj, f)) for f in fields}


def record(action: str, obj=None, *, before=None, after=None, note=None, actor=None,
           object_type=None, object_id=None, object_label=None) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change it describes)."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    if obj is not None:
        object_type = object_type or obj.__tablename__
        db.session.flush()  # so a new record has its id
        object_id = object_id or str(obj.id)
        object_label = object_label or str(obj)
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.display_name if actor is not None else "系统",
        action=action,
        object_type=object_type or "-",
        object_id=str(object_id) if object_id is not None else None,
        object_label=object_label,
        before=_plain(before),
        after=_plain(after),
        note=note,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
