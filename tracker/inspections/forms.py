"""Forms of the inspection, rectification and 督办 pages."""
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from ..disclosure.forms import CheckboxesField, WholeNumberField, date_input, to_int
from ..forms import choices, max_length, optional, required
from .models import INSPECTION_KINDS
from .services import DEFAULT_RECTIFICATION_DAYS, MAX_TEXT


class InspectionForm(FlaskForm):
    kind = SelectField("检查类型", choices=choices(INSPECTION_KINDS), validate_choice=False)
    title = StringField("检查名称", validators=[required(), max_length(200)],
                        render_kw={"placeholder": "如：2026年第三季度政府网站信息公开专项检查"})
    inspected_on = date_input("检查日期", [required(), max_length(10)])
    scope = TextAreaField("检查范围（栏目、事项）", validators=[required(), max_length(MAX_TEXT)],
                          render_kw={"rows": 2, "placeholder": "如：财政预决算、重点领域信息公开栏目，依申请公开办理台账"})
    method = TextAreaField("检查方式", validators=[required(), max_length(MAX_TEXT)],
                           render_kw={"rows": 2, "placeholder": "如：网站抽查所列栏目，调阅台账，现场检查"})
    summary = TextAreaField("总体情况（可不填）", validators=[optional(), max_length(MAX_TEXT)], render_kw={"rows": 3})
    unit_ids = CheckboxesField("被检查单位", coerce=to_int, validate_choice=False)


class FindingForm(FlaskForm):
    unit_id = SelectField("单位", coerce=to_int, validate_choice=False)
    description = TextAreaField("发现的问题", validators=[required(), max_length(MAX_TEXT)], render_kw={"rows": 2})
    rectify = BooleanField("下达整改要求", default=True)
    requirement = TextAreaField("整改要求（可不填，默认与问题相同）", validators=[optional(), max_length(MAX_TEXT)],
                                render_kw={"rows": 2})
    period_days = WholeNumberField("整改期限（工作日）", default=DEFAULT_RECTIFICATION_DAYS, validators=[optional()])


class RespondForm(FlaskForm):
    text = TextAreaField("整改情况（做了什么、何时完成）", validators=[required(), max_length(MAX_TEXT)],
                         render_kw={"rows": 3})
    files = MultipleFileField("佐证材料（可多选）")


class DecisionForm(FlaskForm):
    reason = TextAreaField("意见", validators=[optional(), max_length(1000)], render_kw={"rows": 2})


class UrgeForm(FlaskForm):
    message = TextAreaField("督办意见（可不填）", validators=[optional(), max_length(500)], render_kw={"rows": 2})
    next = StringField(validators=[optional(), max_length(500)])
