"""What to measure on a generated city, shared by ``bench/run.py`` and the query-count tests:
every GET page and export of the URL map (so a new page is measured without editing a list),
sample records for URL arguments, and a log of the SQL statements a request sends."""
from __future__ import annotations

import contextlib
import time

from sqlalchemy import event, func, select

from ..extensions import db
from ..timeutil import china_today

# Endpoints that are not pages to time: they only act or redirect.
NOT_PAGES = {"static", "accounts.logout", "dashboard.home"}


class StatementLog:
    """Counts the SQL statements (and their time) the engine sends while capturing."""

    def __init__(self, engine):
        self.active = False
        self.statements: list[tuple[float, str]] = []
        self._started: dict[int, float] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def close(self, engine) -> None:
        event.remove(engine, "before_cursor_execute", self._before)
        event.remove(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            began = self._started.pop(id(cursor), time.perf_counter())
            self.statements.append((time.perf_counter() - began, statement))

    @contextlib.contextmanager
    def capture(self):
        self.statements = []
        self.active = True
        try:
            yield self
        finally:
            self.active = False

    @property
    def count(self) -> int:
        return len(self.statements)

    @property
    def seconds(self) -> float:
        return sum(t for t, _ in self.statements)

    def slowest(self, n: int) -> list[tuple[float, str]]:
        return sorted(self.statements, key=lambda s: s[0], reverse=True)[:n]


def sample_ids(contact_username: str) -> dict:
    """Values for URL arguments: records of the contact's unit where it has them (a task awaiting
    acknowledgement, the latest application, a catalogue item), the contact's unit and account, the
    last finished year of the history and a spreadsheet format."""
    from ..accounts.models import User
    from ..applications.models import Application
    from ..disclosure.models import OPEN_STATES, Duty, KeyArea, Task
    contact = db.session.scalar(select(User).where(User.username == contact_username))
    unit_id = contact.unit_id
    # The same kind of record in every city, so that counts compare: a task not yet acknowledged.
    task = db.session.scalar(select(Task.id).where(Task.unit_id == unit_id, Task.state == OPEN_STATES[0])
                             .order_by(Task.due_date.desc(), Task.id).limit(1))
    application = db.session.scalar(select(Application.id).where(Application.unit_id == unit_id)
                                    .order_by(Application.receipt_date.desc(), Application.id).limit(1))
    duty = db.session.scalar(select(Duty.id).where(Duty.unit_id == unit_id).order_by(Duty.id).limit(1))
    area = db.session.scalar(select(KeyArea.id).order_by(KeyArea.id).limit(1))
    last_year = (bench_marker_day() or china_today()).year - 1  # the last finished year (annual reports)
    return {"task_id": task, "app_id": application, "application_id": application, "unit_id": unit_id,
            "user_id": contact.id, "duty_id": duty, "area_id": area, "kind": "users", "year": last_year,
            "fmt": "xlsx", **_supervision_samples(unit_id)}


def _supervision_samples(unit_id: int) -> dict:
    """Bulletins, inspections and scores, once bench-data makes them: the latest published bulletin
    and quarter's scores, the rubric in force, the latest inspection of the contact's unit and its
    latest rectification item (else the city's latest)."""
    import importlib.util
    out = {}
    if importlib.util.find_spec("tracker.bulletins"):
        from ..bulletins.models import Bulletin
        out["bulletin_id"] = db.session.scalar(select(Bulletin.id).where(Bulletin.state == "published")
                                               .order_by(Bulletin.year.desc(), Bulletin.quarter.desc()).limit(1))
        out["file_type"] = "docx"
    if importlib.util.find_spec("tracker.inspections"):
        from ..inspections.models import InspectionUnit, Rectification
        own = db.session.scalar(select(InspectionUnit.inspection_id).where(InspectionUnit.unit_id == unit_id)
                                .order_by(InspectionUnit.inspection_id.desc()).limit(1))
        out["inspection_id"] = own or db.session.scalar(select(func.max(InspectionUnit.inspection_id)))
        item = select(Rectification.id).order_by(Rectification.issued_on.desc(), Rectification.id.desc()).limit(1)
        out["rectification_id"] = db.session.scalar(item.where(Rectification.unit_id == unit_id)) or \
            db.session.scalar(item)
    if importlib.util.find_spec("tracker.scores"):
        from ..scores.models import Rubric, ScorePeriod
        out["key"] = db.session.scalar(select(ScorePeriod.key).where(
            ScorePeriod.state == "published", ScorePeriod.quarter.is_not(None))
            .order_by(ScorePeriod.year.desc(), ScorePeriod.quarter.desc()).limit(1))
        out["rubric_id"] = db.session.scalar(select(func.max(Rubric.id)))
    return out


def bench_marker_day():
    """The day the generated history ends, from the bench-data marker (None without one)."""
    from datetime import date

    from . import bench_marker
    marker = bench_marker() or {}
    return date.fromisoformat(marker["today"]) if marker.get("today") else None


def discover(app, samples: dict) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """(pages, exports, skipped) of the URL map: each GET endpoint once with a URL filled from
    ``samples``. An export is an endpoint named "*export*" or a .csv/.xlsx URL; a .docx URL is one
    record's document; an endpoint whose arguments have no sample is listed in ``skipped``."""
    from flask import url_for
    pages, exports, skipped = [], [], []
    seen = set()
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
            if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.endpoint in seen:
                continue
            missing = sorted(a for a in rule.arguments if samples.get(a) is None)
            if missing:
                skipped.append(f"{rule.endpoint} ({rule.rule}): no sample for {', '.join(missing)}")
                continue
            seen.add(rule.endpoint)
            url = url_for(rule.endpoint, **{a: samples[a] for a in rule.arguments})
            if "export" in rule.endpoint or rule.rule.endswith((".csv", ".xlsx")):
                exports.append((rule.endpoint, url))
            elif rule.rule.endswith(".docx"):
                skipped.append(f"{rule.endpoint} ({rule.rule}): one record's document, not a page")
            else:
                pages.append((rule.endpoint, url))
    return pages, exports, skipped
