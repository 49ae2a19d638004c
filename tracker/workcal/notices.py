"""The State Council's annual holiday notice (国务院办公厅关于部分节假日安排的通知), parsed and checked
(pure Python: no Flask, no database; see shared/spec/calendar.md).

``parse_notice_text`` reads the notice as published (Chinese dates, ranges, 调休上班 days) into
holiday ranges and make-up working days; ``validate_notice`` checks a year's arrangement, whether
parsed or typed into the manual form: ranges in order and within the year, make-up days on
weekends and outside the holidays, nothing repeated. ``ParsedNotice.to_overrides`` turns the
result into the engine's ``DayOverride`` days (source 1 of the calendar, ``engine.py``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Sequence

from .engine import DayOverride

__all__ = [
    "HolidayRange",
    "ParsedNotice",
    "parse_notice_text",
    "validate_notice",
]


@dataclass(frozen=True)
class HolidayRange:
    """A holiday range from the notice (inclusive). ``line`` is the source line, if any."""

    start: date
    end: date
    name: str
    line: int | None = None

    def days(self) -> list[date]:
        if self.end < self.start:
            return []
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass
class ParsedNotice:
    """Result of ``parse_notice_text``.

    ``errors`` block saving; ``warnings`` are informational (e.g. a range clipped to the year).
    ``makeup_lines`` gives the source line of each entry of ``makeup_days``.
    """

    holidays: list[HolidayRange] = field(default_factory=list)
    makeup_days: list[date] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    makeup_lines: list[int | None] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_overrides(self) -> list[DayOverride]:
        """Overrides that encode the notice: every day in a holiday range off, make-up days on."""
        out: dict[date, DayOverride] = {}
        for r in self.holidays:
            for d in r.days():
                out[d] = DayOverride(d, False, r.name or None, official=True)
        for d in self.makeup_days:
            out[d] = DayOverride(d, True, "调休上班", official=True)
        return [out[d] for d in sorted(out)]


def _prefix(line: int | None) -> str:
    return f"第{line}行：" if line is not None else ""


def validate_notice(
    holidays: Sequence[HolidayRange],
    makeup_days: Sequence[date],
    year: int,
    makeup_lines: Sequence[int | None] | None = None,
) -> list[str]:
    """Check a year's holiday arrangement (used by the parser and the manual-entry form).

    Rules: each range has start <= end; every date lies in ``year``; make-up working days
    are weekend days, are not inside a holiday range and are not repeated; holiday ranges
    do not overlap or repeat. Messages are in Simplified Chinese and name the source line
    (``HolidayRange.line`` / ``makeup_lines``) when known.
    """
    errors: list[str] = []
    if makeup_lines is None:
        makeup_lines = [None] * len(makeup_days)

    valid_ranges: list[HolidayRange] = []
    for r in holidays:
        p = _prefix(r.line)
        label = f"“{r.name}”" if r.name else ""
        bad = False
        if r.start.year != year or r.end.year != year:
            out = sorted({d for d in (r.start, r.end) if d.year != year})
            errors.append(
                f"{p}日期不在{year}年（放假区间{label} {r.start.isoformat()} 至 {r.end.isoformat()}，"
                f"{'、'.join(d.isoformat() for d in out)} 不在{year}年）"
            )
            bad = True
        if r.end < r.start:
            errors.append(
                f"{p}放假区间起止颠倒（{label}{r.start.isoformat()} 至 {r.end.isoformat()}）"
            )
            bad = True
        if not bad:
            valid_ranges.append(r)

    # Duplicate / overlapping ranges.
    ordered = sorted(valid_ranges, key=lambda r: (r.start, r.end))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.start > a.end:
                break
            first, second = sorted((a, b), key=lambda r: (r.line is None, r.line or 0))
            p = _prefix(second.line)
            if a.start == b.start and a.end == b.end:
                errors.append(
                    f"{p}放假区间重复（{second.start.isoformat()} 至 {second.end.isoformat()}"
                    + (f"，与第{first.line}行相同" if first.line is not None else "")
                    + "）"
                )
            else:
                errors.append(
                    f"{p}放假区间 {second.start.isoformat()} 至 {second.end.isoformat()} 与"
                    + (f"第{first.line}行的" if first.line is not None else "")
                    + f"区间 {first.start.isoformat()} 至 {first.end.isoformat()} 重叠"
                )

    seen: dict[date, int | None] = {}
    for d, line in zip(makeup_days, makeup_lines):
        p = _prefix(line)
        if d.year != year:
            errors.append(f"{p}日期不在{year}年（调休上班日 {d.isoformat()}）")
            continue
        if d in seen:
            errors.append(f"{p}调休上班日 {d.isoformat()} 重复")
            continue
        seen[d] = line
        if d.weekday() < 5:
            errors.append(f"{p}调休上班日 {d.isoformat()} 不是周末")
        for r in valid_ranges:
            if r.start <= d <= r.end:
                where = f"第{r.line}行的" if r.line is not None else ""
                name = f"“{r.name}”" if r.name else ""
                errors.append(
                    f"{p}调休上班日 {d.isoformat()} 在{where}放假区间{name}"
                    f"（{r.start.isoformat()} 至 {r.end.isoformat()}）内"
                )
    return errors


# Normalisation: full-width digits/punctuation to ASCII-ish forms.
_FW_TABLE = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "～": "~",
        "－": "-",
        "—": "-",
        "–": "-",
        "／": "/",
        "：": ":",
        "（": "(",
        "）": ")",
        "，": ",",
        "；": ";",
        "。": ".",
        "\u3000": " ",
    }
)

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?!\d)")
_ISO_SEP = re.compile(r"^\s*(?:~|至|到|-{1,2})\s*$")
_CN_DATE = re.compile(
    r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日(?:\s*\(([^()]*)\))?"
)
_RANGE_SEP = re.compile(r"^\s*(?:至|到|~|-)\s*$")
_WEEKDAY_MARK = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_WEEKDAY_NUM = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_TOTAL_DAYS = re.compile(r"共\s*(\d+)\s*天")
_ENUM_PREFIX = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|\d+\s*[、.．)]|\(\s*[一二三四五六七八九十\d]+\s*\))\s*")
_WORK_WORDS = ("上班", "补班")
_META_WORDS = ("发布", "成文", "印发", "索引号", "发文")


class _DateErr(Exception):
    pass


def _mk_date(y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise _DateErr(f"{y:04d}-{m:02d}-{d:02d}") from None


@dataclass
class _CnDate:
    """A 月日 date found in a notice line, before resolution."""

    year: int | None
    month: int | None
    day: int
    paren: str | None
    start: int
    end: int


def _cn_dates(text: str) -> list[_CnDate]:
    out = []
    for m in _CN_DATE.finditer(text):
        y, mo, d, paren = m.groups()
        out.append(
            _CnDate(
                int(y) if y else None,
                int(mo) if mo else None,
                int(d),
                paren,
                m.start(),
                m.end(),
            )
        )
    return out


def _check_weekday(cd: _CnDate, d: date, p: str, errors: list[str]) -> None:
    """Notices annotate dates with the weekday, e.g. 1月1日（周四）: check it matches."""
    if not cd.paren:
        return
    m = _WEEKDAY_MARK.search(cd.paren)
    if not m:
        return
    if _WEEKDAY_NUM[m.group(1)] != d.weekday():
        actual = "一二三四五六日"[d.weekday()]
        errors.append(f"{p}{d.isoformat()} 标注为周{m.group(1)}，实际是周{actual}")


def parse_notice_text(text: str, year: int) -> ParsedNotice:
    """Parse a pasted State Council holiday notice (国务院办公厅关于XXXX年部分节假日安排的通知)
    or a simple line format into holiday ranges and make-up working days.

    Notice lines look like::

        一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。1月4日（周一）上班。
        二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
        六、中秋节：9月25日（周五）放假。

    Simple lines::

        2027-01-01~2027-01-03 元旦      (also "2027-01-01 至 2027-01-03 元旦")
        2027-04-05 清明节               (single day)
        上班 2027-02-06                 (or "2027-02-06 上班": make-up working day)

    Lines without dates (title, preamble) are ignored, and so are 月日 lines that mention
    neither 放假 nor 上班 (e.g. the signature date) and page metadata lines (发布日期,
    成文日期, 索引号 ...). When a range's end omits the month
    ("至3日") it takes the start's month, rolling to the next month if the day is earlier.
    A range written with explicit years that crosses into the neighbouring year (the 2023
    notice had 元旦 "2022年12月31日至2023年1月2日") is clipped to ``year`` with a warning;
    anything else outside ``year`` is an error. Dates' weekday annotations and "共N天" are
    checked. Then ``validate_notice`` runs on the result.
    """
    result = ParsedNotice()
    errors = result.errors
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.translate(_FW_TABLE).strip()
        if not line:
            continue
        p = _prefix(lineno)
        try:
            if any(w in line for w in _META_WORDS):
                continue  # page metadata pasted with the notice (发布日期, 成文日期, 索引号 ...)
            if _ISO_DATE.search(line):
                _parse_simple_line(line, lineno, year, result)
            elif _CN_DATE.search(line) and ("放假" in line or any(w in line for w in _WORK_WORDS)):
                _parse_notice_line(line, lineno, year, result)
        except _DateErr as e:
            errors.append(f"{p}无法识别的日期 {e.args[0]}")

    errors.extend(
        validate_notice(result.holidays, result.makeup_days, year, result.makeup_lines)
    )
    return result


def _add_range(
    result: ParsedNotice,
    start: date,
    end: date,
    name: str,
    lineno: int,
    year: int,
    explicit_year: bool,
) -> None:
    """Append a holiday range, clipping an explicitly cross-year range to ``year``."""
    if explicit_year and start <= end and start.year <= year <= end.year and (
        start.year != year or end.year != year
    ):
        clipped_start = max(start, date(year, 1, 1))
        clipped_end = min(end, date(year, 12, 31))
        result.warnings.append(
            f"第{lineno}行：放假区间 {start.isoformat()} 至 {end.isoformat()} 跨年，"
            f"只保留{year}年内的 {clipped_start.isoformat()} 至 {clipped_end.isoformat()}"
        )
        start, end = clipped_start, clipped_end
    result.holidays.append(HolidayRange(start, end, name, lineno))


def _parse_simple_line(line: str, lineno: int, year: int, result: ParsedNotice) -> None:
    matches = list(_ISO_DATE.finditer(line))
    dates = [_mk_date(int(m.group(1)), int(m.group(2)), int(m.group(3))) for m in matches]
    if any(w in line for w in _WORK_WORDS):
        for d in dates:
            result.makeup_days.append(d)
            result.makeup_lines.append(lineno)
        return
    # Holiday: "A~B name", "A 至 B name" or "A name".
    rest_parts = []
    pos = 0
    for m in matches:
        rest_parts.append(line[pos : m.start()])
        pos = m.end()
    rest_parts.append(line[pos:])
    name_text = "".join(rest_parts)
    if len(dates) >= 2 and _ISO_SEP.match(line[matches[0].end() : matches[1].start()]):
        start, end = dates[0], dates[1]
        extra = dates[2:]
    else:
        start = end = dates[0]
        extra = dates[1:]
    if extra:
        result.errors.append(
            f"第{lineno}行：一行只能写一个放假区间（多出的日期 "
            + "、".join(d.isoformat() for d in extra)
            + "）"
        )
    name = re.sub(r"(?:~|至|到|放假|-{1,2})", " ", name_text)
    name = re.sub(r"[\s,:;.]+", " ", name).strip()
    _add_range(result, start, end, name, lineno, year, explicit_year=True)


def _split_clauses(line: str) -> list[str]:
    return [c for c in re.split(r"[.;]", line) if c.strip()]


def _parse_notice_line(line: str, lineno: int, year: int, result: ParsedNotice) -> None:
    body = _ENUM_PREFIX.sub("", line)
    name = ""
    if ":" in body:
        head, body = body.split(":", 1)
        if not _CN_DATE.search(head):
            name = head.strip()
        else:
            body = head + ":" + body
    for clause in _split_clauses(body):
        hol_pos = clause.find("放假")
        cds = _cn_dates(clause)
        if not cds:
            continue
        if hol_pos >= 0:
            before = [cd for cd in cds if cd.end <= hol_pos]
            after = [cd for cd in cds if cd.start >= hol_pos]
            if before:
                _notice_range(clause, before, name, lineno, year, result)
            if after and any(w in clause[hol_pos:] for w in _WORK_WORDS):
                _notice_makeups(after, lineno, year, result)
        elif any(w in clause for w in _WORK_WORDS):
            _notice_makeups(cds, lineno, year, result)
        # Clauses with dates but neither word (e.g. commentary) are ignored.


def _resolve(cd: _CnDate, year: int, month_default: int | None) -> date:
    y = cd.year if cd.year is not None else year
    mo = cd.month if cd.month is not None else month_default
    if mo is None:
        raise _DateErr(f"{y:04d}-??-{cd.day:02d}")
    return _mk_date(y, mo, cd.day)


def _notice_range(
    clause: str, cds: list[_CnDate], name: str, lineno: int, year: int, result: ParsedNotice
) -> None:
    p = _prefix(lineno)
    first = cds[0]
    start = _resolve(first, year, None)
    _check_weekday(first, start, p, result.errors)
    end = start
    used = 1
    if len(cds) >= 2 and _RANGE_SEP.match(clause[first.end : cds[1].start]):
        second = cds[1]
        used = 2
        if second.month is None:
            # "至3日": same month as the start, rolling to the next month if earlier.
            y = second.year if second.year is not None else start.year
            mo = start.month
            if second.day < start.day:
                mo += 1
                if mo == 13:
                    mo, y = 1, y + 1
            end = _mk_date(y, mo, second.day)
        else:
            if second.year is not None:
                y = second.year
            else:
                # "12月31日至1月2日" without years: the end is in the following year. Any
                # other backwards range stays in the year (reported as 起止颠倒).
                y = start.year + (1 if (start.month, second.month) == (12, 1) else 0)
            end = _mk_date(y, second.month, second.day)
        _check_weekday(second, end, p, result.errors)
    if len(cds) > used:
        result.errors.append(f"{p}一行只能写一个放假区间（无法理解“{clause.strip()}”）")
    m = _TOTAL_DAYS.search(clause)
    if m and end >= start:
        total = int(m.group(1))
        span = (end - start).days + 1
        if total != span:
            result.errors.append(
                f"{p}放假天数不符：{start.isoformat()} 至 {end.isoformat()} 是{span}天，通知写“共{total}天”"
            )
    explicit = first.year is not None or (used == 2 and cds[1].year is not None)
    _add_range(result, start, end, name, lineno, year, explicit_year=explicit)


def _notice_makeups(cds: list[_CnDate], lineno: int, year: int, result: ParsedNotice) -> None:
    p = _prefix(lineno)
    month = None
    for cd in cds:
        d = _resolve(cd, year, month)
        month = d.month
        _check_weekday(cd, d, p, result.errors)
        result.makeup_days.append(d)
        result.makeup_lines.append(lineno)
