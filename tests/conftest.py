"""Test fixtures: a real database (SQLite by default, PostgreSQL when TRACKER_TEST_DATABASE_URL is
set) migrated once per session with the same Alembic migrations as production, emptied after
each test; small factories; a client that signs in and carries the CSRF token like a browser.

Every test runs on the suite's frozen clock (``tests/clock.py``): ``TRACKER_TEST_TODAY`` or its default
working day, from before collection to the end of the session."""
import itertools
import os
import re
from datetime import date, datetime, time

import pytest
import time_machine
from flask_migrate import upgrade

from tracker import create_app
from tracker.extensions import db, delete_all_rows, drop_public_schema
from tracker.timeutil import CHINA

from . import clock

PASSWORD = "testpass2026"
_seq = itertools.count(1)


_traveller = time_machine.travel(clock.START, tick=True)


def pytest_configure(config):
    """Freeze the clock before anything is collected: module-level code sees the suite's day too."""
    _traveller.start()


def pytest_unconfigure(config):
    _traveller.stop()


def pytest_report_header(config):
    return f"the suite's day: {clock.TODAY.isoformat()} (TRACKER_TEST_TODAY; default {clock.DEFAULT_DAY})"


@pytest.fixture
def today():
    """The suite's frozen day (a date in China time)."""
    return clock.TODAY


@pytest.fixture(autouse=True)
def _on_day(request):
    """``@pytest.mark.on_day("2026-11-27")``: a test whose story is fixed in the calendar (records
    dated in the autumn of 2026, say) runs, fixtures included, on that day at 09:30 China time,
    whatever the suite's day is."""
    marker = request.node.get_closest_marker("on_day")
    if marker is None:
        yield
        return
    day = date.fromisoformat(marker.args[0])
    with time_machine.travel(datetime.combine(day, time(9, 30), tzinfo=CHINA), tick=True):
        yield


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "SECRET_KEY": "test-secret-key",
        "PASSWORD_HASH_FAST": True,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
    })
    with app.app_context():
        drop_public_schema()
        upgrade()
    return app


@pytest.fixture(autouse=True)
def clean_db(app):
    yield
    with app.app_context():
        db.session.rollback()
        delete_all_rows()


