"""The arithmetic question (人机验证) the online form asks once too many applications arrive city-wide.

Made and checked here, with no outside service: the question is two small numbers in Chinese
numerals; the form carries a token signed with the app's secret and stamped with the time it was
made (``itsdangerous``), holding a random id and an HMAC of the answer — never the answer itself,
since a signed token is readable. A token is good for ``max_age`` seconds and once: the caller
remembers the ids of used tokens (registration.py keeps them on the submission's audit record).
Pure: the secret and the clock's reading come in; nothing is stored here.
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "apply-challenge"
NUMERALS = "零一二三四五六七八九十"


@dataclass(frozen=True)
class Challenge:
    question: str   # shown to the applicant, e.g. "七加五等于几？（请填写阿拉伯数字）"
    token: str      # sent back with the answer


class ChallengeFailed(Exception):
    """Why an answer is not accepted: "missing", "wrong", "expired" or "bad" (tampered)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _numeral(n: int) -> str:
    return NUMERALS[n] if n <= 10 else "十" + NUMERALS[n - 10]


def _mac(secret: str, challenge_id: str, answer: int) -> str:
    return hmac.new(secret.encode(), f"{challenge_id}:{answer}".encode(), hashlib.sha256).hexdigest()


def new_challenge(secret: str) -> Challenge:
    """A fresh question: the sum or difference of two numbers up to nineteen."""
    a, b = secrets.randbelow(19) + 1, secrets.randbelow(9) + 1
    if secrets.randbelow(2):
        question, answer = f"{_numeral(a)}加{_numeral(b)}等于几？", a + b
    else:
        a, b = max(a, b), min(a, b)
        question, answer = f"{_numeral(a)}减{_numeral(b)}等于几？", a - b
    challenge_id = secrets.token_hex(8)
    token = URLSafeTimedSerializer(secret, salt=SALT).dumps({"id": challenge_id,
                                                            "mac": _mac(secret, challenge_id, answer)})
    return Challenge(question + "（请填写阿拉伯数字）", token)


def check_answer(secret: str, token: str, answer: str, max_age: int) -> str:
    """The id of the challenge ``answer`` solves (the caller makes sure it is not used twice);
    raises ``ChallengeFailed`` otherwise."""
    answer = (answer or "").strip()
    if not token or not answer:
        raise ChallengeFailed("missing")
    try:
        data = URLSafeTimedSerializer(secret, salt=SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ChallengeFailed("expired") from None
    except BadSignature:
        raise ChallengeFailed("bad") from None
    if not answer.lstrip("-").isdigit() or len(answer) > 4 or not isinstance(data, dict):
        raise ChallengeFailed("wrong")
    if not hmac.compare_digest(str(data.get("mac", "")), _mac(secret, str(data.get("id")), int(answer))):
        raise ChallengeFailed("wrong")
    return str(data["id"])
