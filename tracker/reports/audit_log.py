"""How the 操作日志 (audit log) shows annual reports, their cells and normative documents.

Kept beside the models, not in them: models know nothing of the page. ``audit/sources.py``
imports this module when the app starts."""

from ..audit.present import choice, describe_keys, describe_object
from .models import CITY_STATES, DECISIONS, NORMATIVE_KINDS, STATES


def _describe_for_audit_log() -> None:
    """How the 操作日志 shows annual reports and normative documents (audit.present)."""

    describe_object("annual_report", "年度报告", {
        "state": ("状态", choice({**STATES, **CITY_STATES})), "overview": ("总体情况", None),
        "problems": ("存在的主要问题及改进情况", None), "other_matters": ("其他需要报告的事项", None),
        "review_note": ("审核意见", None), "return_reason": ("退回原因", None), "violations": ("未通过的校验", None),
        "decision": ("处理结果", choice(DECISIONS)), "submission": ("第几次报送", None),
        "late": ("逾期报送", None)})
    describe_object("report_year", "年度报告报送期限", {"due_date": ("报送期限", None)})
    describe_object("normative_document", "规范性文件", {
        "kind": ("类别", choice(NORMATIVE_KINDS)), "title": ("标题", None), "doc_number": ("文号", None),
        "issued_on": ("印发日期", None), "repealed_on": ("废止日期", None), "repeal_reason": ("废止理由", None)})
    describe_keys(_cell_label)


def _cell_label(key: str):
    """A report cell's key (``two/licence/decisions``) by its table, row and column labels."""
    from ..applications.outcomes import OUTCOMES
    from ..applications.statistics import COLUMN_LABELS, COLUMNS, FOUR_COLUMN_LABELS, FOUR_COLUMNS, FOUR_GROUPS
    from .formats import FORMATS
    parts = key.split("/")
    if len(parts) != 3:
        return None
    table, row, column = parts
    if table == "two":
        for fmt in FORMATS.values():
            for block in fmt.blocks:
                rows, columns = dict(block.rows), dict(block.columns)
                if row in rows and column in columns:
                    return f"表二 {rows[row]}·{columns[column]}", None
    if table == "three" and column in COLUMNS:
        label = OUTCOMES[row].label if row in OUTCOMES else row
        return f"表三 {label}·{COLUMN_LABELS[COLUMNS.index(column)]}", None
    if table == "four" and column in FOUR_COLUMNS:
        return f"表四 {dict(FOUR_GROUPS).get(row, row)}·{FOUR_COLUMN_LABELS[FOUR_COLUMNS.index(column)]}", None
    return None


_describe_for_audit_log()
