"""Where a notification goes besides the bell: by email, to the unit's group robot, by SMS, or
nowhere else — as each user chose per kind of message (notify/views.py, 提醒方式).

With nothing configured every kind goes by email, as before: a choice of robot needs the unit's
robot (单位群机器人), a choice of SMS needs the office's SMS gateway and the user's mobile number;
when either is missing the message goes by email instead. Messages to a unit's robot are not sent
one by one: each becomes a ``RobotItem``, and the sender composes one message per unit per sweep
listing its items (``compose_robot_messages``). An SMS is at most 70 characters, the record and
the link (``sms_text``), and waits out quiet hours unless it is about overdue work.
"""
import hashlib
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, g
from sqlalchemy import select, update

from .. import sweeps
from ..extensions import db
from ..timeutil import to_china, utcnow
from .models import CHANNEL_LABELS, OutboxMail, RobotItem, Setting, UnitRobot, UserChannels

# A unit whose grouped robot message could not be composed is named on the 系统运行状况 page.
sweeps.register_record_type("unit", "单位", "units.profile", "unit_id")

# Kinds of message a user chooses a channel for; every other notification is "other".
KINDS = {
    "new_task": "新公开任务（含未签收提醒）",
    "due_soon": "即将到期、今日到期",
    "overdue": "已逾期、逾期督办",
    "application_routed": "依申请公开申请分办到本单位",
    "rectification_due": "整改通知与整改期限提醒",
    "bulletin_published": "季度通报发布",
    "other": "其他通知（审核、考核、年报等）",
}
CHOICES = {"email": "邮件", "robot": "单位群机器人", "sms": "短信", "bell": "仅站内消息"}
SMS_LIMIT = 70           # characters in one SMS on every Chinese carrier
ROBOT_LINES = 40         # items listed in one robot message; the rest are counted


@dataclass
class Routes:
    """What routing needs to know, read once per request or sweep."""

    robots: dict[int, str]            # unit id -> robot kind
    sms_ready: bool
    people: dict[int, UserChannels]


def routes() -> Routes:
    if "notify_routes" not in g:
        from .channels.sms import gateway

        g.notify_routes = Routes(dict(db.session.execute(select(UnitRobot.unit_id, UnitRobot.kind)).all()),
                                 gateway() is not None,
                                 {row.user_id: row for row in db.session.scalars(select(UserChannels))})
    return g.notify_routes


def forget_routes() -> None:
    """After a change of robots, gateway or choices in this request."""
    g.pop("notify_routes", None)


def choice_of(user, kind: str) -> str:
    """The channel the user chose for ``kind`` ("email" unless they chose otherwise)."""
    row = routes().people.get(user.id)
    return (row.choices or {}).get(kind, "email") if row else "email"


def channel_for(user, kind: str) -> str:
    """The channel a message of ``kind`` to ``user`` goes by now: their choice when it can be
    delivered, else email."""
    choice, known = choice_of(user, kind), routes()
    if choice == "robot" and user.unit_id not in known.robots:
        return "email"
    if choice == "sms" and not (known.sms_ready and (known.people.get(user.id) and known.people[user.id].mobile)):
        return "email"
    return choice


def sms_text(title: str, link: str | None, sign: str = "") -> str:
    """One SMS of at most 70 characters: the 签名, what it is about (shortened) and the link."""
    from .messages import absolute

    link = absolute(link) or current_app.config["BASE_URL"]
    head = f"【{sign}】" if sign else ""
    if len(head) + len(link) > SMS_LIMIT - 12:
        head = ""
    what = re.sub(r"^【(.+?)】", r"\1：", " ".join(title.split()))
    room = SMS_LIMIT - len(head) - len(link) - 1
    if len(what) > room:
        what = what[:room - 1] + "…"
    return f"{head}{what} {link}"[:SMS_LIMIT]


def deliveries(user, message, *, key: str | None, kind: str, urgent: bool, digest_held: bool) -> list:
    """The rows a notification adds beyond the bell: ``[(model, values)]`` for ``insert_new``."""
    from .channels.sms import gateway, quiet_until
    from .messages import absolute, mail_values

    channel = channel_for(user, kind)
    if channel == "email":
        return [(OutboxMail, mail_values(user.email, message, user=user, key=key and f"mail:{key}"))] \
            if user.email and not digest_held else []
    if channel == "sms":
        now = utcnow()
        text = sms_text(message.title, message.link, (gateway() or {}).get("sign", ""))
        return [(OutboxMail, dict(
            key=key and f"sms:{key}", channel="sms", user_id=user.id, to_addr=routes().people[user.id].mobile,
            subject=" ".join(message.title.split())[:300], body_text=text, body_html="", link=absolute(message.link),
            status="queued", attempts=0, urgent=urgent, created_at=now,
            next_attempt_at=(None if urgent else quiet_until(now)) or now))]
    if channel == "robot":
        return [(RobotItem, dict(key=f"robot:{key or secrets.token_hex(12)}", unit_id=user.unit_id, kind=kind,
                                 title=" ".join(message.title.split())[:300],
                                 link=absolute(message.shared_link or message.link),
                                 urgent=urgent, created_at=utcnow()))]
    return []


