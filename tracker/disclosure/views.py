"""Pages of proactive disclosure: tasks, catalogue, register, supervision. Thin: parse, check
access, call a service, render."""
import json
from datetime import date

import click
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from .. import spreadsheets
from ..access import ALL_STAFF, allow, can_see_unit, get_visible
from ..applications import services as applications
from ..downloads import download
from ..errors import ServiceError, ValidationErrors
from ..extensions import db
from ..forms import max_length, required
from ..inputs import parse_date, parse_id, query_id, query_int
from ..timeutil import china_today
from ..units.models import UNIT_KINDS, Unit
from ..units.services import grouped_choices
from ..web import filter_names, form_errors, refuse
from . import evidence, exports, paging, rules, services
from .forms import (
    AdhocTaskForm,
    ApplyTemplateForm,
    CommentForm,
    DraftForm,
    DutyForm,
    KeyAreaForm,
    PublicationForm,
    ReasonForm,
    UploadForm,
    register_filters,
    task_filters,
    to_int,
)
from .models import (
    CADENCES,
    CHANNELS,
    FREQUENCIES,
    STATES,
    Duty,
    KeyArea,
    Task,
    TaskAttachment,
)

bp = Blueprint("disclosure", __name__, url_prefix="/disclosure", cli_group=None)

UNIT_STAFF_ACTIONS = {"contact", "reviewer"}


def _units():
    return db.session.scalars(select(Unit).where(Unit.active.is_(True), Unit.kind != "office")
                              .order_by(Unit.kind.desc(), Unit.code)).all()


# --- tasks ----------------------------------------------------------------------------------------

def _task_list_filters():
    """The task list's filters (and sort); the export reads the same, so it holds what the list shows."""
    f = task_filters(request.args, current_user)
    if current_user.role == "reviewer" and "state" not in request.args and "flag" not in request.args:
        f.state = "in_review"  # a reviewer's list opens on what awaits approval
    return f


@bp.route("/tasks")
@allow(*ALL_STAFF)
@filter_names("unit", "area", "state", "flag", "year", "q", "sort", "dir")
def tasks():
    today = china_today()
    cutoff = services.due_soon_cutoff(today)
    f = _task_list_filters()
    page = paging.task_page(f, current_user, today, cutoff)
    # in urgency order the rows come in groups (the column sorts by working days left only when
    # clicked): each group gets a heading row saying what it holds
    groups = None if f.sort == "due" else [rules.urgency_rank(t, today, cutoff) for t in page.items]
    return render_template("disclosure/tasks.html", page=page, f=f, today=today, cutoff=cutoff,
                           groups=groups, group_labels=rules.URGENCY_GROUPS,
                           units=_units() if current_user.sees_all_units else [], areas=services.key_areas(False),
                           states=STATES, flag_labels=services.FLAGS)


@bp.route("/tasks/export")
@allow(*ALL_STAFF)
def tasks_export():
    today = china_today()
    cutoff = services.due_soon_cutoff(today)
    f = _task_list_filters()
    return spreadsheets.export("公开任务", "公开任务", exports.TASK_COLUMNS,
                               exports.task_rows(f, current_user, today, cutoff))


