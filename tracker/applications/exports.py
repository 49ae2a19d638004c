"""The application list as an Excel file: plain columns (no Application objects, no query per
row), the identity number masked, and the working days left on each running deadline."""
from ..extensions import db
from ..units.models import Unit
from ..workcal.services import days_left_figures
from .models import APPLICANT_KINDS, CHANNELS, CLOSED_STATES, PAUSED_STATES, STATES, Application, mask_id
from .outcomes import OUTCOMES
from .services import visible_stmt

COLUMNS = [("查询码", 16), ("承办单位", 16), ("渠道", 10), ("收到日期", 12), ("申请人类型", 12), ("申请人", 14),
           ("证件号码（已脱敏）", 22), ("所需信息", 40), ("状态", 10), ("答复期限", 12), ("剩余工作日", 10), ("超期工作日", 10),
           ("期限暂定", 9),
           ("办理结果", 16), ("答复送达日期", 13), ("是否逾期答复", 12)]

_FIELDS = (Application.tracking_code, Unit.name, Application.channel, Application.receipt_date,
           Application.applicant_kind, Application.applicant_name, Application.id_number, Application.title,
           Application.state, Application.due_date, Application.outcome, Application.closed_on,
           Application.reply_late, Application.due_provisional)


def _clock(state: str, due, provisional: bool, today) -> list:
    """剩余工作日, 超期工作日 and 期限暂定 (是 on a provisional deadline or calendar) while the clock
    runs, as figures (the list shows the same as 剩余/超期 N 个工作日); blank while paused (the state
    says 暂停计时, Art. 30–34) or closed."""
    if state in CLOSED_STATES or state in PAUSED_STATES:
        return [None, None, ""]
    left, over, tentative = days_left_figures(due, today, bool(provisional))
    return [left, over, "是" if tentative else ""]


def application_rows(user, filters: tuple, today):
    """Rows for ``visible_stmt(user, *filters)``: the list's filters and its sort order."""
    stmt = visible_stmt(user, *filters, columns=_FIELDS).outerjoin(Unit, Unit.id == Application.unit_id)
    for (code, unit, channel, received, kind, name, id_number, title, state, due, outcome, closed,
         late, provisional) in db.session.execute(stmt.execution_options(yield_per=2000)):
        yield [code, unit or "", CHANNELS.get(channel, channel), received, APPLICANT_KINDS.get(kind, kind), name,
               mask_id(id_number), title, STATES.get(state, state), due, *_clock(state, due, provisional, today),
               OUTCOMES[outcome].short if outcome in OUTCOMES else "", closed, "是" if late else ""]
