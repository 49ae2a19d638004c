"""Settings of the website inspection: what the office decides (the allow-list of government
domains, automatic verification, cadences, bounds) in a ``Setting`` row, and what the people
running the server decide (timeouts, concurrency, proxy, private addresses) in the configuration
(``TRACKER_WEBSITE_*``, see README › Configuration)."""
from __future__ import annotations

from flask import current_app

from ..audit.services import changes, record
from ..errors import ServiceError
from ..extensions import db
from ..notify.models import Setting
from ..timeutil import utcnow
from .net import DEFAULT_USER_AGENT, CrawlSettings, host_allowed

SETTINGS_KEY = "website"
DEFAULTS = {
    # 政府网站 domains the crawler may read: a host equal to one or below it (gov.cn: every one).
    "allowed_domains": ["gov.cn"],
    # A publication check that passes verifies the task by itself (核验) without the office.
    "auto_verify": False,
    "recheck_days": 30,          # published addresses are re-read once in this many days
    "column_hours": 24,          # each column is read once in this many hours
    "max_list_pages": 3,         # list pages followed per column (pagination)
    "max_links": 20,             # same-host links of a column page checked
    "max_attachments": 10,       # attachments of a published page checked
    "rectification_days": 10,    # working days given to put a finding right
}
LIMITS = {"recheck_days": (1, 365), "column_hours": (1, 24 * 30), "max_list_pages": (1, 20), "max_links": (0, 200),
          "max_attachments": (0, 50), "rectification_days": (1, 120)}
LABELS = {"recheck_days": "已发布信息复查周期（天）", "column_hours": "栏目巡查周期（小时）",
          "max_list_pages": "每个栏目最多读取列表页数", "max_links": "每个栏目最多检查链接数",
          "max_attachments": "每条信息最多检查附件数", "rectification_days": "整改期限（工作日）"}

# app.config name -> default (each has an environment variable TRACKER_<NAME>).
CONFIG_DEFAULTS = {
    "WEBSITE_ALLOW_PRIVATE": False,
    "WEBSITE_PROXY": None,
    "WEBSITE_USER_AGENT": DEFAULT_USER_AGENT,
    "WEBSITE_PER_HOST": 2,
    "WEBSITE_DELAY_SECONDS": 0.5,
    "WEBSITE_GLOBAL_LIMIT": 8,
    "WEBSITE_CONNECT_TIMEOUT": 5.0,
    "WEBSITE_READ_TIMEOUT": 15.0,
    "WEBSITE_TOTAL_TIMEOUT": 30.0,
    "WEBSITE_MAX_BYTES": 10 * 1024 * 1024,
    "WEBSITE_RESOLVE": "",
    "WEBSITE_RUN_SECONDS": 50,
}


def settings() -> dict:
    row = db.session.get(Setting, SETTINGS_KEY)
    return {**DEFAULTS, **(row.value if row else {})}


def config(name: str):
    return current_app.config.get(name, CONFIG_DEFAULTS[name])


def parse_resolve(text: str | dict | None) -> dict[str, str]:
    """``host=address,host=address`` (like curl --resolve) for closed networks whose DNS does not
    know the website's name; also how the tests and the benchmark give names to loopback."""
    if isinstance(text, dict):
        return {k.lower(): v for k, v in text.items()}
    out = {}
    for part in (text or "").split(","):
        host, _, address = part.strip().partition("=")
        if host.strip() and address.strip():
            out[host.strip().lower()] = address.strip()
    return out


def crawl_settings(values: dict | None = None) -> CrawlSettings:
    values = values or settings()
    return CrawlSettings(
        allowed_domains=tuple(values["allowed_domains"]), allow_private=bool(config("WEBSITE_ALLOW_PRIVATE")),
        per_host=int(config("WEBSITE_PER_HOST")), delay=float(config("WEBSITE_DELAY_SECONDS")),
        global_limit=int(config("WEBSITE_GLOBAL_LIMIT")), connect_timeout=float(config("WEBSITE_CONNECT_TIMEOUT")),
        read_timeout=float(config("WEBSITE_READ_TIMEOUT")), total_timeout=float(config("WEBSITE_TOTAL_TIMEOUT")),
        max_bytes=int(config("WEBSITE_MAX_BYTES")), user_agent=config("WEBSITE_USER_AGENT") or DEFAULT_USER_AGENT,
        proxy=config("WEBSITE_PROXY") or None, resolve=parse_resolve(config("WEBSITE_RESOLVE")))


def clean_domain(text: str) -> str:
    """A domain of the allow-list as typed (``www.dongning.gov.cn``, ``.gov.cn``, an address)."""
    value = (text or "").strip().lower().strip(".")
    if "://" in value:
        value = value.split("://", 1)[1]
    value = value.split("/", 1)[0].split(":", 1)[0] if not value.startswith("[") else value
    return value


def save_settings(values: dict, actor) -> dict:
    """The office edits the allow-list, automatic verification and the cadences; refused whole
    (nothing saved) when a value is out of range."""
    if actor is None or actor.role != "office":
        raise ServiceError("只有公开办可以修改网站巡查设置。")
    domains = []
    for line in str(values.get("allowed_domains") or "").replace("，", "\n").replace(",", "\n").splitlines():
        domain = clean_domain(line)
        if not domain:
            continue
        if len(domain) > 100 or " " in domain or "." not in domain and not domain.replace(":", "").isalnum():
            raise ServiceError(f"域名格式不正确：{line.strip()}", "allowed_domains")
        if domain not in domains:
            domains.append(domain)
    if not domains:
        raise ServiceError("请至少填写一个允许巡查的政府网站域名（如 gov.cn 或 www.dongning.gov.cn）。", "allowed_domains")
    clean = {"allowed_domains": domains, "auto_verify": bool(values.get("auto_verify"))}
    for key, (low, high) in LIMITS.items():
        raw = values.get(key, DEFAULTS[key])
        try:
            number = int(str(raw).strip())
        except (TypeError, ValueError):
            raise ServiceError(f"{LABELS[key]}须为整数。", key) from None
        if not low <= number <= high:
            raise ServiceError(f"{LABELS[key]}须在{low}至{high}之间。", key)
        clean[key] = number
    before = settings()
    row = db.session.get(Setting, SETTINGS_KEY)
    if row is None:
        row = Setting(key=SETTINGS_KEY, value={})
        db.session.add(row)
    row.value, row.updated_by_id, row.updated_at = clean, actor.id, utcnow()
    b, a = changes(before, clean)
    record("settings.website", object_type="setting", object_id=SETTINGS_KEY, object_label="网站巡查设置",
           before=b, after=a, actor=actor)
    return settings()


def address_problem(url: str, values: dict | None = None) -> str | None:
    """Why an address typed by the office cannot be inspected (off the allow-list), or None. The
    addresses it resolves to are checked only when it is fetched (by the sweep)."""
    from .net import Refused, split_url
    try:
        _, host, _ = split_url(url)
    except Refused as exc:
        return str(exc)
    if not host_allowed(host, (values or settings())["allowed_domains"]):
        return f"“{host}”不在允许巡查的政府网站域名范围内（系统管理 › 网站巡查设置）"
    return None


class SystemVerifier:
    """The actor of an automatic verification (a setting of the office): it is the office's rule,
    applied by the tracker, and the task's timeline says so."""

    id = None
    role = "office"
    sees_all_units = True
    unit_id = None
    display_name = "网站巡查（自动核验）"
    active = True
