from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import or_, select

from ..access import ALL_STAFF, allow, public, returns_to
from ..errors import ServiceError
from ..extensions import db
from ..inputs import query_id
from ..units.models import Unit
from ..units.services import active_units, grouped_choices
from ..web import filter_names, form_errors, refuse
from . import services
from .forms import ChangePasswordForm, LoginForm, ReasonForm, UserForm
from .models import ROLES, User

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, request.remote_addr or "-")
        except services.LoginRefused as exc:
            flash(exc.message, "danger")
            status = 429
        except ServiceError as exc:
            flash(exc.message, "danger")  # the failed attempt is committed for throttling
        else:
            login_user(user)
            return redirect(returns_to("dashboard.index"))
    elif request.method == "POST":
        form_errors(form)
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@allow(*ALL_STAFF)
def logout():
    services.end_sessions(current_user._get_current_object(), "user.logout")
    logout_user()
    session.clear()
    flash("您已安全退出。", "success")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@allow(*ALL_STAFF)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current.data, form.password.data, form.confirm.data)
        except ServiceError as exc:
            refuse(exc, form)
            return render_template("accounts/change_password.html", form=form), 422
        login_user(user)  # the session id changed with the new token
        flash("密码已修改。", "success")
        return redirect(url_for("dashboard.index"))
    if request.method == "POST":
        form_errors(form)
        return render_template("accounts/change_password.html", form=form), 422
    return render_template("accounts/change_password.html", form=form)


# --- office: user administration ---------------------------------------------------------------

@bp.route("/admin/users")
@allow("office")
@filter_names("q", "role", "unit")
def users():
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    unit_id = query_id("unit")
    stmt = select(User).outerjoin(User.unit).order_by(User.active.desc(), Unit.code, User.username)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    if unit_id:
        stmt = stmt.where(User.unit_id == unit_id)
    page = db.paginate(stmt, per_page=30, error_out=False)
    return render_template("accounts/users.html", page=page, q=q, role=role, unit_id=unit_id,
                           roles=ROLES, units=active_units(), counts=services.counts_by_role())


def _unit_choices():
    return grouped_choices(active_units(), empty=(0, "（无）"))


def _unit_from(form) -> Unit | None:
    if not form.unit_id.data:
        return None
    unit = db.session.get(Unit, form.unit_id.data)
    if unit is None:
        raise ServiceError("所选单位不存在。", "unit_id")
    return unit


@bp.route("/admin/users/new", methods=["GET", "POST"])
@allow("office")
def new_user():
    form = UserForm()
    form.unit_id.choices = _unit_choices()
    if form.validate_on_submit():
        password = form.password.data or services.generate_password()
        try:
            user = services.create_user(
                username=form.username.data, display_name=form.display_name.data, role=form.role.data,
                unit=_unit_from(form), email=form.email.data, phone=form.phone.data, password=password)
        except ServiceError as exc:
            refuse(exc, form)
            return render_template("accounts/user_form.html", form=form, user=None), 422
        if form.password.data:
            flash(f"已创建用户 {user.username}，首次登录需修改密码。", "success")
            return redirect(url_for("accounts.users"))
        return _temporary_password_page(user, password, f"已创建用户 {user.username}，首次登录需修改密码。")
    if request.method == "POST":
        form_errors(form)
        return render_template("accounts/user_form.html", form=form, user=None), 422
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@allow("office")
def edit_user(user_id):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user if request.method == "GET" else None)
    form.unit_id.choices = _unit_choices()
    if request.method == "GET":
        form.unit_id.data = user.unit_id or 0
    del form.username, form.password
    if form.validate_on_submit():
        try:
            services.update_user(user, display_name=form.display_name.data, role=form.role.data,
                                 unit=_unit_from(form), email=form.email.data, phone=form.phone.data)
        except ServiceError as exc:
            refuse(exc, form)
            return render_template("accounts/user_form.html", form=form, user=user), 422
        flash("用户信息已保存。", "success")
        return redirect(url_for("accounts.users"))
    if request.method == "POST":
        form_errors(form)
        return render_template("accounts/user_form.html", form=form, user=user), 422
    return render_template("accounts/user_form.html", form=form, user=user, reason_form=ReasonForm())


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@allow("office")
def set_active(user_id):
    user = db.session.get(User, user_id) or abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("accounts.edit_user", user_id=user.id)), 303
    active = request.form.get("active") == "1"
    try:
        services.set_user_active(user, active, actor=current_user, reason=form.reason.data)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("accounts.edit_user", user_id=user.id)), 303
    flash("账号已启用。" if active else "账号已停用，该用户的登录会话已全部失效。", "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
@allow("office")
def reset_password(user_id):
    user = db.session.get(User, user_id) or abort(404)
    if not ReasonForm().validate_on_submit():
        abort(400)
    temporary = services.reset_password(user)
    return _temporary_password_page(user, temporary, f"已重置 {user.username} 的密码，用户下次登录须修改。")


def _temporary_password_page(user: User, password: str, message: str):
    """The temporary password, on the answer to the POST that set it and nowhere else (a flash
    would carry it in the session cookie, which is signed but readable)."""
    return render_template("one_time_secret.html", heading="临时密码", message=message,
                           details=[("用户名", user.username)], secret_label="临时密码", secret=password,
                           audience="该用户", next_url=url_for("accounts.edit_user", user_id=user.id),
                           next_label="返回用户信息")
