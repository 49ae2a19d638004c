"""Staff pages for applications: list, register, record page with its actions, letters, export,
statistics. Thin: parse, check who asks, call a service, render."""

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from .. import files, spreadsheets
from ..access import ALL_STAFF, allow, can_see_unit
from ..audit.services import record
from ..downloads import download
from ..errors import ServiceError
from ..extensions import db
from ..inputs import query_id, query_int
from ..timeutil import china_today
from ..units.models import Unit
from ..units.services import grouped_choices
from ..web import filter_names, form_errors, refuse
from ..worklist.services import waited_label
from . import documents, exports, forms, letters, ratings, services, statistics
from .models import (
    APPLICANT_KINDS,
    CHANNELS,
    RECEIPT_RULES,
    STATES,
    Application,
    ApplicationCase,
    ApplicationDocument,
    ApplicationRating,
)
from .outcomes import OUTCOMES

bp = Blueprint("applications", __name__, url_prefix="/applications")
HANDLERS = ("office", "contact", "reviewer")


@bp.app_context_processor
def _dashboard_summary():
    """``application_summary()`` for the dashboards (computed only where a template calls it)."""
    return {"application_summary": lambda: services.dashboard_summary(current_user)}


def _units(user=None) -> list[Unit]:
    stmt = select(Unit).where(Unit.active.is_(True), Unit.kind != "office").order_by(Unit.kind.desc(), Unit.code)
    if user is not None and not user.sees_all_units:
        stmt = stmt.where(Unit.id == user.unit_id)
    return db.session.scalars(stmt).all()


def _unit_choices(user=None):
    return grouped_choices(_units(user), empty=(0, "请选择承办单位"))


def _filters() -> tuple:
    """The list's filters and sort order, as ``services.visible_stmt`` takes them after the user."""
    args = request.args
    return (args.get("state", ""), query_id("unit_id"), query_int("year", 2000, 2100), args.get("q", "").strip()[:100],
            "due" if args.get("sort") == "due" else "", args.get("dir") == "desc")


def _visible_application(app_id: int) -> Application:
    app = db.session.get(Application, app_id)
    if app is None:
        abort(404)
    if app.unit_id is None and not current_user.sees_all_units:
        abort(404)  # online applications not yet routed: office and leadership only
    if app.unit_id is not None and not can_see_unit(app.unit_id):
        abort(404)
    return app


@bp.route("/")
@allow(*ALL_STAFF)
@filter_names("state", "unit_id", "year", "q", "sort", "dir")
def index():
    state, unit_id, year, q, sort, desc = _filters()
    stmt = services.visible_stmt(current_user, state, unit_id, year, q, sort, desc)
    page = db.paginate(stmt, per_page=30, error_out=False)
    return render_template("applications/index.html", page=page, states=STATES, state=state, unit_id=unit_id,
                           year=year, q=q, units=_units() if current_user.sees_all_units else [],
                           today=china_today(), outcomes=OUTCOMES, sort=sort, desc=desc)


@bp.route("/discard", methods=["POST"])
@allow("office")
def discard():
    """The office marks the ticked online submissions (待确认) as junk: 无效申请（垃圾提交）."""
    form = forms.DiscardForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("applications.index", state="pending")), 303
    ids = [int(v) for v in request.form.getlist("app_id") if v.isdigit() and len(v) < 12]
    apps = db.session.scalars(select(Application).where(Application.id.in_(ids))).all() if ids else []
    try:
        count = services.discard_online(apps, form.reason.data)
    except services.Forbidden:
        abort(403)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("applications.index", state="pending")), 303
    flash(f"已将{count}件网上申请标记为无效申请（垃圾提交）。", "success")
    return redirect(url_for("applications.index", state="pending")), 303


@bp.route("/export")
@allow(*ALL_STAFF)
def export():
    """The filtered list as Excel (证件号码脱敏), in the list's sort order; who exported how many rows
    is audited."""
    def audit(count):
        record("application.export", None, object_type="application", note=f"导出{count}条申请记录（证件号码已脱敏）")

    return spreadsheets.export("依申请公开", "依申请公开", exports.COLUMNS,
                               exports.application_rows(current_user, _filters(), china_today()), on_done=audit)


