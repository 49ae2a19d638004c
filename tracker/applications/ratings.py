"""社会评议 (Regulation Art. 47: the public's evaluation of disclosure work): the applicant rates the
reply of a replied application on the status page — 满意, 基本满意 or 不满意, with a reason from a
short list for the last two and an optional comment — once, within ``APPLICATION_RATING_DAYS``
calendar days (default 30, *practice*) after the reply was given (``reply_date``, R9).

Only the applicant, who opened the status page with the tracking code and the query password,
rates; staff never do. The units and the leaders see counts, never who rated: a rating names no
one outside the office. A 不满意 is work for the office (``worklist.py``) until it marks it handled.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import case, func, select

from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..timeutil import china_today, utcnow
from .handling import Forbidden
from .models import RATING_LEVELS, RATING_REASONS, Application, ApplicationRating

COMMENT_MAX = 500
DEFAULT_RATING_DAYS = 30


def rating_days() -> int:
    return int(current_app.config.get("APPLICATION_RATING_DAYS") or DEFAULT_RATING_DAYS)


def rating_of(app: Application) -> ApplicationRating | None:
    return db.session.scalar(select(ApplicationRating).where(ApplicationRating.application_id == app.id))


def rate_until(app: Application) -> date | None:
    """The last day the reply may be rated: ``APPLICATION_RATING_DAYS`` after the reply was given."""
    if app.state != "replied" or app.reply_date is None:
        return None
    return app.reply_date + timedelta(days=rating_days())


def can_rate(app: Application, today: date, existing: ApplicationRating | None = None) -> bool:
    until = rate_until(app)
    return until is not None and today <= until and existing is None


def rate(app: Application, level: str, reason: str | None, comment: str | None, actor=None) -> ApplicationRating:
    """The applicant rates the reply (Art. 47), once, before ``rate_until``. Audited without the
    comment's text (it may name people); the office reads it on the application's page."""
    if actor is not None:
        raise Forbidden("工作人员不能代替申请人评议。")
    today = china_today()
    existing = rating_of(app)
    if existing is not None:
        raise ServiceError("您已评价过本次答复，感谢您的参与。")
    until = rate_until(app)
    if until is None:
        raise ServiceError("申请答复后才能评价。")
    if today > until:
        raise ServiceError(f"评价期限已过（答复后{rating_days()}日内，至{until:%Y-%m-%d}）。")
    if level not in RATING_LEVELS:
        raise ServiceError("请选择满意、基本满意或不满意。", "level")
    reason = reason or None
    if level != "satisfied" and reason not in RATING_REASONS:
        raise ServiceError("请选择主要原因。", "reason")
    if level == "satisfied":
        reason = None
    comment = (comment or "").strip() or None
    if comment and len(comment) > COMMENT_MAX:
        raise ServiceError(f"意见和建议不能超过{COMMENT_MAX}个字符。", "comment")
    rating = ApplicationRating(application_id=app.id, unit_id=app.unit_id, level=level, reason=reason,
                               comment=comment, rated_on=today)
    db.session.add(rating)
    db.session.flush()
    record("application.rate", app, actor=None, after={"level": level, "reason": reason},
           note=RATING_LEVELS[level])
    return rating


def mark_handled(rating: ApplicationRating, note: str, actor) -> None:
    """The office has looked into a 不满意 (called the applicant, asked the unit...): it leaves 待办."""
    if actor is None or actor.role != "office":
        raise Forbidden("只有政务公开办可以处理评议。")
    if rating.handled_at is not None:
        raise ServiceError("该评议已处理。")
    note = (note or "").strip()
    if not note:
        raise ServiceError("请填写处理情况。", "note")
    rating.handled_at, rating.handled_by_id, rating.handled_note = utcnow(), actor.id, note[:1000]
    db.session.flush()
    record("application.rating_handled", rating.application, actor=actor, after={"handled": True}, note=note[:500])


@dataclass
class RatingCounts:
    rated: int = 0
    satisfied: int = 0
    basic: int = 0
    dissatisfied: int = 0
    waiting: int = 0

    @property
    def satisfaction(self) -> str:
        """满意率: (满意 + 基本满意) / 评议数, as the bulletins print rates; "—" with none."""
        if not self.rated:
            return "—"
        return f"{(self.satisfied + self.basic) * 100 / self.rated:.1f}%"


def _n(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def counts_by_unit(start: date | None = None, end: date | None = None, unit_id: int | None = None
                   ) -> dict[int, RatingCounts]:
    """Ratings given between ``start`` and ``end`` (both inclusive; open when None), per unit that
    replied. One query, whatever the number of units."""
    stmt = select(ApplicationRating.unit_id, func.count(), _n(ApplicationRating.level == "satisfied"),
                  _n(ApplicationRating.level == "basic"), _n(ApplicationRating.level == "dissatisfied"),
                  _n((ApplicationRating.level == "dissatisfied") & ApplicationRating.handled_at.is_(None))
                  ).where(ApplicationRating.unit_id.is_not(None)).group_by(ApplicationRating.unit_id)
    if start is not None:
        stmt = stmt.where(ApplicationRating.rated_on >= start)
    if end is not None:
        stmt = stmt.where(ApplicationRating.rated_on <= end)
    if unit_id is not None:
        stmt = stmt.where(ApplicationRating.unit_id == unit_id)
    return {uid: RatingCounts(*(int(v) for v in values)) for uid, *values in db.session.execute(stmt)}


def reasons_of_unit(unit_id: int, start: date | None = None, end: date | None = None) -> list[tuple[str, int]]:
    """How often each reason was given for the unit's 基本满意 and 不满意, most frequent first."""
    stmt = (select(ApplicationRating.reason, func.count()).where(
        ApplicationRating.unit_id == unit_id, ApplicationRating.reason.is_not(None))
        .group_by(ApplicationRating.reason).order_by(func.count().desc()))
    if start is not None:
        stmt = stmt.where(ApplicationRating.rated_on >= start)
    if end is not None:
        stmt = stmt.where(ApplicationRating.rated_on <= end)
    return [(RATING_REASONS.get(r, r), int(n)) for r, n in db.session.execute(stmt)]
