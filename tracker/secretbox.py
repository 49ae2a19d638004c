"""Secrets the office enters (robot webhook keys, SMS gateway credentials): stored encrypted,
shown masked, never logged, never exported, never in the audit log.

The key comes from the environment, ``TRACKER_SECRETS_KEY``: one Fernet key (AES-128-CBC with
HMAC-SHA256, from the ``cryptography`` library), or several separated by commas to rotate keys
(the first encrypts; every one decrypts). Make one with
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``.
Without it, secrets cannot be saved (the settings pages say so) and stored ones cannot be used.
Keep the key out of database backups: whoever holds both can read the secrets.
"""
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import ServiceError

ENV = "TRACKER_SECRETS_KEY"


class SecretsUnavailable(ServiceError):
    """No key (or the wrong key) to encrypt or decrypt a stored secret."""


def _box() -> MultiFernet:
    keys = [k.strip() for k in os.environ.get(ENV, "").split(",") if k.strip()]
    if not keys:
        raise SecretsUnavailable(f"未配置加密密钥（环境变量 {ENV}），无法保存或使用群机器人、短信平台等密钥。")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise SecretsUnavailable(f"加密密钥（{ENV}）格式不正确，应为 Fernet 密钥。") from exc


def available() -> bool:
    try:
        _box()
    except SecretsUnavailable:
        return False
    return True


def encrypt(value: str) -> str:
    return _box().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretsUnavailable(f"已保存的密钥无法解密：加密密钥（{ENV}）已更换？请重新填写。") from exc


def mask(value: str | None, keep: int = 4) -> str:
    """``••••••abcd``: enough to recognise a secret, not to use it."""
    if not value:
        return ""
    return "•" * 6 + (value[-keep:] if len(value) > keep * 3 else "")


def redact(text: str | None, *secrets: str | None) -> str:
    """``text`` with every given secret (and its masked form kept) replaced, for error details."""
    text = text or ""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, mask(secret))
    return text
