"""Sweeps: scheduled work over rows, each row in isolation, every run recorded.

One poisoned row must never stop a sweep for every unit. Every scheduled job handles
its rows through this module::

    from tracker.sweeps import isolated

    def close_lapsed(today):
        for app in due_applications(today):
            with isolated("application", app.id, app.tracking_code):
                terminate(app)        # if this raises, only this row is rolled back

``isolated(record_type, record_id, label)``
    Runs the block in a SAVEPOINT. If it raises, the savepoint is rolled back, the failure is
    logged with the record's id and recorded for the office's 系统运行状况 page (job, record,
    Chinese error and the raw text, first seen / last seen), and the loop goes on. When the same
    row succeeds in a later run, its failure is cleared. Pass ``savepoint=False`` for a block that
    only reads and computes (nothing to undo, and no statement spent): e.g. working out a
    record's reminders. On PostgreSQL a failed *statement* aborts the transaction, so any block
    that writes, or runs a query that may fail, keeps the savepoint.

``isolated_rows(rows, record_type, label, produce)``
    For generator-style sources: yields what ``produce(row)`` yields, row by row, each row
    computed in isolation (a row that raises yields nothing and is recorded).

``row_failed(...)`` / ``row_done(...)``
    For a job that handles a row's error itself (the mail sender: a refused mail is an outcome
    stored on the mail, not an exception), to report it all the same.

``job_failed(error, detail)``
    The whole run failed without an exception (e.g. the mail server cannot be reached).

``savepoint()``
    A bare savepoint (commit on success, roll back and re-raise on error), e.g. to try a set of
    rows at once and fall back to one row at a time when the set fails.

``run(job, full_sweep=True)``
    Wraps one run of a job (the scheduler and the ``sweep`` command do this; a job does not):
    commits on success, rolls back on an exception (recorded, logged, not raised: check
    ``run.ok``), and records the run (duration, rows handled, rows failed) and its failures. A
    *full sweep* looks at every row that is due, so an open failure of its job that the run did
    not meet again is cleared as gone; a job that works in batches (the mail sender) passes
    ``full_sweep=False`` and its failures clear only when the row succeeds.

Outside ``run`` (a test or a shell calling a sweep function directly) rows are still isolated
and failures logged, but nothing is recorded.

``request_shutdown()`` / ``shutdown_requested()``: set by the scheduler on SIGTERM; long loops
(the sender) stop between rows and give back what they have not started.
"""
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..timeutil import utcnow
from .errors import describe_error

log = logging.getLogger("tracker.sweeps")

RUN_HISTORY_DAYS = 14

@dataclass(frozen=True)
class RecordType:
    """How the system health page names a kind of record and links to one: ``endpoint`` with the
    record's id as ``arg``, or ``link(record_id)`` for ids that are not one number (a unit's score
    of a period is ``2026-Q3:12``)."""

    label: str
    endpoint: str | None = None
    arg: str | None = None
    link: Callable[[str], str | None] | None = None


# Every kind of record a sweep handles in isolation; features register theirs next to the sweep
# (``register_record_type``), and a test checks that every kind a sweep names is here.
RECORD_TYPES: dict[str, RecordType] = {
    "task": RecordType("公开任务", "disclosure.task", "task_id"),
    "duty": RecordType("公开事项", "disclosure.edit_duty", "duty_id"),
    "application": RecordType("依申请公开申请", "applications.detail", "app_id"),
    "outbox_mail": RecordType("邮件", "notify.outbox", "mail_id"),
    "user": RecordType("用户", "accounts.edit_user", "user_id"),
    "reminder_source": RecordType("提醒来源"),
    "reminder": RecordType("提醒"),
}


def register_record_type(record_type: str, label: str, endpoint: str | None = None, arg: str | None = None, *,
                         link: Callable[[str], str | None] | None = None) -> None:
    """Name a kind of record (and the page that shows one) for the system health page."""
    RECORD_TYPES[record_type] = RecordType(label, endpoint, arg, link)