@bp.route("/new", methods=["GET", "POST"])
@allow(*HANDLERS)
def new():
    form = forms.RegisterForm()
    form.unit_id.choices = _unit_choices(current_user)
    if request.method == "GET":
        form.receipt_date.data = china_today()
        if not current_user.sees_all_units:
            form.unit_id.data = current_user.unit_id
    if form.validate_on_submit():
        try:
            app, password = services.register_application(form.data)
        except services.Forbidden:
            abort(403)
        except ServiceError as exc:
            refuse(exc, form)
            return render_template("applications/form.html", form=form, rules=RECEIPT_RULES), 422
        # The query password on this answer only: a flash would carry it in the (readable) session cookie.
        return render_template("one_time_secret.html", heading="申请已登记",
                               message=f"已登记申请 {app.tracking_code}。请将查询码和查询密码告知申请人。",
                               details=[("查询码", app.tracking_code)], secret_label="查询密码", secret=password,
                               audience="申请人", next_url=url_for("applications.detail", app_id=app.id),
                               next_label="查看申请记录")
    if request.method == "POST":
        form_errors(form)
        return render_template("applications/form.html", form=form, rules=RECEIPT_RULES), 422
    return render_template("applications/form.html", form=form, rules=RECEIPT_RULES)


def _action_forms(app: Application) -> dict:
    units = _unit_choices()
    confirm, route = forms.ConfirmForm(prefix="confirm"), forms.RouteForm(prefix="route")
    confirm.unit_id.choices = route.unit_id.choices = units
    confirm.receipt_date.data = china_today()
    return {
        "confirm": confirm, "route": route, "return": forms.ReturnForm(prefix="return"),
        "correction": forms.CorrectionForm(prefix="correction"),
        "correction_received": forms.CorrectionReceivedForm(prefix="correction_received"),
        "consultation": forms.ConsultationForm(prefix="consultation"),
        "consultation_answer": forms.ConsultationAnswerForm(prefix="consultation_answer"),
        "fee": forms.FeeForm(prefix="fee"), "payment": forms.PaymentForm(prefix="payment"),
        "delivery": forms.DeliveryForm(prefix="delivery"),
        "extension": forms.ExtensionForm(prefix="extension"), "reply": forms.ReplyForm(prefix="reply"),
        "withdraw": forms.WithdrawForm(prefix="withdraw"), "case": forms.CaseForm(prefix="case"),
    }


@bp.route("/<int:app_id>")
@allow(*ALL_STAFF)
def detail(app_id):
    app = _visible_application(app_id)
    return _rerender(app, _action_forms(app))


@bp.route("/<int:app_id>/id-number", methods=["POST"])
@allow(*HANDLERS)
def reveal_id(app_id):
    """显示: the applicant's whole ID number, on request only (audited); JSON for the page's script,
    the record page with the number shown when scripts are off."""
    app = _visible_application(app_id)
    try:
        number = services.reveal_id_number(app)
    except services.Forbidden:
        abort(403)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(id_number=number)
    return _rerender(app, _action_forms(app), revealed=number)


def _do(app: Application, action: str, f):
    """Call the service of ``action`` with the parsed form ``f``."""
    d = f.data
    late = {"entry_reason": d.get("entry_reason") or ""} if "entry_reason" in d else {}
    if "confirm_move" in d:
        late["confirm_move"] = bool(d["confirm_move"])
    if action == "confirm":
        return services.confirm_online(app, d["receipt_date"], d["unit_id"])
    if action == "route":
        return services.route(app, d["unit_id"], d["note"] or "")
    if action == "return":
        return services.return_to_office(app, d["reason"])
    if action == "correction":
        return services.request_correction(app, d["sent_on"], d["due_on"], d["items"], **late)
    if action == "correction_received":
        return services.receive_correction(app, d["received_on"], late_reason=d["late_reason"] or "", **late)
    if action == "consultation":
        return services.start_consultation(app, d["sent_on"], d["party_kind"], d["party"], d["delivered_on"], **late)
    if action == "consultation_answer":
        return services.end_consultation(app, d["answered_on"], d["summary"], **late)
    if action == "fee":
        return services.send_fee_notice(app, d["sent_on"], d["delivered_on"], d["method"], d["quantity"], **late)
    if action == "payment":
        return services.record_payment(app, d["paid_on"], d["late_reason"] or "", **late)
    if action == "delivery":
        return services.record_delivery(app, d["delivered_on"], **late)
    if action == "extension":
        return services.extend(app, d["days"], d["approved_on"], d["notice_sent_on"], d["reason"], **late)
    if action == "reply":
        return services.reply(app, d["outcome"], d["reply_date"], d["delivery"], d["delivered_on"], d["note"], **late)
    if action == "withdraw":
        return services.withdraw(app, d["withdrawn_on"], d["note"] or "", **late)
    if action == "case":
        return services.add_case(app, d["kind"], d["filed_on"], d["result"], d["decided_on"], d["note"] or "")
    abort(404)


