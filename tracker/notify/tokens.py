"""Single-use, expiring links bound to one recipient, for acting straight from an email.

The link shows a confirmation page to the signed-in recipient; the action happens on POST, so a
mail scanner that fetches the link does nothing. Features register what a purpose does.
"""
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from ..accounts.models import User
from ..errors import ServiceError
from ..extensions import db
from ..timeutil import utcnow
from .models import ActionToken


@dataclass(frozen=True)
class TokenAction:
    label: str                                    # e.g. "签收公开任务"
    describe: Callable[[int], str]                # object id -> what the page shows
    perform: Callable[[int, User], str]           # object id, user -> where to go after (a URL)


_actions: dict[str, TokenAction] = {}


def register_token_action(purpose: str, action: TokenAction) -> None:
    _actions[purpose] = action


def action_for(purpose: str) -> TokenAction:
    return _actions[purpose]


class TokenRefused(ServiceError):
    """The link cannot be used; ``status`` is the HTTP answer (404 unknown, 403 not yours, 410 spent)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(purpose: str, object_id: int, user: User, valid_days: int = 14) -> str:
    """Create a token for ``user`` to do ``purpose`` on one record; returns the secret part of the link."""
    if purpose not in _actions:
        raise ValueError(f"unknown token purpose {purpose}")
    token = secrets.token_urlsafe(32)
    db.session.add(ActionToken(token_hash=_hash(token), purpose=purpose, object_id=object_id, user_id=user.id,
                               expires_at=utcnow() + timedelta(days=valid_days)))
    return token


def check_token(token: str, user: User) -> ActionToken:
    """The token if it may be used now by ``user``; a Chinese error otherwise."""
    row = db.session.scalar(select(ActionToken).where(ActionToken.token_hash == _hash(token or "")))
    if row is None:
        raise TokenRefused("链接无效。", 404)
    if row.user_id != user.id:
        raise TokenRefused("此链接是发给其他人的，请使用本人收到的链接，或直接在系统中办理。", 403)
    if row.used_at is not None:
        raise TokenRefused("此链接已经使用过。", 410)
    if row.expires_at < utcnow():
        raise TokenRefused("此链接已过期，请登录系统办理。", 410)
    return row


def redeem_token(token: str, user: User) -> str:
    """Use the token once: mark it used and perform its action; returns where to go next."""
    row = check_token(token, user)
    used = db.session.execute(update(ActionToken).where(ActionToken.id == row.id, ActionToken.used_at.is_(None))
                              .values(used_at=utcnow()))
    if used.rowcount != 1:  # redeemed by a concurrent request a moment ago
        raise TokenRefused("此链接已经使用过。", 410)
    return _actions[row.purpose].perform(row.object_id, user)
