"""The sweep helper: each row in isolation, failures recorded and cleared, every run recorded."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tracker import sweeps
from tracker.errors import ServiceError
from tracker.extensions import db
from tracker.sweeps.errors import describe_error
from tracker.sweeps.models import JobFailure, JobRun
from tracker.timeutil import china_today, utcnow
from tracker.units.models import Unit
from tracker.units.services import create_unit


def unit_names(app):
    with app.app_context():
        return sorted(db.session.scalars(select(Unit.name)))


def open_failures(app, job=None):
    with app.app_context():
        stmt = select(JobFailure).where(JobFailure.cleared_at.is_(None))
        if job:
            stmt = stmt.where(JobFailure.job == job)
        return db.session.scalars(stmt.order_by(JobFailure.id)).all()


def create_units(names, poisoned=()):
    """A toy job: one unit per name, each in isolation; a poisoned name raises after writing."""
    for n, name in enumerate(names, 1):
        with sweeps.isolated("unit", n, name):
            create_unit(f"toy{n}", name, "department")
            db.session.flush()
            if name in poisoned:
                raise ServiceError(f"{name}的数据有误")


def test_a_failing_row_is_rolled_back_alone_and_the_rest_are_kept(app):
    with app.app_context():
        with sweeps.run("toy") as run:
            create_units(["甲局", "乙局", "丙局"], poisoned={"乙局"})
    assert run.handled == 3 and not run.ok and run.error is None
    assert unit_names(app) == ["丙局", "甲局"]  # 乙局's insert was rolled back with its savepoint, alone
    [failure] = open_failures(app, "toy")
    assert (failure.record_type, failure.record_id, failure.record_label) == ("unit", "2", "乙局")
    assert failure.error == "乙局的数据有误" and "ServiceError" in failure.error_detail


def test_the_surrounding_transaction_still_decides_on_sqlite_too(app):
    """A savepoint taken before the transaction's first write must not commit on its own (Python's
    sqlite3 module would otherwise make it the outermost transaction)."""
    with app.app_context():
        db.session.scalar(select(func.count()).select_from(Unit))  # a read first, as sweeps do
        create_units(["甲局"])
        db.session.rollback()
    assert unit_names(app) == []


def test_a_failure_counts_repeats_and_clears_when_the_row_succeeds(app):
    with app.app_context():
        for _ in range(2):
            with sweeps.run("toy"):
                with sweeps.isolated("unit", 7, "丁局"):
                    raise OverflowError("date value out of range")
    [failure] = open_failures(app, "toy")
    assert failure.occurrences == 2 and failure.first_seen < failure.last_seen
    assert failure.error.startswith("日期超出可计算的范围") and "OverflowError" in failure.error_detail
    with app.app_context():
        with sweeps.run("toy"):
            with sweeps.isolated("unit", 7, "丁局"):
                pass
        cleared = db.session.get(JobFailure, failure.id)
    assert cleared.cleared_how == "succeeded" and open_failures(app) == []


def test_a_full_sweep_that_no_longer_meets_the_row_clears_it_and_a_batch_job_does_not(app):
    with app.app_context():
        for job, full in (("toy-full", True), ("toy-batch", False)):
            with sweeps.run(job, full_sweep=full):
                with sweeps.isolated("unit", 1, "甲局"):
                    raise ValueError("bad")
            with sweeps.run(job, full_sweep=full):
                pass  # the row is not among this run's rows
    assert [f.job for f in open_failures(app)] == ["toy-batch"]


def test_a_failure_that_comes_back_after_being_cleared_starts_again(app):
    with app.app_context():
        with sweeps.run("toy"):
            with sweeps.isolated("unit", 1, "甲局"):
                raise ValueError("bad")
        with sweeps.run("toy"):
            pass
        with sweeps.run("toy"):
            with sweeps.isolated("unit", 1, "甲局"):
                raise KeyError("x")
    [failure] = open_failures(app)
    assert failure.occurrences == 1 and failure.error == "记录数据不完整或不一致，处理时出错"


def test_every_run_is_recorded_with_rows_failures_and_duration(app):
    with app.app_context():
        with sweeps.run("toy") as ok_run:
            create_units(["甲局", "乙局"])
        with sweeps.run("toy") as crashed:
            create_unit("toy9", "戊局", "department")
            raise RuntimeError("boom")
        runs = db.session.scalars(select(JobRun).order_by(JobRun.id)).all()
    assert ok_run.ok and not crashed.ok and crashed.error == "处理时出错"
    assert [(r.job, r.rows, r.failed_rows, r.ok) for r in runs] == [("toy", 2, 0, True), ("toy", 0, 0, False)]
    assert "RuntimeError: boom" in runs[1].error_detail and runs[0].duration_ms >= 0
    assert "戊局" not in unit_names(app)  # the crashed run was rolled back as a whole


def test_old_runs_are_pruned(app):
    import time_machine

    with app.app_context():
        with time_machine.travel(utcnow() - timedelta(days=sweeps.RUN_HISTORY_DAYS + 1)):
            with sweeps.run("toy"):
                pass
        with sweeps.run("toy"):
            pass
        assert db.session.scalar(select(func.count()).select_from(JobRun)) == 1


def test_isolated_rows_skips_only_the_row_that_raises():
    class Row:
        def __init__(self, id):
            self.id = id

    def produce(row):
        yield f"{row.id}a"
        if row.id == 2:
            raise OverflowError("date value out of range")
        yield f"{row.id}b"

    found = list(sweeps.isolated_rows([Row(1), Row(2), Row(3)], "row", lambda r: f"第{r.id}行", produce))
    assert found == ["1a", "1b", "3a", "3b"]  # row 2 yields nothing, not half


@pytest.mark.parametrize("exc, chinese", [
    (ConnectionRefusedError(111, "Connection refused"), "邮件服务器无法连接：连接被拒绝（服务器未运行或端口不对）"),
    (TimeoutError("timed out"), "邮件服务器无法连接：连接超时"),
    (OverflowError("date value out of range"), "日期超出可计算的范围（记录中可能有不合理的日期，如 9999-12-31）"),
    (ServiceError("补正期限应晚于补正告知发出日期。"), "补正期限应晚于补正告知发出日期。"),
])
def test_errors_are_described_in_chinese_with_the_raw_text_kept(exc, chinese):
    text, raw = describe_error(exc)
    assert text == chinese and str(exc) in raw


def test_the_health_page_lists_jobs_and_open_failures_in_chinese_and_the_office_can_dismiss_one(
        app, make, login):
    application = make.application(make.unit(name="民政局"), china_today())
    with app.app_context():
        with sweeps.run("reminders"):
            with sweeps.isolated("application", application.id, f"{application.tracking_code} {application.title}",
                                 savepoint=False):
                raise OverflowError("date value out of range")
    office = login(make.user("office", unit=make.unit(kind="office")))
    page = office.get("/admin/health").get_data(as_text=True)
    assert "系统运行状况" in page and "到期提醒与逾期督办" in page and "消息发送（邮件、群机器人、短信）" in page
    assert "依申请公开申请 #" in page and application.tracking_code in page
    assert f'href="/applications/{application.id}"' in page
    assert "日期超出可计算的范围" in page and "OverflowError" in page  # raw text under 技术信息
    [failure] = open_failures(app)
    assert office.post(f"/admin/health/failures/{failure.id}/dismiss").status_code == 302
    assert open_failures(app) == []
    assert "没有处理失败的记录" in office.get("/admin/health").get_data(as_text=True)
    assert office.post(f"/admin/health/failures/{failure.id}/dismiss", csrf=False).status_code == 400
    from tracker.audit.models import AuditEvent
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "job_failure")) \
            == "sweeps.failure_dismiss"


def test_the_health_page_is_in_the_office_menu_only(make, login):
    office = login(make.user("office", unit=make.unit(kind="office")))
    assert "系统运行状况" in office.get("/dashboard").get_data(as_text=True)
    leader = login(make.user("leader"))
    assert "系统运行状况" not in leader.get("/dashboard").get_data(as_text=True)
    assert leader.get("/admin/health").status_code == 403


# --- every kind of record a sweep names is registered with its Chinese name and page -------------

ISOLATING_CALLS = {"isolated", "isolated_rows", "row_failed", "row_done"}


def record_types_named_by_sweeps() -> set[str]:
    """The record kinds the code hands to the sweep helpers: string literals given to ``isolated``,
    ``isolated_rows`` (its second argument), ``row_failed`` and ``row_done``, ``record=(kind, id)``
    of reminders, and the kind of the keys given to ``deadline_reminders`` (f"task:{id}" → task)."""
    import ast
    import pathlib

    import tracker

    found = set()
    for path in pathlib.Path(tracker.__file__).parent.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            args = node.args[1:2] if name == "isolated_rows" else node.args[:1]
            if name in ISOLATING_CALLS:
                found |= {a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
            if name == "deadline_reminders" and node.args and isinstance(node.args[0], ast.JoinedStr):
                parts = node.args[0].values  # f"task:{t.id}": the record is (task, id)
                if len(parts) == 2 and isinstance(parts[0], ast.Constant) and parts[0].value.endswith(":"):
                    found.add(parts[0].value[:-1])
            for kw in node.keywords:
                if kw.arg == "record" and isinstance(kw.value, ast.Tuple) and isinstance(kw.value.elts[0], ast.Constant):
                    found.add(kw.value.elts[0].value)
    return found


def test_every_record_type_a_sweep_isolates_has_a_chinese_name_and_where_it_has_a_page_a_link(app):
    named = record_types_named_by_sweeps()
    assert {"task", "application", "rectification", "score", "outbox_mail", "user", "duty"} <= named
    missing = named - set(sweeps.RECORD_TYPES)
    assert not missing, f"register these with sweeps.register_record_type: {sorted(missing)}"
    from flask import url_for

    for name, kind in sweeps.RECORD_TYPES.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in kind.label), name
        if kind.endpoint:
            with app.test_request_context():
                assert "4242" in url_for(kind.endpoint, **{kind.arg: 4242}), name


def test_a_rectification_and_a_score_that_fail_are_named_and_linked_on_the_health_page(app, make, login):
    unit = make.unit(name="民政局")
    item = make.rectification(unit)
    with app.app_context():
        with sweeps.run("reminders"):
            with sweeps.isolated("rectification", item.id, item.title, savepoint=False):
                raise OverflowError("date value out of range")
        with sweeps.run("scores-provisional"):
            with sweeps.isolated("score", f"2026-Q3:{unit.id}", "2026年第三季度考核得分：民政局", savepoint=False):
                raise KeyError("rubric")
    page = login(make.user("office", unit=make.unit(kind="office"))).get("/admin/health").get_data(as_text=True)
    assert f"整改事项 #{item.id}" in page and f'href="/rectifications/{item.id}"' in page
    assert f"考核得分 #2026-Q3:{unit.id}" in page and f'href="/scores/2026-Q3/units/{unit.id}"' in page
    assert "rectification #" not in page and "score #" not in page
