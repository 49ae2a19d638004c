"""Who may ask for what.

Every view declares a rule with ``@allow(...)`` or ``@public``; one ``before_request`` hook
enforces it, and a view without a rule is refused (and fails the access-matrix test). Object-level
visibility goes through ``scope`` / ``get_visible``: unit staff only ever see their own unit.
"""
from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from .extensions import db, login_manager

PUBLIC = "public"
ALL_STAFF = ("office", "reviewer", "contact", "leader")

# Endpoints a user who must change their password can still reach.
_PASSWORD_CHANGE_ENDPOINTS = {"accounts.change_password", "accounts.logout", "static"}


def allow(*roles: str):
    """Only signed-in staff with one of ``roles`` may call this view."""
    unknown = set(roles) - set(ALL_STAFF)
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view):
        view.access_rule = frozenset(roles)
        return view

    return decorate


def public(view):
    """Anyone, signed in or not, may call this view."""
    view.access_rule = PUBLIC
    return view


def rule_for(endpoint: str):
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def enforce_access():
    """``before_request``: apply the declared rule of the endpoint being called."""
    if request.endpoint is None:  # no route matched: the 404 handler answers
        return None
    rule = rule_for(request.endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s has no access rule; refused", request.endpoint)
        abort(403)
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.must_change_password and request.endpoint not in _PASSWORD_CHANGE_ENDPOINTS:
        return redirect(url_for("accounts.change_password"))
    if current_user.role not in rule:
        abort(403)
    return None


def can_see_unit(unit_id: int | None, user=None) -> bool:
    user = user or current_user
    return user.sees_all_units or (unit_id is not None and unit_id == user.unit_id)


def scope(stmt, model, user=None):
    """Restrict a SELECT on ``model`` (which has ``unit_id``) to the units ``user`` may see."""
    user = user or current_user
    if user.sees_all_units:
        return stmt
    return stmt.where(model.unit_id == user.unit_id)


def get_visible(model, object_id, options=()):
    """The record, or 404 when it does not exist or belongs to a unit the user may not see.
    ``options``: loader options for what the page shows of it (e.g. a joined parent)."""
    obj = db.session.get(model, object_id, options=options)
    if obj is None or not can_see_unit(obj.unit_id):
        abort(404)
    return obj


def is_local_path(target: str | None) -> bool:
    """True for a path on this site. Browsers drop tabs and line breaks from a URL and read a
    backslash as a slash, so "/<tab>/evil.example" would leave the site; such targets are refused."""
    return bool(target) and target.startswith("/") and not target.startswith("//") and not any(
        c == "\\" or ord(c) < 32 or ord(c) == 127 for c in target)


def returns_to(default_endpoint: str, **values) -> str:
    """A safe local redirect target from ``?next=``, else ``default_endpoint``."""
    target = request.args.get("next") or request.form.get("next")
    if is_local_path(target):
        return target
    return url_for(default_endpoint, **values)
