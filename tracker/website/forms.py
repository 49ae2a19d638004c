"""Forms of the website inspection pages."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField

from ..forms import WholeNumberField, choices, id_or_none, max_length, optional, required
from .models import COLUMN_KINDS
from .settings import DEFAULTS

KIND_CHOICES = {k: (f"{label}（{days}天）" if days else f"{label}（{months}个月）" if months else "自定更新时限（天）")
                for k, (label, days, months) in COLUMN_KINDS.items()}


class ColumnForm(FlaskForm):
    unit_id = SelectField("单位", coerce=id_or_none, validate_choice=False)
    name = StringField("栏目名称", validators=[required(), max_length(100)],
                       render_kw={"placeholder": "如：通知公告、政策文件、财政预决算"})
    url = StringField("栏目地址（列表页网址）", validators=[required(), max_length(500)],
                      render_kw={"placeholder": "http://www.dongning.gov.cn/xxgk/tzgg/"})
    kind = SelectField("栏目类型（决定最长多久不更新）", choices=choices(KIND_CHOICES), validate_choice=False)
    max_age_days = StringField("更新时限（天，仅自定类型填写）", validators=[optional(), max_length(5)])


class ImportForm(FlaskForm):
    file = FileField("Excel 文件（.xlsx）")


class SettingsForm(FlaskForm):
    allowed_domains = TextAreaField("允许巡查的政府网站域名（每行一个；填 gov.cn 表示所有 .gov.cn 网站）",
                                    validators=[required(), max_length(2000)], render_kw={"rows": 3})
    auto_verify = BooleanField("发布核验通过的公开任务自动核验（不通过的仍由公开办判定）")
    recheck_days = WholeNumberField("已发布信息复查周期（天）", default=DEFAULTS["recheck_days"])
    column_hours = WholeNumberField("栏目巡查周期（小时）", default=DEFAULTS["column_hours"])
    max_list_pages = WholeNumberField("每个栏目最多读取的列表页数", default=DEFAULTS["max_list_pages"])
    max_links = WholeNumberField("每个栏目最多检查的链接数", default=DEFAULTS["max_links"])
    max_attachments = WholeNumberField("每条信息最多检查的附件数", default=DEFAULTS["max_attachments"])
    rectification_days = WholeNumberField("巡查发现转整改的默认期限（工作日）", default=DEFAULTS["rectification_days"])


class SelectionForm(FlaskForm):
    """Rows chosen in a list (findings to turn into work, tasks to verify)."""
    ids = SelectMultipleField(coerce=id_or_none, validate_choice=False)
    period_days = StringField("整改期限（工作日）", validators=[optional(), max_length(5)])


class ReasonForm(FlaskForm):
    reason = TextAreaField("理由", validators=[optional(), max_length(1000)], render_kw={"rows": 2})
