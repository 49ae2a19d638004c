"""Table 三 and table 四 of the annual report (国办公开办函〔2021〕30号; annual-report-format.md).

* 一 new this year: receipt date (Art. 31) in the year.
* 二 carried over: received in an earlier year and not closed by December 31 of the previous year.
* 三 outcomes: applications closed in the year (closing day = the day the reply counts as given,
  R9, or the day of closure), each in the row of its final outcome.
* 四 carried to next year: received by December 31 and not closed by then.
So 一 + 二 = （七）总计 + 四 holds by construction; ``check_table_three`` checks any table
(e.g. one typed in by hand for the annual report) and names the wrong cell.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select

from ..extensions import db
from .models import APPLICANT_KINDS, CASE_RESULTS, Application, ApplicationCase
from .outcomes import TREE

COLUMNS = list(APPLICANT_KINDS) + ["total"]
COLUMN_LABELS = list(APPLICANT_KINDS.values()) + ["总计"]
NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


@dataclass
class Row:
    key: str
    label: str
    level: int                        # 0 main row, 1 outcome group, 2 numbered sub-row
    values: list[int] | None = None   # 7 numbers, or None for a heading row without figures

    def value(self, column: str) -> int | None:
        return None if self.values is None else self.values[COLUMNS.index(column)]


@dataclass
class TableThree:
    year: int
    unit_id: int | None
    rows: list[Row] = field(default_factory=list)

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def as_dict(self) -> dict[str, list[int] | None]:
        return {r.key: r.values for r in self.rows}


def _layout() -> list[Row]:
    rows = [Row("new", "一、本年新收政府信息公开申请数量", 0),
            Row("carried", "二、上年结转政府信息公开申请数量", 0),
            Row("outcomes", "三、本年度办理结果", 0)]
    for group, label, leaves in TREE:
        rows.append(Row(group, label, 1))
        rows += [Row(key, leaf_label, 2) for key, leaf_label, _ in leaves]
    rows += [Row("total", "（七）总计", 1), Row("carry_next", "四、结转下年度继续办理", 0)]
    return rows


def outcome_keys() -> list[str]:
    """The rows that hold outcome figures: the leaves of the taxonomy."""
    keys = []
    for group, _, leaves in TREE:
        keys += [k for k, _, _ in leaves] if leaves else [group]
    return keys


def _applications(year: int, unit_id: int | None = None, by_unit: bool = False, unit_ids=None):
    """(unit_id, kind, receipt date, closing day, outcome) of the applications that can appear in
    ``year``'s table: received by December 31 and not closed before January 1."""
    stmt = select(Application.unit_id, Application.applicant_kind, Application.receipt_date,
                  Application.closed_on, Application.outcome).where(
        Application.receipt_date.is_not(None), Application.receipt_date <= date(year, 12, 31),
        or_(Application.closed_on.is_(None), Application.closed_on >= date(year, 1, 1)))
    if unit_id is not None and not by_unit:
        stmt = stmt.where(Application.unit_id == unit_id)
    if unit_ids is not None:
        stmt = stmt.where(or_(Application.unit_id.in_(list(unit_ids)), Application.unit_id.is_(None)))
    return db.session.execute(stmt).all()


def table_three(year: int, unit_id: int | None = None) -> TableThree:
    """The figures of table 三 for one unit (or every unit) and a year."""
    return count_table_three(year, unit_id, [r[1:] for r in _applications(year, unit_id)])


def tables_three_by_unit(year: int, unit_ids=None) -> dict[int | None, TableThree]:
    """Table 三 of every unit (or of ``unit_ids``) that has figures in ``year`` (one query, however
    many units); applications not (yet) routed to a unit are under ``None``."""
    rows: dict[int | None, list] = {}
    for unit_id, *rest in _applications(year, by_unit=True, unit_ids=unit_ids):
        rows.setdefault(unit_id, []).append(rest)
    return {unit_id: count_table_three(year, unit_id, r) for unit_id, r in rows.items()}


def empty_table_three(year: int, unit_id: int | None = None) -> TableThree:
    return count_table_three(year, unit_id, [])


