"""Rules over extracted text (never over raw HTML): the dates list pages print, title matching,
and personal data published unmasked (隐私信息泄露).

Personal data, as the provincial inspections count it:

* a resident ID number (公民身份号码, GB 11643-1999): 18 characters, a real birth date in
  positions 7-14, and the ISO 7064 MOD 11-2 check character last;
* a mobile number: 11 digits starting 13-19, standing alone (an office telephone such as
  0453-5555555 or a longer number is not one);
* a bank card number: 16-19 digits passing the Luhn check (ISO/IEC 7812), written whole or in
  groups of four.

A number already masked (``2301**********1234``) is not a finding: the masks break the run.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

# --- dates --------------------------------------------------------------------------------------

_FULL_DATE = re.compile(r"(?<!\d)(20\d{2}|19\d{2})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?(?!\d)", re.ASCII)
_SHORT_DATE = re.compile(r"[\[［(（【]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*[\]］)）】]", re.ASCII)


def find_dates(text: str, today: date) -> list[date]:
    """Dates in ``text`` in the forms list pages use: 2026-11-20, 2026/11/20, 2026.11.20,
    2026年11月20日, and [11-20] (month and day: the latest such day not after ``today``)."""
    found = []
    for y, m, d in _FULL_DATE.findall(text):
        day = _date(int(y), int(m), int(d))
        if day is not None:
            found.append(day)
    for m, d in _SHORT_DATE.findall(text):
        day = _date(today.year, int(m), int(d))
        if day is not None and day > today:
            day = _date(today.year - 1, int(m), int(d))
        if day is not None:
            found.append(day)
    return found


def _date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def latest_date(text: str, today: date) -> date | None:
    """The latest date in ``text`` that is not in the future (a page's publication date)."""
    days = [d for d in find_dates(text, today) if d <= today]
    return max(days) if days else None


# --- titles ---------------------------------------------------------------------------------------

def normalise(text: str) -> str:
    """For comparing titles: full-width forms folded to half-width (NFKC), punctuation, symbols and
    whitespace removed, Latin letters in lower case. “关于（第一批）项目的公示” and
    "关于(第一批)项目的公示" compare equal."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(c for c in folded if unicodedata.category(c)[0] not in "PZSC")


def title_appears(title: str, *texts: str) -> bool:
    wanted = normalise(title)
    return bool(wanted) and any(wanted in normalise(t) for t in texts if t)


def content_hash(text: str) -> str:
    """The hash of a page's text with whitespace folded (a re-indented page is the same page)."""
    return hashlib.sha256(" ".join((text or "").split()).encode("utf-8")).hexdigest()


# --- personal data ----------------------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID = re.compile(r"(?<![0-9A-Za-z*])([1-9]\d{5}(?:18|19|20)\d{2}\d{2}\d{2}\d{3}[0-9Xx])(?![0-9A-Za-z*])", re.ASCII)
_MOBILE = re.compile(r"(?<![0-9*\-－])(?:\+?86[\s-]?)?(1[3-9]\d{9})(?![0-9*])", re.ASCII)
_CARD = re.compile(r"(?<![0-9*])(\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?)(?![0-9*])", re.ASCII)

PRIVACY_KINDS = {"id_number": "身份证号码", "mobile": "手机号码", "bank_card": "银行卡号"}


@dataclass(frozen=True)
class PersonalData:
    kind: str          # id_number | mobile | bank_card
    masked: str        # shown to people
    digest: str        # hash of the match (the number itself is never stored)
    context: str       # a few characters around it, the number masked

    @property
    def kind_label(self) -> str:
        return PRIVACY_KINDS[self.kind]


def id_number_valid(number: str, today: date | None = None) -> bool:
    """GB 11643-1999: a real birth date (not in the future) and the MOD 11-2 check character."""
    number = number.upper()
    if len(number) != 18 or not number[:17].isdigit():
        return False
    birth = _date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    if birth is None or birth.year < 1900 or (today is not None and birth > today):
        return False
    total = sum(int(c) * w for c, w in zip(number[:17], ID_WEIGHTS))
    return ID_CHECK[total % 11] == number[17]


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def mask(number: str, keep_start: int, keep_end: int) -> str:
    return number[:keep_start] + "*" * (len(number) - keep_start - keep_end) + number[len(number) - keep_end:]


_DIGIT = re.compile(r"\d", re.ASCII)


def _context(text: str, start: int, end: int, masked: str) -> str:
    """A few characters around the match; their digits are starred too (another number nearby
    must not leak through the finding that reports this one)."""
    before = _DIGIT.sub("*", " ".join(text[max(0, start - 20):start].split()))
    after = _DIGIT.sub("*", " ".join(text[end:end + 20].split()))
    return f"{before}{masked}{after}"[:120]


def personal_data(text: str, today: date | None = None) -> list[PersonalData]:
    """Unmasked resident ID numbers, mobile numbers and bank card numbers in ``text``, each once."""
    found: dict[str, PersonalData] = {}
    taken: list[tuple[int, int]] = []

    def add(kind: str, raw: str, masked: str, start: int, end: int):
        digest = hashlib.sha256(f"{kind}:{raw}".encode()).hexdigest()
        taken.append((start, end))
        if digest not in found:
            found[digest] = PersonalData(kind, masked, digest, _context(text, start, end, masked))

    text = unicodedata.normalize("NFKC", text or "")
    for m in _ID.finditer(text):
        number = m.group(1).upper()
        if id_number_valid(number, today):
            add("id_number", number, mask(number, 4, 4), m.start(1), m.end(1))
    for m in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", m.group(1))
        if _looks_like_id(digits):
            continue  # an ID number with a wrong check character is no number at all, not a card
        if 16 <= len(digits) <= 19 and luhn_valid(digits) and not _overlaps(m.start(1), m.end(1), taken):
            add("bank_card", digits, mask(digits, 4, 4), m.start(1), m.end(1))
    for m in _MOBILE.finditer(text):
        if not _overlaps(m.start(1), m.end(1), taken):
            number = m.group(1)
            add("mobile", number, mask(number, 3, 4), m.start(1), m.end(1))
    return list(found.values())


def _looks_like_id(digits: str) -> bool:
    return len(digits) == 18 and digits[6:8] in ("18", "19", "20") and _date(
        int(digits[6:10]), int(digits[10:12]), int(digits[12:14])) is not None


def _overlaps(start: int, end: int, spans) -> bool:
    return any(start < e and s < end for s, e in spans)
