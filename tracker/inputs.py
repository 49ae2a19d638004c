"""What a request may carry, decided in one place so every feature inherits it.

- **Control characters and the code points XML forbids** (U+0000–U+001F except tab, line feed and
  carriage return; DEL; lone surrogates U+D800–U+DFFF; the noncharacters U+FDD0–U+FDEF and
  U+xFFFE/U+xFFFF of every plane) are removed from every query-string value, form value and
  uploaded file name as the request is parsed (``CleanRequest``): a NUL byte would fail the
  insert on PostgreSQL, XML 1.0 (XLSX, DOCX) cannot hold any of them, a lone surrogate cannot
  even be encoded as UTF-8 (a mail, a CSV), and HTTP headers cannot hold controls. They are
  invisible, so nothing a person typed is lost. In a URL path they answer 404
  (``refuse_control_characters_in_path``). ``strip_control_characters`` is the one cleaning
  function: the writers (``docx_text``, ``spreadsheets``, the mail sender) apply it again to
  text stored before the filter, and the migration ``f2a4c6e8b0d1`` applied it to stored rows.
- **Numbers** (ids, counts, years) are parsed by ``parse_int``: ASCII digits only (``"²".isdigit()``
  is true and ``int("١٢")`` is 12), within bounds; ids within the database's integer column.
- **Dates** typed by people are parsed by ``parse_day`` within ``date_bounds()`` (the working-day
  calendar's range), so a correction due 9999-12-31 is refused in Chinese rather than stored.
"""
import re
from datetime import date

from flask import Request, abort, request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict

from .errors import ServiceError
from .timeutil import FIRST_YEAR, YEARS_AHEAD, china_today

MAX_ID = 2**31 - 1  # the largest value of an INTEGER id column (PostgreSQL and SQLite alike)
NO_SUCH_ID = -1  # a filter id that was given but cannot exist: matches nothing (an empty list)

# What XML 1.0 forbids (its Char production) plus DEL and the Unicode noncharacters, which XML
# discourages and Excel refuses: U+FDD0–U+FDEF and the last two code points of every plane.
_NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
_FORBIDDEN = "\ud800-\udfff" + _NONCHARACTERS
_CONTROL = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{_FORBIDDEN}]")
_ANY_CONTROL = re.compile(rf"[\x00-\x1f\x7f{_FORBIDDEN}]")
_DIGITS = re.compile(r"[0-9]{1,18}")


def strip_control_characters(text: str) -> str:
    """``text`` without control characters other than tab and line breaks, and without the code
    points XML 1.0 forbids (lone surrogates, U+FFFE/U+FFFF) or Unicode calls noncharacters: what
    every form value passes through and what every writer applies to stored text once more."""
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def clean_file_name(name: str) -> str:
    """A file name without any control character (nor what ``strip_control_characters`` drops):
    it travels in a download's header later."""
    return _ANY_CONTROL.sub("", name or "").strip()


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL.search(text))


class CleanMultiDict(ImmutableMultiDict):
    """Query-string and form values (and uploaded file names) without control characters."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        items = mapping.items(multi=True) if hasattr(mapping, "items") and hasattr(mapping, "getlist") else (
            mapping.items() if isinstance(mapping, dict) else mapping)
        super().__init__([(_clean(k), _clean(v)) for k, v in items])


def _clean(value):
    if isinstance(value, str):
        return strip_control_characters(value)
    if isinstance(value, FileStorage) and value.filename:
        value.filename = clean_file_name(value.filename)
    return value


class CleanRequest(Request):
    """The application's request class: ``args``, ``form`` and ``files`` are ``CleanMultiDict``."""

    parameter_storage_class = CleanMultiDict


def refuse_control_characters_in_path():
    """``before_request``: a path segment with a control character names no record."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and has_control_characters(value):
            abort(404)


# --- numbers ---------------------------------------------------------------------------------------

def parse_int(value, low: int = 0, high: int = MAX_ID) -> int | None:
    """A whole number written in ASCII digits within [low, high], else None.

    Surrounding spaces are allowed; signs, fractions, ``1_000``, full-width or other Unicode digits
    (``²``, ``١``) are not.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if low <= value <= high else None
    text = value.strip() if isinstance(value, str) else ""
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def parse_id(value) -> int | None:
    """A record id (1 … the largest INTEGER), else None."""
    return parse_int(value, 1, MAX_ID)


def query_id(name: str, args=None) -> int | None:
    """An id filter from the query string: None when absent or empty; ``NO_SUCH_ID`` when given but
    not a possible id (``?unit=99999999999``, ``?unit=abc``), so the list answers empty on every
    database instead of ignoring the filter or overflowing the driver."""
    text = (args if args is not None else request.args).get(name, "").strip()
    if not text:
        return None
    number = parse_id(text)
    return NO_SUCH_ID if number is None else number


def query_int(name: str, low: int, high: int, args=None) -> int | None:
    """A count or year from the query string; absent, malformed or out of range → None (ignored)."""
    return parse_int((args if args is not None else request.args).get(name, ""), low, high)


# --- dates -----------------------------------------------------------------------------------------

def date_bounds() -> tuple[date, date]:
    """The dates a person may enter: the working-day calendar's range (2004 to ten years ahead).

    Deadlines are counted on that calendar, so a date outside it could never be computed."""
    return date(FIRST_YEAR, 1, 1), date(china_today().year + YEARS_AHEAD, 12, 31)


def date_error(day: date, label: str = "日期", earliest: date | None = None, latest: date | None = None) -> str | None:
    """The Chinese message for a date outside the bounds, or None when it is within them."""
    first, last = date_bounds()
    low, high = max(earliest or first, first), min(latest or last, last)
    if day < low or day > high:
        where = "工作日历的范围" if (low, high) == (first, last) else "允许的范围"
        return f"{label}超出{where}：应在{low:%Y-%m-%d}至{high:%Y-%m-%d}之间。"
    return None


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD date (ASCII digits) or None when malformed; bounds are checked by ``date_error``."""
    text = (text or "").strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_date(text: str, label: str = "日期", field: str | None = None) -> date:
    """A legal date typed by a person (YYYY-MM-DD, within ``date_bounds``); a clear Chinese
    error otherwise, naming the form ``field`` it concerns."""
    value = (text or "").strip() if isinstance(text, str) else ""
    day = parse_day(value)
    if day is None:
        raise ServiceError(f"{label}格式不正确：“{value[:20]}”，请用日期选择器选择，或按“2026-09-28”的格式填写真实存在的日期。",
                           field)
    error = date_error(day, label)
    if error:
        raise ServiceError(error, field)
    return day


def query_date(name: str, problems: list | None = None, args=None) -> date | None:
    """A date filter from the query string; malformed or out of range is ignored with a note."""
    text = (args if args is not None else request.args).get(name, "").strip()
    if not text:
        return None
    day = parse_day(text)
    if day is None or date_error(day):
        if problems is not None:
            problems.append(f"日期“{text[:20]}”格式不正确或超出范围（应如 2026-09-28），已忽略。")
        return None
    return day


def init_app(app) -> None:
    app.request_class = CleanRequest
    app.before_request(refuse_control_characters_in_path)
