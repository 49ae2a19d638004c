"""The web shell shared by every feature: one transaction per request, security headers,
Chinese error pages, template filters and the navigation for each role."""
import re

from flask import abort, current_app, flash, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from . import inputs, timeutil
from .extensions import db
from .files import human_size
from .portal.services import public_page

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")

ERROR_TITLES = {
    400: ("请求无效", "提交的内容无法处理。请返回上一页检查后重试。"),
    403: ("无权访问", "您没有访问此页面的权限。如需权限，请联系政务公开办。"),
    404: ("页面不存在", "您要找的页面或记录不存在，或者您无权查看。"),
    405: ("请求方式不允许", "该页面不支持此操作。"),
    413: ("文件过大", "上传的文件超过了大小限制。"),
    429: ("操作过于频繁", "请稍后再试。"),
    500: ("系统错误", "服务器出现错误，您的操作未被保存。请稍后重试，或联系政务公开办。"),
}

STAFF = ("office", "reviewer", "contact", "leader")

# The navigation bar: (label, endpoint, roles) entries, or (label, [entries]) for a menu.
NAV = [
    ("工作台", "dashboard.index", STAFF),
    ("待办", "worklist.todo", ("contact", "reviewer")),
    ("主动公开", [
        ("公开任务", "disclosure.tasks", STAFF),
        ("公开目录", "disclosure.catalogue", STAFF),
        ("信息登记簿", "disclosure.register", STAFF),
        ("公开督查", "disclosure.supervision", ("office", "leader")),
    ]),
    ("网站巡查", [
        ("巡查概况", "website.index", STAFF),
        ("发布核验", "website.checks", STAFF),
        ("栏目巡查", "website.column_list", STAFF),
        ("巡查发现", "website.finding_list", STAFF),
    ]),
    ("依申请公开", [
        ("申请办理", "applications.index", STAFF),
        ("统计（表三/表四）", "applications.stats", STAFF),
    ]),
    ("督查通报", [
        ("季度通报", "bulletins.index", STAFF),
        ("督查检查", "inspections.index", STAFF),
        ("整改事项", "inspections.rectifications", STAFF),
        ("督办记录", "inspections.urgings", ("office", "leader")),
    ]),
    ("年度报告", [
        ("年度报告", "reports.index", STAFF),
        ("规范性文件", "reports.normative_list", STAFF),
    ]),
    ("考核评分", [
        ("考核排名", "scores.index", STAFF),
        ("本单位得分", "scores.mine", ("contact", "reviewer")),
        ("考核期管理", "scores.periods", ("office", "leader")),
        ("考核申辩", "scores.objections", STAFF),
        ("评分细则", "scores.rubric_list", STAFF),
    ]),
    ("工作日历", "workcal.year", STAFF),
    ("系统管理", [
        ("单位管理", "units.index", ("office",)),
        ("用户管理", "accounts.users", ("office",)),
        ("提醒规则", "notify.reminder_settings", ("office",)),
        ("短信平台", "channels.sms_gateway", ("office",)),
        ("通报设置", "bulletins.settings", ("office",)),
        ("公开门户首页", "portal.settings", ("office",)),
        ("网站巡查设置", "website.settings_page", ("office",)),
        ("发件箱", "notify.outbox", ("office",)),
        ("系统运行状况", "sweeps.health", ("office",)),
        ("操作日志", "audit.index", ("office", "leader")),
    ]),
]


def finish_transaction(response):
    """Commit the request's single transaction if it succeeded; otherwise roll everything back."""
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static":
        # Pages carry personal data (an applicant's query password, ID numbers in downloads): no
        # browser or proxy may keep a copy. Set, not defaulted: send_file would otherwise leave its
        # own cacheable header on downloads.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def error_page(error):
    code = getattr(error, "code", 500) or 500
    title, text = ERROR_TITLES.get(code, ERROR_TITLES[500])
    db.session.rollback()
    return render_template("errors/error.html", code=code, title=title, text=text), code


def csrf_error(error: CSRFError):
    db.session.rollback()
    return render_template("errors/error.html", code=400, title="表单已失效",
                           text="表单已过期或来源无法验证，未做任何修改。请刷新页面后重新提交。"), 400


def page_in_range():
    """``before_request``: a ``?page=`` far beyond any list would overflow the database's OFFSET;
    one that is not a plain number is the first page (Flask-SQLAlchemy would read "١٢" as 12)."""
    page = request.args.get("page", "").strip()
    if page.isascii() and page.isdigit() and (len(page) > 7 or int(page) > 1_000_000):
        abort(404)


