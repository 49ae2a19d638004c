"""The command line that others script against."""
import re

import pytest
from sqlalchemy import func, select

from tracker.accounts.models import User
from tracker.extensions import db
from tracker.units.models import Unit


def test_init_db_is_idempotent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert runner.invoke(args=["init-db"]).exit_code == 0


def test_create_user_with_unit(app, make):
    unit = make.unit(code="mzj")
    result = app.test_cli_runner().invoke(args=["create-user", "mzj-lly", "--role", "contact", "--unit", "mzj",
                                                "--email", "a@example.gov.cn", "--password", "Secret2026pw"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "mzj-lly"))
        assert user.unit_id == unit.id and user.email == "a@example.gov.cn"


def test_create_user_prompts_for_the_password(app):
    result = app.test_cli_runner().invoke(args=["create-user", "admin", "--role", "office"],
                                          input="Secret2026pw\nSecret2026pw\n")
    assert result.exit_code == 0, result.output
    assert "Secret2026pw" not in result.output


def test_create_user_refuses_an_unknown_unit(app):
    result = app.test_cli_runner().invoke(args=["create-user", "x-lly", "--role", "contact", "--unit", "nope",
                                                "--password", "Secret2026pw"])
    assert result.exit_code == 2 and "单位编码不存在" in result.output


def test_create_user_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(args=["create-user", "admin", "--role", "office", "--password", "123"])
    assert result.exit_code == 2 and "密码至少需要" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_loads_the_seed_city_once_and_prints_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "office" in first.output and "dongning-lly" in first.output
    with app.app_context():
        towns = db.session.scalars(select(Unit.name).where(Unit.kind == "town")).all()
        departments = db.session.scalar(select(func.count()).select_from(Unit).where(Unit.kind == "department"))
        without_contact = db.session.scalar(select(func.count()).select_from(Unit).where(
            Unit.kind != "office", Unit.id.not_in(select(User.unit_id).where(User.role == "contact"))))
    assert set(towns) == {"东宁镇", "绥阳镇", "三岔口镇", "大肚川镇", "老黑山镇", "道河镇"}
    assert departments >= 30 and without_contact == 0
    assert runner.invoke(args=["demo"]).exit_code == 0  # a second run changes nothing
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.kind == "town")) == 6


# --- a database that has not been initialised ------------------------------------------------------

NOT_INITIALISED = "数据库尚未初始化，请先运行 flask --app wsgi init-db"


@pytest.fixture
def fresh_app(tmp_path):
    """The tracker pointed at a database nobody has run init-db on."""
    from tracker import create_app
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}",
                       "SECRET_KEY": "x"})


def _leaf_commands(group, prefix=()):
    """Every runnable command under ``group`` as its argument path, e.g. ("workdays", "add")."""
    import click
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _leaf_commands(command, prefix + (name,))
        else:
            yield prefix + (name,), command


def test_every_command_is_checked_for_an_initialised_database(fresh_app):
    """Structural: each command of app.cli, whoever added it, is handed out guarded, except the ones
    that create the schema."""
    import click
    ctx = click.Context(fresh_app.cli)
    names = fresh_app.cli.list_commands(ctx)
    assert {"sweep", "scheduler", "create-user", "workdays", "open-tasks", "close-lapsed"} <= set(names)
    for name in names:
        command = fresh_app.cli.get_command(ctx, name)
        if name in ("init-db", "demo", "bench-data"):
            assert not getattr(command, "guarded", False), name
        else:
            assert getattr(command, "guarded", False), f"{name} runs without checking the database"


@pytest.mark.parametrize("args", [["sweep"], ["workdays", "add", "2026-09-28", "20"], ["open-tasks"], ["close-lapsed"],
                                  ["create-user", "admin", "--role", "office", "--password", "Secret2026pw"]])
def test_a_command_on_an_uninitialised_database_says_so_in_one_line(fresh_app, tmp_path, args):
    result = fresh_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2
    assert result.output.strip() == NOT_INITIALISED
    assert not (tmp_path / "fresh.db").exists()  # the check did not create an empty database file


def test_init_db_then_commands_work_on_the_same_database(fresh_app):
    runner = fresh_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["workdays", "add", "2026-09-28", "20"])
    assert result.exit_code == 0 and result.output.strip() == "2026-10-30"


def test_the_real_flask_command_exits_2_with_one_line(tmp_path):
    """Through the ``flask`` entry point itself, as a person types it on a fresh clone."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    env = {**os.environ, "TRACKER_INSTANCE_PATH": str(tmp_path)}
    env.pop("TRACKER_DATABASE_URL", None)
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run([str(flask), "--app", "wsgi", "sweep"], cwd=Path(__file__).resolve().parent.parent,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == NOT_INITIALISED and "Traceback" not in done.stderr
    assert done.stdout == ""


# --- PORT: the demo on another port also links to it from its mails --------------------------------

def _app_with_env(monkeypatch, tmp_path, **env):
    from tracker import create_app
    for name in ("PORT", "TRACKER_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def test_mail_links_follow_port_when_no_base_url_is_configured(monkeypatch, tmp_path):
    assert _app_with_env(monkeypatch, tmp_path, PORT="5101").config["BASE_URL"] == "http://127.0.0.1:5101"
    assert _app_with_env(monkeypatch, tmp_path).config["BASE_URL"] == "http://localhost:5000"
    configured = _app_with_env(monkeypatch, tmp_path, PORT="5101", TRACKER_BASE_URL="https://gk.example.gov.cn")
    assert configured.config["BASE_URL"] == "https://gk.example.gov.cn"


def test_a_queued_mail_links_to_the_demo_port(monkeypatch, tmp_path):
    from tracker.notify.models import OutboxMail
    from tracker.notify.services import Message, queue_mail
    app = _app_with_env(monkeypatch, tmp_path, PORT="5101")
    with app.app_context(), app.test_request_context():
        from flask_migrate import upgrade
        upgrade()
        queue_mail("a@example.gov.cn", Message("【新公开任务】测试", ("正文",), "/disclosure/tasks/1"))
        db.session.commit()
        mail = db.session.scalar(select(OutboxMail))
        assert mail.link == "http://127.0.0.1:5101/disclosure/tasks/1"
        assert "http://127.0.0.1:5101/disclosure/tasks/1" in mail.body_text


@pytest.mark.parametrize("command", [["report", "annual"], ["scores", "compute"], ["scores", "export"]])
def test_the_commands_help_is_in_chinese(app, command):
    text = app.test_cli_runner().invoke(args=[*command, "--help"]).output
    assert re.search(r"[\u4e00-\u9fff]{4}", text) and "--year" not in text or "报告年度" in text
    assert not re.search(r"(report year|file to write|only this unit|a quarter|Export an annual)", text), text
