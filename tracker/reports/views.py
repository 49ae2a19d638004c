"""Annual report pages: the office's overview, a unit's report, the city report, exports, the table 二
figures and the normative documents. Thin: parse, check who asks, call a service, render."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..access import ALL_STAFF, allow, can_see_unit
from ..audit.models import AuditEvent
from ..audit.services import ACTION_LABELS
from ..downloads import content_disposition
from ..errors import ServiceError, ValidationErrors
from ..extensions import db
from ..inputs import parse_date, parse_id, query_id, query_int
from ..timeutil import china_today
from ..units.models import Unit
from ..web import filter_names
from . import exports, formats, narrative, normative, services, workflow
from .forms import DocumentForm, DueDateForm, ImportForm, KindForm, NarrativeForm, OverrideForm, ReasonForm, RepealForm
from .models import AnnualReport, NormativeDocument

bp = Blueprint("reports", __name__, url_prefix="/reports")
EDITORS = ("office", "contact", "reviewer")
BUTTON_ORDER = ("submit_review", "approve", "submit", "accept", "finalize", "send_back", "return", "reopen", "reopen_city")


def _year(year: int) -> int:
    try:
        return services.check_year(year)
    except ServiceError:
        abort(404)


def _unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not can_see_unit(unit.id):
        abort(404)
    return unit


def _report(report_id: int) -> AnnualReport:
    report = db.session.get(AnnualReport, report_id)
    if report is None or (report.is_city and not current_user.sees_all_units) or (
            not report.is_city and not can_see_unit(report.unit_id)):
        abort(404)
    return report


def _page_of(report: AnnualReport):
    if report.is_city:
        return redirect(url_for("reports.city", year=report.year))
    return redirect(url_for("reports.unit_report", year=report.year, unit_id=report.unit_id))


def _download(data: bytes, name: str, kind: str) -> Response:
    response = Response(data, mimetype=exports.MIMETYPES[kind])
    if kind != "html":
        response.headers["Content-Disposition"] = content_disposition(name)
    return response


# --- the office's overview --------------------------------------------------------------------------

@bp.route("/")
@allow(*ALL_STAFF)
def index():
    year = _year(query_int("year", 1, 9999) or services.report_season_year())
    if not current_user.sees_all_units:  # unit staff: their own unit's report
        return _report_page(services.unit_content(year, current_user.unit), current_user.unit)
    # The drift column recomputes every unit's live figures for the year (about half a second for a
    # city of 200 units), so the overview computes it when the office asks for it, not on each view.
    check_drift = request.args.get("drift") == "1"
    statuses = services.unit_statuses(year, with_drift=check_drift)
    return render_template("reports/index.html", year=year, statuses=statuses, due=services.due_date(year),
                           check_drift=check_drift,
                           due_form=DueDateForm(due_date=services.due_date(year).isoformat()),
                           city=services.find_report(year, None), years=_years())


def _years() -> list[int]:
    return list(range(china_today().year, formats.FIRST_YEAR - 1, -1))


@bp.route("/<int:year>/due-date", methods=["POST"])
@allow("office")
def set_due(year):
    form = DueDateForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError("报送期限格式不正确。", "due_date")
        services.set_due_date(year, parse_date(form.due_date.data, "报送期限"), current_user)
    except ServiceError as exc:
        db.session.rollback()  # a refused change leaves nothing behind
        flash(exc.message, "danger")
        return redirect(url_for("reports.index", year=year)), 303
    flash("已设置内部报送期限。", "success")
    return redirect(url_for("reports.index", year=year))


# --- a unit's report ------------------------------------------------------------------------------------

def _similar(content: services.Content, last_year: AnnualReport | None) -> list:
    """雷同: this report's sections against the unit's last year and the other units' this year
    (only their texts are read: their submissions are not loaded)."""
    report = content.report
    if report is None:
        return [], {}
    others = [last_year] if last_year is not None else []
    if not report.is_city:  # one city report a year: no other this year
        others += db.session.scalars(select(AnnualReport).options(lazyload(AnnualReport.submissions)).where(
            AnnualReport.year == report.year, AnnualReport.id != report.id, AnnualReport.scope == report.scope)).all()
    texts = {k: getattr(report, k) or "" for k in narrative.NARRATIVE}
    found = narrative.similar_sections(content.fmt.key, texts, [
        (o.id, str(o), {k: getattr(o, k) or "" for k in narrative.NARRATIVE}) for o in others])
    shown, per_section = [], {}
    for s in found:  # the three most similar per section; the page says how many more
        per_section[s.section] = per_section.get(s.section, 0) + 1
        if per_section[s.section] <= 3:
            shown.append(s)
    return shown, {k: n - 3 for k, n in per_section.items() if n > 3}


def _report_page(content: services.Content, unit: Unit | None, status: int = 200):
    report = content.report
    actions = workflow.allowed_actions(report, current_user) if report else set()
    cell = request.args.get("cell")
    adjust = None
    if "edit" in actions and not content.report.is_city and cell in content.cells:
        adjust = {"key": cell, "label": formats.cell_label(content.fmt, cell),
                  "computed": formats.format_value(cell, content.computed[cell]),
                  "value": formats.format_value(cell, content.cells[cell]),
                  "reason": (content.overrides.get(cell) or {}).get("reason", "")}
    last_year = services.find_report(content.year - 1, unit.id if unit else None, with_submissions=False)
    history = []
    if report is not None:
        history = db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "annual_report", AuditEvent.object_id == str(report.id))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(30)).all()
    can_start = report is None and (
        (unit is not None and current_user.role in workflow.UNIT_EDITORS and current_user.unit_id == unit.id)
        or (unit is None and current_user.role == "office"))
    narrative_form = NarrativeForm(data=content.narrative)
    similar, more_similar = _similar(content, last_year)
    drafty = narrative.template_sections(content.fmt.key, content.narrative) if report and report.editable else []
    unwritten = narrative.placeholder_sections(content.fmt, content.narrative) if report else []
    return render_template(
        "reports/report.html", content=content, unit=unit, report=report, actions=actions,
        grids=formats.grids(content.fmt), marks=content.problems_by_cell(), similar=similar,
        more_similar=more_similar, drafty=drafty, unwritten=unwritten, narrative_keys=narrative.NARRATIVE_LABEL_KEYS,
        adjust=adjust, override_form=OverrideForm(), reason_form=ReasonForm(), narrative_form=narrative_form,
        buttons=[a for a in BUTTON_ORDER if a in actions],
        last_year=last_year, history=history, can_start=can_start, due=services.due_date(content.year),
        drift={d[0] for d in content.drift}, export_kinds=exports.FORMATS, action_labels=workflow.ACTIONS,
        entered=services.entered_fields(content.fmt), cell_text=lambda c: formats.format_value(
            c.key, content.cells.get(c.key, 0)) if c.key else c.text,
        statuses=services.unit_statuses(content.year, with_drift=False) if unit is None else [],
        office_unit=content.office if unit is None else None,
        channels=_channel_labels(), section_labels=dict(content.fmt.sections), audit_labels=ACTION_LABELS,
        cell_label=lambda k: formats.cell_label(content.fmt, k),
        cell_link=(lambda k: url_for("reports.unit_report", year=content.year, unit_id=unit.id, cell=k) + "#adjust")
        if "edit" in actions and unit is not None else None), status


def _channel_labels():
    from ..disclosure.models import CHANNELS

    return CHANNELS


@bp.route("/<int:year>/units/<int:unit_id>")
@allow(*ALL_STAFF)
def unit_report(year, unit_id):
    year, unit = _year(year), _unit(unit_id)
    if unit.kind == "office":
        return redirect(url_for("reports.city", year=year))
    return _report_page(services.unit_content(year, unit), unit)


@bp.route("/<int:year>/units/<int:unit_id>/start", methods=["POST"])
@allow("contact", "reviewer")
def start(year, unit_id):
    year, unit = _year(year), _unit(unit_id)
    try:
        workflow.start_report(year, unit, current_user)
    except ServiceError as exc:
        db.session.rollback()  # a refused change leaves nothing behind
        flash(exc.message, "danger")
        return redirect(url_for("reports.unit_report", year=year, unit_id=unit.id)), 303
    flash("已根据本单位数据生成年度报告草稿，请修改完善正文。", "success")
    return redirect(url_for("reports.unit_report", year=year, unit_id=unit.id))


@bp.route("/<int:year>/city")
@allow("office", "leader")
def city(year):
    year = _year(year)
    return _report_page(services.city_content(year), None)


@bp.route("/<int:year>/city/start", methods=["POST"])
@allow("office")
def start_city(year):
    year = _year(year)
    try:
        workflow.start_report(year, None, current_user)
    except ServiceError as exc:
        db.session.rollback()  # a refused change leaves nothing behind
        flash(exc.message, "danger")
        return redirect(url_for("reports.city", year=year)), 303
    flash("已生成全市年度报告草稿。", "success")
    return redirect(url_for("reports.city", year=year))


# --- editing and the workflow ----------------------------------------------------------------------------

def _fail(report: AnnualReport, exc: ServiceError):
    """Show the report again with the error; the request's transaction is rolled back (422)."""
    flash(exc.message, "danger")
    content = workflow.content_of(report)
    return _report_page(content, report.unit, 422)


