from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)

from ..forms import choices, max_length, optional, required
from ..inputs import NO_SUCH_ID, parse_id
from .models import ROLES


def unit_choice(value):
    """"0" or empty is "no unit"; anything else that is not a possible id is a unit that does not exist."""
    text = "" if value is None else str(value).strip()
    return None if text in ("", "0") else (parse_id(text) or NO_SUCH_ID)


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[required(), max_length(60)])
    password = PasswordField("密码", validators=[required(), max_length(200)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[required()])
    password = PasswordField("新密码", validators=[required(), max_length(200)])
    confirm = PasswordField("确认新密码", validators=[required()])


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[required(), max_length(60)])
    display_name = StringField("姓名", validators=[required(), max_length(60)])
    role = SelectField("角色", choices=choices(ROLES), validators=[required()])
    unit_id = SelectField("所属单位", coerce=unit_choice, validate_choice=False)
    email = EmailField("邮箱", validators=[optional(), max_length(200)])
    phone = StringField("电话", validators=[optional(), max_length(40)])
    password = PasswordField("初始密码", validators=[optional(), max_length(200)])


class ReasonForm(FlaskForm):
    reason = TextAreaField("原因", validators=[optional(), max_length(500)])
    confirm = BooleanField("确认")
