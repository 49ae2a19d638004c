"""What the HTTP channels (group robots, the SMS gateway) share: one client per run, a JSON or
form request, and what an HTTP failure costs. Secrets are redacted from every detail kept."""
import httpx
from flask import current_app

from ...secretbox import redact
from .base import CONNECTION, PERMANENT, TEMPORARY, DeliveryError, idempotency_key


def client() -> httpx.Client:
    """A client for one run: the mail timeout, no proxy unless ``TRACKER_OUTBOUND_PROXY`` names one."""
    cfg = current_app.config
    return httpx.Client(timeout=cfg.get("MAIL_TIMEOUT_SECONDS", 20), trust_env=False,
                        proxy=cfg.get("OUTBOUND_PROXY") or None, follow_redirects=False)


def request(session: httpx.Client, who: str, method: str, url: str, row, *, secrets=(), **kw) -> httpx.Response:
    """Send one request; a transport failure or a 502/503/504 is ``connection`` (the service's
    outage), a 429 or other 5xx ``temporary``, any other 4xx ``permanent``."""
    headers = {"X-Tracker-Idempotency-Key": idempotency_key(row), **kw.pop("headers", {})}
    try:
        response = session.request(method, url, headers=headers, **kw)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise DeliveryError(CONNECTION, f"{who}无法连接：连接被拒绝或超时", redact(f"{type(exc).__name__}: {exc}", *secrets),
                            unreached=True)
    except httpx.TimeoutException as exc:
        raise DeliveryError(CONNECTION, f"{who}无法连接：连接超时", redact(f"{type(exc).__name__}: {exc}", *secrets))
    except httpx.TransportError as exc:
        raise DeliveryError(CONNECTION, f"{who}无法连接：连接被拒绝或网络错误",
                            redact(f"{type(exc).__name__}: {exc}", *secrets))
    status = response.status_code
    if status >= 400:
        detail = redact(f"HTTP {status}: {response.text[:500]}", *secrets)
        if status in (502, 503, 504):
            raise DeliveryError(CONNECTION, f"{who}暂时不可用（HTTP {status}）", detail)
        if status == 429 or status >= 500:
            raise DeliveryError(TEMPORARY, f"{who}暂时无法处理（HTTP {status}），稍后重试", detail)
        raise DeliveryError(PERMANENT, f"{who}拒绝了请求（HTTP {status}），请检查配置", detail)
    return response


def json_of(response: httpx.Response, who: str, secrets=()) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DeliveryError(PERMANENT, f"{who}返回的内容无法识别", redact(response.text[:500], *secrets))
    return body
