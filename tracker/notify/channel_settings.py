"""The settings behind the channels: a unit's group robot and its people's mobile numbers, each
user's channel per kind of message, and the office's SMS gateway.

Secrets (the robot's webhook and signing secret, the gateway's account and password) are stored
encrypted (secretbox) and never leave this module in clear except to the sender: the pages show
them masked, the audit log records only that they changed.
"""
import json
import re
from urllib.parse import urlsplit

from ..audit.services import record
from ..errors import ServiceError
from ..extensions import db
from ..secretbox import decrypt, encrypt, mask
from ..timeutil import utcnow
from .channels.sms import PLACEHOLDERS, SETTING, gateway
from .models import Setting, UnitRobot, UserChannels
from .routing import CHOICES, KINDS, forget_routes, routes

ROBOT_KINDS = {"": "不使用群机器人", "wecom": "企业微信（政务微信）群机器人", "dingtalk": "钉钉（浙政钉）自定义机器人"}
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def _url(value: str, field: str) -> str:
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ServiceError("请填写完整的网址（以 http:// 或 https:// 开头）。", field)
    return value


def mobile_or_none(value: str | None, field: str = "mobile") -> str | None:
    value = re.sub(r"[\s-]", "", value or "")
    if not value:
        return None
    if not MOBILE.match(value):
        raise ServiceError("手机号码应为11位数字，以1开头。", field)
    return value


# --- a unit's robot -------------------------------------------------------------------------------

def robot_summary(unit_id: int) -> dict:
    """What a page may show of a unit's robot: its kind and the webhook masked."""
    robot = db.session.get(UnitRobot, unit_id)
    if robot is None:
        return {"kind": "", "webhook": "", "has_secret": False}
    try:
        webhook = mask(decrypt(robot.webhook_encrypted), keep=6)
    except ServiceError as exc:
        webhook = exc.message
    return {"kind": robot.kind, "webhook": webhook, "has_secret": bool(robot.secret_encrypted)}


def save_unit_robot(unit, kind: str, webhook: str, secret: str, actor) -> str:
    """Set, change or remove the unit's robot. A blank webhook or secret keeps the stored one."""
    if kind not in ROBOT_KINDS:
        raise ServiceError("请选择群机器人类型。", "robot_kind")
    robot = db.session.get(UnitRobot, unit.id)
    if not kind:
        if robot is not None:
            db.session.delete(robot)
            record("unit.robot_remove", object_type="unit", object_id=unit.id, object_label=unit.name,
                   before={"群机器人": ROBOT_KINDS[robot.kind]}, after={"群机器人": "不使用"}, actor=actor)
        forget_routes()
        return "已停用本单位的群机器人，提醒改为按各人的邮件设置发送。"
    changed = []
    if robot is None:
        if not webhook.strip():
            raise ServiceError("请填写群机器人的 Webhook 地址。", "webhook")
        robot = UnitRobot(unit_id=unit.id, kind=kind, webhook_encrypted="")
        db.session.add(robot)
    before_kind = robot.kind
    robot.kind = kind
    if webhook.strip():
        robot.webhook_encrypted = encrypt(_url(webhook, "webhook"))
        changed.append("Webhook 地址")
    if kind == "dingtalk" and secret.strip():
        robot.secret_encrypted = encrypt(secret.strip())
        changed.append("加签密钥")
    if kind == "wecom":
        robot.secret_encrypted = None
    robot.updated_by_id, robot.updated_at = getattr(actor, "id", None), utcnow()
    record("unit.robot", object_type="unit", object_id=unit.id, object_label=unit.name,
           before={"群机器人": ROBOT_KINDS.get(before_kind or "", "")},
           after={"群机器人": ROBOT_KINDS[kind], "更改": "、".join(changed) or "无（密钥保持不变）"}, actor=actor)
    forget_routes()
    return f"已保存本单位的{ROBOT_KINDS[kind]}设置（密钥已加密保存）。"


def save_mobiles(unit, people, values: dict[int, str], actor) -> None:
    """The mobile numbers of the unit's contacts and reviewers, for SMS."""
    found = {}
    for person in people:
        found[person.id] = mobile_or_none(values.get(person.id), f"mobile_{person.id}")
    changed = {}
    for person in people:
        row = db.session.get(UserChannels, person.id)
        old = row.mobile if row else None
        if old == found[person.id]:
            continue
        if row is None:
            row = UserChannels(user_id=person.id, choices={})
            db.session.add(row)
        row.mobile = found[person.id]
        changed[person.display_name] = "已更改" if found[person.id] else "已删除"
    if changed:
        record("unit.mobiles", object_type="unit", object_id=unit.id, object_label=unit.name,
               after={"手机号码": changed}, actor=actor)
    forget_routes()


