from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField

from ..access import ALL_STAFF, allow
from ..errors import ServiceError
from ..forms import max_length, optional, required
from ..inputs import parse_date, parse_int, query_int
from ..timeutil import china_today
from ..web import form_errors, refuse
from . import services
from .notices import parse_notice_text

bp = Blueprint("workcal", __name__, url_prefix="/calendar")
bp.add_app_template_global(services.days_left, "days_left")

KIND_LABELS = {
    "workday": "工作日", "weekend": "休息日", "holiday": "节假日", "makeup": "调休上班",
    "override_workday": "本地记为工作日", "override_holiday": "本地记为休息日",
}


class NoticeForm(FlaskForm):
    year = StringField("年份", validators=[required(), max_length(4)])
    title = StringField("通知标题", validators=[optional(), max_length(200)])
    text = TextAreaField("通知正文或逐行录入", validators=[required(), max_length(20000)], render_kw={"rows": 14})


class LocalDayForm(FlaskForm):
    day = StringField("日期", validators=[required(), max_length(10)], render_kw={"type": "date"})
    is_workday = BooleanField("记为工作日（不勾选则记为休息日）")
    name = StringField("名称", validators=[required(), max_length(60)])
    note = StringField("依据 / 说明", validators=[optional(), max_length(200)])


def _year_arg() -> int:
    year = query_int("year", 1, 9999) or china_today().year
    return min(max(year, 2004), china_today().year + 10)


def _year_page(y: int, local_form: LocalDayForm, status: int = 200):
    cal = services.get_calendar()
    months = [(m, cal.month_grid(y, m)) for m in range(1, 13)]
    return render_template("workcal/year.html", year=y, months=months, provisional=cal.is_provisional_year(y),
                           notice=services.notice_for_year(y), kind_labels=KIND_LABELS, today=china_today(),
                           recorded=services.recorded_days(y), local_form=local_form), status


@bp.route("/")
@allow(*ALL_STAFF)
def year():
    return _year_page(_year_arg(), LocalDayForm())


@bp.route("/tool")
@allow(*ALL_STAFF)
def tool():
    """Staff ask: what is N working days after D? How many working days between D1 and D2?"""
    answer = between = None
    args = request.args
    try:
        if args.get("start"):
            start = services.check_in_range(parse_date(args["start"], "起算日期", "start"), "起算日期", "start")
            n = parse_int(args.get("n", "20"), 0, 2000)
            if n is None:
                raise ServiceError("工作日数必须是0到2000之间的整数。", "n")
            answer = (start, n, services.add_workdays(start, n))
        if args.get("d1") and args.get("d2"):
            d1 = services.check_in_range(parse_date(args["d1"], "开始日期", "d1"), "开始日期", "d1")
            d2 = services.check_in_range(parse_date(args["d2"], "结束日期", "d2"), "结束日期", "d2")
            between = (d1, d2, services.workdays_between(d1, d2))
    except ServiceError as exc:
        if not exc.field:
            flash(exc.message, "danger")
        return render_template("workcal/tool.html", answer=None, between=None, args=args,
                               errors={exc.field: exc.message}), 422
    return render_template("workcal/tool.html", answer=answer, between=between, args=args, errors={})


@bp.route("/notice", methods=["GET", "POST"])
@allow("office")
def notice():
    """Record a year's holiday notice: paste it (or type it line by line), preview, then confirm."""
    form = NoticeForm()
    if request.method == "GET":
        year_ = query_int("year", 1, 9999)
        if year_ is None or not services.FIRST_YEAR <= year_ <= china_today().year + services.YEARS_AHEAD:
            year_ = china_today().year + 1
        form.year.data = str(year_)
        existing = services.notice_for_year(int(form.year.data))
        if existing:
            form.title.data, form.text.data = existing.title, existing.text
        return render_template("workcal/notice.html", form=form, parsed=None)
    if not form.validate_on_submit():
        form_errors(form)
        return render_template("workcal/notice.html", form=form, parsed=None), 422
    year_ = parse_int(form.year.data, services.FIRST_YEAR, china_today().year + services.YEARS_AHEAD)
    if year_ is None:
        refuse(ServiceError(f"年份应在{services.FIRST_YEAR}年至{china_today().year + services.YEARS_AHEAD}年之间。",
                            "year"), form)
        return render_template("workcal/notice.html", form=form, parsed=None), 422
    parsed = parse_notice_text(form.text.data, year_)
    if not parsed.ok or not parsed.holidays:
        if parsed.ok:
            flash("没有识别到任何放假安排，请检查录入内容。", "danger")
        else:
            flash(f"录入内容有{len(parsed.errors)}处错误，未保存。", "danger")
        return render_template("workcal/notice.html", form=form, parsed=parsed), 422
    if request.form.get("confirm") != "1":
        return render_template("workcal/notice.html", form=form, parsed=parsed, preview=True)
    try:
        moved = services.record_notice(year_, parsed.holidays, parsed.makeup_days, form.title.data or "",
                                       form.text.data)
    except ServiceError as exc:
        refuse(exc, form)
        return render_template("workcal/notice.html", form=form, parsed=parsed), 422
    flash(f"已录入{year_}年节假日安排：{len(parsed.holidays)}个放假区间，{len(parsed.makeup_days)}个调休上班日。"
          f"已重新计算未办结事项的期限，{moved}个期限发生变化。", "success")
    return redirect(url_for("workcal.year", year=year_))


@bp.route("/local-day", methods=["POST"])
@allow("office")
def local_day():
    form = LocalDayForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _year_page(_year_arg(), form, 422)
    try:
        day = parse_date(form.day.data, "日期", "day")
        moved = services.record_local_day(day, form.is_workday.data, form.name.data, form.note.data or "")
    except ServiceError as exc:
        refuse(exc, form)
        return _year_page(_year_arg(), form, 422)
    flash(f"已将 {day:%Y-%m-%d} 记为{'工作日' if form.is_workday.data else '休息日'}；{moved}个期限发生变化。", "success")
    return redirect(url_for("workcal.year", year=day.year))
