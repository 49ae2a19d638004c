"""The command line that others script against."""
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
