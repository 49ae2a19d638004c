"""SMS through the office's HTTP gateway (短信平台).

Gateways differ, so the office describes its own (系统管理 › 短信平台): the URL, the method, a
request template — JSON, or form fields — in which ``{mobile}``, ``{content}``, ``{account}``,
``{password}``, ``{msgid}`` (the stable idempotency key of the message), ``{timestamp}`` and
``{sign}`` (the 短信签名) are filled in, the field of the answer that says it was accepted and its
value, and how many messages a second the gateway takes. The account and password are stored
encrypted. Each SMS is at most 70 characters (one message on every Chinese carrier): the record
and the link (routing.sms_text).

Quiet hours: no SMS between 22:00 and 07:30 (China time) or on a non-working day unless the message
is about overdue work (``urgent``); a message queued then waits until 07:30 of the next working day.
"""
import json
import time
from datetime import datetime, timedelta
from datetime import time as clock
from urllib.parse import parse_qsl, quote, urlencode

from ...extensions import db
from ...secretbox import SecretsUnavailable, decrypt
from ...timeutil import CHINA
from ..models import OutboxMail, Setting
from .base import PERMANENT, Channel, DeliveryError, RateLimit, idempotency_key, register
from .http import client, json_of, request

SETTING = "sms_gateway"
QUIET_FROM, QUIET_UNTIL = clock(22, 0), clock(7, 30)
PLACEHOLDERS = ("mobile", "content", "account", "password", "msgid", "timestamp", "sign")


def gateway() -> dict | None:
    row = db.session.get(Setting, SETTING)
    return row.value if row is not None and row.value and row.value.get("url") else None


def quiet_until(now: datetime) -> datetime | None:
    """When SMS may go again if ``now`` is in quiet hours (22:00–07:30, non-working days), else None."""
    from ...workcal.services import get_calendar

    local = now.astimezone(CHINA)
    calendar = get_calendar()
    if calendar.is_workday(local.date()) and QUIET_UNTIL <= local.time() < QUIET_FROM:
        return None
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=CHINA)


def fill(template: str, values: dict, quote_with) -> str:
    for name in PLACEHOLDERS:
        template = template.replace("{" + name + "}", quote_with(str(values.get(name, ""))))
    return template


def _fill_json(node, values):
    if isinstance(node, str):
        return fill(node, values, str)
    if isinstance(node, list):
        return [_fill_json(n, values) for n in node]
    if isinstance(node, dict):
        return {k: _fill_json(v, values) for k, v in node.items()}
    return node


def build_request(config: dict, values: dict) -> dict:
    """The gateway request for one SMS as ``httpx`` keyword arguments: the URL's placeholders are
    URL-encoded, a JSON template's strings filled in place (no JSON can be injected), form fields
    each filled and encoded."""
    url = fill(config["url"], values, lambda v: quote(v, safe=""))
    method = config.get("method", "POST").upper()
    template = config.get("template", "")
    if config.get("format", "json") == "json":
        return {"method": method, "url": url, "json": _fill_json(json.loads(template or "{}"), values)}
    fields = [(k, fill(v, values, str)) for k, v in parse_qsl(template, keep_blank_values=True)]
    if method == "GET":
        return {"method": method, "url": url + ("&" if "?" in url else "?") + urlencode(fields)}
    return {"method": method, "url": url, "data": dict(fields)}


def field(body: dict, path: str):
    node = body
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class Sms(Channel):
    name, label = "sms", "短信"

    def held(self) -> str | None:
        return None if gateway() else "未配置短信平台，短信保留在发件箱中"

    def open(self):
        return client()

    def close(self, session) -> None:
        session.close()

    def rate_limit(self, row: OutboxMail):
        per_second = int((gateway() or {}).get("per_second") or 10)
        return "sms:gateway", RateLimit(max(per_second, 1), 1.0)

    def not_before(self, row: OutboxMail, now: datetime) -> datetime | None:
        return None if row.urgent else quiet_until(now)

    def send(self, session, row: OutboxMail) -> None:
        config = gateway()
        if config is None:
            raise DeliveryError(PERMANENT, "未配置短信平台")
        if not (row.to_addr or "").strip():
            raise DeliveryError(PERMANENT, f"手机号码为空：短信 #{row.id}“{row.subject}”无法发送，请补充手机号码后重发。")
        try:
            account = decrypt(config["account_encrypted"]) if config.get("account_encrypted") else ""
            password = decrypt(config["password_encrypted"]) if config.get("password_encrypted") else ""
        except SecretsUnavailable as exc:
            raise DeliveryError(PERMANENT, exc.message) from exc
        values = {"mobile": row.to_addr.strip(), "content": row.body_text, "account": account, "password": password,
                  "msgid": idempotency_key(row), "timestamp": int(time.time()), "sign": config.get("sign", "")}
        secrets = (account, password)
        response = request(session, "短信平台", **build_request(config, values), row=row, secrets=secrets)
        body = json_of(response, "短信平台", secrets)
        got = field(body, config.get("success_field") or "code")
        if str(got) != str(config.get("success_value", "0")):
            raise DeliveryError(PERMANENT, f"短信平台拒绝发送（{config.get('success_field') or 'code'} = {got}）",
                                json.dumps(body, ensure_ascii=False)[:500])


register(Sms())
