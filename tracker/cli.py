"""Command line: ``flask --app wsgi init-db | create-user | demo | ...``.

Every command of ``app.cli`` (this module's, and those features add with ``bp.cli`` or
``app.cli``) first checks that the database has been initialised: on a database without the
schema it says so in one line and exits with status 2, instead of a traceback. Commands that
create the schema are marked with ``schema_not_required``.
"""
import copy
import os

import click
from flask.cli import AppGroup, ScriptInfo
from flask_migrate import upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

NOT_INITIALISED = "数据库尚未初始化，请先运行 flask --app wsgi init-db"


def schema_not_required(command):
    """Mark a command that runs on a database without the schema (it creates it)."""
    command.needs_schema = False
    return command


def database_problem() -> str | None:
    """None when the schema is in place; otherwise one line saying what is wrong."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not os.path.exists(url.database):
        return NOT_INITIALISED  # and do not create an empty file by connecting
    try:
        if not inspect(db.engine).has_table("alembic_version"):
            return NOT_INITIALISED
        with db.engine.connect() as conn:
            if conn.execute(text("SELECT version_num FROM alembic_version")).first() is None:
                return NOT_INITIALISED
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
        return f"无法连接数据库（{url.render_as_string(hide_password=True)}）：{reason}"
    return None


def _guarded(command: click.Command) -> click.Command:
    """A copy of ``command`` that checks the database before running."""
    guarded = copy.copy(command)
    run = command.invoke

    def invoke(ctx):
        app = ctx.ensure_object(ScriptInfo).load_app()
        with app.app_context():
            problem = database_problem()
        if problem:
            click.echo(problem, err=True)
            ctx.exit(2)
        return run(ctx)

    guarded.invoke = invoke
    guarded.guarded = True
    return guarded


class TrackerCommands(AppGroup):
    """``app.cli``: hands out each command guarded by the database check (see the module doc)."""

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is None or getattr(command, "needs_schema", True) is False:
            return command
        return _guarded(command)


def _date_arg(value: str, label: str):
    from datetime import date
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.UsageError(f"{label}格式不正确：{value!r}，应为 YYYY-MM-DD（如 2026-09-28）。") from None


def _in_range(day, label: str):
    from .errors import ServiceError
    from .workcal.services import check_in_range
    try:
        return check_in_range(day, label)
    except ServiceError as exc:
        raise click.UsageError(exc.message) from None


def register(app):
    from .reports.cli import register as register_reports

    register_reports(app)

    @app.cli.group("workdays")
    def workdays():
        """Chinese working days: 'add D N' and 'between D1 D2'."""

    @workdays.command("add", context_settings={"ignore_unknown_options": True})
    @click.argument("start")
    @click.argument("count")
    def workdays_add(start, count):
        """Print the COUNT-th working day after START (START itself not counted)."""
        from .workcal.services import add_workdays

        day = _in_range(_date_arg(start, "日期"), "日期")
        if not count.isdigit():
            raise click.UsageError(f"工作日数必须是非负整数：{count!r}。")
        if int(count) > 2000:
            raise click.UsageError(f"工作日数过大：{count}，结果超出工作日历的范围（最多2000个工作日）。")
        answer = add_workdays(day, int(count))
        click.echo(f"{answer.day:%Y-%m-%d}" + (" provisional" if answer.provisional else ""))

    @workdays.command("between")
    @click.argument("first")
    @click.argument("second")
    def workdays_between_command(first, second):
        """Print the number of working days after FIRST up to and including SECOND."""
        from .workcal.services import workdays_between

        answer = workdays_between(_in_range(_date_arg(first, "开始日期"), "开始日期"),
                                  _in_range(_date_arg(second, "结束日期"), "结束日期"))
        click.echo(f"{answer.count}" + (" provisional" if answer.provisional else ""))

    @app.cli.command("scheduler")
    def scheduler_command():
        """Run the scheduled jobs (reminders, mail sender, sweeps) until stopped. Run exactly one
        such process per deployment; web workers never run jobs."""
        import logging

        from .scheduler import run_scheduler

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        run_scheduler(app)

    @app.cli.command("sweep")
    def sweep_command():
        """Run every scheduled job once, now, and print what each did. Exits with status 1 and
        names the failed jobs (a job with rows it could not handle counts as failed)."""
        from .scheduler import sweep

        runs = sweep(app)
        for run in runs:
            click.echo(f"{run.job}: {run.summary()}")
            for failure in run.failures.values():
                click.echo(f"  失败记录 {failure.record_type} #{failure.record_id}"
                           f"{'（' + failure.label + '）' if failure.label else ''}：{failure.error}")
        failed = [run.job for run in runs if not run.ok]
        if failed:
            click.echo(f"有 {len(failed)} 个任务失败：{', '.join(failed)}（详见 系统管理 › 系统运行状况）", err=True)
            raise SystemExit(1)

    @schema_not_required
    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the database schema (Alembic migrations)."""
        upgrade()
        click.echo("数据库已就绪（migrations applied）。")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", required=True, type=click.Choice(["office", "reviewer", "contact", "leader"]))
    @click.option("--unit", "unit_code", help="unit code (required for reviewer and contact)")
    @click.option("--email")
    @click.option("--name", "display_name", help="display name (defaults to the username)")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create_user_command(username, role, unit_code, email, display_name, password):
        """Create a staff account."""
        from .accounts.services import create_user
        from .errors import ServiceError
        from .units.services import find_unit_by_code

        unit = None
        if unit_code:
            unit = find_unit_by_code(unit_code)
            if unit is None:
                raise click.UsageError(f"单位编码不存在：{unit_code}")
        try:
            user = create_user(username=username, display_name=display_name or username, role=role,
                               unit=unit, email=email, password=password, must_change_password=False)
        except ServiceError as exc:
            db.session.rollback()
            raise click.UsageError(exc.message) from None
        db.session.commit()
        click.echo(f"已创建用户 {user.username}（{user.role_label}）")

    @schema_not_required
    @app.cli.command("demo")
    def demo_command():
        """Load the demo city (idempotent) and print the demo logins."""
        from .demo import load_demo

        upgrade()
        logins = load_demo()
        db.session.commit()
        click.echo("演示数据已就绪。演示账号（密码均为 %s）：" % logins["password"])
        for username, label in logins["accounts"]:
            click.echo(f"  {username:<16} {label}")
        if logins.get("lookup"):
            click.echo("申请人查询办理进度（首页 › 申请查询）：查询码 %s，查询密码 %s" % logins["lookup"])

    @schema_not_required
    @app.cli.command("bench-data")
    @click.option("--scale", "scale", required=True, type=click.Choice(["small", "large"]),
                  help="small: a county-sized city; large: 200 units, 148,000 tasks, 20,000 applications")
    @click.option("--seed", default=2026, show_default=True, help="random seed (same seed and day, same data)")
    @click.option("--today", "today", help="the day the history ends (YYYY-MM-DD); default today in China")
    @click.option("--force", is_flag=True, help="also when the database holds other data: ERASES every row")
    def bench_data_command(scale, seed, today, force):
        """Empty the database and generate a benchmark city (see README › Benchmarks)."""
        from .bench_data import NotBenchDatabase, load

        upgrade()
        day = _date_arg(today, "日期") if today else None
        try:
            load(scale, seed=seed, today=day, force=force, echo=click.echo)
        except NotBenchDatabase as exc:
            db.session.rollback()
            raise click.UsageError(str(exc)) from None

    from .scores.cli import register as register_scores
    register_scores(app)

    @app.cli.command("close-lapsed")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="legal date to sweep as (default: today)")
    def close_lapsed_command(today):
        """Applications: close lapsed corrections / payments, resume lapsed consultations."""
        from . import sweeps
        from .applications.services import close_lapsed_applications
        from .timeutil import china_today

        with sweeps.run("close-lapsed") as run:
            run.result = close_lapsed_applications(today.date() if today else china_today())
        if run.error:
            raise click.ClickException(run.error)
        click.echo("逾期不补正 {no_correction} 件，逾期未缴费 {no_payment} 件，征求意见期满恢复计时 "
                   "{consultation_lapsed} 件。".format(**run.result))
        for failure in run.failures.values():
            click.echo(f"  未能处理：{failure.label}：{failure.error}", err=True)
        if not run.ok:
            raise SystemExit(1)
