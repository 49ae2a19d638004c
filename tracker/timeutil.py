"""Time at the edges: timestamps are stored in UTC, legal dates are plain dates in China time."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.types import DateTime, TypeDecorator

CHINA = ZoneInfo("Asia/Shanghai")

# The years legal dates are counted in: the working-day calendar's range, from its first year with
# official data to ten years ahead (``workcal.services.check_in_range``, ``inputs.date_bounds``).
FIRST_YEAR = 2004  # the first year with official data
YEARS_AHEAD = 10


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
