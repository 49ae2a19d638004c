"""Pages of the website inspection (网站巡查). Thin: parse, check access, call a service, render.
Nothing here fetches from the website: a "check now" only makes the row due, and the scheduler's
sweep reads it (within a minute or so)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..access import ALL_STAFF, allow, can_see_unit, get_visible
from ..errors import ServiceError, ValidationErrors
from ..extensions import db
from ..inputs import parse_id
from ..timeutil import china_today, utcnow
from ..units.models import Unit
from ..web import filter_names, form_errors, refuse
from . import columns, figures, findings, services
from .forms import ColumnForm, ImportForm, ReasonForm, SelectionForm, SettingsForm
from .models import COLUMN_STATUSES, FINDING_KINDS, FINDING_STATES, WebColumn, WebFinding, WebPage
from .settings import DEFAULTS, save_settings, settings

bp = Blueprint("website", __name__, url_prefix="/website")
PER_PAGE = 50


def _units():
    return db.session.scalars(select(Unit).where(Unit.active.is_(True), Unit.kind != "office")
                              .order_by(Unit.kind.desc(), Unit.code)).all()


def _unit_filter():
    unit_id = parse_id(request.args.get("unit"))
    return unit_id if unit_id and can_see_unit(unit_id) else None


# --- template globals: the small windows other pages open onto this feature ---------------------

@bp.app_template_global()
def website_task_check(task_id: int):
    """(page, latest check) of a task, for the evidence panel on the task's page."""
    return services.task_check(task_id)


@bp.app_template_global()
def website_fail_reason(task_id: int) -> str:
    return services.fail_reason(task_id)


@bp.app_template_global()
def website_rectification(rectification_id: int):
    return findings.for_rectification(rectification_id)


@bp.app_template_global()
def website_counts():
    return figures.supervision_counts()


# --- overview ------------------------------------------------------------------------------------

@bp.route("/")
@allow(*ALL_STAFF)
def index():
    own = None if current_user.sees_all_units else current_user.unit_id
    return render_template("website/index.html", counts=figures.supervision_counts(own),
                           rows=services.unit_overview(current_user), kinds=FINDING_KINDS)


# --- columns -------------------------------------------------------------------------------------

def _column_form(form: ColumnForm | None = None) -> ColumnForm:
    form = form or ColumnForm(formdata=None)
    form.unit_id.choices = [(u.id, u.name) for u in _units()]
    return form


def _column_data(form: ColumnForm) -> columns.ColumnData:
    return columns.ColumnData(form.unit_id.data, form.name.data or "", form.url.data or "", form.kind.data or "",
                              form.max_age_days.data)


def _save_column(save):
    """The office's column form posted: (form, the saved column) or (form with its errors, None)."""
    if current_user.role != "office":
        abort(403)
    form = _column_form(ColumnForm())
    if not form.validate_on_submit():
        form_errors(form)
        return form, None
    try:
        return form, save(_column_data(form))
    except ServiceError as exc:
        refuse(exc, form)
        return form, None


@bp.route("/columns", methods=["GET", "POST"])
@allow(*ALL_STAFF)
@filter_names("unit", "status")
def column_list(form=None, status_code=200):
    if request.method == "POST":
        form, done = _save_column(lambda data: columns.create_column(data, current_user, utcnow()))
        if done is not None:
            flash(f"已登记栏目“{done.name}”，调度程序将在下次运行时读取。", "success")
            return redirect(url_for("website.column_list"))
        status_code = 422
    status = request.args.get("status") or None
    stmt = services.column_query(current_user, _unit_filter(), status if status in COLUMN_STATUSES or
                                 status == "inactive" else None)
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render_template("website/columns.html", page=page, form=_column_form(form),
                           units=_units() if current_user.sees_all_units else [], statuses=COLUMN_STATUSES,
                           status=status, unit_id=_unit_filter(), import_form=ImportForm()), status_code