def _edit(report_id: int, form, invalid: str, change, done: str):
    """One edit of a report from its page: the form checked, the service called, the page shown."""
    report = _report(report_id)
    try:
        if not form.validate_on_submit():
            raise ServiceError(invalid)
        change(report, form)
    except ServiceError as exc:
        return _fail(report, exc)
    flash(done, "success")
    return _page_of(report)


@bp.route("/<int:report_id>/narrative", methods=["POST"])
@allow(*EDITORS)
def save_narrative(report_id):
    return _edit(report_id, NarrativeForm(), f"每节正文不能超过{services.MAX_TEXT}字。", lambda report, form: (
        workflow.save_narrative(report, {k: getattr(form, k).data for k in narrative.NARRATIVE
                                         if getattr(form, k).raw_data}, current_user)), "正文已保存。")


@bp.route("/<int:report_id>/regenerate/<section>", methods=["POST"])
@allow(*EDITORS)
def regenerate(report_id, section):
    return _edit(report_id, ReasonForm(), "表单已失效，请刷新后重试。",
                 lambda report, form: workflow.regenerate(report, section, current_user),
                 "已根据最新数据重新生成该节草稿（原文保存在操作日志中）。")


@bp.route("/<int:report_id>/override", methods=["POST"])
@allow("contact", "reviewer")
def override(report_id):
    return _edit(report_id, OverrideForm(), "调整内容过长。", lambda report, form: workflow.set_override(
        report, form.cell.data or "", form.value.data or "", form.reason.data or "", current_user), "已调整该单元格。")


