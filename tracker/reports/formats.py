"""The official structure of the annual report (政府信息公开工作年度报告), cell by cell.

Two formats (annual-report-format.md):

* ``2021`` — 国办公开办函〔2021〕30号, for reports on 2021 and later;
* ``2019`` — 国办公开办函〔2019〕60号, for reports on 2019 and 2020 (table 二 has other blocks and
  columns; table 三's （六）其他处理 is one row).

Every figure of a report is a **cell** with a stable key ``table/row/column`` (``two/licence/decisions``,
``three/deny.state_secret/natural``, ``four/reconsideration/upheld``); a report's figures are a flat
``{key: number}`` dict. The labels below are the official ones and appear exactly so in every export.
``grid`` lays a table out as the published reports do (merged header cells), for the HTML page,
the DOCX and the XLSX alike. Nothing here touches the database.
"""
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from ..applications.outcomes import TREE
from ..applications.statistics import COLUMNS, FOUR_COLUMNS, NOTE

FIRST_YEAR = 2019  # the Regulation as revised in 2019; earlier reports used another structure

SECTION_KEYS = ("overview", "proactive", "applications", "cases", "problems", "other")


@dataclass(frozen=True)
class Block:
    """One block of table 二: 第二十条第（N）项, its value columns and its rows."""

    key: str
    title: str
    columns: tuple[tuple[str, str], ...]   # (column key, label)
    rows: tuple[tuple[str, str], ...]      # (row key, label)


@dataclass(frozen=True)
class Format:
    key: str                  # "2021" | "2019"
    basis: str                # the State Council document that sets it
    sections: tuple[tuple[str, str], ...]
    blocks: tuple[Block, ...]
    other_has_subrows: bool   # table 三 （六）其他处理 split into three rows (2021) or one (2019)

    def section_label(self, key: str) -> str:
        return dict(self.sections)[key]