# --- each user's channels --------------------------------------------------------------------------

def choices_of(user) -> tuple[dict, str]:
    row = routes().people.get(user.id)
    return {kind: ((row.choices or {}).get(kind, "email") if row else "email") for kind in KINDS}, \
        (row.mobile or "") if row else ""


def available_choices(user) -> dict[str, str]:
    """The channels this user can choose now: email and the bell always; the unit's robot when it
    has one; SMS when the office has a gateway."""
    known = routes()
    names = dict(CHOICES)
    if user.unit_id not in known.robots:
        names.pop("robot")
    if not known.sms_ready:
        names.pop("sms")
    return names


def save_choices(user, chosen: dict[str, str], mobile: str) -> None:
    allowed = available_choices(user)
    clean = {}
    for kind in KINDS:
        value = chosen.get(kind, "email")
        if value not in allowed:
            raise ServiceError(f"“{KINDS[kind]}”的提醒方式不可用：{CHOICES.get(value, value)}。", f"channel_{kind}")
        clean[kind] = value
    number = mobile_or_none(mobile)
    if "sms" in clean.values() and not number:
        raise ServiceError("选择短信提醒时请填写手机号码。", "mobile")
    row = db.session.get(UserChannels, user.id)
    if row is None:
        row = UserChannels(user_id=user.id)
        db.session.add(row)
    row.choices, row.mobile = clean, number
    forget_routes()


# --- the office's SMS gateway ---------------------------------------------------------------------

GATEWAY_FIELDS = ("url", "method", "format", "template", "success_field", "success_value", "sign", "per_second")


def gateway_summary() -> dict:
    config = dict(gateway() or {})
    for name in ("account", "password"):
        token = config.pop(f"{name}_encrypted", None)
        try:
            config[name] = mask(decrypt(token)) if token else ""
        except ServiceError as exc:
            config[name] = exc.message
    return config


def save_gateway(values: dict, actor) -> None:
    """Save the SMS gateway (a blank account or password keeps the stored one); an empty URL
    turns SMS off (messages chosen for SMS go by email)."""
    row = db.session.get(Setting, SETTING) or Setting(key=SETTING, value={})
    before = dict(row.value or {})
    if not (values.get("url") or "").strip():
        row.value = {}
    else:
        config = {k: (values.get(k) or "").strip() for k in GATEWAY_FIELDS}
        config["url"] = _url(config["url"], "url")
        if config["method"] not in ("POST", "GET"):
            raise ServiceError("请求方式应为 POST 或 GET。", "method")
        if config["format"] not in ("json", "form"):
            raise ServiceError("请求格式应为 JSON 或表单。", "format")
        if config["format"] == "json":
            try:
                json.loads(config["template"] or "{}")
            except ValueError:
                raise ServiceError("请求模板不是有效的 JSON。", "template") from None
        if "{mobile}" not in config["template"] + config["url"] or "{content}" not in config["template"] + config["url"]:
            raise ServiceError("请求模板中应包含 {mobile} 和 {content}（可用：" +
                               "、".join("{" + p + "}" for p in PLACEHOLDERS) + "）。", "template")
        if not config["success_field"]:
            raise ServiceError("请填写表示发送成功的返回字段，如 code。", "success_field")
        rate = config["per_second"]
        if not (rate.isascii() and rate.isdigit()) or not 1 <= int(rate) <= 1000:
            raise ServiceError("每秒发送条数应为1到1000之间的整数。", "per_second")
        config["per_second"] = int(rate)
        if len(config["sign"]) > 12:
            raise ServiceError("短信签名不超过12个字。", "sign")
        for name in ("account", "password"):
            typed = (values.get(name) or "").strip()
            config[f"{name}_encrypted"] = encrypt(typed) if typed else before.get(f"{name}_encrypted")
        row.value = config
    row.updated_by_id, row.updated_at = getattr(actor, "id", None), utcnow()
    db.session.add(row)
    record("settings.sms_gateway", object_type="setting", object_id=SETTING, object_label="短信平台",
           before={"短信平台": urlsplit(before.get("url") or "").netloc or "未配置"},
           after={"短信平台": urlsplit((row.value or {}).get("url") or "").netloc or "未配置",
                  "账号或密码": "已更改" if values.get("account") or values.get("password") else "未更改"},
           actor=actor)
    forget_routes()
