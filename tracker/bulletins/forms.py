"""Forms of the bulletin pages."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from ..disclosure.forms import WholeNumberField, date_input, to_int
from ..forms import max_length, optional, required
from .services import MAX_NARRATIVE


class DraftForm(FlaskForm):
    quarter = SelectField("季度", validate_choice=False)


class NarrativeForm(FlaskForm):
    good_practice = TextAreaField("工作亮点", validators=[optional(), max_length(MAX_NARRATIVE)], render_kw={"rows": 4})
    problems = TextAreaField("存在的问题（系统已列出未公开信息、逾期和督办的单位，此处补充其他问题）",
                             validators=[optional(), max_length(MAX_NARRATIVE)], render_kw={"rows": 4})
    requirements = TextAreaField("下一步工作要求", validators=[optional(), max_length(MAX_NARRATIVE)],
                                 render_kw={"rows": 4})


class ItemForm(FlaskForm):
    unit_id = SelectField("单位", coerce=to_int, validate_choice=False)
    requirement = TextAreaField("整改要求", validators=[required(), max_length(1000)], render_kw={"rows": 2})
    period_days = WholeNumberField("整改期限（印发后工作日）", validators=[optional()])


class PublishForm(FlaskForm):
    doc_seq = StringField("发文序号", validators=[required(), max_length(6)])
    published_on = date_input("印发日期", [required(), max_length(10)])


class SettingsForm(FlaskForm):
    issuer = StringField("发文机关（红头、落款）", validators=[required(), max_length(60)])
    number_prefix = StringField("发文字号机关代字（如：东政公开办）", validators=[required(), max_length(20)])
    area = StringField("通报范围（标题中，如：全市）", validators=[required(), max_length(20)])
    addressees = StringField("主送机关", validators=[required(), max_length(200)])
    cc = StringField("抄送机关（版记，可不填）", validators=[optional(), max_length(200)])
    item_days = WholeNumberField("整改要求默认期限（工作日）", validators=[optional()])