@bp.route("/<int:report_id>/act/<report_action>", methods=["POST"])
@allow(*EDITORS)
def act(report_id, report_action):
    report = _report(report_id)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError("原因不能超过1000个字符。", "reason")
        submission = workflow.act(report, report_action, current_user, form.reason.data or "")
    except ServiceError as exc:
        return _fail(report, exc)
    if submission is not None and submission.decision == "refused":
        # the refused attempt is kept (the scores count it): commit it, show the broken cells
        flash("年度报告未通过勾稽校验，未能报送：" + "；".join(v["message"] for v in submission.violations), "danger")
        return _page_of(report)
    label = workflow.ACTIONS.get(report_action, ("完成",))[0]
    flash(f"已{label}。", "success")
    return _page_of(report)


# --- exports ----------------------------------------------------------------------------------------------

def _export(content: services.Content, kind: str):
    if kind not in exports.FORMATS:
        abort(404)
    draft = request.args.get("draft") == "1"
    try:
        data = exports.export(content, kind, draft, standalone=False)
    except ServiceError as exc:
        db.session.rollback()  # a refused change leaves nothing behind
        flash(exc.message, "danger")
        return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                        else url_for("reports.index"))
    return _download(data, exports.filename(content, kind, draft), kind)


@bp.route("/<int:year>/units/<int:unit_id>/export/<fmt>")
@allow(*ALL_STAFF)
def export(year, unit_id, fmt):
    year, unit = _year(year), _unit(unit_id)
    return _export(services.unit_content(year, unit), fmt)


@bp.route("/<int:year>/city/export/<fmt>")
@allow("office", "leader")
def city_export(year, fmt):
    return _export(services.city_content(_year(year)), fmt)


# --- table 二 figures entered per unit and year -----------------------------------------------------------

@bp.route("/<int:year>/figures/<int:unit_id>")
@allow(*ALL_STAFF)
def figures(year, unit_id):
    year, unit = _year(year), _unit(unit_id)
    return _figures_page(year, unit, {k: formats.format_value(k, v) for k, v in
                                      services.entered_values(unit.id, year).items()})


def _figures_page(year, unit, values, status=200):
    fmt = formats.format_for(year)
    return render_template("reports/figures.html", year=year, unit=unit, fields=services.entered_fields(fmt),
                           values=values, form=ReasonForm(), fmt=fmt,
                           editable=current_user.role in EDITORS), status


@bp.route("/<int:year>/figures/<int:unit_id>", methods=["POST"])
@allow(*EDITORS)
def save_figures(year, unit_id):
    year, unit = _year(year), _unit(unit_id)
    fmt = formats.format_for(year)
    values = {k: request.form.get(k, "") for k, _ in services.entered_fields(fmt)}
    try:
        if not ReasonForm().validate_on_submit():
            raise ServiceError("表单已失效，请刷新后重试。")
        if any(len(v) > 30 for v in values.values()):
            raise ServiceError("数值过长。")
        changed = services.save_figures(unit, year, values, current_user)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _figures_page(year, unit, values, 422)
    flash(f"已保存（{changed}项有变化）。" if changed else "数据没有变化。", "success")
    return redirect(url_for("reports.figures", year=year, unit_id=unit.id))


