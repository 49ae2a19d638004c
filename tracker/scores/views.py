"""Pages of the assessment scores. Thin: parse, check access, call a service, render."""
import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import files
from ..access import ALL_STAFF, allow, can_see_unit
from ..downloads import download
from ..errors import ServiceError, ValidationErrors
from ..extensions import db
from ..forms import choices
from ..inputs import parse_int, query_int
from ..spreadsheets import XLSX_MIME
from ..timeutil import china_today
from ..units.models import UNIT_KINDS, Unit
from ..web import form_errors
from . import exports, items, ranking, rubrics, services
from .forms import (
    ComputeForm,
    DecideForm,
    ManualForm,
    NewYearForm,
    ObjectionForm,
    ReasonForm,
    rubric_form,
    spec_from_form,
)
from .links import RECORD_TYPES, links
from .models import BONUS, Objection, Rubric, Score, ScoreFile, ScoreItem, ScorePeriod, ScoreRerun
from .periods import parse_period

bp = Blueprint("scores", __name__, url_prefix="/scores", cli_group=None)
UNIT_STAFF = ("contact", "reviewer")


def _period_row(key: str) -> ScorePeriod:
    """The period named in the URL, or 404 (also for a period the user may not see)."""
    try:
        period = parse_period(key)
    except ServiceError:
        abort(404)
    row = services.find_period(period)
    if row is None:
        abort(404)
    return row


def _upload(field) -> tuple[str, bytes] | None:
    data = field.data
    if not data or not getattr(data, "filename", ""):
        return None
    return data.filename, data.read(files.MAX_BYTES + 1)


# --- ranking ----------------------------------------------------------------------------------------

@bp.route("/")
@allow(*ALL_STAFF)
def index():
    periods = ranking.visible_periods(current_user)
    row = None
    if request.args.get("period"):
        row = next((p for p in periods if p.key == request.args["period"]), None)
        if row is None:
            flash("没有该考核期的得分，已显示最近一期。", "warning")
    row = row or next((p for p in periods if p.quarter), periods[0] if periods else None)  # the latest quarter
    kind = request.args.get("kind") if request.args.get("kind") in ("town", "department") else None
    sort = request.args.get("sort") or "rank"
    if sort not in ranking.SORTS and not sort.startswith("cat:"):
        sort = "rank"
    desc = request.args.get("dir") == "desc"
    rows = ranking.ranking(row, current_user, kind, sort, desc) if row else []
    spec = rubrics.spec_of(rows[0].score.rubric) if rows else None
    return render_template("scores/index.html", periods=periods, row=row, rows=rows, kind=kind, kinds=UNIT_KINDS,
                           sort=sort, desc=desc, spec=spec, mine=current_user.unit_id)


@bp.route("/export")
@allow(*ALL_STAFF)
def export():
    if request.args.get("period"):
        row = _period_row(request.args["period"])
    else:  # the latest period the user may see
        row = next(iter(ranking.visible_periods(current_user)), None) or abort(404)
    if not ranking.may_see(row, current_user):
        abort(404)
    if request.args.get("format") == "csv":
        return download(exports.to_csv(row).encode("utf-8-sig"), exports.filename(row, "csv"), "text/csv")
    return download(exports.to_xlsx(row), exports.filename(row, "xlsx"), XLSX_MIME)


@bp.route("/mine")
@allow(*ALL_STAFF)
def mine():
    """A unit's staff go to their unit's latest score; the office and leaders to the ranking."""
    if current_user.sees_all_units:
        return redirect(url_for("scores.index"))
    row = db.session.scalar(select(ScorePeriod).join(Score, Score.period_id == ScorePeriod.id)
                            .where(Score.unit_id == current_user.unit_id)
                            .order_by(ScorePeriod.year.desc(), ScorePeriod.quarter.desc().nulls_last()).limit(1))
    if row is None:
        flash("本单位还没有考核得分。", "info")
        return redirect(url_for("scores.index"))
    return redirect(url_for("scores.unit", key=row.key, unit_id=current_user.unit_id))


# --- a unit's score ---------------------------------------------------------------------------------

