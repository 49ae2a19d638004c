"""Quarters as the bulletin counts them: "2026-Q3" ↔ 2026年第三季度, 1 July – 30 September."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from ..errors import ServiceError

CN_NUMERALS = "一二三四"
KEY_RE = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str | None) -> Quarter:
        """"2026-Q3" → Quarter(2026, 3); anything else is refused in Chinese."""
        value = (text or "").strip().upper()
        match = KEY_RE.match(value)
        if not match:
            raise ServiceError(f"季度格式不正确：“{(text or '').strip()}”，应为 YYYY-Qn（如 2026-Q3，n 为1至4）。",
                               "quarter")
        year = int(match.group(1))
        if not 2004 <= year <= 2100:
            raise ServiceError(f"年份超出范围：{year}。", "quarter")
        return cls(year, int(match.group(2)))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.q}"

    @property
    def label(self) -> str:
        """2026年第三季度 (official-documents.md: quarters read 2026年第三季度)."""
        return f"{self.year}年第{CN_NUMERALS[self.q - 1]}季度"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def has_ended(self, today: date) -> bool:
        return self.end < today

    def __str__(self) -> str:
        return self.key


def first_workday(quarter: Quarter) -> date:
    """The first working day of ``quarter`` (2026-Q1: 4 January, a make-up Sunday; 2026-Q4: 8 October)."""
    from ..workcal.services import add_workdays

    return add_workdays(quarter.start - timedelta(days=1), 1).day


def cn_date(day: date) -> str:
    """2026年10月9日: Arabic numerals without leading zeros (GB/T 9704-2012)."""
    return f"{day.year}年{day.month}月{day.day}日"