ACTION_DONE = {"confirm": "已确认收到申请并分办。", "route": "已分办。", "return": "已退回公开办。",
               "correction": "已记录补正告知。", "correction_received": "已记录补正后的申请，重新计时。",
               "consultation": "已记录征求意见，暂停计时。", "consultation_answer": "已记录答复，恢复计时。",
               "fee": "已记录收费通知，暂停计时。", "payment": "已记录缴费，恢复计时。", "extension": "已延期。",
               "delivery": "已登记实际送达日期，期限已重新计算。",
               "reply": "已记录答复。", "withdraw": "已记录撤回。", "case": "已登记复议/诉讼。"}


@bp.route("/<int:app_id>/act/<action>", methods=["POST"])
@allow(*HANDLERS)
def act(app_id, action):
    app = _visible_application(app_id)
    all_forms = _action_forms(app)
    if action not in all_forms:
        abort(404)
    f = all_forms[action]
    if not f.validate_on_submit():
        form_errors(f)
        return _rerender(app, all_forms), 422
    try:
        _do(app, action, f)
    except services.Forbidden:
        abort(403)
    except ServiceError as exc:
        refuse(exc, f)
        return _rerender(app, all_forms), 422
    flash(ACTION_DONE[action], "success")
    if action == "return" and not current_user.sees_all_units:
        return redirect(url_for("applications.index"))
    return redirect(url_for("applications.detail", app_id=app.id))


def _rerender(app, all_forms, document_form=None, revealed=None):
    """The record page (also re-shown, with the user's input, when an action was refused)."""
    return render_template("applications/detail.html", a=app, clock=services.clock_result(app), forms=all_forms,
                           postal_days=services.postal_allowance_days(),
                           events=services.events_for_display(app), history=services.deadline_history(app),
                           can_act=services.can_act(app, current_user),
                           can_extend=services.can_act(app, current_user, ("office", "reviewer")),
                           outcomes=OUTCOMES, letters=letters.LETTERS, case_form=forms.CaseResultForm,
                           documents=documents.documents_of(app), document_form=document_form or forms.DocumentForm(),
                           today=china_today(), revealed=revealed,
                           # 社会评议: the office only (units and leaders see counts, never who rated)
                           rating=ratings.rating_of(app) if current_user.role == "office" else None,
                           rating_form=forms.RatingHandledForm(), reset_form=forms.ResetPasswordForm(),
                           waited=waited_label(app.created_at) if app.state == "pending" else None)


@bp.route("/<int:app_id>/rating/handled", methods=["POST"])
@allow("office")
def rating_handled(app_id):
    """The office has looked into the applicant's 不满意: it leaves the office's 待办."""
    app = _visible_application(app_id)
    rating = ratings.rating_of(app) or abort(404)
    f = forms.RatingHandledForm()
    try:
        if not f.validate_on_submit():
            raise ServiceError("请填写处理情况。", "note")
        ratings.mark_handled(rating, f.note.data, current_user)
    except services.Forbidden:
        abort(403)
    except ServiceError as exc:
        refuse(exc, f)
        return redirect(url_for("applications.detail", app_id=app.id) + "#rating"), 303
    flash("已记录评议处理情况。", "success")
    return redirect(url_for("applications.detail", app_id=app.id) + "#rating"), 303


@bp.route("/ratings")
@allow("office")
def ratings_list():
    """社会评议: every rating, the 不满意 still waiting for the office first."""
    rows = db.session.scalars(select(ApplicationRating).order_by(
        ApplicationRating.handled_at.is_not(None), ApplicationRating.level != "dissatisfied",
        ApplicationRating.rated_on.desc(), ApplicationRating.id.desc()).limit(500)).all()
    return render_template("applications/ratings.html", rows=rows)


