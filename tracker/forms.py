"""Small form helpers shared by features: Chinese validator messages, and the fields that parse
dates and whole numbers strictly (see ``tracker/inputs.py``) for every form that uses them."""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import DateInput, NumberInput

from . import inputs

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


def id_or_none(value):
    """Coerce for selects of records: anything that is not a possible id becomes None, and the
    service then answers in Chinese (WTForms' own coerce error is English)."""
    return inputs.parse_id(value)


class ChineseDateField(Field):
    """A YYYY-MM-DD date within the calendar's bounds (``inputs.date_bounds``), or narrower ones
    given as ``earliest`` / ``latest`` (dates or callables); anything else is a Chinese error.
    An absent or empty value is None (add ``required()`` to refuse it)."""

    widget = DateInput()

    def __init__(self, label=None, validators=None, earliest=None, latest=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.earliest, self.latest = earliest, latest

    def _value(self):
        return self.data.isoformat() if isinstance(self.data, date) else (self.raw_data or [""])[0]

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return
        day = inputs.parse_day(text)
        if day is None:
            raise ValueError("日期格式应为 年-月-日（如 2026-04-01）。")
        bound = [b() if callable(b) else b for b in (self.earliest, self.latest)]
        error = inputs.date_error(day, "日期", *bound)
        if error:
            raise ValueError(error)
        self.data = day


class WholeNumberField(Field):
    """A whole number in ASCII digits between ``low`` and ``high``; None when empty."""

    widget = NumberInput(min=0)

    def __init__(self, label=None, validators=None, low=0, high=inputs.MAX_ID, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.low, self.high = low, high

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return
        self.data = inputs.parse_int(text, self.low, self.high)
        if self.data is None:
            raise ValueError(f"请填写{self.low}到{self.high}之间的整数。" if self.high < inputs.MAX_ID
                             else "请填写整数。")


def use_chinese_messages(app) -> None:
    """WTForms' own messages ("Not a valid choice." ...) in Chinese, from its bundled zh catalogue."""
    app.config.setdefault("WTF_I18N_ENABLED", False)  # Flask-WTF's hook needs Flask-Babel; use WTForms'
    FlaskForm.Meta.locales = ("zh",)
