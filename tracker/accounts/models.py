import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, utcnow
from ..units.models import Unit

ROLES = {
    "office": "公开办工作人员",
    "reviewer": "审核人",
    "contact": "联络员",
    "leader": "领导",
}
# Roles whose holders work inside one unit and see only that unit's records.
UNIT_ROLES = ("reviewer", "contact")


def new_session_token() -> str:
    return secrets.token_hex(8)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    # Part of the login session id: rotating it (password change, deactivation) ends every session.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # "individual": a mail per reminder; "digest": one weekly digest (escalations always come singly).
    mail_mode: Mapped[str] = mapped_column(String(12), default="individual", server_default="individual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit | None] = relationship(lazy="joined")

    AUDIT_FIELDS = ("username", "display_name", "email", "phone", "role", "unit_id", "active")

    # Flask-Login
    def get_id(self) -> str:
        return f"{self.id}.{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def sees_all_units(self) -> bool:
        """Office staff and leadership see every unit; unit staff only their own (domain §1)."""
        return self.role in ("office", "leader")

    def __str__(self) -> str:
        return f"{self.display_name}（{self.username}）"


class LoginAttempt(db.Model):
    """One login attempt, kept for throttling per account and per address."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(60))
    ip: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(Boolean)