@bp.route("/columns/<int:column_id>", methods=["GET", "POST"])
@allow(*ALL_STAFF)
def column(column_id):
    col = get_visible(WebColumn, column_id)
    form = None
    status_code = 200
    if request.method == "POST":
        form, done = _save_column(lambda data: columns.update_column(col, data, current_user, utcnow()))
        if done is not None:
            flash("栏目已保存，调度程序将在下次运行时重新读取。", "success")
            return redirect(url_for("website.column", column_id=col.id))
        status_code = 422
    if form is None:
        form = _column_form(ColumnForm(formdata=None, obj=col))
        form.max_age_days.data = str(col.max_age_days or "")
    found = db.session.scalars(select(WebFinding).where(WebFinding.column_id == col.id)
                               .order_by(WebFinding.state, WebFinding.last_seen.desc()).limit(200)).all()
    return render_template("website/column.html", col=col, form=form, findings=found,
                           limit=columns.cutoff(col.kind, col.max_age_days, china_today())), status_code


def _office_action(model, record_id: int, act, message, endpoint: str, arg: str):
    """A button of the office on a record: the form's token checked, ``act(record)``, a message,
    back to the record's page."""
    record = get_visible(model, record_id)
    if not ReasonForm().validate_on_submit():
        abort(400)
    act(record)
    flash(message(record) if callable(message) else message, "success")
    return redirect(url_for(endpoint, **{arg: record.id}))


@bp.route("/columns/<int:column_id>/active", methods=["POST"])
@allow("office")
def column_active(column_id):
    return _office_action(WebColumn, column_id, lambda c: columns.set_active(c, not c.active, current_user, utcnow()),
                          lambda c: "栏目已启用。" if c.active else "栏目已停用，不再巡查。", "website.column", "column_id")


@bp.route("/columns/<int:column_id>/check", methods=["POST"])
@allow("office")
def column_check(column_id):
    def due_now(col):
        col.next_check_at = utcnow()
    return _office_action(WebColumn, column_id, due_now, "已安排立即巡查：调度程序将在下次运行时读取该栏目（通常在几分钟内）。",
                          "website.column", "column_id")


@bp.route("/columns/import", methods=["POST"])
@allow("office")
def column_import():
    form = ImportForm()
    errors = []
    try:
        if not form.validate_on_submit() or not form.file.data:
            raise ServiceError("请选择要导入的 Excel 文件。", "file")
        added, updated = columns.import_columns(form.file.data.filename, form.file.data.read(), current_user, utcnow())
    except ValidationErrors as exc:
        flash(exc.message, "danger")
        errors = exc.errors
    except ServiceError as exc:
        flash(exc.message, "danger")
    else:
        flash(f"已导入栏目：新增 {added} 个，更新 {updated} 个。", "success")
        return redirect(url_for("website.column_list"))
    page = db.paginate(services.column_query(current_user), per_page=PER_PAGE, error_out=False)
    return render_template("website/columns.html", page=page, form=_column_form(), units=_units(),
                           statuses=COLUMN_STATUSES, status=None, unit_id=None, import_form=form,
                           import_errors=errors), 422


# --- findings ------------------------------------------------------------------------------------

@bp.route("/findings")
@allow(*ALL_STAFF)
@filter_names("unit", "kind", "state", "q")
def finding_list(form=None, status_code=200):
    kind = request.args.get("kind") if request.args.get("kind") in FINDING_KINDS else None
    state = request.args.get("state", "open")
    state = state if state in FINDING_STATES or state in ("work", "all") else "open"
    q = (request.args.get("q") or "").strip()[:100]
    page = db.paginate(services.finding_query(current_user, _unit_filter(), kind, state, q), per_page=PER_PAGE,
                       error_out=False)
    return render_template("website/findings.html", page=page, kinds=FINDING_KINDS, states=FINDING_STATES,
                           kind=kind, state=state, q=q, unit_id=_unit_filter(),
                           units=_units() if current_user.sees_all_units else [],
                           form=form or SelectionForm(formdata=None, period_days=str(settings()["rectification_days"]))
                           ), status_code


@bp.route("/findings/rectify", methods=["POST"])
@allow("office")
def rectify():
    """转为整改事项: the chosen findings (one or many) become rectification items."""
    form = SelectionForm()
    ids = request.form.getlist("ids")
    try:
        if not form.validate_on_submit():
            raise ServiceError("表单已失效，请刷新页面后重试。")
        items = findings.to_rectifications(ids, current_user, china_today(), form.period_days.data or None)
    except ServiceError as exc:
        flash(exc.message, "danger")
        back = request.form.get("back")
        if back and back.isascii() and back.isdigit():
            return redirect(url_for("website.finding", finding_id=int(back)))
        return redirect(url_for("website.finding_list"))
    flash(f"已转为整改事项 {len(items)} 项，各单位已收到整改通知。", "success")
    if len(items) == 1:
        return redirect(url_for("inspections.rectification", rectification_id=items[0].id))
    return redirect(url_for("inspections.rectifications", flag="open"))