class Factory:
    """Creates committed records through the real services and returns them detached."""

    def __init__(self, app):
        self.app = app

    def _keep(self, obj):
        db.session.commit()
        db.session.refresh(obj)
        db.session.expunge(obj)
        return obj

    def unit(self, code=None, name=None, kind="department"):
        from tracker.units.services import create_unit
        n = next(_seq)
        with self.app.app_context():
            return self._keep(create_unit(code or f"u{n}", name or f"测试单位{n}", kind))

    def user(self, role="contact", unit=None, username=None, password=PASSWORD, email=None, **kw):
        from tracker.accounts.services import create_user
        from tracker.units.models import Unit
        n = next(_seq)
        with self.app.app_context():
            if unit is None and role in ("contact", "reviewer"):
                unit = self.unit()
            unit_obj = db.session.get(Unit, unit.id) if unit is not None else None
            user = create_user(username=username or f"{role}{n}", display_name=f"测试{role}{n}", role=role,
                               unit=unit_obj, email=email or f"{role}{n}@example.gov.cn", password=password,
                               must_change_password=kw.pop("must_change_password", False), **kw)
            return self._keep(user)

    def duty(self, unit, title=None, cadence="adhoc", frequency=None, review_required=True, period_days=20,
             channels=("website",), start_date=None, formation_offset_days=0, area=None):
        """A catalogue item (公开事项) of ``unit``, created through the disclosure service."""
        from datetime import date

        from tracker.disclosure import services as ds
        from tracker.disclosure.models import KeyArea
        from tracker.units.models import Unit
        n = next(_seq)
        with self.app.app_context():
            ds.ensure_key_areas()
            key_area = db.session.scalar(db.select(KeyArea).where(KeyArea.name == (area or "政府采购")))
            data = ds.DutyData(title or f"公开事项{n}", key_area.id, cadence, frequency, formation_offset_days,
                               period_days, list(channels), review_required, start_date or date(2026, 1, 1))
            return self._keep(ds.create_duty(db.session.get(Unit, unit.id), data, date(2026, 1, 1)))

    def task(self, duty, formed=None, title=None):
        """A 待签收 task of ``duty`` formed on ``formed`` (default 2026-03-02)."""
        from datetime import date

        from tracker.disclosure import services as ds
        from tracker.disclosure.models import Duty
        with self.app.app_context():
            d = db.session.get(Duty, duty.id)
            formed = formed or date(2026, 3, 2)
            return self._keep(ds.create_task(d, formed, title or f"{d.title}（{formed}）", None, None))

    def attachment(self, task, name="evidence.pdf", data=b"%PDF-1.4 evidence"):
        """A file of evidence on ``task`` stored in the test UPLOAD_FOLDER."""
        import os
        import secrets

        from tracker.disclosure.models import TaskAttachment
        with self.app.app_context():
            stored = secrets.token_hex(16) + ".pdf"
            with open(os.path.join(self.app.config["UPLOAD_FOLDER"], stored), "wb") as fh:
                fh.write(data)
            item = TaskAttachment(task_id=task.id, unit_id=task.unit_id, original_name=name, stored_name=stored,
                                  extension="pdf", size=len(data))
            db.session.add(item)
            return self._keep(item)

    def application(self, unit, received, kind="natural", **fields):
        """A registered application (依申请公开) of ``unit`` received on ``received`` (a date)."""
        from tracker.applications.services import register_application
        n = next(_seq)
        data = {"channel": "in_person", "receipt_date": received, "unit_id": unit.id, "applicant_kind": kind,
                "applicant_name": f"申请人{n}", "id_number": f"23010219800101{n % 10000:04d}",
                "phone": "13800000000", "title": f"申请公开的信息{n}", "description": f"请公开第{n}号文件",
                "form_wanted": "paper", "delivery_wanted": "post"}
        if kind != "natural":
            data["id_number"] = f"91230100MA{n % 100000000:08d}"
        data.update(fields)
        with self.app.app_context():
            application, _ = register_application(data)
            return self._keep(application)

    def application_case(self, application, kind="reconsideration", filed_on=None, result="pending"):
        """A reconsideration / lawsuit (复议/诉讼) recorded against ``application``."""
        from tracker.applications.models import Application
        from tracker.applications.services import add_case
        from tracker.timeutil import china_today
        with self.app.app_context():
            case = add_case(db.session.get(Application, application.id), kind, filed_on or china_today(), result)
            return self._keep(case)

    def application_document(self, application, name="答复书.pdf", data=b"%PDF-1.4 reply", kind="reply"):
        """A document filed with ``application`` by the office (stored in the test UPLOAD_FOLDER)."""
        from tracker.accounts.models import User
        from tracker.applications.documents import add_document
        from tracker.applications.models import Application
        with self.app.app_context():
            office = db.session.scalar(db.select(User).where(User.role == "office"))
            return self._keep(add_document(db.session.get(Application, application.id), kind, name, data,
                                           actor=office))

    # --- supervision: inspections, rectification items, 督办, bulletins ---------------------------

    def _office(self):
        """An office account to act as (the first one, or a new one in a new office unit)."""
        from tracker.accounts.models import User
        from tracker.accounts.services import create_user
        from tracker.units.services import create_unit
        office = db.session.scalar(db.select(User).where(User.role == "office", User.active.is_(True))
                                   .order_by(User.id))
        if office is None:
            n = next(_seq)
            office = create_user(username=f"office{n}", display_name=f"公开办{n}", role="office",
                                 unit=create_unit(f"gkb{n}", f"政务公开办{n}", "office"),
                                 email=f"office{n}@example.gov.cn", password=PASSWORD, must_change_password=False)
            db.session.flush()
        return office

    def inspection(self, units, kind="special", title=None, inspected_on=None, today=None):
        """A check (督查检查) of ``units`` recorded by the office."""
        from datetime import date

        from tracker.inspections import services as ins
        with self.app.app_context():
            today = today or date(2026, 11, 27)
            data = ins.InspectionData(kind, title or "政府网站信息公开专项检查", inspected_on or today,
                                      "财政预决算、重点领域信息公开栏目", "网站抽查", "", [u.id for u in units])
            return self._keep(ins.create_inspection(data, self._office(), today))

    def rectification(self, unit, requirement=None, period_days=10, issued_on=None, inspection=None):
        """A rectification item (整改事项) ordered for ``unit`` on ``issued_on`` (default 2026-11-02)."""
        from datetime import date

        from tracker.inspections import services as ins
        from tracker.inspections.models import Inspection
        from tracker.units.models import Unit
        with self.app.app_context():
            issued_on = issued_on or date(2026, 11, 2)
            item = ins.issue_rectification(
                db.session.get(Unit, unit.id), requirement or "财政预决算栏目内容不全，请补充公开", period_days,
                self._office(), max(issued_on, date(2026, 11, 27)), source="inspection" if inspection else "manual",
                inspection=db.session.get(Inspection, inspection.id) if inspection else None, issued_on=issued_on)
            return self._keep(item)

    def rectification_answer(self, item, contact, on, text="已补充公开2026年部门预算", files=None):
        """The unit's answer to ``item`` on ``on``, with evidence."""
        from tracker.accounts.models import User
        from tracker.inspections import services as ins
        from tracker.inspections.models import Rectification
        with self.app.app_context():
            response = ins.respond(db.session.get(Rectification, item.id), db.session.get(User, contact.id), text,
                                   files or [("整改截图.png", b"\x89PNG\r\n\x1a\n screenshot")], on)
            return self._keep(response)

    def bulletin(self, quarter="2026-Q3", today=None):
        """The draft bulletin of ``quarter`` with figures taken on ``today`` (default 2026-10-09)."""
        from datetime import date

        from tracker.bulletins import services as bs
        from tracker.bulletins.quarters import Quarter
        with self.app.app_context():
            bulletin, _ = bs.draft(Quarter.parse(quarter), today or date(2026, 10, 9))
            return self._keep(bulletin)

    def scores(self, period, today, publish_by=None):
        """Scores of ``period`` ("2026-Q3" or "2026") computed as of ``today`` (a date), through the
        real service; published on ``today`` by ``publish_by`` (an office user) when given."""
        from tracker.accounts.models import User
        from tracker.scores import services
        from tracker.scores.periods import parse_period
        with self.app.app_context():
            outcome = services.compute(parse_period(period), today)
            if publish_by is not None:
                services.publish(outcome.period, db.session.get(User, publish_by.id), today)
            return self._keep(outcome.period)

    def manual_item(self, unit, period, category, type_key, points, reason="检查发现的问题", by=None, today=None):
        """A manual deduction (or, with ``category="bonus"``, a bonus) entered by the office."""
        from tracker.accounts.models import User
        from tracker.scores.items import add_manual
        from tracker.scores.periods import parse_period
        from tracker.timeutil import china_today
        from tracker.units.models import Unit
        with self.app.app_context():
            office = db.session.get(User, by.id) if by else db.session.scalar(
                db.select(User).where(User.role == "office"))
            return self._keep(add_manual(db.session.get(Unit, unit.id), parse_period(period), category, type_key,
                                         points, reason, office, today or china_today()))

    def objection(self, unit, period, by, reason="该项信息已按时发布，系统记录有误", today=None):
        """An objection (申辩) by ``by`` to the first deduction of ``unit``'s published score of
        ``period``, with a PDF of evidence."""
        from tracker.accounts.models import User
        from tracker.scores.items import file_objection
        from tracker.scores.models import Score, ScoreItem, ScorePeriod
        from tracker.timeutil import china_today
        with self.app.app_context():
            item = db.session.scalar(db.select(ScoreItem).join(Score).join(ScorePeriod).where(
                Score.unit_id == unit.id, ScorePeriod.key == period, ScoreItem.category != "bonus")
                .order_by(ScoreItem.id).limit(1))
            return self._keep(file_objection(item, db.session.get(User, by.id), reason, today or china_today(),
                                             ("网站截图.pdf", b"%PDF-1.4 evidence")))

    def published(self, unit, published_on, normative=False, doc_number=None, channels=("website",), area=None,
                  due=None, title=None):
        """An item in the register (a task of an ad hoc duty, published on ``published_on``): the
        task is opened through the service, its publication record set as the workflow leaves it."""
        from tracker.disclosure.models import DONE_STATES, Task, TaskChannel
        duty = self.duty(unit, channels=channels, area=area, review_required=False,
                         start_date=published_on.replace(month=1, day=1))
        task = self.task(duty, formed=published_on, title=title)
        with self.app.app_context():
            t = db.session.get(Task, task.id)
            t.state, t.published_on, t.normative, t.doc_number = DONE_STATES[0], published_on, normative, doc_number
            t.url = "https://www.example.gov.cn/info/1" if "website" in channels else None
            if due is not None:
                t.due_date = due
            for c in channels:
                t.channel_rows.append(TaskChannel(channel=c))
            return self._keep(t)

    def annual_report(self, unit, year=None, actor=None):
        """A unit's annual report for ``year`` (default: this year), started with its drafts."""
        from tracker.accounts.models import User
        from tracker.reports.workflow import start_report
        from tracker.timeutil import china_today
        from tracker.units.models import Unit
        with self.app.app_context():
            unit_obj = db.session.get(Unit, unit.id)
            user = db.session.get(User, actor.id) if actor else db.session.scalar(
                db.select(User).where(User.unit_id == unit.id, User.role == "contact"))
            if user is None:
                raise ValueError("the unit needs a contact to start its report")
            return self._keep(start_report(year or china_today().year, unit_obj, user))


