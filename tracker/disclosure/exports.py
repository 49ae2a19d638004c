"""Excel files of the disclosure pages (Chinese headers) and the catalogue import reader.

Exports select plain columns (no ORM objects, no query per row) and are written by
``tracker/spreadsheets.py`` as the rows arrive."""
from collections import defaultdict

from sqlalchemy import select

from ..extensions import db
from ..spreadsheets import read_rows
from ..units.models import Unit
from ..workcal.services import days_left, days_left_figures
from .models import CADENCES, CHANNELS, DONE_STATES, FREQUENCIES, OPEN_STATES, STATES, KeyArea, Task, TaskChannel
from .services import period_label, register_query, task_query

TASK_COLUMNS = [("单位", 16), ("任务名称", 40), ("重点领域", 14), ("周期", 16), ("信息形成日期", 13),
                ("公开期限", 12), ("剩余工作日", 10), ("超期工作日", 10), ("期限暂定", 9), ("状态", 9), ("签收时间", 17),
                ("发布日期", 12), ("公开渠道", 18), ("网址", 30), ("文号", 20), ("规范性文件", 10),
                ("是否逾期发布", 12), ("是否已逾期", 10), ("核验未通过次数", 14)]
TASK_HEADERS = [c[0] for c in TASK_COLUMNS]

# One row of an export: plain columns, no Task objects (an export of 150,000 tasks builds none).
_TASK_FIELDS = (Task.id, Unit.name, Task.title, KeyArea.name, Task.period_key, Task.formed_date, Task.due_date,
                Task.due_provisional, Task.state, Task.acknowledged_at, Task.published_on, Task.url,
                Task.doc_number, Task.normative, Task.verify_failures)


def _yes(flag) -> str:
    return "是" if flag else "否"


def _with_names(stmt):
    return stmt.join(Unit, Unit.id == Task.unit_id).join(KeyArea, KeyArea.id == Task.key_area_id)


def _channels_of(stmt) -> dict[int, str]:
    """Channel labels of every task ``stmt`` selects, in one query (not one per task)."""
    ids = stmt.with_only_columns(Task.id).order_by(None)
    found = defaultdict(list)
    rows = db.session.execute(select(TaskChannel.task_id, TaskChannel.channel)
                              .where(TaskChannel.task_id.in_(ids)).order_by(TaskChannel.task_id, TaskChannel.channel))
    for task_id, channel in rows:
        found[task_id].append(CHANNELS.get(channel, channel))
    return {k: "、".join(v) for k, v in found.items()}


def task_rows(filters, user, today, cutoff):
    """Rows of the task export for the list's filters: two queries whatever the number of tasks."""
    stmt = task_query(filters, user, today, cutoff, columns=_TASK_FIELDS)
    channels = _channels_of(task_query(filters, user, today, cutoff, columns=(Task.id,)))
    for (task_id, unit, title, area, period, formed, due, provisional, state, acknowledged, published, url, doc,
         normative, failures) in db.session.execute(_with_names(stmt).execution_options(yield_per=2000)):
        is_open = state in OPEN_STATES
        left, over, _ = days_left_figures(due, today, provisional) if is_open else (None, None, False)
        yield [unit, title, area, period_label(period) if period else "临时", formed, due, left, over, _yes(provisional),
               STATES.get(state, state), acknowledged, published, channels.get(task_id, ""), url or "", doc or "",
               _yes(normative), _yes(state in DONE_STATES and published is not None and due is not None and published > due),
               _yes(is_open and due is not None and due < today), failures or 0]


REGISTER_COLUMNS = [("单位", 16), ("信息名称", 40), ("重点领域", 14), ("信息形成日期", 13), ("公开期限", 12),
                    ("发布日期", 12), ("按时/逾期", 10), ("逾期工作日", 10), ("公开渠道", 18), ("网址", 30), ("文号", 20),
                    ("规范性文件", 10), ("状态", 9)]
REGISTER_HEADERS = [c[0] for c in REGISTER_COLUMNS]


def days_late(due, published) -> int | None:
    """Working days after the deadline up to the publication day; None when on time (or the
    dates fall before the calendar's first year)."""
    if published is None or due is None or published <= due:
        return None
    try:
        return days_left(due, published).over
    except ValueError:  # a date before the calendar's first year
        return None


def register_rows(filters, user):
    stmt = register_query(filters, user, columns=_TASK_FIELDS)
    channels = _channels_of(register_query(filters, user, columns=(Task.id,)))
    for (task_id, unit, title, area, _period, formed, due, _provisional, state, _ack, published, url, doc,
         normative, _failures) in db.session.execute(_with_names(stmt).execution_options(yield_per=2000)):
        late = published is not None and due is not None and published > due
        yield [unit, title, area, formed, due, published, "逾期" if late else "按时", days_late(due, published),
               channels.get(task_id, ""), url or "", doc or "", _yes(normative), STATES.get(state, state)]


# Catalogue: the export is also the import template (same columns).
CATALOGUE_COLUMNS = {"单位编码": "unit_code", "单位名称": "unit_name", "公开事项": "title", "重点领域": "key_area",
                     "公开类型": "cadence", "周期": "frequency", "信息形成日（周期首日后天数）": "formation_offset_days",
                     "公开时限（工作日）": "period_days", "公开渠道": "channels", "须经审核": "review_required",
                     "备注": "note"}


def catalogue_rows(duties):
    for d in duties:
        yield [d.unit.code, d.unit.name, d.title, d.key_area.name, CADENCES[d.cadence].split("（")[0],
               FREQUENCIES.get(d.frequency or "", ""), d.formation_offset_days, d.period_days,
               "、".join(d.channel_labels), "是" if d.review_required else "否", d.note or ""]


def read_catalogue(filename: str, data: bytes) -> list[dict]:
    """Rows of an uploaded catalogue workbook as dicts (``row`` = the row number in Excel)."""
    rows = read_rows(filename, data, CATALOGUE_COLUMNS, ("单位编码", "公开事项", "重点领域", "公开类型"),
                     allow_csv=False, strict=False, hint="（请以导出的目录文件为模板）")
    return [{**cells, "row": number} for number, cells in rows]