def add(rows: list) -> None:
    """Insert ``deliveries`` rows in the current transaction (a row whose key exists is skipped)."""
    from .messages import insert_new

    by_model = defaultdict(list)
    for model, values in rows:
        by_model[model].append(values)
    for model, values in by_model.items():
        keyed = [v for v in values if v.get("key")]
        if keyed:
            insert_new(model, keyed)
        for v in values:
            if not v.get("key"):
                db.session.add(model(**v))


# --- one robot message per unit per sweep -----------------------------------------------------------

def _heading(title: str) -> tuple[str, str]:
    match = re.match(r"【(.+?)】(.*)", title)
    return (match.group(1), match.group(2)) if match else ("提醒", title)


def robot_text(unit_name: str, items: list[RobotItem], now: datetime) -> tuple[str, str]:
    """The subject and markdown body of a unit's grouped robot message."""
    from .channels.robots import MAX_BYTES
    from .messages import absolute

    lines_by_heading: dict[str, list[str]] = defaultdict(list)
    seen = set()
    for item in items:
        if (item.link or item.title) in seen:
            continue  # the same record for two people of the unit (已逾期, 逾期督办): one line in the group
        seen.add(item.link or item.title)
        heading, what = _heading(item.title)
        lines_by_heading[heading].append(f"- [{what}]({item.link})" if item.link else f"- {what}")
    total = len(seen)
    subject = f"【政务公开提醒】{unit_name}：{total} 项需要关注"
    body = [f"**{subject}**", f"截至 {to_china(now):%Y-%m-%d %H:%M}："]
    size, listed = sum(len(line.encode()) for line in body), 0
    for heading, lines in lines_by_heading.items():
        body.append(f"**{heading}（{len(lines)} 项）**")
        for line in lines:
            if listed >= ROBOT_LINES or size + len(line.encode()) > MAX_BYTES - 200:
                break
            body.append(line)
            size, listed = size + len(line.encode()) + 1, listed + 1
    if listed < total:
        body.append(f"……另有 {total - listed} 项，请登录平台查看。")
    body.append(f"[登录政务公开监督平台办理]({absolute('/dashboard')})")
    return subject, "\n".join(body)


def compose_robot_messages(now: datetime | None = None) -> int:
    """Every unit's pending robot items become one outbox message for the unit's robot. Two
    senders composing at once: the items are taken compare-and-set, so each is sent once.
    Returns how many messages were composed."""
    from ..units.models import Unit

    now = now or utcnow()
    pending = db.session.scalars(select(RobotItem).where(RobotItem.outbox_id.is_(None))
                                 .order_by(RobotItem.unit_id, RobotItem.id)).all()
    if not pending:
        return 0
    by_unit: dict[int, list[RobotItem]] = defaultdict(list)
    for item in pending:
        by_unit[item.unit_id].append(item)
    composed = 0
    for unit_id, items in by_unit.items():
        unit = db.session.get(Unit, unit_id)
        robot = db.session.get(UnitRobot, unit_id)
        channel = robot.kind if robot else "wecom"
        try:
            with sweeps.savepoint():
                subject, body = robot_text(unit.name if unit else str(unit_id), items, now)
                digest = hashlib.sha1(",".join(str(i.id) for i in items).encode()).hexdigest()[:16]
                message = OutboxMail(key=f"robot:{unit_id}:{digest}", channel=channel, unit_id=unit_id,
                                     to_addr=f"{unit.name if unit else unit_id} · {CHANNEL_LABELS[channel]}",
                                     subject=subject, body_text=body, body_html="", link=None, status="queued",
                                     attempts=0, urgent=any(i.urgent for i in items), next_attempt_at=now,
                                     created_at=now)
                db.session.add(message)
                db.session.flush()
                taken = db.session.execute(update(RobotItem).where(
                    RobotItem.id.in_([i.id for i in items]), RobotItem.outbox_id.is_(None))
                    .values(outbox_id=message.id))
                if taken.rowcount != len(items):  # another sender composed (some of) them meanwhile
                    raise _Taken()
        except _Taken:
            continue
        except Exception as exc:  # noqa: BLE001 - one unit's message never stops the others'
            sweeps.row_failed("unit", unit_id, f"{unit.name if unit else unit_id}（群机器人消息）", exc)
            continue
        composed += 1
    db.session.commit()
    return composed


class _Taken(Exception):
    """Rolls back one unit's message whose items another sender took first."""


def sms_gateway_setting() -> Setting | None:
    return db.session.get(Setting, "sms_gateway")
