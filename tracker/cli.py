"""Command line: ``flask --app wsgi init-db | create-user | demo``."""
import click
from flask_migrate import upgrade

from .extensions import db


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
