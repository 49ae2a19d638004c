"""The reply clock of an application, as pure functions over its clock events and a calendar.

Rules (domain.md §3–4; 《政府信息公开条例》, State Council Decree 711):

* Art. 33 — reply within **20 working days** of receipt; the day of receipt is not counted.
  One extension of **at most 20 working days**, added to the current deadline.
* Art. 30 — a correction request (补正告知) goes out once, within **7 working days** of receipt
  (a later one is flagged); the period **runs afresh** from the day the corrected application
  arrives: the deadline becomes 20 working days after that day and every earlier pause or
  extension is discarded. While a correction is awaited there is no reply deadline (补正中).
* Art. 32 / Art. 34 — consulting a third party or another agency gives them **15 working days**;
  the time spent does not count: the clock stops on the day the letter goes out (S) and runs
  again after the day the answer arrives or the 15 days lapse, whichever comes first (R).
  The working days after S up to and including R (``between(S, R)``) are added to the deadline.
  Example (domain.md §4): received 2026-04-01 (due 2026-04-30); letter 2026-04-08, answer
  2026-04-20 → 8 working days → due 2026-05-14.
* Art. 42 and 国办函〔2020〕109号 — a fee notice stops the clock the same way (practice) until
  payment. The applicant pays "自收到收费通知之次日起20个工作日内": counting starts on the day
  after receipt of the notice, so, with the start day never counted (§4), the last day to pay
  is the 20th working day after the day the notice was received (``add(received, 20)``).

Nothing here touches the database: the calendar is any object with ``add(start, n)`` and
``between(d1, d2)`` returning ``WorkdayAnswer`` (tracker.workcal.engine.WorkCalendar).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

REPLY_DAYS = 20          # Art. 33
CORRECTION_LIMIT_DAYS = 7  # Art. 30: the correction request goes out within 7 working days
CONSULTATION_DAYS = 15   # Art. 32, 34
PAYMENT_DAYS = 20        # 国办函〔2020〕109号
MAX_EXTENSION_DAYS = 20  # Art. 33

# Clock event kinds (also the ``kind`` of ApplicationEvent rows that move the clock).
CORRECTION_SENT = "correction_sent"            # details: {"due": "YYYY-MM-DD"} the applicant's deadline
CORRECTION_RECEIVED = "correction_received"    # restart
CONSULTATION_SENT = "consultation_sent"        # pause opens
CONSULTATION_ANSWERED = "consultation_answered"  # pause closes (answer arrived)
CONSULTATION_LAPSED = "consultation_lapsed"    # pause closes (15 working days passed)
FEE_NOTICE_SENT = "fee_notice_sent"            # details: {"delivered_on": "YYYY-MM-DD"}
FEE_PAID = "fee_paid"
EXTENSION = "extension"                        # details: {"days": n}

CLOCK_KINDS = frozenset({CORRECTION_SENT, CORRECTION_RECEIVED, CONSULTATION_SENT, CONSULTATION_ANSWERED,
                         CONSULTATION_LAPSED, FEE_NOTICE_SENT, FEE_PAID, EXTENSION})

PAUSE_LABELS = {"correction": "补正中", "consultation": "征求意见中", "fee": "待缴费"}


@dataclass(frozen=True)
class ClockEvent:
    kind: str
    day: date
    details: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class OpenPause:
    """A pause still running: the reply deadline is suspended; ``due`` is the pause's own deadline."""

    kind: str          # correction | consultation | fee
    since: date
    due: date | None
    provisional: bool = False

    @property
    def label(self) -> str:
        return PAUSE_LABELS[self.kind]


@dataclass(frozen=True)
class ClockResult:
    start: date                 # receipt date, or the day the corrected application arrived
    due_date: date | None       # None while a pause is open (暂停中)
    provisional: bool
    paused_days: int            # working days removed by closed pauses since ``start``
    extension_days: int
    open_pause: OpenPause | None
    restarted: bool
    correction_limit: date      # last day a correction request may go out (Art. 30)
    correction_late: bool       # the correction request went out after that day

    @property
    def suspended(self) -> bool:
        return self.open_pause is not None


def _d(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def payment_due(notice_received: date, calendar):
    """Art. 42 / 109号: the last day to pay a fee notice received on ``notice_received``."""
    return calendar.add(notice_received, PAYMENT_DAYS)


def consultation_due(letter_sent: date, calendar):
    """Art. 32 / 34: the consulted side has 15 working days from the letter."""
    return calendar.add(letter_sent, CONSULTATION_DAYS)


def correction_limit(receipt_date: date, calendar):
    """Art. 30: the correction request must go out within 7 working days of receipt."""
    return calendar.add(receipt_date, CORRECTION_LIMIT_DAYS)


def compute_deadline(receipt_date: date, events: Iterable[ClockEvent], calendar,
                     today: date | None = None) -> ClockResult:
    """The reply deadline of an application received on ``receipt_date`` given its clock events.

    Events are applied in date order (stable for equal dates). The last corrected application
    restarts the clock (Art. 30); pauses (Art. 32, 34, 42) add ``between(stop, restart)`` working
    days; one extension (Art. 33) adds its days. With ``today`` given, a consultation whose 15
    working days have lapsed before ``today`` counts as closed on its lapse day.
    """
    events = sorted(events, key=lambda e: e.day)
    limit = correction_limit(receipt_date, calendar)
    correction_late = any(e.kind == CORRECTION_SENT and e.day > limit.day for e in events)

    start, restarted, first = receipt_date, False, 0
    for i, e in enumerate(events):
        if e.kind == CORRECTION_RECEIVED:
            start, restarted, first = e.day, True, i + 1

    provisional = False
    paused = extension = 0
    pause: OpenPause | None = None
    for e in events[first:]:
        if e.kind in (CONSULTATION_SENT, FEE_NOTICE_SENT, CORRECTION_SENT):
            if pause is not None:
                raise ValueError(f"{e.kind} on {e.day} while {pause.kind} since {pause.since} is open")
            if e.kind == CONSULTATION_SENT:
                due = consultation_due(e.day, calendar)
                pause = OpenPause("consultation", e.day, due.day, due.provisional)
            elif e.kind == FEE_NOTICE_SENT:
                due = payment_due(_d(e.details.get("delivered_on")) or e.day, calendar)
                pause = OpenPause("fee", e.day, due.day, due.provisional)
            else:
                pause = OpenPause("correction", e.day, _d(e.details.get("due")))
        elif e.kind in (CONSULTATION_ANSWERED, CONSULTATION_LAPSED, FEE_PAID):
            expected = "fee" if e.kind == FEE_PAID else "consultation"
            if pause is None or pause.kind != expected:
                raise ValueError(f"{e.kind} on {e.day} without an open {expected} pause")
            restart = e.day
            if expected == "consultation" and pause.due is not None:
                restart = min(restart, pause.due)  # the 15-day lapse resumes the clock at the latest
            gap = calendar.between(pause.since, restart)
            paused += gap.count
            provisional |= gap.provisional
            pause = None
        elif e.kind == EXTENSION:
            extension += int(e.details.get("days", 0))

    if pause is not None and pause.kind == "consultation" and today is not None and pause.due < today:
        gap = calendar.between(pause.since, pause.due)
        paused += gap.count
        provisional |= gap.provisional
        pause = None

    if pause is not None:
        return ClockResult(start, None, pause.provisional, paused, extension, pause, restarted,
                           limit.day, correction_late)
    answer = calendar.add(start, REPLY_DAYS + paused + extension)
    return ClockResult(start, answer.day, provisional or answer.provisional, paused, extension, None,
                       restarted, limit.day, correction_late)
