"""Applications as work owed, for the dashboards and 待办 (see worklist.services), and an applicant's
不满意 (社会评议, ratings.py) as the office's turn until it is handled."""
from flask import url_for
from sqlalchemy import func, or_, select

from ..extensions import db
from ..worklist.services import WorkItem, WorkQuery, WorkSlice, register_work_source
from ..worklist.turns import Turn, columns, register_office_turn
from .models import PAUSED_STATES, RUNNING_STATES, Application, ApplicationRating
from .reminders import PAUSE_LABELS


def _badge(app: Application) -> str:
    if app.is_paused:
        return "text-bg-warning"
    return "text-bg-info" if app.state == "pending" else "text-bg-primary"


def _owed_states(user, everything: bool) -> tuple:
    """A unit owes the reply while its clock runs; a mis-routed application sent back (returned) is
    the office's to route again, as are online applications waiting to be confirmed. Paused
    applications wait on someone else: listed in 待办 (undated, last), not among the urgent."""
    if user.sees_all_units:
        states = RUNNING_STATES + (("pending",) if user.role == "office" else ())
    else:
        states = ("open",)
    return states + (PAUSED_STATES if everything else ())


@register_work_source
def open_applications(user, query: WorkQuery) -> WorkSlice:
    """Applications whose reply is owed (Art. 33 deadline), those ``user`` may see, by deadline."""
    states = _owed_states(user, query.due_by is None)
    stmt = select(Application).where(Application.state.in_(states))
    if not user.sees_all_units:
        stmt = stmt.where(Application.unit_id == user.unit_id)
    if query.due_by is not None:
        # an online application waiting to be confirmed has no deadline yet but is urgent: the
        # applicant's 20 working days start only once the office confirms it (Art. 31)
        stmt = stmt.where(or_(Application.due_date <= query.due_by, Application.state == "pending"))
    total = db.session.scalar(stmt.with_only_columns(func.count()).order_by(None))
    pending_first = Application.state != "pending"
    undated_last = Application.due_date.is_(None)
    order = Application.due_date.desc() if query.descending else Application.due_date
    apps = db.session.scalars(stmt.order_by(pending_first, undated_last, order, Application.created_at,
                                            Application.id).limit(query.limit)).all()
    items = []
    for a in apps:
        note = None
        if a.is_paused:
            note = "暂停计时" + (f"，{PAUSE_LABELS.get(a.state, '暂停期限')}至 {a.pause_due:%Y-%m-%d}" if a.pause_due else "")
        elif a.state == "pending":
            note = "网上申请，确认收到后开始计时"
        items.append(WorkItem("依申请公开", a.title, url_for("applications.detail", app_id=a.id),
                              None if a.is_paused else a.due_date, a.state_label, _badge(a), unit=a.unit,
                              reference=a.tracking_code, provisional=a.due_provisional, note=note,
                              waiting_since=a.created_at if a.state == "pending" else None))
    return WorkSlice("政府信息公开申请", items, total, url_for("applications.index", sort="due"))


def _dissatisfied(row) -> WorkItem:
    return WorkItem("社会评议", row.text, url_for("applications.detail", app_id=row.number) + "#rating", None,
                    "不满意", "text-bg-danger", unit=row.unit, note="申请人对答复不满意，请核实并处理")


register_office_turn(Turn(
    "application_ratings", "社会评议不满意待处理",
    lambda: select(*columns(ApplicationRating.id, text=Application.title, number=ApplicationRating.application_id,
                            unit_id=ApplicationRating.unit_id))
    .join(Application, Application.id == ApplicationRating.application_id)
    .where(ApplicationRating.level == "dissatisfied", ApplicationRating.handled_at.is_(None)),
    _dissatisfied, lambda: url_for("applications.ratings_list")))