def _unit_page(row: ScorePeriod, unit_id: int, status: int = 200, forms: dict | None = None):
    if not can_see_unit(unit_id):
        abort(404)
    unit = db.session.get(Unit, unit_id)
    score = db.session.scalar(select(Score).where(Score.period_id == row.id, Score.unit_id == unit_id))
    if unit is None or score is None:
        abort(404)
    score_items = db.session.scalars(select(ScoreItem).where(ScoreItem.score_id == score.id)
                                     .order_by(ScoreItem.category, ScoreItem.kind, ScoreItem.id)).all()
    objections = {o.key: o for o in db.session.scalars(select(Objection).where(Objection.score_id == score.id))}
    manual = {e.id: e for e in services.manual_entries([unit_id], row.period)}
    spec = rubrics.spec_of(score.rubric)
    ranks = ({r.score.unit_id: r for r in ranking.ranking(row, current_user)}.get(unit_id)
             if ranking.may_see(row, current_user) else None)
    periods = db.session.execute(select(ScorePeriod.key, ScorePeriod.year, ScorePeriod.quarter)
                                 .join(Score, Score.period_id == ScorePeriod.id).where(Score.unit_id == unit_id)
                                 .order_by(ScorePeriod.year.desc(), ScorePeriod.quarter.desc().nulls_first())).all()
    today = china_today()
    forms = forms or {}
    manual_form = forms.get("manual") or ManualForm()
    manual_form.item.choices = choices([(f"{c.key}|{t.key}", f"{c.name} · {t.name}（{t.range_text}）")
                                        for c in spec.categories for t in c.manual] + [
        (f"{BONUS}|{t.key}", f"加分 · {t.name}（{t.range_text}）") for t in spec.bonus_types])
    return render_template(
        "scores/unit.html", row=row, unit=unit, score=score, items=score_items, spec=spec, ranks=ranks,
        periods=[(k, parse_period(k).label) for k, _, _ in periods], objections=objections, manual=manual,
        links=links(score_items, current_user), record_types=RECORD_TYPES,
        categories=score.figures.get("categories", []),
        trend=json.dumps(ranking.unit_trend(unit_id), ensure_ascii=False),
        may_object=items.objection_open(score, today) and current_user.role in UNIT_STAFF,
        manual_form=manual_form, reason_form=ReasonForm(), objection_form=forms.get("objection") or ObjectionForm(),
        objection_item=forms.get("objection_item"), today=today), status


@bp.route("/<key>/units/<int:unit_id>")
@allow(*ALL_STAFF)
def unit(key, unit_id):
    return _unit_page(_period_row(key), unit_id)


@bp.route("/<key>/units/<int:unit_id>/manual", methods=["POST"])
@allow("office")
def add_manual(key, unit_id):
    row = _period_row(key)
    form = ManualForm()
    form.item.choices = []
    if not form.validate_on_submit():
        form_errors(form)
        return _unit_page(row, unit_id, 422, {"manual": form})
    category, _, type_key = (form.item.data or "").partition("|")
    try:
        entry = items.add_manual(db.session.get(Unit, unit_id), row.period, category, type_key, form.points.data,
                                 form.reason.data, current_user, china_today(), _upload(form.evidence))
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _unit_page(row, unit_id, 422, {"manual": form})
    flash(f"已录入{'加分' if entry.category == BONUS else '扣分'}：{entry.type_name}。", "success")
    return redirect(url_for("scores.unit", key=key, unit_id=unit_id))


def _visible_item(item_id: int) -> ScoreItem:
    item = db.session.get(ScoreItem, item_id)
    if item is None or not can_see_unit(item.score.unit_id):
        abort(404)
    return item


@bp.route("/items/<int:item_id>/void", methods=["POST"])
@allow("office")
def void(item_id):
    item = _visible_item(item_id)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError("请填写撤销理由（不超过2000个字符）。", "reason")
        items.void_item(item, form.reason.data, current_user)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _unit_page(item.score.period, item.score.unit_id, 422)
    flash(f"已撤销：{item.label}。", "success")
    return redirect(url_for("scores.unit", key=item.score.period.key, unit_id=item.score.unit_id) + f"#item-{item.id}")


@bp.route("/items/<int:item_id>/object", methods=["POST"])
@allow(*UNIT_STAFF)
def object_to(item_id):
    item = _visible_item(item_id)
    form = ObjectionForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError("请填写申辩理由（不超过2000个字符）。", "reason")
        objection = items.file_objection(item, current_user, form.reason.data, china_today(), _upload(form.evidence))
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _unit_page(item.score.period, item.score.unit_id, 422, {"objection": form, "objection_item": item.id})
    flash("申辩已提交，公开办答复后将通知您。", "success")
    return redirect(url_for("scores.objection", objection_id=objection.id))


# --- objections -------------------------------------------------------------------------------------

@bp.route("/objections")
@allow(*ALL_STAFF)
def objections():
    state = request.args.get("state") if request.args.get("state") in ("pending", "accepted", "rejected") else None
    page = db.paginate(items.objections_query(current_user, state), per_page=30, error_out=False)
    return render_template("scores/objections.html", page=page, state=state)


