"""The migration to the review order (先审查、后公开) moves tasks recorded under the old states into
the new ones without losing any: it runs on a database holding rows in every old state (SQLite,
and PostgreSQL in a schema of its own when TRACKER_TEST_DATABASE_URL points at one)."""
import os
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tracker import create_app
from tracker.extensions import db

BEFORE = "74e19f2dfd48"  # the last revision with the old task states
SCHEMA = "migration_check"


def _databases(tmp_path):
    yield "sqlite", {"SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "old.db")}
    url = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if url and url.startswith("postgres"):
        yield "postgresql", {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {
            "connect_args": {"options": f"-csearch_path={SCHEMA}"}}}


def _app(settings):
    return create_app({"TESTING": True, "SECRET_KEY": "migration", "PASSWORD_HASH_FAST": True, **settings})


def _insert(conn, table_name, /, **values):
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    return conn.execute(table.insert().values(**values).returning(table.c[list(table.primary_key)[0].name])).scalar()


def _old_city(conn):
    """A unit with its people, a duty needing review and one without, and a task in each old state."""
    now = datetime(2026, 5, 20, 2, 0)
    unit = _insert(conn, "unit", code="mzj", name="民政局", kind="department", active=True, created_at=now)
    people = {}
    for role in ("contact", "reviewer", "office"):
        people[role] = _insert(conn, "user_account", username=role, display_name=f"{role}人", role=role,
                               unit_id=unit, active=True, password_hash="x", session_token="t" * 32,
                               must_change_password=False, created_at=now, mail_mode="each")
    area = conn.execute(sa.text("SELECT id FROM disclosure_key_area ORDER BY id LIMIT 1")).scalar()
    duties = {review: _insert(conn, "disclosure_duty", unit_id=unit, title=f"事项{review}", key_area_id=area,
                              cadence="adhoc", formation_offset_days=0, period_days=20, channels=["website"],
                              review_required=review, start_date=date(2026, 1, 1), active=True, created_at=now)
              for review in (True, False)}
    tasks = {}
    plan = [("pending_ack", True, None), ("acknowledged", True, None), ("in_review", True, date(2026, 5, 6)),
            ("returned", True, date(2026, 5, 7)), ("published", True, date(2026, 5, 8)),
            ("verified", True, date(2026, 4, 28)), ("published", False, date(2026, 5, 11)),
            ("cancelled", True, None)]
    for n, (state, review, published) in enumerate(plan):
        key = f"{state}-{'review' if review else 'direct'}"
        tasks[key] = _insert(
            conn, "disclosure_task", duty_id=duties[review], unit_id=unit, key_area_id=area, title=f"任务{n}",
            formed_date=date(2026, 4, 20), period_days=20, review_required=review, due_date=date(2026, 5, 20),
            due_provisional=False, state=state, normative=False, created_at=now, published_on=published,
            url=f"https://www.dongning.gov.cn/a/{n}" if published else None,
            doc_number="东民发〔2026〕3号" if state == "in_review" else None,
            return_reason="文号有误" if state == "returned" else None,
            cancel_reason="不属于公开范围" if state == "cancelled" else None)
        if published:
            for channel in ("website", "wechat"):
                _insert(conn, "disclosure_task_channel", task_id=tasks[key], channel=channel)
        if state in ("published", "verified") and review:
            # approved at 2026-05-08 18:30 UTC = 2026-05-09 02:30 China time: the approval day is the 9th
            _insert(conn, "disclosure_task_event", task_id=tasks[key], action="approve", from_state="in_review",
                    to_state="published", actor_id=people["reviewer"], actor_label="reviewer人",
                    at=datetime(2026, 5, 8, 18, 30), reason=None)
    _insert(conn, "disclosure_attachment", task_id=tasks["verified-review"], unit_id=unit, original_name="截图.png",
            stored_name="abc.png", extension="png", size=10, uploaded_at=now)
    return tasks


@pytest.fixture
def fresh_schema():
    """On PostgreSQL, an empty schema of its own (dropped afterwards); nothing to do on SQLite."""
    created = []

    def make(kind, settings):
        if kind == "postgresql":
            engine = sa.create_engine(settings["SQLALCHEMY_DATABASE_URI"].replace("postgresql://",
                                                                                  "postgresql+psycopg://", 1))
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
                conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
            created.append(engine)
    yield make
    for engine in created:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()


def test_tasks_in_every_old_state_move_into_the_review_order_without_loss(tmp_path, fresh_schema):
    for kind, settings in _databases(tmp_path):
        fresh_schema(kind, settings)
        app = _app(settings)
        with app.app_context():
            upgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                ids = _old_city(conn)
                before = {row.id: row for row in conn.execute(sa.text("SELECT * FROM disclosure_task"))}
                channels_before = conn.execute(sa.text("SELECT count(*) FROM disclosure_task_channel")).scalar()
            upgrade()
            with db.engine.connect() as conn:
                after = {row.id: row for row in conn.execute(sa.text("SELECT * FROM disclosure_task"))}
                assert conn.execute(sa.text("SELECT count(*) FROM disclosure_task_channel")).scalar() == channels_before
                assert conn.execute(sa.text("SELECT kind FROM disclosure_attachment")).scalars().all() == ["evidence"]
            db.engine.dispose()

        assert set(after) == set(before), kind  # every task is still there
        for task_id, old in before.items():
            new = after[task_id]
            # the old record and every old column are kept as they were
            for column in ("state", "published_on", "url", "doc_number", "return_reason", "cancel_reason", "due_date"):
                assert getattr(new, column) == getattr(old, column), (kind, task_id, column)
            assert new.verify_failures == 0
        # not yet drafted: no draft invented
        for key in ("pending_ack-review", "acknowledged-review", "cancelled-review"):
            assert after[ids[key]].disclosure_attribute is None and after[ids[key]].draft_text is None
        # a record submitted for approval under the old order becomes the draft in review / returned
        for key in ("in_review-review", "returned-review"):
            row = after[ids[key]]
            assert row.disclosure_attribute == "proactive" and _json(row.draft_channels) == ["website", "wechat"]
            assert "原流程" in row.draft_text and "https://www.dongning.gov.cn/a/" in row.draft_text
            assert row.no_state_secret is None and row.privacy is None  # the self-check was never made
            assert row.approved_on is None
        # published and verified items: the approval day from the approval event, in China time
        for key in ("published-review", "verified-review"):
            row = after[ids[key]]
            assert _as_date(row.approved_on) == date(2026, 5, 9)
            assert row.disclosure_attribute == "proactive"
        direct = after[ids["published-direct"]]
        assert direct.approved_on is None and direct.state == "published"


def _json(value):
    import json
    return json.loads(value) if isinstance(value, str) else value


def _as_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value