@bp.route("/tasks/new", methods=["GET", "POST"])
@allow("contact", "office")
def new_task():
    """A contact or the office records that information formed (临时性工作随时公开). The office first
    chooses the unit (the page reloads with that unit's items: a city's catalogue runs to thousands),
    then the item; a contact chooses among their own unit's items."""
    form = AdhocTaskForm()
    preset = db.session.get(Duty, query_id("duty")) if query_id("duty") else None
    if preset is not None and not can_see_unit(preset.unit_id):
        preset = None
    units, unit = [], current_user.unit
    if current_user.sees_all_units:
        units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.kind.desc(), Unit.code)).all()
        chosen = query_id("unit") or parse_id(request.form.get("unit") or "") or (preset.unit_id if preset else None)
        unit = next((u for u in units if u.id == chosen), None)
    duties = db.session.scalars(services.catalogue_query(current_user, unit.id).where(Duty.active.is_(True))).all() \
        if unit is not None else []
    form.duty_id.choices = [(d.id, d.title) for d in duties]
    page = {"form": form, "units": units, "unit": unit}
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                duty = get_visible(Duty, form.duty_id.data) if form.duty_id.data else None
                if duty is None:
                    raise ServiceError("请选择公开事项。", "duty_id")
                formed = parse_date(form.formed_date.data, "信息形成日期", "formed_date")
                task = services.open_adhoc_task(duty, formed, current_user, china_today(), form.title.data,
                                                form.note.data)
            except ServiceError as exc:
                refuse(exc, form)
                return render_template("disclosure/new_task.html", **page), 422
            flash(f"已登记公开任务，公开期限：{task.due_date:%Y-%m-%d}。", "success")
            return redirect(url_for("disclosure.task", task_id=task.id))
        form_errors(form)
        return render_template("disclosure/new_task.html", **page), 422
    if preset is not None:
        form.duty_id.data = preset.id
    return render_template("disclosure/new_task.html", **page)


def _task_page(task: Task, status: int = 200, pub_form: PublicationForm | None = None,
               draft_form: DraftForm | None = None, upload_form=None, reason_error: tuple[str, str] | None = None):
    """The task page; a refused form is shown again with what the user typed (nothing is lost),
    its errors beside the fields (``reason_error``: endpoint and message of a refused reason)."""
    from ..workcal.services import deadline_history
    today = china_today()
    duty = db.session.get(Duty, task.duty_id)
    if pub_form is None:
        pub_form = PublicationForm(formdata=None, data={
            "published_on": (task.published_on or today).isoformat(),
            "channels": task.channels or task.draft_channels or list(duty.channels or []),
            "url": task.url, "doc_number": task.doc_number, "normative": task.normative})
    if draft_form is None:
        draft_form = DraftForm(formdata=None, data={
            "draft_text": task.draft_text, "channels": task.draft_channels or list(duty.channels or []),
            "attribute": task.disclosure_attribute or "proactive", "attribute_reason": task.attribute_reason,
            "no_state_secret": bool(task.no_state_secret), "privacy": task.privacy,
            "redaction_note": task.redaction_note, "doc_number": task.doc_number, "normative": task.normative})
    attachments = db.session.scalars(select(TaskAttachment).where(TaskAttachment.task_id == task.id)
                                     .order_by(TaskAttachment.id)).all()
    return render_template("disclosure/task.html", task=task, duty=duty,
                           today=today, cutoff=services.due_soon_cutoff(today), events=services.timeline(task),
                           history=deadline_history(task), attachments=[a for a in attachments if a.kind != "draft"],
                           draft_files=[a for a in attachments if a.kind == "draft"],
                           actions=services.allowed_actions(task, current_user), pub_form=pub_form,
                           draft_form=draft_form, reason_form=ReasonForm(), comment_form=CommentForm(),
                           upload_form=upload_form or UploadForm(), evidence=evidence,
                           reason_error=reason_error), status


@bp.route("/tasks/<int:task_id>")
@allow(*ALL_STAFF)
def task(task_id):
    return _task_page(get_visible(Task, task_id))


def _transition(task_id, run, done_message):
    """Run a transition on a visible task; on refusal re-render the page with 422 (nothing saved)."""
    task = get_visible(Task, task_id)
    try:
        run(task)
    except ServiceError as exc:
        flash(exc.message, "danger")
        if exc.field not in ("reason", "comment"):
            return _task_page(task, 422)
        return _task_page(task, 422, reason_error=(request.endpoint, exc.message))  # and beside the field
    flash(done_message, "success")
    return redirect(url_for("disclosure.task", task_id=task.id))


@bp.route("/tasks/<int:task_id>/acknowledge", methods=["POST"])
@allow("contact")
def acknowledge(task_id):
    return _transition(task_id, lambda t: services.acknowledge(t, current_user), "已签收。")


