"""Command line: ``flask --app wsgi init-db | create-user | demo``."""
import click
from flask_migrate import upgrade

from .extensions import db


def register(app):
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