DECISIONS_2021 = (("decisions", "本年处理决定数量"),)
FORMAT_2021 = Format(
    key="2021",
    basis="国办公开办函〔2021〕30号",
    sections=(("overview", "一、总体情况"), ("proactive", "二、主动公开政府信息情况"),
              ("applications", "三、收到和处理政府信息公开申请情况"),
              ("cases", "四、政府信息公开行政复议、行政诉讼情况"),
              ("problems", "五、存在的主要问题及改进情况"), ("other", "六、其他需要报告的事项")),
    blocks=(
        Block("item1", "第二十条第（一）项",
              (("issued", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数")),
              (("rule", "规章"), ("normative", "行政规范性文件"))),
        Block("item5", "第二十条第（五）项", DECISIONS_2021, (("licence", "行政许可"),)),
        Block("item6", "第二十条第（六）项", DECISIONS_2021, (("penalty", "行政处罚"), ("enforcement", "行政强制"))),
        Block("item8", "第二十条第（八）项", (("amount", "本年收费金额（单位：万元）"),), (("fee", "行政事业性收费"),)),
    ),
    other_has_subrows=True,
)

ITEMS_2019 = (("prev_items", "上一年项目数量"), ("change", "本年增/减"), ("decisions", "处理决定数量"))
FORMAT_2019 = Format(
    key="2019",
    basis="国办公开办函〔2019〕60号",
    sections=(("overview", "一、总体情况"), ("proactive", "二、主动公开政府信息情况"),
              ("applications", "三、收到和处理政府信息公开申请情况"),
              ("cases", "四、政府信息公开行政复议、行政诉讼情况"),
              ("problems", "五、政府信息公开工作存在的主要问题及改进情况"), ("other", "六、其他需要报告的事项")),
    blocks=(
        Block("item1", "第二十条第（一）项",
              (("made", "本年新制作数量"), ("published", "本年新公开数量"), ("total", "对外公开总数量")),
              (("rule", "规章"), ("normative", "规范性文件"))),
        Block("item5", "第二十条第（五）项", ITEMS_2019, (("licence", "行政许可"), ("other_service", "其他对外管理服务事项"))),
        Block("item6", "第二十条第（六）项", ITEMS_2019, (("penalty", "行政处罚"), ("enforcement", "行政强制"))),
        Block("item8", "第二十条第（八）项", ITEMS_2019[:2], (("fee", "行政事业性收费"),)),
        Block("item9", "第二十条第（九）项", (("projects", "采购项目数量"), ("amount", "采购总金额")),
              (("procurement", "政府集中采购"),)),
    ),
    other_has_subrows=False,
)

FORMATS = {"2021": FORMAT_2021, "2019": FORMAT_2019}


def format_for(year: int) -> Format:
    """国办公开办函〔2021〕30号 from the 2021 report on; 〔2019〕60号 for 2019 and 2020."""
    if year < FIRST_YEAR:
        raise ValueError(f"{year}年度报告采用2019年以前的格式，本系统只生成2019年及以后的年度报告。")
    return FORMAT_2021 if year >= 2021 else FORMAT_2019


def title(organ: str, year: int) -> str:
    """``<机关名称><年份>年政府信息公开工作年度报告``."""
    return f"{organ}{year}年政府信息公开工作年度报告"


# --- cells ------------------------------------------------------------------------------------------

def key(table: str, row: str, column: str) -> str:
    return f"{table}/{row}/{column}"


def split(cell_key: str) -> tuple[str, str, str]:
    table, row, column = cell_key.split("/")
    return table, row, column


# Table 二 cells whose values are money in 万元 with decimals (all others are whole numbers);
# 本年增/减 may be negative.
MONEY_COLUMNS = {("fee", "amount"), ("procurement", "amount")}
SIGNED_COLUMNS = {"change"}
MONEY_PLACES = Decimal("0.0001")


@functools.lru_cache(maxsize=4096)  # called for every cell of every report summed; the keys are few
def is_money(cell_key: str) -> bool:
    table, row, column = split(cell_key)
    return table == "two" and (row, column) in MONEY_COLUMNS


def may_be_negative(cell_key: str) -> bool:
    return split(cell_key)[2] in SIGNED_COLUMNS


THREE_COLUMN_LABELS = {"natural": "自然人", "commercial": "商业企业", "research": "科研机构",
                       "public_welfare": "社会公益组织", "legal_service": "法律服务机构", "other": "其他",
                       "total": "总计"}
CORPORATE = ("commercial", "research", "public_welfare", "legal_service", "other")
FOUR_GROUP_LABELS = (("reconsideration", "行政复议"), ("lawsuit_direct", "未经复议直接起诉"),
                     ("lawsuit_after", "复议后起诉"))
FOUR_COLUMN_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结",
                      "total": "总计"}


@dataclass(frozen=True)
class ThreeRow:
    key: str
    label: str
    level: int            # 0: 一/二/三/四; 1: （一）…（七）; 2: numbered sub-rows
    has_values: bool
    group: str | None = None  # the （三）…（六） row a numbered sub-row belongs to


def three_rows(fmt: Format) -> list[ThreeRow]:
    """The rows of table 三 in order, headings (without figures) included."""
    rows = [ThreeRow("new", "一、本年新收政府信息公开申请数量", 0, True),
            ThreeRow("carried", "二、上年结转政府信息公开申请数量", 0, True),
            ThreeRow("outcomes", "三、本年度办理结果", 0, False)]
    for group, label, leaves in TREE:
        if leaves and (group != "other" or fmt.other_has_subrows):
            rows.append(ThreeRow(group, label, 1, False))
            rows += [ThreeRow(k, leaf_label, 2, True, group) for k, leaf_label, _ in leaves]
        else:
            rows.append(ThreeRow(group, label, 1, True))
    rows += [ThreeRow("total", "（七）总计", 1, True), ThreeRow("carry_next", "四、结转下年度继续办理", 0, True)]
    return rows


def three_leaves(fmt: Format) -> list[str]:
    """The outcome rows that add up to （七）总计."""
    return [r.key for r in three_rows(fmt) if r.has_values and r.level >= 1 and r.key != "total"]


def cell_keys(fmt: Format) -> list[str]:
    """Every figure of a report in this format, in reading order."""
    keys = [key("two", r, c) for b in fmt.blocks for r, _ in b.rows for c, _ in b.columns]
    keys += [key("three", r.key, c) for r in three_rows(fmt) if r.has_values for c in COLUMNS]
    keys += [key("four", g, c) for g, _ in FOUR_GROUP_LABELS for c in FOUR_COLUMNS]
    return keys


def cell_label(fmt: Format, cell_key: str) -> str:
    """A cell in words: ``表三 · 一、本年新收政府信息公开申请数量 · 自然人``."""
    table, row, column = split(cell_key)
    if table == "two":
        for b in fmt.blocks:
            if row in dict(b.rows) and column in dict(b.columns):
                return f"表二 · {b.title} · {dict(b.rows)[row]} · {dict(b.columns)[column]}"
    if table == "three":
        labels = {r.key: r.label for r in three_rows(fmt)}
        return f"表三 · {labels.get(row, row)} · {THREE_COLUMN_LABELS.get(column, column)}"
    if table == "four":
        group = dict(FOUR_GROUP_LABELS).get(row, row)
        prefix = "行政复议" if row == "reconsideration" else f"行政诉讼 · {group}"
        return f"表四 · {prefix} · {FOUR_COLUMN_LABELS.get(column, column)}"
    return cell_key


def zero(fmt: Format) -> dict:
    return {k: (Decimal("0") if is_money(k) else 0) for k in cell_keys(fmt)}


def add(total: dict, cells: dict) -> dict:
    """Cell-by-cell sum (the city report is the sum of its units' reports)."""
    for k, v in cells.items():
        total[k] = total.get(k, 0) + v
    return total


def format_value(cell_key: str, value) -> str:
    """As printed in the report: whole numbers, money in 万元 with up to four decimals."""
    if value is None:
        return ""
    if is_money(cell_key):
        d = Decimal(value).quantize(MONEY_PLACES)
        text = format(d.normalize(), "f")
        return "0" if text in ("0", "-0") else text
    return str(int(value))


# --- the JSON shape: every cell keyed by its official row and column labels ---------------------------

def labelled(fmt: Format, cells: dict) -> dict:
    """Tables 二, 三 and 四 with official labels as keys (money as a decimal string)."""
    def val(k):
        v = cells.get(k, 0)
        return format_value(k, v) if is_money(k) else int(v)

    two = {}
    for b in fmt.blocks:
        two[b.title] = {row_label: {col_label: val(key("two", r, c)) for c, col_label in b.columns}
                        for r, row_label in b.rows}

    def three_cols(row):
        return {"自然人": val(key("three", row, "natural")),
                "法人或其他组织": {THREE_COLUMN_LABELS[c]: val(key("three", row, c)) for c in CORPORATE},
                "总计": val(key("three", row, "total"))}

    three, outcomes, current = {}, {}, None
    for r in three_rows(fmt):
        if r.key == "outcomes":
            three[r.label] = outcomes
        elif r.level == 0:
            three[r.label] = three_cols(r.key)
        elif r.level == 1 and not r.has_values:
            current = outcomes[r.label] = {}
        elif r.level == 1:
            outcomes[r.label] = three_cols(r.key)
        else:
            current[r.label] = three_cols(r.key)

    def four_cols(group):
        return {FOUR_COLUMN_LABELS[c]: val(key("four", group, c)) for c in FOUR_COLUMNS}

    four = {"行政复议": four_cols("reconsideration"),
            "行政诉讼": {"未经复议直接起诉": four_cols("lawsuit_direct"), "复议后起诉": four_cols("lawsuit_after")}}
    return {"二、主动公开政府信息情况": two, "三、收到和处理政府信息公开申请情况": {"说明": NOTE, "申请人情况": three},
            "四、政府信息公开行政复议、行政诉讼情况": four}


# --- grids: the tables as published, with merged cells --------------------------------------------------

@dataclass
class GridCell:
    row: int
    col: int
    text: str = ""
    key: str | None = None      # a figure's cell key (its text is filled from the figures)
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    indent: int = 0


@dataclass
class Grid:
    name: str                   # 表二 / 表三 / 表四
    heading: str                # the section heading above the table
    cols: int
    widths: list[int]           # relative column widths (characters, for the XLSX)
    cells: list[GridCell] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return max(c.row + c.rowspan for c in self.cells)

    def put(self, row, col, text="", **kw) -> GridCell:
        cell = GridCell(row, col, text, **kw)
        self.cells.append(cell)
        return cell

    def by_row(self) -> list[list[GridCell]]:
        out = [[] for _ in range(self.rows)]
        for c in sorted(self.cells, key=lambda c: (c.row, c.col)):
            out[c.row].append(c)
        return out


def grid_two(fmt: Format) -> Grid:
    """Table 二: four (2021) or five (2019) blocks, each a title row across the table, a header row
    (信息内容 and the block's columns) and its rows; a block with fewer columns widens its last one."""
    g = Grid("表二", fmt.section_label("proactive"), 4, [24, 16, 16, 16])
    r = 0
    for b in fmt.blocks:
        g.put(r, 0, b.title, colspan=4, header=True)
        spans = [1] * (len(b.columns) - 1) + [4 - len(b.columns)]
        g.put(r + 1, 0, "信息内容", header=True)
        col = 1
        for (_, label), span in zip(b.columns, spans):
            g.put(r + 1, col, label, colspan=span, header=True)
            col += span
        r += 2
        for row_key, row_label in b.rows:
            g.put(r, 0, row_label)
            col = 1
            for (col_key, _), span in zip(b.columns, spans):
                g.put(r, col, key=key("two", row_key, col_key), colspan=span)
                col += span
            r += 1
    return g


def grid_three(fmt: Format) -> Grid:
    """Table 三: the note top left over three header rows; 申请人情况 › 自然人 | 法人或其他组织 (five) | 总计;
    row labels in three columns, 三、本年度办理结果 and each （三）…（六） merged down their rows."""
    g = Grid("表三", fmt.section_label("applications"), 10, [10, 16, 44] + [9] * 7)
    g.put(0, 0, NOTE, rowspan=3, colspan=3, header=True)
    g.put(0, 3, "申请人情况", colspan=7, header=True)
    g.put(1, 3, "自然人", rowspan=2, header=True)
    g.put(1, 4, "法人或其他组织", colspan=5, header=True)
    g.put(1, 9, "总计", rowspan=2, header=True)
    for i, c in enumerate(CORPORATE):
        g.put(2, 4 + i, THREE_COLUMN_LABELS[c], header=True)
    rows = three_rows(fmt)
    r = 3
    outcome_rows = [x for x in rows if x.level >= 1]
    for x in rows:
        if x.key == "outcomes":
            g.put(r, 0, x.label, rowspan=sum(1 for y in outcome_rows if y.has_values))
            continue
        if x.level == 0:
            g.put(r, 0, x.label, colspan=3)
        elif x.level == 1 and not x.has_values:
            g.put(r, 1, x.label, rowspan=sum(1 for y in rows if y.group == x.key))
            continue
        elif x.level == 1:
            g.put(r, 1, x.label, colspan=2)
        else:
            g.put(r, 2, x.label)
        for i, c in enumerate(COLUMNS):
            g.put(r, 3 + i, key=key("three", x.key, c))
        r += 1
    return g


def grid_four(fmt: Format) -> Grid:
    """Table 四: 行政复议 (five columns) | 行政诉讼 › 未经复议直接起诉 (five) · 复议后起诉 (five); one row."""
    g = Grid("表四", fmt.section_label("cases"), 15, [8] * 15)
    g.put(0, 0, "行政复议", rowspan=2, colspan=5, header=True)
    g.put(0, 5, "行政诉讼", colspan=10, header=True)
    g.put(1, 5, "未经复议直接起诉", colspan=5, header=True)
    g.put(1, 10, "复议后起诉", colspan=5, header=True)
    for i, (group, _) in enumerate(FOUR_GROUP_LABELS):
        for j, c in enumerate(FOUR_COLUMNS):
            g.put(2, i * 5 + j, FOUR_COLUMN_LABELS[c], header=True)
            g.put(3, i * 5 + j, key=key("four", group, c))
    return g


def grids(fmt: Format) -> list[Grid]:
    return [grid_two(fmt), grid_three(fmt), grid_four(fmt)]
