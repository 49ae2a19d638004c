"""The consistency rules of the annual report (annual-report-format.md, 勾稽关系), on a report's cells.

Table 三, per column and per row (``applications.statistics.table_three_violations``):
  一 + 二 = （七）总计 + 四; （七）总计 = （一）+（二）+ the sub-rows of （三）（四）（五）（六);
  总计 column = 自然人 + the five 法人或其他组织 columns.
Table 四: each 总计 is the sum of the four before it.
Table 二: counts are whole numbers, not negative (本年增/减 of the 2019 format may be negative);
  amounts in 万元 have at most four decimals.

A report that breaks any rule cannot be handed in or exported as final; each problem names the
cell it marks (``cell``) and the rule in words.
"""
from dataclasses import dataclass
from decimal import Decimal

from ..applications.statistics import (
    COLUMNS,
    FOUR_COLUMNS,
    Row,
    TableThree,
    table_four_violations,
    table_three_violations,
)
from . import formats
from .formats import Format, key

RULE_WHOLE = "件数应为不小于0的整数"
RULE_MONEY = "金额以万元为单位，不能为负数，最多保留四位小数"


@dataclass(frozen=True)
class Problem:
    cell: str       # the cell key it marks
    rule: str       # the rule, in words
    message: str    # what is wrong, with the figures

    def as_dict(self) -> dict:
        return {"cell": self.cell, "rule": self.rule, "message": self.message}


def _table_three(fmt: Format, cells: dict) -> TableThree:
    table = TableThree(0, None)
    for r in formats.three_rows(fmt):
        values = [int(cells.get(key("three", r.key, c), 0)) for c in COLUMNS] if r.has_values else None
        table.rows.append(Row(r.key, r.label, r.level, values))
    return table


def check(fmt: Format, cells: dict) -> list[Problem]:
    """Every rule of the spec on ``cells``; an empty list when the report is consistent."""
    problems = []
    for cell_key in formats.cell_keys(fmt):
        if not cell_key.startswith("two/"):
            continue
        value = cells.get(cell_key, 0)
        label = formats.cell_label(fmt, cell_key)
        if formats.is_money(cell_key):
            d = Decimal(value)
            if d < 0 or d != d.quantize(formats.MONEY_PLACES):
                problems.append(Problem(cell_key, RULE_MONEY, f"{label}：{value} 不是有效的金额。"))
        elif Decimal(value) != int(value) or (int(value) < 0 and not formats.may_be_negative(cell_key)):
            problems.append(Problem(cell_key, RULE_WHOLE, f"{label}：{value} 不是有效的件数。"))
    for v in table_three_violations(_table_three(fmt, cells), formats.three_leaves(fmt)):
        problems.append(Problem(key("three", v.row, v.column), v.rule, v.message))
    four = {g: [int(cells.get(key("four", g, c), 0)) for c in FOUR_COLUMNS] for g, _ in formats.FOUR_GROUP_LABELS}
    for v in table_four_violations(four):
        problems.append(Problem(key("four", v.row, v.column), v.rule, v.message))
    return problems