def count_table_three(year: int, unit_id: int | None, applications) -> TableThree:
    """Table 三 from rows handed in: (applicant kind, receipt date, closing day, outcome)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    counts: dict[str, list[int]] = {}

    def add(key: str, kind: str) -> None:
        values = counts.setdefault(key, [0] * len(COLUMNS))
        values[COLUMNS.index(kind if kind in APPLICANT_KINDS else "other")] += 1
        values[-1] += 1

    leaves = set(outcome_keys())
    for kind, received, closed, outcome in applications:
        if received >= start:
            add("new", kind)
        elif closed is None or closed >= start:
            add("carried", kind)
        else:
            continue  # closed before this year: not in this year's table
        if closed is not None and closed <= end:
            add(outcome if outcome in leaves else "other.other", kind)
            add("total", kind)
        else:
            add("carry_next", kind)

    table = TableThree(year, unit_id, _layout())
    headings = {"outcomes"} | {g for g, _, leaves_ in TREE if leaves_}
    for row in table.rows:
        if row.key not in headings:
            row.values = counts.get(row.key, [0] * len(COLUMNS))
    return table


@dataclass(frozen=True)
class Violation:
    """A broken consistency rule: the cell it marks (row key, column key), the rule in words and
    the message naming the figures."""

    row: str
    column: str
    rule: str
    message: str


RULE_BALANCE = "本列第一项加第二项之和，应等于第三项（七）总计加第四项之和"
RULE_OUTCOMES = "（七）总计应等于（一）至（六）各项（含其下各小项）之和"
RULE_ROW_TOTAL = "总计列应等于自然人与法人或其他组织五列之和"
RULE_FOUR_TOTAL = "总计应等于结果维持、结果纠正、其他结果、尚未审结四项之和"


def table_three_violations(table: TableThree, leaves: list[str] | None = None) -> list[Violation]:
    """The three consistency rules of table 三 (annual-report-format.md), per column and per row.
    ``leaves``: the outcome rows that add up to （七）总计 (the 2019 format has （六） as one row)."""
    found = []
    leaves = outcome_keys() if leaves is None else leaves
    rows = {r.key: r for r in table.rows}

    def v(key, col):
        return rows[key].values[col] if rows[key].values is not None else 0

    for col, label in enumerate(COLUMN_LABELS):
        left = v("new", col) + v("carried", col)
        right = v("total", col) + v("carry_next", col)
        if left != right:
            found.append(Violation("carry_next", COLUMNS[col], RULE_BALANCE,
                                   f"“{label}”列：一（{v('new', col)}）+二（{v('carried', col)}）={left}，"
                                   f"不等于（七）总计（{v('total', col)}）+四（{v('carry_next', col)}）={right}。"))
        parts = sum(v(k, col) for k in leaves)
        if parts != v("total", col):
            found.append(Violation("total", COLUMNS[col], RULE_OUTCOMES,
                                   f"“{label}”列：（七）总计为{v('total', col)}，但（一）至（六）各项之和为{parts}。"))
    for row in table.rows:
        if row.values is None:
            continue
        parts = sum(row.values[:-1])
        if parts != row.values[-1]:
            found.append(Violation(row.key, "total", RULE_ROW_TOTAL,
                                   f"“{row.label}”行：总计为{row.values[-1]}，但自然人与法人或其他组织各列之和为{parts}。"))
    return found


def check_table_three(table: TableThree) -> list[str]:
    """The three consistency rules of table 三; each broken one names the cell (Chinese)."""
    return [v.message for v in table_three_violations(table)]


# --- table 四 -----------------------------------------------------------------------------------

FOUR_GROUPS = [("reconsideration", "行政复议"), ("lawsuit_direct", "行政诉讼 › 未经复议直接起诉"),
               ("lawsuit_after", "行政诉讼 › 复议后起诉")]
FOUR_COLUMNS = list(CASE_RESULTS) + ["total"]
FOUR_COLUMN_LABELS = list(CASE_RESULTS.values()) + ["总计"]


def _cases(year: int, unit_id: int | None = None, by_unit: bool = False, unit_ids=None):
    stmt = select(ApplicationCase.unit_id, ApplicationCase.kind, ApplicationCase.result,
                  ApplicationCase.decided_on).where(ApplicationCase.filed_on >= date(year, 1, 1),
                                                    ApplicationCase.filed_on <= date(year, 12, 31))
    if unit_id is not None and not by_unit:
        stmt = stmt.where(ApplicationCase.unit_id == unit_id)
    if unit_ids is not None:
        stmt = stmt.where(or_(ApplicationCase.unit_id.in_(list(unit_ids)), ApplicationCase.unit_id.is_(None)))
    return db.session.execute(stmt).all()


def table_four(year: int, unit_id: int | None = None) -> dict[str, list[int]]:
    """Table 四: cases filed in the year, by kind, with their result as at December 31
    (a case decided later is 尚未审结 in that year's table). Each 总计 sums the four before it."""
    return count_table_four(year, [r[1:] for r in _cases(year, unit_id)])


def tables_four_by_unit(year: int, unit_ids=None) -> dict[int | None, dict[str, list[int]]]:
    """Table 四 of every unit (or of ``unit_ids``) with cases filed in ``year`` (one query)."""
    rows: dict[int | None, list] = {}
    for unit_id, *rest in _cases(year, by_unit=True, unit_ids=unit_ids):
        rows.setdefault(unit_id, []).append(rest)
    return {unit_id: count_table_four(year, r) for unit_id, r in rows.items()}


def count_table_four(year: int, cases) -> dict[str, list[int]]:
    """Table 四 from rows handed in: (kind, result, decision day)."""
    end = date(year, 12, 31)
    table = {kind: [0] * len(FOUR_COLUMNS) for kind, _ in FOUR_GROUPS}
    for kind, result, decided_on in cases:
        if result != "pending" and (decided_on is None or decided_on > end):
            result = "pending"
        row = table.get(kind)
        if row is None:
            continue
        row[FOUR_COLUMNS.index(result)] += 1
        row[-1] += 1
    return table


def table_four_violations(table: dict[str, list[int]]) -> list[Violation]:
    """Table 四: each 总计 is the sum of the four before it."""
    found = []
    for kind, label in FOUR_GROUPS:
        row = table[kind]
        if sum(row[:-1]) != row[-1]:
            found.append(Violation(kind, "total", RULE_FOUR_TOTAL,
                                   f"“{label}”的总计为{row[-1]}，但前四项之和为{sum(row[:-1])}。"))
    return found


def check_table_four(table: dict[str, list[int]]) -> list[str]:
    return [v.message for v in table_four_violations(table)]
