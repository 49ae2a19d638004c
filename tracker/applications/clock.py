"""The reply clock of an application, as pure functions over its clock events and a calendar.

Rules (domain.md §3–4; 《政府信息公开条例》, State Council Decree 711):

* Art. 33 — reply within **20 working days** of receipt; the day of receipt is not counted.
  One extension of **at most 20 working days**, added to the current deadline.
* Art. 30 — a correction request (补正告知) goes out once, within **7 working days** of receipt
  (a later one is flagged); the period **runs afresh** from the day the corrected application
  arrives: the deadline becomes 20 working days after that day and every earlier pause or
  extension is discarded. While a correction is awaited there is no reply deadline (补正中).
* Art. 32 / Art. 34 — consulting a third party or another agency gives them **15 working days**
  from the day they RECEIVED the letter; the time spent does not count: the clock stops on the
  day the letter goes out (S) and runs again after the day the answer arrives or the 15 days
  lapse, whichever comes first (R). The working days after S up to and including R
  (``between(S, R)``) are added to the deadline. Example (domain.md §4): received 2026-04-01
  (due 2026-04-30); letter 2026-04-08, answer 2026-04-20 → 8 working days → due 2026-05-14.
* Art. 42 and 国办函〔2020〕109号 — a fee notice stops the clock the same way (practice) until
  payment. The applicant pays "自收到收费通知之次日起20个工作日内": counting starts on the day
  after receipt of the notice, so, with the start day never counted (§4), the last day to pay
  is the 20th working day after the day the notice was received (``add(received, 20)``).
* When only the sending day of a letter or notice is known, the service records a presumed
  delivery day (the sending day plus a configurable postal allowance) and marks it as presumed
  (``delivery_estimated``); ``LETTER_DELIVERED`` later replaces it with the real day. Events
  recorded before this rule carry no delivery day and count from the sending day, as they did.
  A real day entered after the presumed period had lapsed carries ``held_due``: the lapsed
  deadline stands (``late_entries.py``), unless the office confirmed the change.
* No event revives an expired period: a correction request, consultation letter or fee notice
  dated after the reply deadline running at that point neither pauses nor restarts the clock
  (it is reported in ``expired_events``; the services refuse to record one).
* The once-only extension (Art. 33) is counted in the current period: a restart (Art. 30)
  discards an earlier extension (``extensions_discarded``), and the period that runs afresh may
  be extended once.

Nothing here touches the database: the calendar is any object with ``add(start, n)`` and
``between(d1, d2)`` returning ``WorkdayAnswer`` (tracker.workcal.engine.WorkCalendar).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
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
LETTER_DELIVERED = "letter_delivered"          # the real delivery day of the open pause's letter/notice
# Letters and notices carry {"delivered_on": day, "delivery_estimated": bool} when sent.

CLOCK_KINDS = frozenset({CORRECTION_SENT, CORRECTION_RECEIVED, CONSULTATION_SENT, CONSULTATION_ANSWERED,
                         CONSULTATION_LAPSED, FEE_NOTICE_SENT, FEE_PAID, EXTENSION, LETTER_DELIVERED})
PAUSE_OPENERS = {CORRECTION_SENT: "correction", CONSULTATION_SENT: "consultation", FEE_NOTICE_SENT: "fee"}
PAUSE_CLOSERS = {CORRECTION_RECEIVED: "correction", CONSULTATION_ANSWERED: "consultation",
                 CONSULTATION_LAPSED: "consultation", FEE_PAID: "fee"}

PAUSE_LABELS = {"correction": "补正中", "consultation": "征求意见中", "fee": "待缴费"}
PAUSE_DUE_LABELS = {"correction": "补正期限", "consultation": "征求意见期限", "fee": "缴费期限"}


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
    delivered_on: date | None = None   # the day the letter / notice reached the other side
    delivery_estimated: bool = False   # presumed from the sending day and the postal allowance

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
    expired_events: tuple[str, ...] = ()  # kinds dated after the period expired: they changed nothing
    extensions_discarded: int = 0         # extension days granted before a restart (Art. 30)

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


def consultation_due(letter_received: date, calendar):
    """Art. 32 / 34: the consulted side has 15 working days from receiving the letter."""
    return calendar.add(letter_received, CONSULTATION_DAYS)


def correction_limit(receipt_date: date, calendar):
    """Art. 30: the correction request must go out within 7 working days of receipt."""
    return calendar.add(receipt_date, CORRECTION_LIMIT_DAYS)


def _pause(kind: str, e: ClockEvent, calendar, delivered: date | None = None, estimated: bool | None = None):
    """The pause opened by ``e``; its own deadline runs from the delivery day of the letter."""
    if kind == "correction":
        return OpenPause("correction", e.day, _d(e.details.get("due")))
    delivered = delivered or _d(e.details.get("delivered_on"))
    if estimated is None:
        estimated = bool(e.details.get("delivery_estimated"))
    due = (consultation_due if kind == "consultation" else payment_due)(delivered or e.day, calendar)
    return OpenPause(kind, e.day, due.day, due.provisional, delivered, estimated)


@dataclass
class _Clock:
    """The running state of the fold over the events."""

    start: date
    paused: int = 0
    extension: int = 0
    discarded: int = 0
    provisional: bool = False
    restarted: bool = False
    pause: OpenPause | None = None

    def deadline(self, calendar) -> date:
        return calendar.add(self.start, REPLY_DAYS + self.paused + self.extension).day

    def close(self, restart: date, calendar) -> None:
        gap = calendar.between(self.pause.since, restart)
        self.paused += gap.count
        self.provisional |= gap.provisional
        self.pause = None


def compute_deadline(receipt_date: date, events: Iterable[ClockEvent], calendar,
                     today: date | None = None) -> ClockResult:
    """The reply deadline of an application received on ``receipt_date`` given its clock events.

    Events are applied in date order (stable for equal dates). A corrected application restarts
    the clock (Art. 30), discarding earlier pauses and extensions; pauses (Art. 32, 34, 42) add
    ``between(stop, restart)`` working days; one extension (Art. 33) adds its days. A pause
    dated after the deadline running at that point is void (an expired period stays expired).
    With ``today`` given, a consultation whose 15 working days have lapsed before ``today``
    counts as closed on its lapse day.
    """
    events = sorted(events, key=lambda e: e.day)
    limit = correction_limit(receipt_date, calendar)
    correction_late = any(e.kind == CORRECTION_SENT and e.day > limit.day for e in events)
    clock = _Clock(receipt_date)
    expired: list[str] = []
    void: str | None = None  # the kind of a pause opened too late: its closing event is void too
    for e in events:
        if e.kind in PAUSE_OPENERS:
            if clock.pause is not None:
                raise ValueError(f"{e.kind} on {e.day} while {clock.pause.kind} since {clock.pause.since} is open")
            if e.day > clock.deadline(calendar):
                expired.append(e.kind)
                void = PAUSE_OPENERS[e.kind]
                continue
            clock.pause = _pause(PAUSE_OPENERS[e.kind], e, calendar)
        elif e.kind in PAUSE_CLOSERS:
            expected = PAUSE_CLOSERS[e.kind]
            if clock.pause is None and void == expected:
                void = None
                continue
            if clock.pause is None or clock.pause.kind != expected:
                raise ValueError(f"{e.kind} on {e.day} without an open {expected} pause")
            if expected == "correction":  # Art. 30: the period runs afresh from this day
                clock = _Clock(e.day, discarded=clock.discarded + clock.extension, restarted=True)
                continue
            restart = e.day
            if expected == "consultation" and clock.pause.due is not None:
                restart = min(restart, clock.pause.due)  # the 15-day lapse resumes the clock at the latest
            clock.close(restart, calendar)
        elif e.kind == LETTER_DELIVERED:
            if clock.pause is None or clock.pause.kind not in ("consultation", "fee"):
                raise ValueError(f"{e.kind} on {e.day} without an open consultation or fee pause")
            opened = ClockEvent(clock.pause.kind, clock.pause.since)
            clock.pause = _pause(clock.pause.kind, opened, calendar, delivered=e.day, estimated=False)
            held = _d(e.details.get("held_due"))
            if held is not None:  # entered after the lapse: the lapsed period is not revived
                clock.pause = replace(clock.pause, due=held)
        elif e.kind == EXTENSION:
            clock.extension += int(e.details.get("days", 0))

    pause = clock.pause
    if pause is not None and pause.kind == "consultation" and today is not None and pause.due < today:
        clock.close(pause.due, calendar)
        pause = None

    common = dict(start=clock.start, paused_days=clock.paused, extension_days=clock.extension,
                  restarted=clock.restarted, correction_limit=limit.day, correction_late=correction_late,
                  expired_events=tuple(expired), extensions_discarded=clock.discarded)
    if pause is not None:
        return ClockResult(due_date=None, provisional=pause.provisional, open_pause=pause, **common)
    answer = calendar.add(clock.start, REPLY_DAYS + clock.paused + clock.extension)
    return ClockResult(due_date=answer.day, provisional=clock.provisional or answer.provisional, open_pause=None,
                       **common)
