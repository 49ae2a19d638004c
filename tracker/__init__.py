"""The disclosure tracker (政务公开监督平台)."""
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import access, config, web
from .extensions import csrf, db, login_manager, migrate
from .forms import use_chinese_messages
from .timeutil import render_migration_item

ROOT = Path(__file__).resolve().parent.parent


class RecordId(IntegerConverter):
    """``<int:...>`` in URLs: ids fit the database's integer columns, so /tasks/99999999999999 is a
    404 rather than an overflow error in the database driver."""

    regex = r"[0-9]+"  # ASCII digits: werkzeug's \d+ also matches "١٢"

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)
MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")


def create_app(overrides: dict | None = None) -> Flask:
    instance = os.environ.get("TRACKER_INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(__name__, instance_path=instance, instance_relative_config=True,
                template_folder=str(ROOT / "templates"))
    app.url_map.converters["int"] = RecordId
    from .cli import TrackerCommands
    app.cli = TrackerCommands(name=app.name)  # every command checks the database first (cli.py)
    config.load(app, overrides)
    if app.config["TRUSTED_PROXIES"]:
        # the client's own address (for sign-in throttling and the audit log) and scheme, from the proxy
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, compare_type=True,
                     render_item=render_migration_item)
    csrf.init_app(app)
    use_chinese_messages(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"

    from . import models  # noqa: F401  (every feature's tables, for Alembic and the ORM)
    from .audit.sources import load as load_audit_descriptions
    load_audit_descriptions()
    from .notify.sources import load as load_notification_sources
    load_notification_sources()
    from .worklist.sources import load as load_work_sources
    load_work_sources()
    from .accounts.services import load_user
    from .website import scoring as _website_rules  # noqa: F401  (the 网站巡查 rules join the registry)
    login_manager.user_loader(load_user)

    app.before_request(access.enforce_access)
    web.init_app(app)
    _register_blueprints(app)

    from .cli import register
    register(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts
    from .applications.public_views import bp as applications_public
    from .applications.views import bp as applications
    from .audit.views import bp as audit
    from .bulk_import.views import bp as bulk_import
    from .bulletins.views import bp as bulletins
    from .dashboard.views import bp as dashboard
    from .disclosure.views import bp as disclosure
    from .inspections.views import bp as inspections
    from .notify.channel_views import bp as channels
    from .notify.views import bp as notify
    from .portal.views import bp as portal
    from .reports.views import bp as reports
    from .scores.views import bp as scores
    from .sweeps.views import bp as sweeps
    from .units.views import bp as units
    from .website.views import bp as website
    from .workcal.views import bp as workcal
    from .worklist.views import bp as worklist

    for bp in (accounts, audit, bulk_import, dashboard, disclosure, units, workcal, notify, applications, applications_public,
               worklist, portal, reports, scores, sweeps):
        app.register_blueprint(bp)
    for bp in (inspections, bulletins, channels, website):
        app.register_blueprint(bp)
