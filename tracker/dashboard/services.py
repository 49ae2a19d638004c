"""What each role sees first: the work that is overdue or due soon, then the figures. Head-counts
of units and accounts live on the admin pages (units.services, accounts.services)."""
from datetime import date

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..units.services import without_contact
from ..worklist import services as worklist


def office_overview(user, today: date) -> dict:
    """For the office and leaders: the city's urgent work, and units still without a contact."""
    return {"work": worklist.urgent(user, today), "without_contact": without_contact()}


def unit_overview(user, today: date) -> dict:
    """For a unit's contact (everything the unit owes, by working days left) or reviewer (what is
    urgent), and the unit's colleagues."""
    if user.role == "contact":
        work = worklist.owed(user, today, limit=worklist.URGENT_LIMIT)
    else:
        work = worklist.urgent(user, today)
    colleagues = db.session.scalars(
        select(User).where(User.unit_id == user.unit_id, User.active.is_(True)).order_by(User.role)).all()
    return {"work": work, "colleagues": colleagues}
