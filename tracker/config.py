"""Configuration: defaults, then ``instance/config.py``, then ``TRACKER_*`` environment variables.

With nothing configured the tracker runs on SQLite in ``instance/`` and keeps a generated secret
key in ``instance/secret_key`` (created on first start, never committed).
"""
import os
import secrets
from pathlib import Path

ENV_PREFIX = "TRACKER_"

# name in app.config -> (environment variable, parser)
_ENV_SETTINGS = {
    "SQLALCHEMY_DATABASE_URI": ("TRACKER_DATABASE_URL", str),
    "SECRET_KEY": ("TRACKER_SECRET_KEY", str),
    "MAIL_SERVER": ("TRACKER_MAIL_SERVER", str),
    "MAIL_PORT": ("TRACKER_MAIL_PORT", int),
    "MAIL_USERNAME": ("TRACKER_MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("TRACKER_MAIL_PASSWORD", str),
    "MAIL_USE_TLS": ("TRACKER_MAIL_USE_TLS", lambda v: v.lower() in {"1", "true", "yes"}),
    "MAIL_USE_SSL": ("TRACKER_MAIL_USE_SSL", lambda v: v.lower() in {"1", "true", "yes"}),
    "MAIL_SENDER": ("TRACKER_MAIL_SENDER", str),
    "MAIL_BATCH_SIZE": ("TRACKER_MAIL_BATCH_SIZE", int),
    "MAIL_LEASE_SECONDS": ("TRACKER_MAIL_LEASE_SECONDS", int),
    "MAIL_TIMEOUT_SECONDS": ("TRACKER_MAIL_TIMEOUT_SECONDS", int),
    "MAIL_MAX_ATTEMPTS": ("TRACKER_MAIL_MAX_ATTEMPTS", int),
    "MAIL_COMMIT_EVERY": ("TRACKER_MAIL_COMMIT_EVERY", int),
    "BASE_URL": ("TRACKER_BASE_URL", str),
    "OUTBOUND_PROXY": ("TRACKER_OUTBOUND_PROXY", str),
    "TRUSTED_PROXIES": ("TRACKER_TRUSTED_PROXIES", int),
    "POSTAL_ALLOWANCE_DAYS": ("TRACKER_POSTAL_ALLOWANCE_DAYS", int),
    "APPLICATION_REVIEW_BODY": ("TRACKER_APPLICATION_REVIEW_BODY", str),
    "APPLICATION_COURT": ("TRACKER_APPLICATION_COURT", str),
    "OFFICE_PHONE": ("TRACKER_OFFICE_PHONE", str),
    "PUBLIC_SITE_NAME": ("TRACKER_PUBLIC_SITE_NAME", str),
    "APPLICATION_RATING_DAYS": ("TRACKER_APPLICATION_RATING_DAYS", int),
    "APPLY_GLOBAL_PER_HOUR": ("TRACKER_APPLY_GLOBAL_PER_HOUR", int),
    "ARCHIVE_MAX_UNCOMPRESSED": ("TRACKER_ARCHIVE_MAX_UNCOMPRESSED", int),
    "ARCHIVE_MAX_RATIO": ("TRACKER_ARCHIVE_MAX_RATIO", int),
    "SESSION_COOKIE_SECURE": ("TRACKER_SECURE_COOKIES", lambda v: v.lower() in {"1", "true", "yes"}),
    # 网站巡查 (tracker/website/settings.py: CONFIG_DEFAULTS)
    "WEBSITE_ALLOW_PRIVATE": ("TRACKER_WEBSITE_ALLOW_PRIVATE", lambda v: v.lower() in {"1", "true", "yes"}),
    "WEBSITE_PROXY": ("TRACKER_WEBSITE_PROXY", str),
    "WEBSITE_USER_AGENT": ("TRACKER_WEBSITE_USER_AGENT", str),
    "WEBSITE_PER_HOST": ("TRACKER_WEBSITE_PER_HOST", int),
    "WEBSITE_DELAY_SECONDS": ("TRACKER_WEBSITE_DELAY_SECONDS", float),
    "WEBSITE_GLOBAL_LIMIT": ("TRACKER_WEBSITE_GLOBAL_LIMIT", int),
    "WEBSITE_CONNECT_TIMEOUT": ("TRACKER_WEBSITE_CONNECT_TIMEOUT", float),
    "WEBSITE_READ_TIMEOUT": ("TRACKER_WEBSITE_READ_TIMEOUT", float),
    "WEBSITE_TOTAL_TIMEOUT": ("TRACKER_WEBSITE_TOTAL_TIMEOUT", float),
    "WEBSITE_MAX_BYTES": ("TRACKER_WEBSITE_MAX_BYTES", int),
    "WEBSITE_RESOLVE": ("TRACKER_WEBSITE_RESOLVE", str),
    "WEBSITE_RUN_SECONDS": ("TRACKER_WEBSITE_RUN_SECONDS", int),
}


def defaults(instance_path: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(instance_path, "tracker.db"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # No server: mail is held in the outbox (待发送) and goes out once one is configured.
        "MAIL_SERVER": None,
        "MAIL_PORT": 25,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_SENDER": "政务公开办 <noreply@localhost>",
        # Reverse proxies in front of the app whose X-Forwarded-For / -Proto to believe (0: none).
        "TRUSTED_PROXIES": 0,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        # Zipped uploads (.xlsx, .docx), checked before they are inflated (tracker/archives.py): what
        # all members may declare together, and how much a member over 1 MB may inflate.
        "ARCHIVE_MAX_UNCOMPRESSED": 50 * 1024 * 1024,
        "ARCHIVE_MAX_RATIO": 100,
        "PAGE_SIZE": 30,
        # Login throttling (tracker/throttle.py: Limits): failures of one account from one address,
        # and from one address for any account, within the window; then a higher, slower limit per
        # account over all addresses, which does not apply to addresses the account signed in from
        # within LOGIN_KNOWN_ADDRESS_DAYS (so strangers cannot lock the real user out).
        "LOGIN_WINDOW_SECONDS": 15 * 60,
        "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "LOGIN_ACCOUNT_WINDOW_SECONDS": 60 * 60,
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 30,
        "LOGIN_KNOWN_ADDRESS_DAYS": 90,
        # The applicant's status lookup, the same way per tracking code.
        "LOOKUP_WINDOW_SECONDS": 15 * 60,
        "LOOKUP_MAX_FAILURES_PER_CODE_AND_ADDRESS": 5,
        "LOOKUP_MAX_FAILURES_PER_ADDRESS": 10,
        "LOOKUP_CODE_WINDOW_SECONDS": 60 * 60,
        "LOOKUP_MAX_FAILURES_PER_CODE": 30,
        "LOOKUP_KNOWN_ADDRESS_DAYS": 90,
        # Online applications city-wide per hour beyond which the form asks an arithmetic question
        # (applications/screening.py), and how long a question stays good (it is good once).
        "APPLY_GLOBAL_PER_HOUR": 60,
        "APPLY_CHALLENGE_SECONDS": 30 * 60,
        # The office's telephone shown to the public (a locked lookup says whom to call); empty: the
        # number after 电话 in the front page's contact text (portal/services.py: office_phone).
        "OFFICE_PHONE": "",
        # The name citizens see on the public pages (the office's pages keep the internal name,
        # 政务公开监督平台); the office may set its own on the front page's settings.
        "PUBLIC_SITE_NAME": "政府信息公开",
        # 社会评议 (Art. 47, applications/ratings.py): calendar days after the reply during which
        # the applicant may rate it on the status page (practice).
        "APPLICATION_RATING_DAYS": 30,
        # A new query password by email (applications/recovery.py): requests per address and per
        # tracking code within the window, whether or not they matched.
        "PASSWORD_REQUEST_WINDOW_SECONDS": 60 * 60,
        "PASSWORD_REQUESTS_PER_ADDRESS": 5,
        "PASSWORD_REQUESTS_PER_CODE": 3,
        # Outbox sender: SMTP timeout, attempts before a mail is marked failed (a mail's own
        # temporary failures only), mails claimed at a time, and a sender's lease: it renews it
        # every quarter of this while it runs, and its claims are taken over only once it has
        # lapsed (a killed sender's mails wait at most this long). Longer than a few timeouts.
        "MAIL_TIMEOUT_SECONDS": 20,
        "MAIL_MAX_ATTEMPTS": 6,
        "MAIL_BATCH_SIZE": 50,
        "MAIL_LEASE_SECONDS": 120,
        # One run of the sender stops claiming new batches after this long (the job runs every minute).
        "MAIL_RUN_SECONDS": 50,
        # Rows a service accepted are marked sent together, every this many rows or seconds (a sender
        # killed before that sends them again, with the same Message-ID / idempotency key).
        "MAIL_COMMIT_EVERY": 50,
        "MAIL_COMMIT_SECONDS": 1.0,
        # Applications: calendar days a letter or notice is presumed to take by post when only its
        # sending day is known (the 15 consultation days and 20 payment days run from receipt).
        "POSTAL_ALLOWANCE_DAYS": 3,
        # The bodies a reply (答复书) names in its remedy paragraph: where the applicant may apply for
        # administrative review (行政复议) and sue (行政诉讼), e.g. "东宁市人民政府", "东宁市人民法院".
        "APPLICATION_REVIEW_BODY": "本级人民政府",
        "APPLICATION_COURT": "有管辖权的人民法院",
    }


def default_base_url() -> str:
    """Links in mails point at the port the tracker is served on: ``PORT`` (as ``PORT=5101
    ./scripts/demo`` sets it) when TRACKER_BASE_URL is not configured, else 5000."""
    port = os.environ.get("PORT", "").strip()
    if port.isdigit() and 0 < int(port) < 65536:
        return f"http://127.0.0.1:{int(port)}"
    return "http://localhost:5000"


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(app, overrides: dict | None = None) -> None:
    app.config.update(defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    for key, (var, parse) in _ENV_SETTINGS.items():
        if os.environ.get(var):
            app.config[key] = parse(os.environ[var])
    if not app.config.get("BASE_URL"):
        app.config["BASE_URL"] = default_base_url()
    if overrides:
        app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))


def _instance_secret_key(instance: Path) -> str:
    """Read, or create exactly once (O_EXCL, safe with several workers), ``instance/secret_key``."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_text().strip()