@bp.route("/tasks/<int:task_id>/draft", methods=["POST"])
@allow("contact")
def submit_draft(task_id):
    """The contact submits the draft (text and/or file) for review."""
    task = get_visible(Task, task_id)
    form = DraftForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _task_page(task, 422, draft_form=form)
    upload = form.draft_file.data
    file = (upload.filename, upload.read(evidence.MAX_BYTES + 1)) if upload and upload.filename else None
    draft = services.Draft(form.draft_text.data or "", form.channels.data or [], form.attribute.data,
                           form.attribute_reason.data or "", form.no_state_secret.data, form.privacy.data,
                           form.redaction_note.data or "", form.doc_number.data or "", form.normative.data)
    try:
        services.submit_draft(task, current_user, draft, file)
    except ServiceError as exc:
        refuse(exc, form)
        return _task_page(task, 422, draft_form=form)
    flash("送审稿已提交审核人审核。", "success")
    return redirect(url_for("disclosure.task", task_id=task.id))


@bp.route("/tasks/<int:task_id>/publish", methods=["POST"])
@allow("contact")
def publish(task_id):
    """The contact records the publication: after the approval, directly without review, or as the
    correction after a failed verification."""
    task = get_visible(Task, task_id)
    form = PublicationForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _task_page(task, 422, form)
    direct = not task.review_required
    correcting = task.state == "rework"
    try:
        pub = services.PublicationRecord(parse_date(form.published_on.data, "发布日期", "published_on"),
                                         form.channels.data or [], form.url.data or "",
                                         (form.doc_number.data or "") if direct else None,
                                         form.normative.data if direct else None)
        services.publish(task, current_user, pub, china_today())
    except ServiceError as exc:
        refuse(exc, form)
        return _task_page(task, 422, form)
    flash("已登记整改后的发布信息，等待公开办再次核验。" if correcting else "已登记发布。", "success")
    return redirect(url_for("disclosure.task", task_id=task.id))


@bp.route("/tasks/<int:task_id>/approve", methods=["POST"])
@allow("reviewer")
def approve(task_id):
    def run(task):
        form = CommentForm()
        if not form.validate_on_submit():
            raise ServiceError("审核意见不能超过1000个字符。", "comment")
        services.approve(task, current_user, form.comment.data or "")
    return _transition(task_id, run, "审核通过，联络员可以发布。")


def _reason():
    """The reason typed with a transition; one that fails the form is refused, never dropped."""
    form = ReasonForm()
    if not form.validate_on_submit():
        raise ServiceError("原因不能超过1000个字符。", "reason")
    return form.reason.data or ""


@bp.route("/tasks/<int:task_id>/return", methods=["POST"])
@allow("reviewer")
def return_task(task_id):
    return _transition(task_id, lambda t: services.return_task(t, current_user, _reason()), "已退回联络员。")


@bp.route("/tasks/<int:task_id>/verify", methods=["POST"])
@allow("office")
def verify(task_id):
    return _transition(task_id, lambda t: services.verify(t, current_user, _reason()), "已核验。")


@bp.route("/tasks/<int:task_id>/fail", methods=["POST"])
@allow("office")
def fail_verification(task_id):
    return _transition(task_id, lambda t: services.fail_verification(t, current_user, _reason()),
                       "已判定核验未通过，任务退回单位整改。")


@bp.route("/tasks/<int:task_id>/cancel", methods=["POST"])
@allow("office")
def cancel(task_id):
    return _transition(task_id, lambda t: services.cancel(t, current_user, _reason()), "任务已撤销。")


@bp.route("/tasks/<int:task_id>/attachments", methods=["POST"])
@allow("contact", "office")
def upload(task_id):
    task = get_visible(Task, task_id)
    form = UploadForm()
    try:
        if not form.validate_on_submit() or not form.file.data:
            raise ServiceError("请选择要上传的文件。", "file")
        data = form.file.data.read(evidence.MAX_BYTES + 1)
        evidence.add_attachment(task, current_user, form.file.data.filename, data)
    except ServiceError as exc:
        refuse(exc, form)
        return _task_page(task, 422, upload_form=form)
    flash("佐证材料已上传。", "success")
    return redirect(url_for("disclosure.task", task_id=task.id))


