"""Forms of the disclosure pages, and the parsing of list filters from the query string."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .. import inputs
from ..forms import WholeNumberField, choices, id_or_none, max_length, optional, required
from .models import ATTRIBUTES, CADENCES, CHANNELS, FREQUENCIES, PRIVACY, STATES
from .services import FLAGS, RegisterFilters, TaskFilters

# Coerce for selects: a value that is not a possible id becomes None (the service then says what
# is missing).
to_int = id_or_none


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def date_input(label, validators):
    """A native date picker; the server still parses what arrives (inputs.parse_date)."""
    return StringField(label, validators=validators, render_kw={"type": "date"})


class DutyForm(FlaskForm):
    unit_id = SelectField("单位", coerce=to_int, validate_choice=False)
    title = StringField("公开事项名称", validators=[required(), max_length(200)])
    key_area_id = SelectField("重点领域", coerce=to_int, validate_choice=False)
    cadence = SelectField("公开类型", choices=choices(CADENCES), validate_choice=False)
    frequency = SelectField("周期（常规性为公开周期，固定性为复核周期）",
                            choices=choices({"": "（临时性事项无周期）"} | FREQUENCIES), validate_choice=False)
    formation_offset_days = WholeNumberField("信息形成日：周期首日后第几天（0 = 周期首日）", default=0,
                                             validators=[optional()])
    period_days = WholeNumberField("公开时限（工作日）", default=20, validators=[optional()])
    channels = CheckboxesField("公开渠道", choices=choices(CHANNELS), validate_choice=False, default=["website"])
    review_required = BooleanField("发布前须经审核人审核（先审查、后公开）", default=True)
    start_date = date_input("起始日期（此日前形成的信息不生成任务）", [optional(), max_length(10)])
    note = TextAreaField("备注（公开依据等）", validators=[optional(), max_length(2000)])


class AdhocTaskForm(FlaskForm):
    duty_id = SelectField("公开事项", coerce=to_int, validate_choice=False)
    formed_date = date_input("信息形成或变更日期", [required(), max_length(10)])
    title = StringField("信息名称（可不填，默认用事项名称）", validators=[optional(), max_length(300)])
    note = TextAreaField("说明", validators=[optional(), max_length(2000)])


class DraftForm(FlaskForm):
    """The draft submitted for review (先审查、后公开); the rules are in workflow.Draft."""
    draft_text = TextAreaField("送审稿正文（拟公开的内容；也可只上传文件）", validators=[optional(), max_length(20000)])
    draft_file = FileField("送审稿文件（PDF、DOCX、OFD、图片等，10MB以内）")
    channels = CheckboxesField("拟公开渠道", choices=choices(CHANNELS), validate_choice=False)
    attribute = RadioField("公开属性", choices=choices(ATTRIBUTES), validate_choice=False)
    attribute_reason = TextAreaField("理由和依据（依申请公开、不予公开的须填写）", validators=[optional(), max_length(1000)])
    no_state_secret = BooleanField("保密审查：不涉及国家秘密")
    privacy = RadioField("保密审查：商业秘密和个人隐私", choices=choices(PRIVACY), validate_choice=False)
    redaction_note = TextAreaField("如何处理（涉及商业秘密或个人隐私的须填写，如删除身份证号码、隐去姓名）",
                                   validators=[optional(), max_length(1000)])
    doc_number = StringField("文号", validators=[optional(), max_length(100)])
    normative = BooleanField("规范性文件")


class PublicationForm(FlaskForm):
    """The publication record; document number and normative flag only for duties without review
    (with review they come from the approved draft)."""
    published_on = date_input("发布日期", [required(), max_length(10)])
    channels = CheckboxesField("公开渠道", choices=choices(CHANNELS), validate_choice=False)
    url = StringField("网址（在政府网站发布的须填写）", validators=[optional(), max_length(500)])
    doc_number = StringField("文号", validators=[optional(), max_length(100)])
    normative = BooleanField("规范性文件")


class ReasonForm(FlaskForm):
    reason = TextAreaField("原因", validators=[optional(), max_length(1000)])


class CommentForm(FlaskForm):
    comment = TextAreaField("审核意见", validators=[optional(), max_length(1000)])


class ApplyTemplateForm(FlaskForm):
    source_unit_id = SelectField("模板：复制此单位的公开目录", coerce=to_int, validate_choice=False)
    target_unit_ids = CheckboxesField("应用到以下单位", coerce=to_int, validate_choice=False)


class UploadForm(FlaskForm):
    file = FileField("文件")


class KeyAreaForm(FlaskForm):
    name = StringField("重点领域名称", validators=[required(), max_length(60)])


# --- filters from the query string (bad values are ignored, with a note for the page) -------------

def _int(args, name):
    return inputs.query_id(name, args)


def _date(args, name, problems):
    return inputs.query_date(name, problems, args)


def task_filters(args, user) -> TaskFilters:
    flag = args.get("flag") if args.get("flag") in FLAGS else None
    return TaskFilters(unit_id=_int(args, "unit") if user.sees_all_units else None,
                       key_area_id=_int(args, "area"), state=args.get("state") if args.get("state") in STATES else None,
                       flag=flag, year=inputs.query_int("year", 2000, 2100, args),
                       q=(args.get("q") or "").strip()[:100],
                       sort="due" if args.get("sort") == "due" else None, desc=args.get("dir") == "desc")


def register_filters(args, user, problems: list) -> RegisterFilters:
    return RegisterFilters(
        unit_id=_int(args, "unit") if user.sees_all_units else None, key_area_id=_int(args, "area"),
        channel=args.get("channel") if args.get("channel") in CHANNELS else None,
        date_from=_date(args, "from", problems), date_to=_date(args, "to", problems),
        timeliness=args.get("timeliness") if args.get("timeliness") in ("on_time", "late") else None,
        normative=args.get("normative") if args.get("normative") in ("yes", "no") else None,
        q=(args.get("q") or "").strip()[:100])
