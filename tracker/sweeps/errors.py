"""What went wrong, in Chinese for the office, with the raw text kept for whoever fixes it.

``describe_error(exc)`` is the one translation of an exception into the pair the system health
page, the outbox and the ``sweep`` command show: a Chinese sentence, and the exception's own
(usually English) text with the place it was raised.
"""
import smtplib
import socket
import ssl
import traceback

from ..errors import ServiceError

# SMTP reply codes worth naming (RFC 5321 §4.2.3); others are shown with their number.
SMTP_CODES = {
    421: "邮件服务器暂时不可用，已断开连接",
    450: "收件人邮箱暂时不可用",
    451: "邮件服务器处理出错，稍后重试",
    452: "邮件服务器存储空间不足",
    550: "收件人邮箱不存在或拒绝接收",
    551: "收件人不在该邮件服务器上",
    552: "邮件超过收件人邮箱或服务器允许的大小",
    553: "收件人地址格式不被接受",
    554: "邮件被邮件服务器拒绝",
}


def _smtp_code_text(code: int | None) -> str:
    if code in SMTP_CODES:
        return f"{SMTP_CODES[code]}（{code}）"
    if code and 500 <= code < 600:
        return f"邮件服务器永久拒绝（{code}）"
    if code and 400 <= code < 500:
        return f"邮件服务器暂时拒绝（{code}），稍后重试"
    return f"邮件服务器返回错误（{code}）" if code else "邮件服务器返回错误"


# Errors whose Chinese does not depend on the reply code, most specific first (the order matters:
# SMTP errors are OSErrors too, and a refused connection is one as well).
_FIXED_TEXT = (
    (smtplib.SMTPAuthenticationError, "邮件服务器登录失败，请检查用户名和密码（TRACKER_MAIL_USERNAME / PASSWORD）"),
    (smtplib.SMTPServerDisconnected, "与邮件服务器的连接中断"),
    (smtplib.SMTPNotSupportedError, "邮件服务器不支持所需的功能（如加密连接或中文地址）"),
    (ssl.SSLError, "邮件服务器无法连接：加密连接（TLS）失败，请检查 TLS/SSL 设置"),
    (socket.gaierror, "邮件服务器无法连接：服务器地址无法解析，请检查 TRACKER_MAIL_SERVER"),
    (ConnectionRefusedError, "邮件服务器无法连接：连接被拒绝（服务器未运行或端口不对）"),
    ((TimeoutError, socket.timeout), "邮件服务器无法连接：连接超时"),
    ((ConnectionResetError, ConnectionAbortedError, BrokenPipeError), "与邮件服务器的连接中断"),
)


def _mail_error(exc: BaseException) -> str | None:
    """Chinese for SMTP and network errors, or None when ``exc`` is neither."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        if not codes:
            return "邮件没有收件人地址"
        return "收件人被邮件服务器拒绝：" + "、".join(_smtp_code_text(c) for c in codes)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"发件人地址被邮件服务器拒绝（{exc.smtp_code}），请检查 TRACKER_MAIL_SENDER 设置"
    for kind, text in _FIXED_TEXT:
        if isinstance(exc, kind):
            return text
    if isinstance(exc, smtplib.SMTPResponseException):
        return _smtp_code_text(exc.smtp_code)
    if isinstance(exc, smtplib.SMTPException):
        return "邮件服务器返回错误"
    if isinstance(exc, OSError):
        return "邮件服务器无法连接：网络错误"
    return None


def _database_error(exc: BaseException) -> str | None:
    from sqlalchemy import exc as sa

    if isinstance(exc, sa.IntegrityError):
        return "数据库拒绝保存：与已有记录冲突，或缺少必填内容"
    if isinstance(exc, sa.DataError):
        return "数据库拒绝保存：内容格式或长度不符合要求"
    if isinstance(exc, sa.OperationalError):
        return "数据库暂时无法访问（连接中断或繁忙）"
    if isinstance(exc, sa.SQLAlchemyError):
        return "数据库出错"
    return None


def _chinese(exc: BaseException) -> str:
    if isinstance(exc, ServiceError):
        return exc.message
    if (text := _mail_error(exc)) is not None:
        return text
    if (text := _database_error(exc)) is not None:
        return text
    if isinstance(exc, OverflowError) or (isinstance(exc, ValueError) and "out of range" in str(exc)):
        return "日期超出可计算的范围（记录中可能有不合理的日期，如 9999-12-31）"
    try:
        from jinja2 import TemplateError
    except ImportError:  # pragma: no cover - jinja2 comes with Flask
        TemplateError = ()
    if isinstance(exc, TemplateError):
        return "邮件或页面内容生成失败（模板出错）"
    if isinstance(exc, (UnicodeError, ValueError)) and "header" in str(exc).lower():
        return "邮件无法生成：收件人地址或标题格式不正确"
    if isinstance(exc, (KeyError, AttributeError, TypeError)):
        return "记录数据不完整或不一致，处理时出错"
    return "处理时出错"


def raw_text(exc: BaseException) -> str:
    """The exception's own text and where it was raised, for the detail view."""
    text = f"{type(exc).__name__}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    if frames:
        last = frames[-1]
        text += f"\n  at {last.filename.rsplit('/tracker/', 1)[-1]}:{last.lineno} in {last.name}"
    return text[:2000]


def describe_error(exc: BaseException) -> tuple[str, str]:
    """``(Chinese sentence, raw text)`` for an exception."""
    return _chinese(exc), raw_text(exc)
