"""How the 操作日志 (audit log) shows recorded holiday notices and local days.

Kept beside the models, not in them: models know nothing of the page. ``audit/sources.py``
imports this module when the app starts."""

from ..audit.present import describe_object


def _notice_name(event) -> str | None:
    year = (event.after or {}).get("year")
    return f"{year}年节假日安排" if year else None


def _describe_for_audit_log() -> None:
    """How the 操作日志 shows recorded holiday notices and local days (audit.present)."""

    def holidays(value, lookup):
        return "；".join(f"{name or '节假日'} {start} 至 {end}" for start, end, name in value)

    def workday(value, lookup):
        return "工作日" if value else "休息日"

    def source(value, lookup):
        return {"notice": "国务院通知", "local": "本地决定"}.get(value, value)

    describe_object("calendar_notice", "节假日安排", {
        "year": ("年份", None), "title": ("通知标题", None), "holidays": ("放假安排", holidays),
        "makeup_days": ("调休上班日", None)}, name=_notice_name)
    describe_object("calendar_day", "工作日历调整", {
        "day": ("日期", None), "is_workday": ("记为", workday), "name": ("名称", None), "source": ("来源", source)})


_describe_for_audit_log()