@bp.route("/attachments/<int:attachment_id>")
@allow(*ALL_STAFF)
def attachment(attachment_id):
    item = get_visible(TaskAttachment, attachment_id)
    try:
        return download(evidence.attachment_path(item), item.original_name, evidence.mime_type(item))
    except FileNotFoundError:
        abort(404)


@bp.route("/attachments/<int:attachment_id>/remove", methods=["POST"])
@allow("contact", "office")
def remove_attachment(attachment_id):
    """Evidence uploaded by mistake, removed before the task is published (audited)."""
    item = get_visible(TaskAttachment, attachment_id)
    task = db.session.get(Task, item.task_id)
    name = item.original_name
    try:
        evidence.remove_attachment(item, current_user)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _task_page(task, 422)
    flash(f"已删除佐证材料：{name}", "success")
    return redirect(url_for("disclosure.task", task_id=task.id))


# --- catalogue ------------------------------------------------------------------------------------

def _catalogue_args():
    unit_id = query_id("unit") if current_user.sees_all_units else None
    return unit_id, query_id("area"), (request.args.get("q") or "").strip()[:100]


@bp.route("/catalogue")
@allow(*ALL_STAFF)
@filter_names("unit", "area", "q")
def catalogue():
    unit_id, area_id, q = _catalogue_args()
    stmt = services.catalogue_query(current_user, unit_id, area_id, q)
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("disclosure/catalogue.html", page=page, unit_id=unit_id, area_id=area_id, q=q,
                           units=_units() if current_user.sees_all_units else [], areas=services.key_areas(False))


@bp.route("/catalogue/export")
@allow(*ALL_STAFF)
def catalogue_export():
    duties = db.session.scalars(services.catalogue_query(current_user, *_catalogue_args()))
    return spreadsheets.export("公开目录", "公开目录", list(exports.CATALOGUE_COLUMNS), exports.catalogue_rows(duties))


def _duty_form(form: DutyForm) -> None:
    form.unit_id.choices = grouped_choices(_units())
    form.key_area_id.choices = [(a.id, a.name) for a in services.key_areas()]


def _duty_data(form: DutyForm) -> services.DutyData:
    start = parse_date(form.start_date.data, "起始日期", "start_date") if (form.start_date.data or "").strip() else None
    return services.DutyData(form.title.data, form.key_area_id.data, form.cadence.data, form.frequency.data or None,
                             form.formation_offset_days.data or 0,
                             form.period_days.data if form.period_days.data is not None else 20,
                             form.channels.data or [], form.review_required.data, start, form.note.data)


@bp.route("/catalogue/new", methods=["GET", "POST"])
@allow("office")
def new_duty():
    form = DutyForm()
    _duty_form(form)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
                duty = services.create_duty(unit, _duty_data(form), china_today())
            except ServiceError as exc:
                refuse(exc, form)
                return render_template("disclosure/duty_form.html", form=form, duty=None), 422
            flash(f"已添加公开事项：{duty.title}", "success")
            return redirect(url_for("disclosure.catalogue", unit=duty.unit_id))
        form_errors(form)
        return render_template("disclosure/duty_form.html", form=form, duty=None), 422
    if request.args.get("unit"):
        form.unit_id.data = to_int(request.args.get("unit"))
    return render_template("disclosure/duty_form.html", form=form, duty=None)