@pytest.fixture
def recorded_history(app):
    """Acts dated long before the suite's day, entered as a history is loaded (each as on its own
    day): the 补录 rules (tracker/applications/late_entries.py) are off. They have tests of their own."""
    saved = app.config.get("APPLICATION_LATE_ENTRY_DAYS", 3)
    app.config["APPLICATION_LATE_ENTRY_DAYS"] = None
    yield
    app.config["APPLICATION_LATE_ENTRY_DAYS"] = saved


@pytest.fixture
def make(app):
    return Factory(app)


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Browser:
    """A test client that keeps the session and fills in the CSRF token, like a real form post."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = None

    def get(self, url, **kw):
        response = self.client.get(url, **kw)
        match = response.mimetype == "text/html" and CSRF_META.search(response.get_data(as_text=True))
        if match:
            self.token = match.group(1)
        return response

    def ensure_token(self):
        if self.token is None:
            self.get("/login")
        return self.token

    def post(self, url, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.ensure_token())
        return self.client.post(url, data=data, **kw)

    def login(self, username, password=PASSWORD):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.get("/dashboard")
        return response


@pytest.fixture
def browser(app):
    return Browser(app)


@pytest.fixture
def login(app):
    """``login(user)`` -> a Browser signed in as that user."""
    def sign_in(user, password=PASSWORD):
        b = Browser(app)
        b.login(user.username, password)
        return b
    return sign_in


# --- a real browser -------------------------------------------------------------------------------

CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over HTTP on a free loopback port, in a thread, for the browser tests."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("TRACKER_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM} but TRACKER_REQUIRE_BROWSER is set")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context (no cookies) with the base URL set; fails on any external request."""
    context = clock.new_context(chromium, live_server, viewport={"width": 1366, "height": 900})
    external = []
    context.on("request", lambda r: None if r.url.startswith(live_server) or r.url.startswith("data:")
               else external.append(r.url))
    page = context.new_page()
    yield page
    context.close()
    assert not external, f"the page asked for assets outside the app: {external}"