@bp.route("/findings/<int:finding_id>")
@allow(*ALL_STAFF)
def finding(finding_id):
    f = get_visible(WebFinding, finding_id)
    return render_template("website/finding.html", f=f, form=SelectionForm(
        formdata=None, period_days=str(settings()["rectification_days"])), reason_form=ReasonForm(),
        col=db.session.get(WebColumn, f.column_id) if f.column_id else None,
        page=db.session.get(WebPage, f.page_id) if f.page_id else None)


@bp.route("/findings/<int:finding_id>/dismiss", methods=["POST"])
@allow("office")
def dismiss(finding_id):
    f = get_visible(WebFinding, finding_id)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError("理由不能超过1000个字符。")
        findings.dismiss(f, current_user, form.reason.data)
    except ServiceError as exc:
        flash(exc.message, "danger")
    else:
        flash("已忽略该巡查发现。", "success")
    return redirect(url_for("website.finding", finding_id=f.id))


@bp.route("/findings/<int:finding_id>/recheck", methods=["POST"])
@allow("office")
def recheck(finding_id):
    return _office_action(WebFinding, finding_id, lambda f: findings.ask_recheck(f, current_user),
                          "已安排复查：调度程序将在下次运行时重新读取（通常在几分钟内），结果显示在本页和整改事项页。",
                          "website.finding", "finding_id")


# --- publication checks ----------------------------------------------------------------------------

@bp.route("/checks")
@allow(*ALL_STAFF)
@filter_names("unit", "flag")
def checks():
    flag = request.args.get("flag", "awaiting")
    flag = flag if flag in services.CHECK_FILTERS or flag == "all" else "awaiting"
    page = db.paginate(services.page_query(current_user, flag, _unit_filter()), per_page=PER_PAGE, error_out=False)
    evidence = services.checks_by_id([p.last_check_id for p in page.items])
    return render_template("website/checks.html", page=page, evidence=evidence, flag=flag,
                           tasks=services.tasks_by_id([p.task_id for p in page.items]),
                           flags=services.CHECK_FILTERS, unit_id=_unit_filter(),
                           units=_units() if current_user.sees_all_units else [], form=SelectionForm(formdata=None),
                           auto_verify=settings()["auto_verify"])


@bp.route("/checks/verify", methods=["POST"])
@allow("office")
def verify():
    """一键核验: the chosen tasks whose publication check passed are verified."""
    form = SelectionForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError("表单已失效，请刷新页面后重试。")
        n = services.verify_passed(request.form.getlist("ids"), current_user)
    except ServiceError as exc:
        flash(exc.message, "danger")
    else:
        flash(f"已核验 {n} 项公开任务（依据网站巡查的发布核验记录）。", "success")
    return redirect(url_for("website.checks", flag="passed"))


@bp.route("/pages/<int:page_id>")
@allow(*ALL_STAFF)
def page(page_id):
    p = get_visible(WebPage, page_id)
    from ..disclosure.models import Task
    return render_template("website/page.html", p=p, task=db.session.get(Task, p.task_id),
                           history=services.page_history(p), form=ReasonForm())


@bp.route("/pages/<int:page_id>/check", methods=["POST"])
@allow("office")
def page_check(page_id):
    def due_now(page):
        page.next_check_at = utcnow()
    return _office_action(WebPage, page_id, due_now, "已安排立即复查：调度程序将在下次运行时读取该网址（通常在几分钟内）。",
                          "website.page", "page_id")


# --- settings ------------------------------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@allow("office")
def settings_page():
    values = settings()
    if request.method == "POST":
        form = SettingsForm()
        try:
            if not form.validate_on_submit():
                form_errors(form)
                raise ServiceError("")
            save_settings({**{k: getattr(form, k).data for k in DEFAULTS}}, current_user)
        except ServiceError as exc:
            if exc.message:
                refuse(exc, form)
            return render_template("website/settings.html", form=form), 422
        flash("网站巡查设置已保存。", "success")
        return redirect(url_for("website.settings_page"))
    form = SettingsForm(formdata=None, **{k: v for k, v in values.items() if k != "allowed_domains"})
    form.allowed_domains.data = "\n".join(values["allowed_domains"])
    return render_template("website/settings.html", form=form)
