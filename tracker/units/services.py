"""Units (单位): creation, changes and deactivation by the office."""
import re

from sqlalchemy import select

from ..audit.services import changes, record, snapshot
from ..errors import ServiceError
from ..extensions import db
from .models import UNIT_KINDS, Unit

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


def check_unit_fields(code: str, name: str, kind: str, exclude_id: int | None = None) -> tuple[str, str]:
    """Validate a unit's code, name and kind; returns the cleaned (code, name)."""
    code = (code or "").strip()
    name = (name or "").strip()
    if not CODE_RE.match(code):
        raise ServiceError("单位编码只能由字母、数字、下划线和连字符组成，不超过40个字符。", "code")
    if not name:
        raise ServiceError("单位名称不能为空。", "name")
    if len(name) > 120:
        raise ServiceError("单位名称不能超过120个字符。", "name")
    if kind not in UNIT_KINDS:
        raise ServiceError(f"未知的单位类型：{kind}", "kind")
    for column, value, label in ((Unit.code, code, "编码"), (Unit.name, name, "名称")):
        stmt = select(Unit.id).where(column == value)
        if exclude_id is not None:
            stmt = stmt.where(Unit.id != exclude_id)
        if db.session.scalar(stmt):
            raise ServiceError(f"单位{label}“{value}”已被使用。", "code" if label == "编码" else "name")
    return code, name


def create_unit(code: str, name: str, kind: str) -> Unit:
    code, name = check_unit_fields(code, name, kind)
    unit = Unit(code=code, name=name, kind=kind, active=True)
    db.session.add(unit)
    record("unit.create", unit, after=snapshot(unit, Unit.AUDIT_FIELDS))
    return unit


def update_unit(unit: Unit, code: str, name: str, kind: str) -> Unit:
    before = snapshot(unit, Unit.AUDIT_FIELDS)
    unit.code, unit.name = check_unit_fields(code, name, kind, exclude_id=unit.id)
    unit.kind = kind
    old, new = changes(before, snapshot(unit, Unit.AUDIT_FIELDS))
    if new:
        record("unit.update", unit, before=old, after=new)
    return unit


def set_unit_active(unit: Unit, active: bool, reason: str = "") -> None:
    """Deactivating keeps the unit's records (they stay in statistics) but hides it from new work."""
    if unit.active == active:
        return
    unit.active = active
    record("unit.activate" if active else "unit.deactivate", unit,
           before={"active": not active}, after={"active": active}, note=reason or None)


def active_units(kinds=None):
    stmt = select(Unit).where(Unit.active.is_(True)).order_by(Unit.kind.desc(), Unit.code)
    if kinds:
        stmt = stmt.where(Unit.kind.in_(kinds))
    return db.session.scalars(stmt).all()


def find_unit_by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == (code or "").strip()))


def counts_by_kind() -> list[tuple[str, int]]:
    """Active units per kind (镇（街道）, 市直部门, 政务公开办), for the units page."""
    from sqlalchemy import func
    got = dict(db.session.execute(
        select(Unit.kind, func.count()).where(Unit.active.is_(True)).group_by(Unit.kind)).all())
    return [(label, got.get(kind, 0)) for kind, label in UNIT_KINDS.items()]


def without_contact() -> list[Unit]:
    """Active supervised units with no active contact (考核“组织制度”扣分 until one is named)."""
    from ..accounts.models import User
    has_contact = select(User.unit_id).where(User.role == "contact", User.active.is_(True),
                                             User.unit_id.is_not(None))
    return db.session.scalars(select(Unit).where(Unit.active.is_(True), Unit.kind != "office",
                                                 Unit.id.not_in(has_contact)).order_by(Unit.code)).all()


def grouped_choices(units, empty: tuple | None = None) -> dict | list:
    """Select options for units grouped by kind (an <optgroup> per kind), so each label is just the
    unit's name. ``empty`` is an optional first (value, label) option outside any group."""
    groups: dict = {}
    if empty is not None:
        groups[None] = [empty]  # WTForms renders the None group's options outside any <optgroup>
    for unit in units:
        groups.setdefault(unit.kind_label, []).append((unit.id, unit.name))
    return groups
