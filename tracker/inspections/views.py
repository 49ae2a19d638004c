"""Pages of supervision: inspections and their findings, rectification items with the unit's
answers and the office's decision, and 督办. Thin: parse, check access, call a service, render."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from .. import files
from ..access import ALL_STAFF, allow, can_see_unit, get_visible, is_local_path
from ..bulletins.quarters import Quarter
from ..disclosure.forms import to_int
from ..disclosure.services import due_soon_cutoff
from ..downloads import download
from ..errors import ServiceError
from ..extensions import db
from ..inputs import parse_date
from ..timeutil import china_today
from ..units.models import Unit
from ..web import form_errors
from . import services, urging
from .forms import DecisionForm, FindingForm, InspectionForm, RespondForm, UrgeForm
from .models import (
    INSPECTION_KINDS,
    RECTIFICATION_STATES,
    URGE_KINDS,
    Finding,
    Inspection,
    Rectification,
    RectificationEvidence,
)

bp = Blueprint("inspections", __name__)


def _units():
    return db.session.scalars(select(Unit).where(Unit.active.is_(True), Unit.kind != "office")
                              .order_by(Unit.kind.desc(), Unit.code)).all()


# --- inspections ------------------------------------------------------------------------------------

@bp.route("/inspections")
@allow(*ALL_STAFF)
def index():
    page = db.paginate(services.inspection_query(current_user), per_page=30, error_out=False)
    return render_template("inspections/index.html", page=page, kinds=INSPECTION_KINDS)


def _inspection_form(form: InspectionForm, status: int = 200):
    form.unit_ids.choices = [(u.id, u.name) for u in _units()]
    return render_template("inspections/new.html", form=form), status


@bp.route("/inspections/new", methods=["GET", "POST"])
@allow("office")
def new():
    form = InspectionForm()
    if request.method == "GET":
        form.inspected_on.data = china_today().isoformat()
        return _inspection_form(form)
    if not form.validate_on_submit():
        form_errors(form)
        return _inspection_form(form, 422)
    try:
        data = services.InspectionData(form.kind.data, form.title.data, parse_date(form.inspected_on.data, "检查日期"),
                                       form.scope.data, form.method.data, form.summary.data,
                                       [i for i in form.unit_ids.data or [] if i])
        inspection = services.create_inspection(data, current_user, china_today())
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _inspection_form(form, 422)
    flash(f"已登记检查：{inspection.title}。请逐个单位登记发现的问题和整改要求。", "success")
    return redirect(url_for("inspections.detail", inspection_id=inspection.id))


def _visible_inspection(inspection_id: int) -> Inspection:
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None or not (current_user.sees_all_units
                                  or current_user.unit_id in services.inspection_unit_ids(inspection)):
        abort(404)
    return inspection


def _inspection_page(inspection: Inspection, form: FindingForm | None = None, status: int = 200):
    # Each finding's rectification item in one more statement, not one per finding.
    findings = db.session.scalars(select(Finding).where(Finding.inspection_id == inspection.id)
                                  .options(selectinload(Finding.rectification)).order_by(Finding.id)).all()
    findings = [f for f in findings if can_see_unit(f.unit_id)]
    units = [iu.unit for iu in inspection.units if can_see_unit(iu.unit_id)]
    if form is None:
        form = FindingForm(formdata=None)
    form.unit_id.choices = [(u.id, u.name) for u in units]
    today = china_today()
    return render_template("inspections/detail.html", inspection=inspection, findings=findings, units=units,
                           form=form, today=today, cutoff=due_soon_cutoff(today)), status


@bp.route("/inspections/<int:inspection_id>")
@allow(*ALL_STAFF)
def detail(inspection_id):
    return _inspection_page(_visible_inspection(inspection_id))


@bp.route("/inspections/<int:inspection_id>/findings", methods=["POST"])
@allow("office")
def add_finding(inspection_id):
    inspection = _visible_inspection(inspection_id)
    form = FindingForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _inspection_page(inspection, form, 422)
    try:
        finding = services.add_finding(inspection, form.unit_id.data, form.description.data, current_user,
                                       china_today(), rectify=form.rectify.data, requirement=form.requirement.data,
                                       period_days=form.period_days.data)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _inspection_page(inspection, form, 422)
    if finding.rectification is not None:
        flash(f"已登记问题并下达整改要求，整改期限 {finding.rectification.due_date:%Y-%m-%d}。", "success")
    else:
        flash("已登记发现的问题。", "success")
    return redirect(url_for("inspections.detail", inspection_id=inspection.id))


# --- rectification items ----------------------------------------------------------------------------

@bp.route("/rectifications")
@allow(*ALL_STAFF)
def rectifications():
    today = china_today()
    cutoff = due_soon_cutoff(today)
    unit_id = to_int(request.args.get("unit")) if current_user.sees_all_units else None
    state = request.args.get("state") if request.args.get("state") in RECTIFICATION_STATES else None
    flag = request.args.get("flag") if request.args.get("flag") in services.FLAGS else None
    q = (request.args.get("q") or "").strip()[:100]
    stmt = services.rectification_query(current_user, today, cutoff, unit_id, state, flag, q)
    page = db.paginate(stmt, per_page=30, error_out=False)
    return render_template("inspections/rectifications.html", page=page, today=today, cutoff=cutoff,
                           unit_id=unit_id, state=state, flag=flag, q=q, states=RECTIFICATION_STATES,
                           flags=services.FLAGS, units=_units() if current_user.sees_all_units else [])


def _rectification_page(item: Rectification, status: int = 200, respond_form=None):
    today = china_today()
    cutoff = due_soon_cutoff(today)
    from ..workcal.services import deadline_history
    urgings = urging.urgings_for("rectification", item.id)
    steps = sorted([(e.at, 0, e) for e in services.timeline(item)] + [(u.created_at, 1, u) for u in urgings],
                   key=lambda s: (s[0], s[1]))
    return render_template(
        "inspections/rectification.html", item=item, today=today, cutoff=cutoff, steps=[s[2] for s in steps],
        urgings=urgings,
        answers=services.responses(item), history=deadline_history(item),
        actions=services.allowed_actions(item, current_user), respond_form=respond_form or RespondForm(formdata=None),
        decision_form=DecisionForm(formdata=None)), status


@bp.route("/rectifications/<int:rectification_id>")
@allow(*ALL_STAFF)
def rectification(rectification_id):
    # The source inspection and finding come with the item, so the page's statements do not depend
    # on where the item came from (the inspection's unit list is not shown here).
    return _rectification_page(get_visible(Rectification, rectification_id, options=(
        joinedload(Rectification.inspection).options(lazyload(Inspection.units)),
        joinedload(Rectification.finding))))


@bp.route("/rectifications/<int:rectification_id>/respond", methods=["POST"])
@allow("contact")
def respond(rectification_id):
    item = get_visible(Rectification, rectification_id)
    form = RespondForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _rectification_page(item, 422, form)
    uploads = [(f.filename, f.read(files.MAX_BYTES + 1)) for f in request.files.getlist("files") if f and f.filename]
    try:
        services.respond(item, current_user, form.text.data, uploads, china_today())
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _rectification_page(item, 422, form)
    flash("已报送整改情况，等待公开办验收。", "success")
    return redirect(url_for("inspections.rectification", rectification_id=item.id))


def _decide(rectification_id: int, run, done: str):
    item = get_visible(Rectification, rectification_id)
    form = DecisionForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError("意见不能超过1000个字符。", "reason")
        run(item, form.reason.data or "")
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _rectification_page(item, 422)
    flash(done, "success")
    return redirect(url_for("inspections.rectification", rectification_id=item.id))


@bp.route("/rectifications/<int:rectification_id>/accept", methods=["POST"])
@allow("office")
def accept(rectification_id):
    return _decide(rectification_id, lambda i, r: services.accept(i, current_user, r), "已验收，整改事项销号。")


@bp.route("/rectifications/<int:rectification_id>/return", methods=["POST"])
@allow("office")
def return_item(rectification_id):
    return _decide(rectification_id, lambda i, r: services.return_item(i, current_user, r),
                   "已退回单位重新整改。")


@bp.route("/rectifications/<int:rectification_id>/cancel", methods=["POST"])
@allow("office")
def cancel(rectification_id):
    return _decide(rectification_id, lambda i, r: services.cancel(i, current_user, r), "整改事项已撤销。")


@bp.route("/rectifications/evidence/<int:evidence_id>")
@allow(*ALL_STAFF)
def evidence(evidence_id):
    item = get_visible(RectificationEvidence, evidence_id)
    try:
        return download(files.path_of(item.stored_name), item.original_name, files.mime_type(item.extension))
    except FileNotFoundError:
        abort(404)


# --- 督办 ---------------------------------------------------------------------------------------------

@bp.route("/urge/<record_type>/<int:record_id>", methods=["POST"])
@allow("office")
def urge(record_type, record_id):
    if record_type not in URGE_KINDS:
        abort(404)
    form = UrgeForm()
    back = form.next.data if is_local_path(form.next.data) else None
    try:
        if not form.validate_on_submit():
            raise ServiceError("督办意见不能超过500个字符。", "message")
        done = urging.urge(record_type, record_id, current_user, form.message.data, china_today())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(back or url_for("inspections.urgings")), 303
    if done.recipients:
        flash(f"已督办，{done.recipients}人已收到站内消息和邮件。", "success")
    else:
        flash("已记录督办，但该单位没有在用的联络员或审核人，无人收到通知，请电话联系。", "warning")
    return redirect(back or done.link)


@bp.route("/urgings")
@allow("office", "leader")
def urgings():
    """督办记录: every 督办 of a quarter, and the units urged repeatedly in it."""
    today = china_today()
    try:
        quarter = Quarter.parse(request.args["quarter"]) if request.args.get("quarter") else Quarter.containing(today)
    except ServiceError as exc:
        flash(exc.message, "warning")
        quarter = Quarter.containing(today)
    items = urging.urgings_between(quarter.start, quarter.end)
    counts = urging.counts_by_unit(quarter.start, quarter.end)
    names = {u.id: u.name for u in _units()}
    ranked = sorted(((names.get(uid) or str(uid), uid, n) for uid, n in counts.items()), key=lambda r: (-r[2], r[0]))
    quarters = [Quarter.containing(today)]
    for _ in range(7):
        quarters.append(quarters[-1].previous())
    return render_template("inspections/urgings.html", quarter=quarter, quarters=quarters, items=items,
                           ranked=ranked, repeated=urging.REPEATED)


@bp.app_context_processor
def supervision_helpers():
    """For other features' pages: the 督办 panel of a record and the repeated-督办 summary."""
    def urge_panel(record_type: str, record, urgings=None):
        """``urgings``: the record's 督办 when the page has read them already (its timeline)."""
        today = china_today()
        cutoff = due_soon_cutoff(today)
        if urgings is None:
            urgings = urging.urgings_for(record_type, record.id)
        return {"record_type": record_type, "record_id": record.id,
                "target": urging.target(record_type, record, today, cutoff),
                "urgings": urgings, "form": UrgeForm(formdata=None)}

    def repeated_urgings():
        q = Quarter.containing(china_today())
        counts = urging.counts_by_unit(q.start, q.end)
        names = {u.id: u for u in _units()}
        return q, sorted(((names[uid], n) for uid, n in counts.items() if n >= urging.REPEATED and uid in names),
                         key=lambda r: -r[1])

    return {"urge_panel": urge_panel, "repeated_urgings": repeated_urgings}
