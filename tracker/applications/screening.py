"""Screening online submissions (网上申请): the city-wide rate beyond which the form asks an
arithmetic question (``challenge.py``), and the office marking junk submissions as such.

Six an hour from one address holds one sender back (``registration.submit_online``); many
addresses together are held back here: once more than ``APPLY_GLOBAL_PER_HOUR`` online
applications arrived in the last hour, each further one must answer a question signed by the app
(good for ``APPLY_CHALLENGE_SECONDS``, once). A used question's id is kept on the submission's
audit record (``application.submit_online``), which is where a replay is looked for. The look is
a read, not a unique key: two submissions racing with one answer in the same instant may both pass
(a handful at most, each still held by the per-address limit), which keeps the schema as it is.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..audit.models import AuditEvent
from ..errors import ServiceError
from ..extensions import db
from ..throttle import recent_rows
from ..timeutil import utcnow
from .challenge import Challenge, ChallengeFailed, check_answer, new_challenge
from .handling import _actor, _require, _transition
from .models import Application

CHALLENGE_NOTE = "人机验证通过："
DISCARD_STATE = "discarded"
CHALLENGE_MESSAGES = {
    "missing": "近期网上申请较多，为防止自动批量提交，请先回答下方的验证问题再提交。您填写的内容已保留。",
    "wrong": "验证问题的答案不正确，请回答新的验证问题后再提交。您填写的内容已保留。",
    "expired": "验证问题已过期，请回答新的验证问题后再提交。您填写的内容已保留。",
    "bad": "验证问题无效，请回答新的验证问题后再提交。您填写的内容已保留。",
    "used": "该验证问题已经使用过，请回答新的验证问题后再提交。您填写的内容已保留。",
}


class ChallengeRequired(ServiceError):
    """The submission must (again) answer a question; ``challenge`` is the new one to ask."""

    def __init__(self, reason: str, challenge: Challenge):
        super().__init__(CHALLENGE_MESSAGES[reason], "challenge_answer")
        self.reason, self.challenge = reason, challenge


def challenge_needed() -> bool:
    """Whether online applications in the last hour, city-wide, reached ``APPLY_GLOBAL_PER_HOUR``."""
    limit = current_app.config.get("APPLY_GLOBAL_PER_HOUR", 60)
    return recent_rows(Application, 3600, time_column="created_at", online=True) >= limit


def ask() -> Challenge:
    return new_challenge(current_app.config["SECRET_KEY"])


def passed_challenge(token: str | None, answer: str | None) -> str | None:
    """Nothing while the city-wide rate is not reached; else the id of the question ``answer``
    rightly solves for the first time, to be noted on the submission's audit record. Raises
    ``ChallengeRequired`` (with a new question) otherwise."""
    if not challenge_needed():
        return None
    max_age = current_app.config.get("APPLY_CHALLENGE_SECONDS", 30 * 60)
    try:
        challenge_id = check_answer(current_app.config["SECRET_KEY"], token or "", answer or "", max_age)
    except ChallengeFailed as failed:
        raise ChallengeRequired(failed.reason, ask()) from None
    since = utcnow() - timedelta(seconds=max_age + 60)
    used = db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.at >= since, AuditEvent.action == "application.submit_online",
        AuditEvent.note == CHALLENGE_NOTE + challenge_id).limit(1))
    if used is not None:
        raise ChallengeRequired("used", ask())
    return challenge_id


def discard_online(apps: list[Application], reason: str, actor=None) -> int:
    """The office marks online submissions still 待确认 as junk (无效申请（垃圾提交）): never
    received, so no receipt date, no clock and no count in the statistics; each is audited with why."""
    actor = _actor(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请说明标记为无效申请的理由。", "reason")
    if not apps:
        raise ServiceError("请先勾选要标记的网上申请。")
    for app in apps:
        _require(app, actor, roles=("office",), states=("pending",))
        if not app.online:
            raise ServiceError(f"申请 {app.tracking_code} 不是网上提交的申请。")
    for app in apps:
        _transition(app, DISCARD_STATE, "discard", note=reason[:500])
    return len(apps)
