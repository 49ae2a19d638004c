from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from ..forms import choices, max_length, required
from .models import UNIT_KINDS


class UnitForm(FlaskForm):
    code = StringField("单位编码", validators=[required(), max_length(40)])
    name = StringField("单位名称", validators=[required(), max_length(120)])
    kind = SelectField("类型", choices=choices(UNIT_KINDS), validators=[required()])
