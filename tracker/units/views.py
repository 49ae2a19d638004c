from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from ..access import ALL_STAFF, allow, can_see_unit
from ..accounts.forms import ReasonForm
from ..accounts.models import User
from ..errors import ServiceError
from ..extensions import db
from ..web import form_errors, refuse
from . import services
from .forms import UnitForm
from .models import UNIT_KINDS, Unit

bp = Blueprint("units", __name__)
ADMIN = "/admin/units"  # the office's unit administration; the unit page itself is /units/<id>


@bp.route(f"{ADMIN}/")
@allow("office")
def index():
    q = request.args.get("q", "").strip()
    kind = request.args.get("kind", "")
    stmt = select(Unit).order_by(Unit.active.desc(), Unit.kind.desc(), Unit.code)
    if q:
        stmt = stmt.where(or_(Unit.code.ilike(f"%{q}%"), Unit.name.ilike(f"%{q}%")))
    if kind in UNIT_KINDS:
        stmt = stmt.where(Unit.kind == kind)
    page = db.paginate(stmt, per_page=50, error_out=False)
    ids = [u.id for u in page.items]
    staff = dict(db.session.execute(
        select(User.unit_id, func.count()).where(User.unit_id.in_(ids), User.active.is_(True))
        .group_by(User.unit_id)).all())
    return render_template("units/index.html", page=page, q=q, kind=kind, kinds=UNIT_KINDS, staff=staff,
                           counts=services.counts_by_kind(), without_contact=services.without_contact())


@bp.route(f"{ADMIN}/new", methods=["GET", "POST"])
@allow("office")
def new():
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = services.create_unit(form.code.data, form.name.data, form.kind.data)
        except ServiceError as exc:
            refuse(exc, form)
            return render_template("units/form.html", form=form, unit=None), 422
        flash(f"已创建单位：{unit.name}", "success")
        return redirect(url_for("units.index"))
    if request.method == "POST":
        form_errors(form)
        return render_template("units/form.html", form=form, unit=None), 422
    return render_template("units/form.html", form=form, unit=None)


@bp.route(f"{ADMIN}/<int:unit_id>", methods=["GET", "POST"])
@allow("office")
def edit(unit_id):
    unit = db.session.get(Unit, unit_id) or abort(404)
    form = UnitForm(obj=unit if request.method == "GET" else None)  # a field missing from a POST is an error
    if form.validate_on_submit():
        try:
            services.update_unit(unit, form.code.data, form.name.data, form.kind.data)
        except ServiceError as exc:
            refuse(exc, form)
            return render_template("units/form.html", form=form, unit=unit), 422
        flash("单位信息已保存。", "success")
        return redirect(url_for("units.index"))
    if request.method == "POST":
        form_errors(form)
        return render_template("units/form.html", form=form, unit=unit), 422
    members = db.session.scalars(select(User).where(User.unit_id == unit.id).order_by(User.role)).all()
    return render_template("units/form.html", form=form, unit=unit, members=members, reason_form=ReasonForm())


@bp.route(f"{ADMIN}/<int:unit_id>/active", methods=["POST"])
@allow("office")
def set_active(unit_id):
    unit = db.session.get(Unit, unit_id) or abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("units.edit", unit_id=unit.id))
    active = request.form.get("active") == "1"
    services.set_unit_active(unit, active, form.reason.data)
    flash("单位已启用。" if active else "单位已停用（历史记录保留）。", "success")
    return redirect(url_for("units.edit", unit_id=unit.id))


@bp.route("/units/<int:unit_id>")
@allow(*ALL_STAFF)
def profile(unit_id):
    """单位档案: people and phones, open work by urgency, rectifications, 督办, quarters, scores.
    The office and leaders see every unit; unit staff their own."""
    from ..timeutil import china_today
    from . import profile as unit_profile

    unit = db.session.get(Unit, unit_id)
    if unit is None or not can_see_unit(unit.id):
        abort(404)
    today = china_today()
    return render_template("units/profile.html", unit=unit, today=today, people=unit_profile.people(unit),
                           work=unit_profile.open_work(unit, today), rectifications=unit_profile.rectifications(unit),
                           urgings=unit_profile.urgings(unit), inspections=unit_profile.inspections(unit),
                           quarters=unit_profile.quarters(unit), scores=unit_profile.scores(unit),
                           ratings=unit_profile.ratings(unit, today))


@bp.app_template_global("unit_page")
def unit_page(unit) -> str | None:
    """The unit page's address for a unit name on any page, when the reader may open it (the
    office and leaders: every supervised unit; unit staff: their own)."""
    if unit is None or getattr(unit, "kind", None) == "office" or not can_see_unit(unit.id):
        return None
    return url_for("units.profile", unit_id=unit.id)
