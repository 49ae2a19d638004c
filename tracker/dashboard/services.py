"""What each role sees first. Later features add their figures here."""
from sqlalchemy import func, select

from ..accounts.models import ROLES, User
from ..extensions import db
from ..units.models import UNIT_KINDS, Unit


def office_overview() -> dict:
    """Counts for the office: active units per kind, and units without an active contact."""
    units_by_kind = dict(db.session.execute(
        select(Unit.kind, func.count()).where(Unit.active.is_(True)).group_by(Unit.kind)).all())
    users_by_role = dict(db.session.execute(
        select(User.role, func.count()).where(User.active.is_(True)).group_by(User.role)).all())
    has_contact = select(User.unit_id).where(User.role == "contact", User.active.is_(True))
    without_contact = db.session.scalars(
        select(Unit).where(Unit.active.is_(True), Unit.kind != "office", Unit.id.not_in(has_contact))
        .order_by(Unit.code)).all()
    return {
        "units_by_kind": [(UNIT_KINDS[k], units_by_kind.get(k, 0)) for k in UNIT_KINDS],
        "users_by_role": [(ROLES[r], users_by_role.get(r, 0)) for r in ROLES],
        "without_contact": without_contact,
    }


def unit_overview(unit_id: int) -> dict:
    """For a unit's contact or reviewer: their unit's colleagues."""
    colleagues = db.session.scalars(
        select(User).where(User.unit_id == unit_id, User.active.is_(True)).order_by(User.role)).all()
    return {"colleagues": colleagues}