def _visible_objection(objection_id: int) -> Objection:
    objection = db.session.get(Objection, objection_id)
    if objection is None or not can_see_unit(objection.unit_id):
        abort(404)
    return objection


def _objection_page(objection: Objection, status: int = 200, form: DecideForm | None = None):
    item = db.session.scalar(select(ScoreItem).where(ScoreItem.score_id == objection.score_id,
                                                     ScoreItem.key == objection.key))
    return render_template("scores/objection.html", o=objection, item=item,
                           link=links([item], current_user).get(item.id) if item else None,
                           form=form or DecideForm()), status


@bp.route("/objections/<int:objection_id>")
@allow(*ALL_STAFF)
def objection(objection_id):
    return _objection_page(_visible_objection(objection_id))


@bp.route("/objections/<int:objection_id>/decide", methods=["POST"])
@allow("office")
def decide(objection_id):
    o = _visible_objection(objection_id)
    form = DecideForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError("请填写答复意见（不超过2000个字符）。", "reply")
        if form.decision.data not in ("accept", "reject"):
            raise ServiceError("请选择申辩是否成立。", "decision")
        items.decide_objection(o, form.decision.data == "accept", form.reply.data, current_user)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return _objection_page(o, 422, form)
    flash("已答复申辩，并已通知该单位。", "success")
    return redirect(url_for("scores.objection", objection_id=o.id))


@bp.route("/files/<int:file_id>")
@allow(*ALL_STAFF)
def evidence(file_id):
    item = db.session.get(ScoreFile, file_id)
    if item is None or not can_see_unit(item.unit_id):
        abort(404)
    try:
        return download(files.path_of(item.stored_name), item.original_name, files.mime_type(item.extension))
    except FileNotFoundError:
        abort(404)


# --- periods (the office computes, reviews, publishes, re-runs) --------------------------------------------

@bp.route("/periods")
@allow("office", "leader")
def periods():
    rows = db.session.scalars(select(ScorePeriod).order_by(ScorePeriod.year.desc(),
                                                           ScorePeriod.quarter.desc().nulls_first())).all()
    counts = dict(db.session.execute(select(Score.period_id, func.count()).group_by(Score.period_id)).all())
    pending = dict(db.session.execute(select(Score.period_id, func.count()).join(Objection, Objection.score_id == Score.id)
                                      .where(Objection.state == "pending").group_by(Score.period_id)).all())
    reruns = {r.period_id: r for r in db.session.scalars(select(ScoreRerun).where(ScoreRerun.state == "pending"))}
    form = ComputeForm()
    form.period.choices = [(p.key, p.label) for p in services.computable_periods(china_today())]
    return render_template("scores/periods.html", rows=rows, counts=counts, pending=pending, reruns=reruns,
                           form=form)


@bp.route("/periods/<key>")
@allow("office", "leader")
def period(key):
    row = _period_row(key)
    count = db.session.scalar(select(func.count()).select_from(Score).where(Score.period_id == row.id))
    return render_template("scores/period.html", row=row, count=count, rerun=services.pending_rerun(row),
                           records_due=services.records_due(row.period),
                           ranking=ranking.ranking(row, current_user, sort="total"))


@bp.route("/periods/compute", methods=["POST"])
@allow("office")
def compute():
    form = ComputeForm()
    try:
        if not form.validate_on_submit():
            raise ServiceError("请选择考核期。", "period")
        period = parse_period(form.period.data, china_today())
        outcome = services.compute(period, china_today(), actor=current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("scores.periods"))
    row = outcome.period
    if outcome.rerun is not None:
        flash(f"{row.label}得分已发布，重新计算结果另行保存（{len(outcome.rerun.changed)}个单位有变化），"
              "请核对后决定是否采用。", "warning")
    else:
        flash(f"已计算{row.label}得分：{outcome.computed}个单位（{row.state_label}）。", "success")
    for code, error in outcome.failures.items():
        flash(f"单位 {code} 计算失败：{error}", "danger")
    return redirect(url_for("scores.period", key=row.key))


@bp.route("/periods/<key>/publish", methods=["POST"])
@allow("office")
def publish(key):
    row = _period_row(key)
    try:
        n = services.publish(row, current_user, china_today())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("scores.period", key=key))
    flash(f"已发布{row.label}考核得分（{n}个单位），已通知各单位；申辩期限至 {row.objection_deadline:%Y-%m-%d}。",
          "success")
    return redirect(url_for("scores.period", key=key))