@bp.route("/<int:year>/figures/import", methods=["GET", "POST"])
@allow("office")
def import_figures(year):
    year = _year(year)
    form = ImportForm()
    columns = list(services.import_columns(formats.format_for(year)))
    context = {"year": year, "form": form, "columns": columns}
    if request.method == "GET":
        return render_template("reports/import.html", **context)
    try:
        if not form.validate_on_submit() or not form.file.data or not form.file.data.filename:
            raise ServiceError("请选择要导入的 Excel 文件。", "file")
        count = services.import_figures(year, form.file.data.filename, form.file.data.read(), current_user)
    except ValidationErrors as exc:
        flash(exc.message, "danger")
        return render_template("reports/import.html", errors=exc.errors, **context), 422
    except ServiceError as exc:
        flash(exc.message, "danger")
        return render_template("reports/import.html", **context), 422
    flash(f"已导入，{count}个单位的数据有变化。", "success")
    return redirect(url_for("reports.index", year=year))


@bp.route("/<int:year>/figures/template")
@allow("office")
def import_template(year):
    year = _year(year)
    return _download(services.import_template(year), f"{year}年度表二数据导入模板.xlsx", "xlsx")


# --- normative documents ------------------------------------------------------------------------------------

@bp.route("/normative")
@allow(*ALL_STAFF)
@filter_names("unit_id")
def normative_list():
    unit_id = query_id("unit_id") if current_user.sees_all_units else current_user.unit_id
    page = normative.document_page(current_user, unit_id)
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.kind.desc(), Unit.code)).all() \
        if current_user.sees_all_units else [current_user.unit]
    return render_template("reports/normative.html", page=page, rows=page.items, units=units, unit_id=unit_id,
                           repeal_form=RepealForm(), kind_form=KindForm(), reason_form=ReasonForm(),
                           doc_form=DocumentForm(), editable=current_user.role in EDITORS, today=china_today())


def _document(ref: str) -> NormativeDocument:
    from ..disclosure.models import Task

    kind, _, raw = ref.partition("-")
    record_id = parse_id(raw)
    if record_id is None:
        abort(404)
    if kind == "task":
        task = db.session.get(Task, record_id)
        if task is None or not can_see_unit(task.unit_id):
            abort(404)
        return normative.status_for_task(task)
    doc = db.session.get(NormativeDocument, record_id) if kind == "doc" else None
    if doc is None or not can_see_unit(doc.unit_id):
        abort(404)
    return doc


@bp.route("/normative/<ref>/<doc_action>", methods=["POST"])
@allow(*EDITORS)
def normative_act(ref, doc_action):
    try:
        doc = _document(ref)
        if doc_action == "kind":
            form = KindForm()
            if not form.validate_on_submit():
                raise ServiceError("表单已失效，请刷新后重试。")
            normative.set_kind(doc, form.kind.data, current_user)
        elif doc_action == "repeal":
            form = RepealForm()
            if not form.validate_on_submit():
                raise ServiceError("废止原因不能超过1000个字符。")
            repealed_on = parse_date(form.repealed_on.data, "废止日期") if form.repealed_on.data else None
            normative.repeal(doc, repealed_on, form.reason.data or "", current_user)
        elif doc_action == "unrepeal":
            form = ReasonForm()
            if not form.validate_on_submit():
                raise ServiceError("原因不能超过1000个字符。")
            normative.undo_repeal(doc, form.reason.data or "", current_user)
        else:
            abort(404)
    except ServiceError as exc:
        db.session.rollback()  # a refused change leaves nothing behind
        flash(exc.message, "danger")
        return redirect(url_for("reports.normative_list")), 303
    flash("已保存。", "success")
    return redirect(url_for("reports.normative_list", unit_id=doc.unit_id if current_user.sees_all_units else None))


@bp.route("/normative/add", methods=["POST"])
@allow(*EDITORS)
def normative_add():
    form = DocumentForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError("填写的内容过长。")
        unit_id = parse_id(form.unit_id.data or "")
        unit = db.session.get(Unit, unit_id) if current_user.sees_all_units and unit_id else current_user.unit
        if unit is None or not can_see_unit(unit.id):
            raise ServiceError("请选择单位。", "unit_id")
        issued = parse_date(form.issued_on.data, "发布日期") if form.issued_on.data else None
        normative.add_document(unit, form.title.data, form.doc_number.data, issued, form.kind.data, current_user)
    except ServiceError as exc:
        db.session.rollback()  # a refused change leaves nothing behind
        flash(exc.message, "danger")
        return redirect(url_for("reports.normative_list")), 303
    flash("已登记该规范性文件。", "success")
    return redirect(url_for("reports.normative_list", unit_id=unit.id if current_user.sees_all_units else None))