@bp.route("/catalogue/<int:duty_id>", methods=["GET", "POST"])
@allow("office")
def edit_duty(duty_id):
    duty = db.session.get(Duty, duty_id) or abort(404)
    # A POST is read from the form alone: a field missing from it is empty (a form error where
    # required), never silently the stored value.
    form = DutyForm() if request.method == "POST" else DutyForm(
        formdata=None, obj=duty, start_date=duty.start_date.isoformat(), frequency=duty.frequency or "")
    form.start_date.validators = [required(), max_length(10)]  # an item always has a start date
    _duty_form(form)
    form.unit_id.data = duty.unit_id
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.update_duty(duty, _duty_data(form), china_today())
            except ServiceError as exc:
                refuse(exc, form)
                return render_template("disclosure/duty_form.html", form=form, duty=duty), 422
            flash("公开事项已保存。", "success")
            return redirect(url_for("disclosure.catalogue", unit=duty.unit_id))
        form_errors(form)
        return render_template("disclosure/duty_form.html", form=form, duty=duty), 422
    return render_template("disclosure/duty_form.html", form=form, duty=duty)


@bp.route("/catalogue/<int:duty_id>/active", methods=["POST"])
@allow("office")
def duty_active(duty_id):
    duty = db.session.get(Duty, duty_id) or abort(404)
    services.set_duty_active(duty, request.form.get("active") == "1")
    flash("已启用该公开事项。" if duty.active else "已停用该公开事项（不再生成新任务）。", "success")
    return redirect(url_for("disclosure.catalogue", unit=duty.unit_id))


@bp.route("/catalogue/apply", methods=["GET", "POST"])
@allow("office")
def apply_template():
    """Apply one unit's catalogue as a template to many units at once."""
    form = ApplyTemplateForm()
    units = _units()
    form.source_unit_id.choices = [(u.id, u.name) for u in units]
    form.target_unit_ids.choices = [(u.id, u.name) for u in units]
    if request.method == "POST":
        try:
            if not form.validate_on_submit():
                raise ServiceError("表单无效，请重试。")
            added = services.apply_template(form.source_unit_id.data, form.target_unit_ids.data or [],
                                            china_today())
        except ServiceError as exc:
            refuse(exc, form)
            return render_template("disclosure/apply_template.html", form=form, units=units), 422
        flash(f"已应用模板，新增公开事项 {added} 项（目标单位已有的同名事项未重复添加）。", "success")
        return redirect(url_for("disclosure.catalogue"))
    return render_template("disclosure/apply_template.html", form=form, units=units)


@bp.route("/catalogue/import", methods=["GET", "POST"])
@allow("office")
def import_catalogue():
    form = UploadForm()
    if request.method == "POST":
        try:
            if not form.validate_on_submit() or not form.file.data:
                raise ServiceError("请选择要导入的 Excel 文件。", "file")
            rows = exports.read_catalogue(form.file.data.filename, form.file.data.read())
            n = services.import_catalogue(rows, china_today())
        except ValidationErrors as exc:
            flash(exc.message, "danger")
            return render_template("disclosure/import.html", form=form, errors=exc.errors), 422
        except ServiceError as exc:
            refuse(exc, form)
            return render_template("disclosure/import.html", form=form, errors=[]), 422
        flash(f"已导入公开事项 {n} 项。", "success")
        return redirect(url_for("disclosure.catalogue"))
    return render_template("disclosure/import.html", form=form, errors=[])


@bp.route("/key-areas", methods=["GET", "POST"])
@allow("office")
def key_areas():
    form = KeyAreaForm()
    if request.method == "POST":
        try:
            if not form.validate_on_submit():
                raise ServiceError("请填写重点领域名称（不超过60个字符）。", "name")
            area = services.add_key_area(form.name.data)
        except ServiceError as exc:
            refuse(exc, form)
            return render_template("disclosure/key_areas.html", form=form, areas=services.key_areas(False)), 422
        flash(f"已添加重点领域：{area.name}", "success")
        return redirect(url_for("disclosure.key_areas"))
    return render_template("disclosure/key_areas.html", form=form, areas=services.key_areas(False))


@bp.route("/key-areas/<int:area_id>/active", methods=["POST"])
@allow("office")
def key_area_active(area_id):
    area = db.session.get(KeyArea, area_id) or abort(404)
    services.set_key_area_active(area, request.form.get("active") == "1")
    flash("已保存。", "success")
    return redirect(url_for("disclosure.key_areas"))


# --- register and supervision ---------------------------------------------------------------------