# Query names a link may carry over from the current page (pager, export): plain lowercase names,
# never one that ``url_for`` itself reads (``endpoint``, ``_method``, ``_external``, ``_anchor``...).
_FILTER_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
_URL_FOR_NAMES = {"endpoint", "values"}


def filter_names(*names: str):
    """Declare the query names a list view reads (its filters): only these are carried into the
    links it renders (pager, export). Views that declare nothing carry plain lowercase names."""
    def decorate(view):
        view.filter_names = frozenset(names) | {"page"}
        return view
    return decorate


def filter_args(endpoint: str | None = None, **changes) -> dict:
    """The current query's filters, safe to pass as ``url_for(endpoint, **filter_args(...))``.

    Only the names the current view declares (``filter_names``) pass, minus the arguments of
    ``endpoint``'s own URL rule; ``changes`` are applied on top (``page=2``)."""
    from flask import current_app
    view = current_app.view_functions.get(request.endpoint or "")
    declared = getattr(view, "filter_names", None)
    taken = set(_URL_FOR_NAMES)
    if (endpoint or request.endpoint) in current_app.view_functions:
        for rule in current_app.url_map.iter_rules(endpoint or request.endpoint):
            taken |= set(rule.arguments)
    args = {}
    for name, value in request.args.items():
        if name in taken or (declared is not None and name not in declared) or not _FILTER_NAME.match(name):
            continue
        args[name] = value
    args.update(changes)
    return args


INTERNAL_SITE_NAME = "政务公开监督平台"


def on_public_site() -> bool:
    """Pages for citizens: the applicant's pages, and whatever a visitor who is not signed in sees
    (the front page, error pages) except the staff sign-in."""
    if request.blueprint == "applications_public":
        return True
    return not current_user.is_authenticated and request.blueprint != "accounts"


def site_name() -> str:
    """The government's own name on public pages (portal settings or ``PUBLIC_SITE_NAME``), the
    internal name on the office's."""
    if not on_public_site():
        return INTERNAL_SITE_NAME
    try:
        return public_page()["site_name"]
    except SQLAlchemyError:  # an error page after a failed transaction: the configured name
        return current_app.config.get("PUBLIC_SITE_NAME") or "政府信息公开"


def navigation():
    """The menu for the current user: [(label, href, active, children)]; a menu has href None."""
    if not current_user.is_authenticated:
        return []

    def entry(label, endpoint, roles):
        if current_user.role not in roles:
            return None
        return (label, url_for(endpoint), request.endpoint == endpoint, [])

    items = []
    for item in NAV:
        if isinstance(item[1], list):
            children = [c for c in (entry(*child) for child in item[1]) if c]
            if children:
                items.append((item[0], None, any(c[2] for c in children), children))
        elif (e := entry(*item)) is not None:
            items.append(e)
    return items


def unread_notifications() -> int:
    from .notify.services import unread_count

    return unread_count(current_user) if current_user.is_authenticated else 0


def form_errors(form) -> None:
    """A form failed validation: its errors are shown beside their fields (the ``field`` macro in
    ``_macros.html``); the banner names the fields. Errors of no field of the form are flashed."""
    labels = []
    for name, messages in form.errors.items():
        field = form._fields.get(name) if name else None
        if field is None or field.type in ("CSRFTokenField", "HiddenField"):
            for message in (messages if isinstance(messages, list | tuple) else [messages]):
                flash(str(message), "danger")
        else:
            labels.append(field.label.text)
    if labels:
        flash(f"未保存：请修改标出的项目（{'、'.join(labels)}）。", "danger")


def refuse(exc, *forms) -> None:
    """A service refused the change (``ServiceError``): its message goes beside the field it names
    when one of ``forms`` has that field, and in the banner, which nothing on the page can hide.
    Every view that re-renders a refused form calls this."""
    name = getattr(exc, "field", None)
    for form in forms:
        if form is None or not name:
            continue
        field = form._fields.get(name) or form._fields.get(f"{name}_id")  # "unit" is the unit_id select
        if field is not None:
            field.errors = [*field.errors, exc.message]
            break
    flash(exc.message, "danger")  # also on top: a form the page no longer shows must not swallow it


def init_app(app):
    inputs.init_app(app)
    app.before_request(page_in_range)
    app.add_template_global(filter_args)
    app.after_request(security_headers)
    app.after_request(finish_transaction)  # registered last, so it runs first
    for code in ERROR_TITLES:
        app.register_error_handler(code, error_page)
    app.register_error_handler(CSRFError, csrf_error)
    app.add_template_filter(timeutil.format_datetime, "dt")
    app.add_template_filter(timeutil.format_date, "d")
    app.add_template_filter(human_size, "filesize")
    app.context_processor(lambda: {"navigation": navigation, "unread_notifications": unread_notifications,
                                   "site_name": site_name})