@dataclass
class Failure:
    record_type: str
    record_id: str
    label: str
    error: str
    detail: str


@dataclass
class Run:
    """What one run of a job did; ``ok`` is False when the job raised, reported ``job_failed``,
    or any row failed."""

    job: str
    full_sweep: bool = True
    handled: int = 0
    failures: dict[tuple[str, str], Failure] = field(default_factory=dict)
    succeeded: set[tuple[str, str]] = field(default_factory=set)
    error: str | None = None
    error_detail: str | None = None
    result: object = None
    duration: float = 0.0
    started_at: object = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failures

    def summary(self) -> str:
        """One line for the command line: the result, or what went wrong."""
        text = str(self.result) if self.error is None or self.result is not None else ""
        if self.error:
            text = (text + "；" if text else "") + f"失败：{self.error}"
        if self.failures:
            text += f"（{len(self.failures)} 条记录处理失败）"
        return text


_current: ContextVar[Run | None] = ContextVar("tracker_sweep_run", default=None)
_shutdown = threading.Event()


def current_run() -> Run | None:
    return _current.get()


def request_shutdown() -> None:
    _shutdown.set()


def shutdown_requested() -> bool:
    return _shutdown.is_set()


def _key(record_type: str, record_id) -> tuple[str, str]:
    return record_type, "" if record_id is None else str(record_id)


def row_done(record_type: str, record_id=None) -> None:
    """A row was handled; an open failure of it is cleared when the run is recorded."""
    run = _current.get()
    if run is not None:
        run.handled += 1
        run.succeeded.add(_key(record_type, record_id))


def row_failed(record_type: str, record_id=None, label: str = "", error: BaseException | str = "",
               detail: str | None = None) -> Failure:
    """A row could not be handled: log it with its id and record it for the health page."""
    if isinstance(error, BaseException):
        text, raw = describe_error(error)
        detail = detail or raw
    else:
        text = error or "处理时出错"
    failure = Failure(record_type, "" if record_id is None else str(record_id), (label or "")[:300], text[:500],
                      (detail or "")[:4000])
    run = _current.get()
    log.warning("%s: %s #%s (%s) failed: %s | %s", run.job if run else "-", record_type, failure.record_id,
                failure.label, text, (detail or "").splitlines()[0] if detail else "")
    if run is not None:
        run.handled += 1
        run.failures[_key(record_type, record_id)] = failure
    return failure


def job_failed(error: str, detail: str | None = None, *, quiet: bool = False) -> None:
    """The run as a whole failed (e.g. the mail server is down), without an exception. ``quiet``:
    still failing for a reason already logged (not a line a minute through a weekend outage)."""
    run = _current.get()
    if not quiet:
        log.warning("%s failed: %s %s", run.job if run else "-", error, detail or "")
    if run is not None:
        run.error, run.error_detail = error[:500], detail


@contextmanager
def savepoint():
    """A SAVEPOINT around the block: released on success, rolled back (and the error re-raised)
    on failure, leaving the surrounding transaction usable.

    SQLite through Python's sqlite3 module starts its transaction only at the first write, so a
    savepoint taken before any write would be the outermost transaction and its RELEASE would
    commit (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL" for
    pysqlite). The surrounding transaction is therefore begun first, as IMMEDIATE (the write lock
    the first write would have taken anyway)."""
    if db.session.get_bind().dialect.name == "sqlite":
        connection = db.session.connection()
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    nested = db.session.begin_nested()
    try:
        yield
    except BaseException:
        if nested.is_active:
            nested.rollback()
        raise
    else:
        nested.commit()


@contextmanager
def isolated(record_type: str, record_id=None, label: str = "", *, savepoint: bool = True):
    """Handle one row in isolation: an exception in the block rolls back only this row's work
    (``savepoint=True``), is recorded against the row, and does not propagate."""
    try:
        if savepoint:
            with _savepoint_cm():
                yield
        else:
            yield
    except Exception as exc:  # noqa: BLE001 - the point: one row's error never stops the others
        row_failed(record_type, record_id, label, exc)
    else:
        row_done(record_type, record_id)


