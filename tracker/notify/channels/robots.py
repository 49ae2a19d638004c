"""Group robots: 企业微信 (政务微信) and 钉钉 (浙政钉 and similar) custom robots, one per unit.

A unit's robot gets one markdown message per unit per sweep listing its items (notify/routing.py
composes it). Both platforms accept at most 20 messages a minute per robot: the sender keeps to
that itself (``rate_limit``), it does not wait to be refused. 钉钉 requests are signed: the
timestamp in milliseconds and ``sign`` = Base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")),
URL-encoded, added to the webhook's query.

Answers: ``errcode`` 0 is delivered; "too fast" (企业微信 45009, 钉钉 130101) and "system busy"
(-1) are temporary; anything else (a wrong key or token, a bad signature, a keyword rule) is a
refusal and fails at once, with the platform's own words kept under 技术信息.
"""
import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from ...extensions import db
from ...secretbox import SecretsUnavailable, decrypt, redact
from ..models import OutboxMail, UnitRobot
from .base import PERMANENT, TEMPORARY, Channel, DeliveryError, RateLimit, register
from .http import client, json_of, request

PER_MINUTE = RateLimit(20, 60.0)
# The most a markdown message may carry (企业微信: 4096 bytes; 钉钉 allows more): items beyond fit are counted.
MAX_BYTES = 4000


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉's signature: Base64 of HMAC-SHA256 over "timestamp\\nsecret" keyed with the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Robot(Channel):
    temporary_codes: frozenset[int] = frozenset()

    def __init__(self, name: str, label: str, temporary_codes):
        self.name, self.label, self.temporary_codes = name, label, frozenset(temporary_codes)

    def open(self):
        return client()

    def close(self, session) -> None:
        session.close()

    def rate_limit(self, row: OutboxMail):
        return f"{self.name}:unit:{row.unit_id}", PER_MINUTE

    def _robot(self, row: OutboxMail) -> tuple[str, str | None]:
        robot = db.session.get(UnitRobot, row.unit_id) if row.unit_id else None
        if robot is None or robot.kind != self.name:
            raise DeliveryError(PERMANENT, f"{row.to_addr}：单位未设置{self.label}（或已更换），消息无法发送")
        try:
            return decrypt(robot.webhook_encrypted), decrypt(robot.secret_encrypted) if robot.secret_encrypted else None
        except SecretsUnavailable as exc:
            raise DeliveryError(PERMANENT, exc.message) from exc

    def payload(self, row: OutboxMail) -> dict:
        raise NotImplementedError

    def url(self, webhook: str, secret: str | None) -> str:
        return webhook

    def send(self, session, row: OutboxMail) -> None:
        webhook, secret = self._robot(row)
        secrets = (webhook, webhook.rpartition("=")[2], secret)
        response = request(session, self.label, "POST", self.url(webhook, secret), row, json=self.payload(row),
                           secrets=secrets)
        body = json_of(response, self.label, secrets)
        code = body.get("errcode")
        if code == 0:
            return
        detail = redact(f"errcode {code}: {body.get('errmsg', '')}", *secrets)
        if code in self.temporary_codes:
            raise DeliveryError(TEMPORARY, f"{self.label}暂时拒收（{code}），稍后重试", detail)
        raise DeliveryError(PERMANENT, f"{self.label}拒收（错误码 {code}），请检查单位的机器人设置", detail)


class WeCom(Robot):
    def payload(self, row: OutboxMail) -> dict:
        return {"msgtype": "markdown", "markdown": {"content": row.body_text}}


class DingTalk(Robot):
    def url(self, webhook: str, secret: str | None) -> str:
        if not secret:
            return webhook
        timestamp = int(time.time() * 1000)
        joiner = "&" if "?" in webhook else "?"
        return f"{webhook}{joiner}timestamp={timestamp}&sign={quote_plus(dingtalk_sign(secret, timestamp))}"

    def payload(self, row: OutboxMail) -> dict:
        return {"msgtype": "markdown", "markdown": {"title": row.subject[:60], "text": row.body_text}}


register(WeCom("wecom", "企业微信群机器人", (-1, 45009)))
register(DingTalk("dingtalk", "钉钉群机器人", (-1, 130101)))