@bp.route("/register")
@allow(*ALL_STAFF)
@filter_names("unit", "area", "channel", "from", "to", "timeliness", "normative", "q")
def register():
    problems: list[str] = []
    f = register_filters(request.args, current_user, problems)
    for p in problems:
        flash(p, "warning")
    stmt = services.register_query(f, current_user)
    counts = services.register_counts(stmt, whole=current_user.sees_all_units and f == services.RegisterFilters())
    page = db.paginate(stmt, per_page=30, error_out=False, count=False)
    page.total = counts["total"]  # the pager's total, counted once
    return render_template("disclosure/register.html", page=page, f=f, counts=counts,
                           units=_units() if current_user.sees_all_units else [], areas=services.key_areas(False),
                           channels=CHANNELS)


@bp.route("/register/export")
@allow(*ALL_STAFF)
def register_export():
    f = register_filters(request.args, current_user, [])
    return spreadsheets.export("信息登记簿", "信息登记簿", exports.REGISTER_COLUMNS,
                               exports.register_rows(f, current_user))


@bp.route("/supervision")
@allow("office", "leader")
def supervision():
    """The office's view per unit: overdue, due soon, published late, unacknowledged; charts."""
    today = china_today()
    cutoff = services.due_soon_cutoff(today)
    year = query_int("year", 2000, 2100) or today.year
    year = min(max(year, 2000), today.year + 1)
    sort = request.args.get("sort") if request.args.get("sort") in services.SUPERVISION_COLUMNS else "overdue"
    desc = request.args.get("dir") != "asc"
    kind = request.args.get("kind") if request.args.get("kind") in ("town", "department") else None
    by_unit = services.figures_by_unit(current_user, today, cutoff, year)
    rows = services.unit_supervision(current_user, today, cutoff, year, sort, desc, kind, by_unit)
    months = services.monthly_on_time(current_user, today, year)
    chart_units = json.dumps({"labels": [r["unit"].name for r in rows if r["rate"] is not None],
                              "rates": [r["rate"] for r in rows if r["rate"] is not None]}, ensure_ascii=False)
    chart_months = json.dumps({"labels": [f"{m['month']}月" for m in months], "rates": [m["rate"] for m in months]},
                              ensure_ascii=False)
    late_count, late_entries = applications.late_entries_of_year(current_user, year)
    return render_template("disclosure/supervision.html", rows=rows, months=months, year=year, sort=sort, desc=desc,
                           late_count=late_count, late_entries=late_entries, event_labels=applications.EVENT_LABELS,
                           kind=kind, kinds=UNIT_KINDS, columns=services.SUPERVISION_COLUMNS, today=today,
                           cutoff=cutoff, totals=services.totals(current_user, today, cutoff, year, by_unit),
                           chart_units=chart_units, chart_months=chart_months)


# --- command line ---------------------------------------------------------------------------------

@bp.cli.command("open-tasks")
@click.option("--date", "on", help="the day to sweep for (YYYY-MM-DD); default today in China")
def open_tasks_command(on):
    """Open the tasks of periodic and standing duties whose information has formed (idempotent)."""
    from .tasks import open_periodic_tasks
    try:
        today = date.fromisoformat(on) if on else china_today()
    except ValueError:
        raise click.UsageError(f"日期格式不正确：{on}（应为 YYYY-MM-DD）") from None
    from .. import sweeps

    with sweeps.run("open-tasks") as run:
        run.result = open_periodic_tasks(today)
    if run.error:
        raise click.ClickException(run.error)
    click.echo(f"已生成公开任务 {run.result} 个（{today:%Y-%m-%d}）。")
    for failure in run.failures.values():
        click.echo(f"  未能生成：{failure.label}：{failure.error}", err=True)
    if not run.ok:
        raise SystemExit(1)


# Labels used by templates.
@bp.app_context_processor
def disclosure_labels():
    return {"DISCLOSURE_CHANNELS": CHANNELS, "DISCLOSURE_CADENCES": CADENCES, "DISCLOSURE_FREQUENCIES": FREQUENCIES}