_savepoint_cm = savepoint  # ``isolated``'s keyword shadows the function's name inside it


def _safe_label(label: Callable[[object], str], row) -> str:
    try:
        return str(label(row))
    except Exception:  # noqa: BLE001 - a row too broken to name is still named by its id
        return ""


def isolated_rows(rows: Iterable, record_type: str, label: Callable[[object], str],
                  produce: Callable[[object], Iterable]) -> Iterator:
    """Yield what ``produce(row)`` yields for each row, each row computed in isolation (no
    savepoint: ``produce`` reads and computes, it does not write). A row that raises yields
    nothing and is recorded; the others go on."""
    for row in rows:
        found: list = []
        with isolated(record_type, getattr(row, "id", None), _safe_label(label, row), savepoint=False):
            found = list(produce(row))
        yield from found


# --- one run of a job ---------------------------------------------------------------------------

@contextmanager
def run(job: str, *, full_sweep: bool = True, worker: str | None = None):
    """Run a job's body as one recorded run (see the module docstring). Yields the ``Run``."""
    state = Run(job, full_sweep, started_at=utcnow())
    token = _current.set(state)
    started = time.monotonic()
    try:
        yield state
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - recorded and logged; the caller reads run.ok
        db.session.rollback()
        state.error, state.error_detail = describe_error(exc)
        log.exception("job %s failed", job)
    except BaseException:
        db.session.rollback()
        state.error = "任务被中断"
        raise
    finally:
        _current.reset(token)
        state.duration = time.monotonic() - started
        _record(state, worker)


def _record(state: Run, worker: str | None) -> None:
    """Store the run and its failures in a transaction of their own (two schedulers recording the
    same failure at once: the loser retries once and updates the winner's row)."""
    for attempt in (1, 2):
        try:
            _store(state, worker)
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                log.exception("could not record the run of %s", state.job)
        except Exception:  # noqa: BLE001 - recording must never turn a run into a crash
            db.session.rollback()
            log.exception("could not record the run of %s", state.job)
            return


def _store(state: Run, worker: str | None) -> None:
    from .models import JobFailure, JobRun

    now = utcnow()
    db.session.add(JobRun(
        job=state.job, worker=worker, started_at=state.started_at, duration_ms=int(state.duration * 1000),
        rows=state.handled, failed_rows=len(state.failures), ok=state.ok,
        result=None if state.result is None else str(state.result)[:500],
        error=state.error, error_detail=state.error_detail))
    db.session.execute(delete(JobRun).where(JobRun.job == state.job,
                                            JobRun.started_at < now - timedelta(days=RUN_HISTORY_DAYS)))
    known = {(f.record_type, f.record_id): f for f in db.session.scalars(select(JobFailure).where(
        JobFailure.job == state.job,
        JobFailure.cleared_at.is_(None) | JobFailure.record_id.in_(sorted({k[1] for k in state.failures}))))}
    for key, failure in state.failures.items():
        row = known.get(key)
        if row is None:
            db.session.add(JobFailure(job=state.job, record_type=failure.record_type, record_id=failure.record_id,
                                      record_label=failure.label, error=failure.error,
                                      error_detail=failure.detail, first_seen=now, last_seen=now, occurrences=1))
            continue
        if row.cleared_at is not None:  # it came back: a new episode
            row.first_seen, row.occurrences, row.cleared_at, row.cleared_how = now, 0, None, None
        row.last_seen, row.occurrences = now, row.occurrences + 1
        row.record_label, row.error, row.error_detail = failure.label or row.record_label, failure.error, failure.detail
    for key, row in known.items():
        if row.cleared_at is not None or key in state.failures:
            continue
        if key in state.succeeded:
            row.cleared_at, row.cleared_how = now, "succeeded"
        elif state.full_sweep and state.error is None:
            row.cleared_at, row.cleared_how = now, "gone"