@bp.route("/<int:app_id>/query-password", methods=["POST"])
@allow("office")
def reset_query_password(app_id):
    """重置查询密码 at the counter: the new password is shown once, on this answer only (never in a
    flash: the session cookie is signed, not encrypted)."""
    app = _visible_application(app_id)
    if not forms.ResetPasswordForm().validate_on_submit():
        abort(400)
    try:
        password = services.reset_query_password(app, current_user)
    except services.Forbidden:
        abort(403)
    return render_template("one_time_secret.html", heading="重置查询密码",
                           message=f"已为申请 {app.tracking_code} 重置查询密码，原查询密码已失效。请核实申请人身份后告知。",
                           details=[("查询码", app.tracking_code)], secret_label="新查询密码", secret=password,
                           audience="申请人", next_url=url_for("applications.detail", app_id=app.id),
                           next_label="返回申请记录")


@bp.route("/<int:app_id>/documents", methods=["POST"])
@allow(*HANDLERS)
def upload_document(app_id):
    app = _visible_application(app_id)
    f = forms.DocumentForm()
    try:
        if not f.validate_on_submit() or not f.file.data:
            raise ServiceError("请选择文书类型和要上传的文件。", "file")
        documents.add_document(app, f.kind.data, f.file.data.filename, f.file.data.read(files.MAX_BYTES + 1))
    except services.Forbidden:
        abort(403)
    except ServiceError as exc:
        refuse(exc, f)
        return _rerender(app, _action_forms(app), f), 422
    flash("文书已上传。", "success")
    return redirect(url_for("applications.detail", app_id=app.id))


@bp.route("/documents/<int:document_id>")
@allow(*ALL_STAFF)
def document(document_id):
    doc = db.session.get(ApplicationDocument, document_id) or abort(404)
    app = _visible_application(doc.application_id)
    record("application.document_view", app, note=doc.original_name)  # may hold personal data
    return download(files.path_of(doc.stored_name), doc.original_name, files.mime_type(doc.extension))


@bp.route("/cases/<int:case_id>/result", methods=["POST"])
@allow(*HANDLERS)
def case_result(case_id):
    case = db.session.get(ApplicationCase, case_id) or abort(404)
    app = _visible_application(case.application_id)
    f = forms.CaseResultForm(prefix=f"case{case.id}")
    if not f.validate_on_submit():
        form_errors(f)
        return _rerender(app, _action_forms(app)), 422
    try:
        services.set_case_result(case, f.result.data, f.decided_on.data, f.note.data or "")
    except services.Forbidden:
        abort(403)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _rerender(app, _action_forms(app)), 422
    flash("已更新复议/诉讼结果。", "success")
    return redirect(url_for("applications.detail", app_id=app.id))


@bp.route("/<int:app_id>/letter/<letter>.docx")
@allow(*ALL_STAFF)
def letter(app_id, letter):
    app = _visible_application(app_id)
    if letter not in letters.LETTERS:
        abort(404)
    return download(letters.build_letter(app, letter), letters.file_name(app, letter), letters.DOCX_MIME)


def _stats_scope():
    """(year, unit id, unit) of the statistics asked for; unit staff always get their own unit."""
    year = query_int("year", 2000, 2100) or china_today().year
    if current_user.sees_all_units:
        unit_id = query_id("unit_id")
        unit = db.session.get(Unit, unit_id) if unit_id else None
        if unit_id and unit is None:
            abort(404)
    else:
        unit_id, unit = current_user.unit_id, current_user.unit
    return year, unit_id, unit


@bp.route("/statistics/export")
@allow(*ALL_STAFF)
def stats_export():
    """Tables 三 and 四 as XLSX in the official layout (the annual report's writer)."""
    from ..reports.exports import statistics_xlsx
    from ..reports.figures import statistics_cells

    year, unit_id, unit = _stats_scope()
    if year < 2019:
        abort(404)
    organ = unit.name if unit else "全市"
    data = statistics_xlsx(year, organ, statistics_cells(year, unit_id))
    name = f"{organ}{year}年政府信息公开申请统计（表三表四）.xlsx"
    return download(data, name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/statistics")
@allow(*ALL_STAFF)
def stats():
    year, unit_id, unit = _stats_scope()
    three = statistics.table_three(year, unit_id)
    four = statistics.table_four(year, unit_id)
    return render_template("applications/statistics.html", year=year, unit=unit, three=three,
                           three_errors=statistics.check_table_three(three), four=four,
                           four_errors=statistics.check_table_four(four), columns=statistics.COLUMN_LABELS,
                           four_groups=statistics.FOUR_GROUPS, four_columns=statistics.FOUR_COLUMN_LABELS,
                           note=statistics.NOTE, units=_units() if current_user.sees_all_units else [],
                           kinds=APPLICANT_KINDS, channels=CHANNELS)