def apply_online(page, title, description, name="张三", id_number="230102199001011234", phone="13900000000"):
    """Fill and submit the online application form (on /apply) as a person would."""
    page.select_option("select[name=applicant_kind]", "natural")
    page.fill("input[name=applicant_name]", name)
    page.fill("input[name=id_number]", id_number)
    page.fill("input[name=phone]", phone)
    page.fill("input[name=title]", title)
    page.fill("textarea[name=description]", description)
    page.click("button[type=submit]")


def sign_in(page, username, password=PASSWORD):
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


# --- a real SMTP server on loopback ------------------------------------------------------------

def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailSink:
    """Collects what the SMTP server received, parsed as email messages."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default
        self.messages.append(message_from_bytes(envelope.original_content, policy=default))
        return "250 Message accepted for delivery"

    def to(self, addr):
        return [m for m in self.messages if m["To"] == addr]


class SMTPServer:
    def __init__(self, app, port):
        self.app, self.port, self.sink, self.controller = app, port, MailSink(), None

    def start(self):
        from aiosmtpd.controller import Controller
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.sink.messages


@pytest.fixture
def smtp(app):
    """A real aiosmtpd server on a free loopback port, with the app pointed at it."""
    server = SMTPServer(app, free_port())
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT_SECONDS")
             if k in app.config}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT_SECONDS=5)
    server.start()
    yield server
    server.stop()
    app.config.update(saved)
