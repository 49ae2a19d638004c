"""Accounts: password hashing, sign-in with throttling, and the account changes the office makes."""
import re
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select

from ..audit.services import changes, record, snapshot
from ..errors import ServiceError
from ..extensions import db
from ..throttle import recent_failures
from ..timeutil import utcnow
from ..units.models import Unit
from .models import ROLES, UNIT_ROLES, LoginAttempt, User, new_session_token

_STRONG = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_FAST = PasswordHasher.from_parameters(profiles.CHEAPEST)  # only when PASSWORD_HASH_FAST (tests)
# Hashes of a random string, checked when the username is unknown so that both paths cost the
# same time and do not reveal which usernames exist.
_DUMMY = {id(h): h.hash(secrets.token_hex(16)) for h in (_STRONG, _FAST)}


def _hasher() -> PasswordHasher:
    return _FAST if current_app.config.get("PASSWORD_HASH_FAST") else _STRONG

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user: User | None, password: str) -> bool:
    hasher = _hasher()
    try:
        return hasher.verify(user.password_hash if user else _DUMMY[id(hasher)], password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def check_password_strength(password: str, username: str = "") -> None:
    """At least 10 characters, mixing letters and digits, and not the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"密码至少需要{MIN_PASSWORD_LENGTH}个字符。", "password")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise ServiceError("密码必须同时包含字母和数字。", "password")
    if username and username.lower() in password.lower():
        raise ServiceError("密码不能包含用户名。", "password")


# --- sign-in -----------------------------------------------------------------------------------

class LoginRefused(ServiceError):
    pass


def authenticate(username: str, password: str, ip: str) -> User:
    """Check a sign-in. Refuses while the account or the address has too many recent failures.

    Every attempt is recorded; the caller commits it whether or not the sign-in succeeded.
    """
    cfg = current_app.config
    username = (username or "").strip().lower()
    minutes = cfg["LOGIN_WINDOW_SECONDS"] // 60
    window = cfg["LOGIN_WINDOW_SECONDS"]
    if recent_failures(LoginAttempt, window, ip=ip) >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        raise LoginRefused(f"此地址登录失败次数过多，请{minutes}分钟后再试。")
    if recent_failures(LoginAttempt, window, reset_by_success=True, username=username) >= \
            cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        raise LoginRefused(f"该账号登录失败次数过多，已暂时锁定，请{minutes}分钟后再试。")
    user = db.session.scalar(select(User).where(User.username == username))
    ok = verify_password(user, password) and user.active
    db.session.add(LoginAttempt(username=username, ip=ip, success=ok))
    if not ok:
        raise ServiceError("用户名或密码错误，或账号已停用。")
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    record("user.login", user, actor=user)
    return user


# --- account changes ---------------------------------------------------------------------------

def _clean_email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ServiceError(f"邮箱格式不正确：{email}", "email") from None
    if len(email) > 200:
        raise ServiceError("邮箱不能超过200个字符。", "email")
    return email


def _clean_display_name(display_name: str | None) -> str:
    display_name = (display_name or "").strip()
    if not display_name:
        raise ServiceError("姓名不能为空。", "display_name")
    if len(display_name) > 60:  # the column's size; the import does not go through the form
        raise ServiceError("姓名不能超过60个字符。", "display_name")
    return display_name


def _clean_phone(phone: str | None) -> str | None:
    phone = (phone or "").strip() or None
    if phone and len(phone) > 40:
        raise ServiceError("电话不能超过40个字符。", "phone")
    return phone


def _check_role_and_unit(role: str, unit: Unit | None) -> None:
    if role not in ROLES:
        raise ServiceError(f"未知角色：{role}", "role")
    if role in UNIT_ROLES and unit is None:
        raise ServiceError(f"{ROLES[role]}必须属于一个单位。", "unit")
    if role in UNIT_ROLES and unit.kind == "office":
        raise ServiceError(f"{ROLES[role]}应属于被监督的镇或部门，而不是公开办。", "unit")
    if unit is not None and not unit.active:
        raise ServiceError(f"单位“{unit.name}”已停用。", "unit")


def create_user(*, username: str, display_name: str, role: str, password: str,
                unit: Unit | None = None, email: str | None = None, phone: str | None = None,
                must_change_password: bool = True) -> User:
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise ServiceError("用户名只能由小写字母、数字、点、下划线和连字符组成，2至60个字符。", "username")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise ServiceError(f"用户名“{username}”已存在。", "username")
    display_name = _clean_display_name(display_name)
    _check_role_and_unit(role, unit)
    check_password_strength(password, username)
    user = User(username=username, display_name=display_name, role=role, unit=unit,
                email=_clean_email(email), phone=_clean_phone(phone),
                password_hash=hash_password(password), must_change_password=must_change_password)
    db.session.add(user)
    db.session.flush()  # the unit and the defaults (active) are set on the row before it is described
    record("user.create", user, after=snapshot(user, User.AUDIT_FIELDS))
    return user


def update_user(user: User, *, display_name: str, role: str, unit: Unit | None,
                email: str | None, phone: str | None) -> User:
    before = snapshot(user, User.AUDIT_FIELDS)
    display_name = _clean_display_name(display_name)
    _check_role_and_unit(role, unit)
    email, phone = _clean_email(email), _clean_phone(phone)
    user.display_name = display_name
    user.role = role
    user.unit = unit
    user.email = email
    user.phone = phone
    db.session.flush()
    old, new = changes(before, snapshot(user, User.AUDIT_FIELDS))
    if new:
        if "role" in new or "unit_id" in new:
            user.session_token = new_session_token()  # new rights take effect at next sign-in
        record("user.update", user, before=old, after=new)
    return user


def set_user_active(user: User, active: bool, actor: User | None = None, reason: str = "") -> None:
    if actor is not None and user.id == actor.id and not active:
        raise ServiceError("不能停用自己的账号。")
    if user.active == active:
        return
    user.active = active
    user.session_token = new_session_token()  # ends the user's open sessions
    record("user.activate" if active else "user.deactivate", user,
           before={"active": not active}, after={"active": active}, note=reason or None)


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    if not verify_password(user, current):
        raise ServiceError("当前密码不正确。", "current")
    if new != confirm:
        raise ServiceError("两次输入的新密码不一致。", "confirm")
    if current == new:
        raise ServiceError("新密码不能与当前密码相同。", "password")
    check_password_strength(new, user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_token = new_session_token()  # other sessions end; the caller signs in again
    record("user.password_change", user, actor=user)


def reset_password(user: User) -> str:
    """Office resets a password: a random temporary one, to be changed at next sign-in."""
    temporary = generate_password()
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.session_token = new_session_token()
    record("user.password_reset", user)
    return temporary


def generate_password() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
    digits = "23456789"
    body = "".join(secrets.choice(alphabet + digits) for _ in range(10))
    return body + secrets.choice(digits) + secrets.choice(alphabet)


def load_user(session_id: str) -> User | None:
    """Flask-Login loader: the session id carries the user's current session token."""
    user_id, _, token = (session_id or "").partition(".")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def counts_by_role() -> list[tuple[str, int]]:
    """Active accounts per role, for the users page."""
    from sqlalchemy import func
    got = dict(db.session.execute(
        select(User.role, func.count()).where(User.active.is_(True)).group_by(User.role)).all())
    return [(label, got.get(role, 0)) for role, label in ROLES.items()]