def _rerun(rerun_id: int) -> ScoreRerun:
    rerun = db.session.get(ScoreRerun, rerun_id)
    if rerun is None:
        abort(404)
    return rerun


@bp.route("/reruns/<int:rerun_id>/accept", methods=["POST"])
@allow("office")
def accept_rerun(rerun_id):
    rerun = _rerun(rerun_id)
    try:
        n = services.accept_rerun(rerun, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("scores.period", key=rerun.period.key))
    flash(f"已采用重新计算结果：{n}个单位的已发布得分已更新，并已通知相关单位。", "success")
    return redirect(url_for("scores.period", key=rerun.period.key))


@bp.route("/reruns/<int:rerun_id>/discard", methods=["POST"])
@allow("office")
def discard_rerun(rerun_id):
    rerun = _rerun(rerun_id)
    try:
        services.discard_rerun(rerun, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("scores.period", key=rerun.period.key))
    flash("已放弃重新计算结果，已发布得分保持不变。", "success")
    return redirect(url_for("scores.period", key=rerun.period.key))


# --- rubrics --------------------------------------------------------------------------------------------

@bp.route("/rubrics")
@allow(*ALL_STAFF)
def rubric_list():
    years = rubrics.years()
    if not years:
        rubrics.rubric_for_year(china_today().year, current_user if current_user.role == "office" else None)
        years = rubrics.years()
    current = rubrics.latest(query_int("year", 1000, 9999) or years[0])
    if current is None:
        abort(404)
    return redirect(url_for("scores.rubric", rubric_id=current.id))


@bp.route("/rubrics/<int:rubric_id>")
@allow(*ALL_STAFF)
def rubric(rubric_id):
    item = db.session.get(Rubric, rubric_id) or abort(404)
    latest = rubrics.latest(item.year)
    return render_template("scores/rubric.html", rubric=item, spec=rubrics.spec_of(item), latest=latest,
                           versions=rubrics.versions(item.year), years=rubrics.years(),
                           in_use=rubrics.used_by_published(item), new_year_form=NewYearForm())


@bp.route("/rubrics/<int:rubric_id>/edit", methods=["GET", "POST"])
@allow("office")
def edit_rubric(rubric_id):
    item = db.session.get(Rubric, rubric_id) or abort(404)
    latest = rubrics.latest(item.year)
    if latest.id != item.id:
        flash(f"只能修改当前版本（第{latest.version}版）。", "warning")
        return redirect(url_for("scores.edit_rubric", rubric_id=latest.id))
    spec = rubrics.spec_of(item)
    form = rubric_form(spec, request.form if request.method == "POST" else None)
    in_use = rubrics.used_by_published(item)
    if request.method == "POST":
        problems = []
        try:
            if not form.validate_on_submit():
                raise ServiceError("表单有误：" + "；".join(f"{k}：{v}" for k, v in form.errors.items()))
            saved = rubrics.save(item, spec_from_form(form), current_user, form.note.data or "")
        except ValidationErrors as exc:
            problems = exc.errors
            flash(exc.message, "danger")
        except ServiceError as exc:
            flash(exc.message, "danger")
        else:
            flash(f"已保存{saved.label}。" + ("（原版本已用于已发布得分，已另存为新版本。）" if saved.id != item.id else ""),
                  "success")
            return redirect(url_for("scores.rubric", rubric_id=saved.id))
        return render_template("scores/rubric_edit.html", rubric=item, form=form, in_use=in_use,
                               problems=problems, rules=services.RULES), 422
    return render_template("scores/rubric_edit.html", rubric=item, form=form, in_use=in_use, problems=[],
                           rules=services.RULES)


@bp.route("/rubrics/new", methods=["POST"])
@allow("office")
def new_rubric():
    form = NewYearForm()
    year = parse_int(form.year.data or "", 2000, china_today().year + 1)
    if not form.validate_on_submit() or year is None:
        flash(f"年度须为2000至{china_today().year + 1}之间的四位数字。", "danger")
        return redirect(url_for("scores.rubric_list"))
    existing = rubrics.latest(year)
    item = existing or rubrics.rubric_for_year(year, current_user)
    flash(f"{item.label}已存在。" if existing else f"已建立{item.label}（{item.note}）。", "info" if existing else "success")
    return redirect(url_for("scores.rubric", rubric_id=item.id))


@bp.app_template_filter("pts")
def points_filter(value) -> str:
    from .numbers import points_text
    return points_text(value)


@bp.app_context_processor
def scores_globals():
    """``scores_panel()`` for the leader's dashboard (called only where the template includes it)."""
    return {"scores_panel": lambda: ranking.dashboard_panel(current_user)}
