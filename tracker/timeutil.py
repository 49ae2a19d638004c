"""Time at the edges: timestamps are stored in UTC, legal dates are plain dates in China time."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.types import DateTime, TypeDecorator

CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def china_today() -> date:
    """Today's date in China time: the calendar day a legal period is counted from."""
    return utcnow().astimezone(CHINA).date()


def to_china(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CHINA)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC (same on SQLite and PostgreSQL), read back timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


WEEKDAYS = "一二三四五六日"


def format_datetime(value: datetime | None) -> str:
    local = to_china(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def format_date(value: date | None) -> str:
    if value is None:
        return ""
    return f"{value:%Y-%m-%d}（周{WEEKDAYS[value.weekday()]}）"


def render_migration_item(type_, obj, autogen_context):
    """Alembic hook: write UTCDateTime columns into migrations as plain DateTime."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def parse_date(text: str, label: str = "日期", field: str | None = None) -> date:
    """A legal date typed by a person (YYYY-MM-DD); a clear Chinese error otherwise."""
    from .errors import ServiceError

    value = (text or "").strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ServiceError(f"{label}格式不正确：“{value}”，请用日期选择器选择，或按“2026-09-28”的格式填写真实存在的日期。",
                           field) from None
