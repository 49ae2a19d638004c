"""Forms of the annual report pages (CSRF on every post; the services check the values)."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField

from ..forms import choices, max_length, optional
from .models import NORMATIVE_KINDS
from .services import MAX_TEXT


def date_input(label):
    return StringField(label, validators=[optional(), max_length(10)], render_kw={"type": "date"})


class NarrativeForm(FlaskForm):
    overview = TextAreaField("一、总体情况", validators=[optional(), max_length(MAX_TEXT)])
    problems = TextAreaField("五、存在的主要问题及改进情况", validators=[optional(), max_length(MAX_TEXT)])
    other_matters = TextAreaField("六、其他需要报告的事项", validators=[optional(), max_length(MAX_TEXT)])


class OverrideForm(FlaskForm):
    cell = StringField("单元格", validators=[max_length(60)])
    value = StringField("调整后的数值", validators=[max_length(30)])
    reason = StringField("调整原因", validators=[optional(), max_length(500)])


class ReasonForm(FlaskForm):
    reason = TextAreaField("原因", validators=[optional(), max_length(1000)])


class DueDateForm(FlaskForm):
    due_date = date_input("内部报送期限")


class ImportForm(FlaskForm):
    file = FileField("Excel 文件")


class RepealForm(FlaskForm):
    repealed_on = date_input("废止日期")
    reason = StringField("废止原因", validators=[optional(), max_length(1000)])


class KindForm(FlaskForm):
    kind = SelectField("文件类别", choices=choices(NORMATIVE_KINDS), validate_choice=False)


class DocumentForm(FlaskForm):
    unit_id = StringField("单位", validators=[optional(), max_length(12)])
    title = StringField("文件标题", validators=[optional(), max_length(300)])
    doc_number = StringField("文号", validators=[optional(), max_length(100)])
    issued_on = date_input("发布日期")
    kind = SelectField("文件类别", choices=choices(NORMATIVE_KINDS), validate_choice=False)
