"""Pages of the quarterly bulletin: the list, one bulletin (read by everyone once published; the
office drafts, edits and publishes), its DOCX and XLSX, and the office's settings. Thin: parse,
check access, call a service, render. The command line (``flask bulletin ...``) is in commands.py."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..access import ALL_STAFF, allow
from ..downloads import download
from ..errors import ServiceError
from ..extensions import db
from ..inputs import parse_date
from ..timeutil import china_today
from ..units.models import Unit
from ..web import form_errors
from . import commands, exports, services
from .figures import RANK_NOTE, column_groups
from .forms import DraftForm, ItemForm, NarrativeForm, PublishForm, SettingsForm
from .models import Bulletin
from .quarters import Quarter

bp = Blueprint("bulletins", __name__, cli_group="bulletin")
commands.register(bp)


def _past_quarters(today, n: int = 12) -> list[Quarter]:
    found, q = [], Quarter.containing(today).previous()
    for _ in range(n):
        found.append(q)
        q = q.previous()
    return found


def _visible(bulletin_id: int) -> Bulletin:
    bulletin = db.session.get(Bulletin, bulletin_id)
    if bulletin is None or not (current_user.sees_all_units or bulletin.is_published):
        abort(404)
    return bulletin


@bp.route("/bulletins")
@allow(*ALL_STAFF)
def index():
    bulletins = db.session.scalars(services.visible_query(current_user)).all()
    form = DraftForm(formdata=None)
    form.quarter.choices = [(q.key, q.label) for q in _past_quarters(china_today())]
    return render_template("bulletins/index.html", bulletins=bulletins, form=form)


@bp.route("/bulletins/draft", methods=["POST"])
@allow("office")
def draft():
    """On demand: draft any past quarter (an existing draft gets fresh figures)."""
    form = DraftForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError("表单已失效，请重试。")
        bulletin, created = services.draft(Quarter.parse(form.quarter.data), china_today(), current_user)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("bulletins.index")), 303
    if created:
        flash(f"已起草{bulletin}。", "success")
    elif bulletin.is_published:
        flash(f"{bulletin}已印发，数据已冻结。", "info")
    else:
        flash(f"{bulletin}已存在，已按今天的数据重新统计。", "success")
    return redirect(url_for("bulletins.detail", bulletin_id=bulletin.id))


def _page(bulletin: Bulletin, status: int = 200, narrative=None, item_form=None, publish_form=None):
    content = services.content(bulletin)
    today = china_today()
    own = None if current_user.sees_all_units else current_user.unit_id
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True), Unit.kind != "office")
                               .order_by(Unit.kind.desc(), Unit.code)).all() if current_user.role == "office" else []
    if narrative is None:
        narrative = NarrativeForm(formdata=None, obj=bulletin)
    if item_form is None:
        item_form = ItemForm(formdata=None, period_days=services.settings()["item_days"])
    item_form.unit_id.choices = [(u.id, u.name) for u in units]
    if publish_form is None:
        prefix = services.settings()["number_prefix"]
        publish_form = PublishForm(formdata=None, doc_seq=str(services.next_number(prefix, today.year)),
                                   published_on=today.isoformat())
    return render_template("bulletins/detail.html", bulletin=bulletin, c=content, own=own,
                           groups=column_groups(content["figures"].get("scores", False),
                                                content["figures"].get("website", False),
                                                content["figures"].get("ratings", False)),
                           narrative=narrative, item_form=item_form, publish_form=publish_form,
                           prefix=services.settings()["number_prefix"], unit_line=services.unit_line,
                           rank_note=RANK_NOTE), status


@bp.route("/bulletins/<int:bulletin_id>")
@allow(*ALL_STAFF)
def detail(bulletin_id):
    return _page(_visible(bulletin_id))


def _office_step(bulletin_id: int, run, done: str, form_name: str | None = None, form_class=None):
    bulletin = _visible(bulletin_id)
    form = form_class() if form_class else None
    try:
        if form is not None and not form.validate_on_submit():
            form_errors(form)
            raise ServiceError("请检查填写的内容。")
        run(bulletin, form)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _page(bulletin, 422, **({form_name: form} if form_name else {}))
    flash(done, "success")
    return redirect(url_for("bulletins.detail", bulletin_id=bulletin.id))


@bp.route("/bulletins/<int:bulletin_id>/narrative", methods=["POST"])
@allow("office")
def narrative(bulletin_id):
    return _office_step(bulletin_id, lambda b, f: services.edit_narrative(b, current_user, f.data), "通报内容已保存。",
                        "narrative", NarrativeForm)


@bp.route("/bulletins/<int:bulletin_id>/refresh", methods=["POST"])
@allow("office")
def refresh(bulletin_id):
    return _office_step(bulletin_id, lambda b, f: services.refresh_figures(b, china_today(), current_user),
                        "已按今天的数据重新统计。", None, FlaskForm)


@bp.route("/bulletins/<int:bulletin_id>/items", methods=["POST"])
@allow("office")
def add_item(bulletin_id):
    return _office_step(bulletin_id, lambda b, f: services.add_item(b, current_user, f.unit_id.data, f.requirement.data,
                                                                    f.period_days.data),
                        "已添加整改要求（印发时下达）。", "item_form", ItemForm)


@bp.route("/bulletins/<int:bulletin_id>/items/<int:bulletin_item_id>/delete", methods=["POST"])
@allow("office")
def remove_item(bulletin_id, bulletin_item_id):
    return _office_step(bulletin_id, lambda b, f: services.remove_item(b, current_user, bulletin_item_id),
                        "已删除整改要求。", None, FlaskForm)


@bp.route("/bulletins/<int:bulletin_id>/publish", methods=["POST"])
@allow("office")
def publish(bulletin_id):
    def run(b, f):
        services.publish(b, current_user, f.doc_seq.data, parse_date(f.published_on.data, "印发日期"), china_today())
    return _office_step(bulletin_id, run, "通报已印发，已通知各单位联络员、审核人和领导。", "publish_form", PublishForm)


@bp.route("/bulletins/<int:bulletin_id>/export/<file_type>")
@allow(*ALL_STAFF)
def export(bulletin_id, file_type):
    if file_type not in exports.FORMATS:
        abort(404)
    bulletin = _visible(bulletin_id)
    return download(exports.build(bulletin, file_type), exports.file_name(bulletin, file_type),
                    exports.FORMATS[file_type][0])


@bp.route("/bulletins/settings", methods=["GET", "POST"])
@allow("office")
def settings():
    form = SettingsForm(formdata=None, data=services.settings()) if request.method == "GET" else SettingsForm()
    if request.method == "POST":
        try:
            if not form.validate_on_submit():
                form_errors(form)
                raise ServiceError("请检查填写的内容。")
            services.save_settings(form.data, current_user)
        except ServiceError as exc:
            flash(exc.message, "danger")
            return render_template("bulletins/settings.html", form=form), 422
        flash("通报设置已保存。", "success")
        return redirect(url_for("bulletins.settings"))
    return render_template("bulletins/settings.html", form=form)


@bp.app_context_processor
def bulletin_helpers():
    """For the dashboards: the latest published bulletin with the reader's own unit's line, and
    the reader's unit's open rectification items (computed only when a template asks)."""
    def bulletin_panel():
        from ..disclosure.services import due_soon_cutoff
        from ..inspections.services import rectification_query
        latest, draft = services.latest_bulletins(with_draft=current_user.sees_all_units)
        today = china_today()
        panel = {"bulletin": latest, "row": None, "items": [], "today": today, "cutoff": due_soon_cutoff(today)}
        if latest is not None and current_user.unit_id:
            rows = services.content(latest)["figures"]["rows"]
            panel["row"] = next((r for r in rows if r["unit_id"] == current_user.unit_id), None)
        stmt = rectification_query(current_user, today, panel["cutoff"], flag="open").limit(8)
        panel["items"] = db.session.scalars(stmt).all()
        panel["draft"] = draft
        return panel
    return {"bulletin_panel": bulletin_panel, "unit_line": services.unit_line}
