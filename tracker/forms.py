"""Small form helpers shared by features: Chinese validator messages."""
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
