"""Small form helpers shared by features: Chinese validator messages."""
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

REQUIRED = "此项必填。"


def required():
    return DataRequired(message=REQUIRED)


def max_length(n: int):
    return Length(max=n, message=f"不能超过{n}个字符。")


def optional():
    return Optional()


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs or a {value: label} dict."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


def use_chinese_messages(app) -> None:
    """WTForms' own messages ("Not a valid choice." ...) in Chinese, from its bundled zh catalogue."""
    app.config.setdefault("WTF_I18N_ENABLED", False)  # Flask-WTF's hook needs Flask-Babel; use WTForms'
    FlaskForm.Meta.locales = ("zh",)
