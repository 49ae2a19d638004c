"""Acts entered late (补录) and deadlines that had already passed when an act was entered.

The Regulation's periods run on legal dates (Art. 30–33, 42), and the tracker learns of an act when
someone enters it. Two entries can therefore bend a period that had run out:

* An act entered more than ``APPLICATION_LATE_ENTRY_DAYS`` working days (default 3) after its own
  date is a **补录**: it asks for a reason, which is kept on the event, marked on the application's
  record and in the audit log, and listed on the office's supervision page.
* An act that would change a deadline that had **already passed when it was entered** — the reply
  deadline, or the running pause's own deadline (the applicant's time to pay, a consulted party's
  15 days) — is refused unless the office explicitly confirms the change (with its reason). A
  correction notice dated in March and entered in December cannot quietly turn an application
  overdue since March into one awaiting correction.

A real delivery day entered after the presumed period ended (the receipt card came back late)
always carries a reason and is recorded as a fact; without the office's confirmation the lapsed
period stands (the event keeps ``held_due``, which ``clock.py`` honours).

``APPLICATION_LATE_ENTRY_DAYS = None`` turns the 补录 rules off: for loading a history whose acts
were entered on their own days (the demo city, imported records).
"""
from dataclasses import dataclass
from datetime import date

from flask import current_app

from ..errors import ServiceError
from ..timeutil import china_today
from ..workcal.services import workdays_between
from . import clock

MAX_REASON = 500


@dataclass(frozen=True)
class Entry:
    """What the person entering an act says about its timing."""

    reason: str = ""            # 补录理由 (or why the office confirms a change)
    confirm_move: bool = False  # the office confirms changing a deadline that had passed


def late_entry_days() -> int | None:
    value = current_app.config.get("APPLICATION_LATE_ENTRY_DAYS", 3)
    return None if value is None else int(value)


def is_late(day: date, today: date | None = None) -> bool:
    """An act dated ``day`` entered ``today`` more than the allowed working days later."""
    allowed = late_entry_days()
    if allowed is None:
        return False
    today = today or china_today()
    return day < today and workdays_between(day, today).count > allowed


def _reason(entry: Entry) -> str:
    reason = (entry.reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ServiceError(f"补录理由不能超过{MAX_REASON}个字符。", "entry_reason")
    return reason


@dataclass(frozen=True)
class Moved:
    """A deadline that had passed before the entry and that the entry would change."""

    label: str
    was: date


def passed_deadlines_moved(app, after: clock.ClockResult | None, today: date | None = None) -> list[Moved]:
    """The deadlines stored on ``app`` that had passed by ``today`` and that ``after`` (the clock
    with the new act) changes: the reply deadline, or the same pause's own deadline."""
    if after is None or late_entry_days() is None:
        return []
    today = today or china_today()
    moved = []
    if app.due_date is not None and app.due_date < today and after.due_date != app.due_date:
        moved.append(Moved("答复期限", app.due_date))
    pause = after.open_pause
    if (app.pause_due is not None and app.pause_due < today and pause is not None and pause.kind == app.pause_kind
            and pause.due != app.pause_due):
        moved.append(Moved(f"{clock.PAUSE_DUE_LABELS[app.pause_kind]}", app.pause_due))
    return moved


def check(app, day: date, what: str, entry: Entry, actor, after: clock.ClockResult | None = None,
          today: date | None = None) -> dict:
    """Check an act dated ``day`` (``what``, e.g. "征求意见函发出日期") before it is recorded; return
    the details to keep on its event. ``after`` is the clock with the act, where the act moves it."""
    today = today or china_today()
    reason = _reason(entry)
    late = is_late(day, today)
    if late and not reason:
        raise ServiceError(f"补录：{what}（{day:%Y-%m-%d}）在{late_entry_days()}个工作日之后才录入，请写明补录理由。",
                           "entry_reason")
    details = {"late_entry": late, "entry_reason": reason or None}
    moved = passed_deadlines_moved(app, after, today)
    if moved:
        details["confirmed_by"] = confirm(moved, what, entry, actor, reason)
    return details


def confirm(moved: list[Moved], what: str, entry: Entry, actor, reason: str) -> str:
    """Only the office changes a deadline that had passed, explicitly and with a reason."""
    passed = "、".join(f"{m.label}（{m.was:%Y-%m-%d}）" for m in moved)
    if actor is None or actor.role != "office":
        raise ServiceError(f"{passed}在录入前已届满：登记这项{what}会变更已届满的期限，须由公开办确认后登记。",
                           "confirm_move")
    if not entry.confirm_move or not reason:
        raise ServiceError(f"{passed}在录入前已届满：请勾选“确认变更已届满的期限”并写明理由后再登记。", "confirm_move")
    return actor.display_name


def audit_note(details: dict, day: date) -> str | None:
    """The audit log's note for an act entered late or confirmed by the office."""
    parts = []
    if details.get("late_entry"):
        parts.append(f"补录（办理日期 {day:%Y-%m-%d}，{china_today():%Y-%m-%d} 录入）：{details.get('entry_reason') or ''}")
    elif details.get("entry_reason"):
        parts.append(f"说明：{details['entry_reason']}")
    if details.get("confirmed_by"):
        parts.append(f"公开办（{details['confirmed_by']}）确认变更已届满的期限")
    if details.get("held_due"):
        parts.append(f"已届满的期限（{details['held_due']}）不因补录而重新计算")
    return "；".join(parts) or None
