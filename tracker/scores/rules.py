"""The automatic rules of the assessment: a registry in code, one function per rule.

Each rule is a pure function over rows handed in (like ``applications/clock.py``): it gets the
rows of one unit from its source (``sources.py``: one query for every unit at once), the period,
the day up to which events count (``as_of``), its parameters from the rubric and a working-day
calendar, and yields a ``Finding`` per record that costs points. How many points a finding costs
is data in the year's rubric, never here. The first paragraph of each docstring names the rule's
legal or practical source and is shown to the units on their score page.

A rule whose records live in a module that has not landed yet is registered as a *slot* (no
function): the rubric can already carry it, it computes nothing, and adding it later is one
decorated function with the same kind.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..applications import clock
from ..applications.models import CASE_RESULTS, RATING_REASONS
from ..inspections.scoring import describe as rectification_detail
from ..inspections.scoring import missed as rectification_missed
from ..reports.scoring import failed_consistency, handed_in_late
from .numbers import points_text
from .periods import Period

# R11: a reconsideration or lawsuit whose result corrected the unit (结果纠正).
CASE_CORRECTED = "corrected"
assert CASE_CORRECTED in CASE_RESULTS


@dataclass(frozen=True)
class Finding:
    """One record that costs points under a rule, as it read when scored."""

    unit_id: int
    record_type: str   # task | application | application_case | unit | ... (see links.py)
    record_id: int
    label: str         # the record's name, frozen into the score
    detail: str        # the facts that made it count (dates)


@dataclass(frozen=True)
class Param:
    label: str
    default: int
    low: int
    high: int


@dataclass
class RuleKind:
    kind: str
    label: str                  # Chinese name of the rule, e.g. 逾期发布
    category: str               # the category it belongs to in the default rubric
    points: Decimal             # default deduction per finding
    per: str                    # 每项 / 每件 / 每次
    source: str                 # legal or practical source (first paragraph of the docstring)
    rows: str | None            # the source of rows it reads (sources.SOURCES)
    params: dict[str, Param] = field(default_factory=dict)
    fn: Callable[..., Iterable[Finding]] | None = None
    awaiting: str = ""          # a slot: the module whose records it will read

    @property
    def available(self) -> bool:
        return self.fn is not None

    def describe(self, points, params: dict | None = None) -> str:
        """"逾期发布：每项扣2分" (with the parameters where the rule has any)."""
        text = f"{self.label}：{self.per}扣{points_text(points)}分"
        for name, p in self.params.items():
            text += f"（{p.label}{(params or {}).get(name, p.default)}）"
        return text


RULES: dict[str, RuleKind] = {}


def _source(fn) -> str:
    return (fn.__doc__ or "").strip().split("\n\n")[0].replace("\n", "").strip()


def rule(kind: str, label: str, *, category: str, points: str, rows: str, per: str = "每项",
         params: dict[str, Param] | None = None):
    """Register ``fn(rows, period, as_of, params, calendar) -> findings`` as the rule ``kind``
    (filling its slot if one was registered)."""
    def decorate(fn):
        RULES[kind] = RuleKind(kind, label, category, Decimal(points), per, _source(fn), rows, params or {}, fn)
        return fn
    return decorate


def slot(kind: str, label: str, *, category: str, points: str, source: str, awaiting: str, per: str = "每项"):
    """Reserve ``kind`` for a rule whose records come with another module; filled by ``@rule``."""
    if kind not in RULES:
        RULES[kind] = RuleKind(kind, label, category, Decimal(points), per, source, None, {}, None, awaiting)


def evaluate(kind: str, rows: list, period: Period, as_of: date, params: dict, calendar) -> list[Finding]:
    """Run one registered rule over one unit's rows (nothing for a slot)."""
    spec = RULES[kind]
    if spec.fn is None:
        return []
    values = {name: int(params.get(name, p.default)) for name, p in spec.params.items()}
    return list(spec.fn(rows, period, as_of, values, calendar))


def _d(day: date | None) -> str:
    return f"{day:%Y-%m-%d}" if day else "—"


# --- 组织制度 (organisation) ------------------------------------------------------------------------

@rule("no_active_contact", "未配备在岗联络员", category="organisation", points="5", rows="units", per="每单位")
def no_active_contact(units, period: Period, as_of: date, params: dict, calendar):
    """《政府信息公开条例》第四条：各级人民政府及县级以上人民政府部门应当建立健全本行政机关的政府信息公开工作制度，并指定机构负责本行政机关政府信息公开的日常工作。

    The unit has no active contact (联络员) account. The tracker keeps no history of accounts, so
    this is the state when the score is computed.
    """
    for u in units:
        if not u.has_contact:
            yield Finding(u.unit_id, "unit", u.unit_id, u.name, "计算得分时本单位没有在用的联络员账号")


# --- 主动公开 (proactive disclosure) ------------------------------------------------------------------

@rule("published_late", "逾期发布", category="proactive", points="2", rows="tasks")
def published_late(tasks, period: Period, as_of: date, params: dict, calendar):
    """《政府信息公开条例》第二十六条：属于主动公开范围的政府信息，应当自该政府信息形成或者变更之日起20个工作日内及时公开。

    A task whose deadline fell in the period and that was published after its deadline
    (disclosure's ``late_clause``), on or before ``as_of``. One published only after ``as_of``
    was still overdue then and counts under ``overdue_at_end`` instead, never under both.
    """
    for t in tasks:
        if period.contains(t.due_date) and t.published_late and t.published_on <= as_of:
            yield Finding(t.unit_id, "task", t.id, t.title,
                          f"公开期限 {_d(t.due_date)}，实际发布 {_d(t.published_on)}")


@rule("overdue_at_end", "期末仍逾期未公开", category="proactive", points="2", rows="tasks")
def overdue_at_end(tasks, period: Period, as_of: date, params: dict, calendar):
    """《政府信息公开条例》第二十六条：属于主动公开范围的政府信息，应当自该政府信息形成或者变更之日起20个工作日内及时公开。

    A task whose deadline fell in the period, on or before ``as_of``, and that was not published
    by the end of that day: still open (disclosure's ``OPEN_STATES``), or published only later.
    """
    for t in tasks:
        if not period.contains(t.due_date) or t.due_date > as_of:
            continue
        if t.is_open:
            yield Finding(t.unit_id, "task", t.id, t.title, f"公开期限 {_d(t.due_date)}，截至 {_d(as_of)} 仍未公开")
        elif t.is_done and t.published_on is not None and t.published_on > as_of:
            yield Finding(t.unit_id, "task", t.id, t.title,
                          f"公开期限 {_d(t.due_date)}，截至 {_d(as_of)} 仍未公开（{_d(t.published_on)} 才发布）")


@rule("not_acknowledged", "未按时签收", category="proactive", points="0.5", rows="tasks",
      params={"days": Param("签收时限（工作日）：", 3, 1, 30)})
def not_acknowledged(tasks, period: Period, as_of: date, params: dict, calendar):
    """本地督办制度（实践）：公开任务下达后，单位联络员应在3个工作日内签收。

    A task not acknowledged within ``days`` working days after it was issued (the day of issue
    not counted, domain.md §4). It counts in the period in which that limit fell, once the limit
    has passed by ``as_of``: acknowledged after the limit, or still unacknowledged and open.
    """
    days = params["days"]
    for t in tasks:
        limit = calendar.add(t.issued_on, days).day
        if not period.contains(limit) or limit > as_of:
            continue
        ack = t.acknowledged_on
        if ack is not None and ack > limit:
            yield Finding(t.unit_id, "task", t.id, t.title,
                          f"{_d(t.issued_on)} 下达，应于 {_d(limit)} 前签收，{_d(ack)} 才签收")
        elif ack is None and t.is_open:
            yield Finding(t.unit_id, "task", t.id, t.title,
                          f"{_d(t.issued_on)} 下达，应于 {_d(limit)} 前签收，截至 {_d(as_of)} 未签收")


@rule("verification_failed", "发布后核验未通过", category="proactive", points="1", rows="verification_failures",
      per="每次")
def verification_failed(events, period: Period, as_of: date, params: dict, calendar):
    """《政府信息公开条例》第二十三条：行政机关应当建立健全政府信息发布机制，将主动公开的政府信息通过政府网站等便于公众知晓的方式公开；公开办核验发现网址无法打开或内容缺失的，责令整改（实践）。

    Each failed verification by the office (核验未通过) on a day in the period, up to ``as_of``;
    one item per failure, so a task failed twice counts twice. Not in the default rubric
    (scoring.md does not list it): the office adds it to a year's rubric if its assessment counts it.
    """
    for e in events:
        if period.contains(e.day) and e.day <= as_of:
            yield Finding(e.unit_id, "task_event", e.id, e.title,
                          f"{_d(e.day)} 核验未通过：{(e.reason or '')[:200]}")


# --- 依申请公开 (applications) ---------------------------------------------------------------------

@rule("reply_late", "逾期答复", category="applications", points="6", rows="replies", per="每件")
def reply_late(applications, period: Period, as_of: date, params: dict, calendar):
    """《政府信息公开条例》第三十三条：不能当场答复的，应当自收到申请之日起20个工作日内予以答复；需要延长答复期限的，延长的期限最长不得超过20个工作日。

    An application whose reply deadline (the clock's, with its pauses and extension) fell in the
    period, on or before ``as_of``, and whose reply came after it (the clock's ``reply_late``), or
    which still had no reply at the end of ``as_of``.
    """
    for a in applications:
        if not period.contains(a.due_date) or a.due_date > as_of:
            continue
        name = f"{a.tracking_code} {a.title}"
        if a.closed_on is not None and a.closed_on <= as_of:
            if a.reply_late:
                yield Finding(a.unit_id, "application", a.id, name,
                              f"答复期限 {_d(a.due_date)}，{_d(a.closed_on)} 才答复")
        elif a.is_running or a.closed_on is not None:
            yield Finding(a.unit_id, "application", a.id, name,
                          f"答复期限 {_d(a.due_date)}，截至 {_d(as_of)} 未答复")


@rule("case_corrected", "复议、诉讼被纠正", category="applications", points="3", rows="cases", per="每件")
def case_corrected(cases, period: Period, as_of: date, params: dict, calendar):
    """《政府信息公开条例》第五十一条、第五十三条：申请人可以依法申请行政复议或者提起行政诉讼；行政机关违反条例规定的，由上一级行政机关责令改正。

    A reconsideration or lawsuit about an application decided in the period (on or before
    ``as_of``) with the result 纠正 (R11).
    """
    for c in cases:
        if c.result == CASE_CORRECTED and period.contains(c.decided_on) and c.decided_on <= as_of:
            yield Finding(c.unit_id, "application_case", c.id, f"{c.kind_label}（{c.tracking_code}）",
                          f"{_d(c.filed_on)} 立案，{_d(c.decided_on)} 审结，结果纠正")


@rule("correction_late", "补正告知超期", category="applications", points="1", rows="corrections", per="每件")
def correction_late(notices, period: Period, as_of: date, params: dict, calendar):
    """《政府信息公开条例》第三十条：申请内容不明确的，行政机关应当给予指导和释明，并自收到申请之日起7个工作日内一次性告知申请人作出补正。

    A correction request (补正告知) sent in the period (on or before ``as_of``) later than 7
    working days after the receipt date (the application clock's ``correction_limit``). It counts
    when it was sent late: until then nobody knows that one will be sent at all.
    """
    for n in notices:
        if not period.contains(n.sent_on) or n.sent_on > as_of:
            continue
        limit = clock.correction_limit(n.receipt_date, calendar).day
        if n.sent_on > limit:
            yield Finding(n.unit_id, "application", n.application_id, f"{n.tracking_code} {n.title}",
                          f"{_d(n.receipt_date)} 收到申请，应于 {_d(limit)} 前告知补正，{_d(n.sent_on)} 才发出")


@rule("rating_dissatisfied", "社会评议不满意", category="applications", points="1", rows="ratings", per="每件")
def rating_dissatisfied(ratings, period: Period, as_of: date, params: dict, calendar):
    """《政府信息公开条例》第四十七条：政府信息公开工作主管部门应当加强对政府信息公开工作的日常指导和监督检查；社会评议结果作为考核的参考（实践）。

    An applicant's 不满意 with the unit's reply, given in the period on or before ``as_of``
    (``applications.ratings``). The item names neither the applicant nor the application (units
    do not see who rated). Not in the default rubric: the office adds it to a year's rubric, with
    the points it decides, if its assessment counts the public's evaluation.
    """
    for r in ratings:
        if r.level == "dissatisfied" and period.contains(r.rated_on) and r.rated_on <= as_of:
            yield Finding(r.unit_id, "application_rating", r.id, f"社会评议不满意（{_d(r.rated_on)}）",
                          f"主要原因：{RATING_REASONS.get(r.reason, r.reason or '未说明')}")


# --- 年度报告 (annual report) ------------------------------------------------------------------------

def _report_record(r) -> tuple[str, int]:
    """The report itself, or (never started) its year, so the item still names what is missing."""
    return ("annual_report", r.report_id) if r.report_id is not None else ("report_year", r.year)


@rule("annual_report_late", "年度报告逾期报送", category="annual_report", points="5", rows="annual_reports",
      per="每份")
def annual_report_late(reports, period: Period, as_of: date, params: dict, calendar):
    """《政府信息公开条例》第四十九条、第五十条：政府信息公开工作年度报告应于每年1月31日前向本级政府信息公开工作主管部门提交并向社会公布；本地按公开办规定的内部报送期限考核（实践）。

    A unit's report whose internal due date fell in the period, on or before ``as_of``, handed in
    after that date or not handed in by ``as_of`` (``reports.scoring.handed_in_late``).
    """
    for r in reports:
        if not period.contains(r.due_date) or r.due_date > as_of or not handed_in_late(r, as_of):
            continue
        kind, record_id = _report_record(r)
        when = (f"{_d(r.first_handed_on)} 才报送" if r.first_handed_on is not None and r.first_handed_on <= as_of
                else f"截至 {_d(as_of)} 未报送")
        yield Finding(r.unit_id, kind, record_id, r.label, f"报送期限 {_d(r.due_date)}，{when}")


@rule("annual_report_inconsistent", "年度报告提交时勾稽校验不通过", category="annual_report", points="5",
      rows="annual_reports", per="每份")
def annual_report_inconsistent(reports, period: Period, as_of: date, params: dict, calendar):
    """《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）：年度报告应按统一格式填报，表格数据勾稽关系须一致。

    A unit's attempt to hand its report in that the consistency check refused
    (``reports.scoring.failed_consistency``), counted once per report in the period of that
    first refused attempt (on or before ``as_of``), even if a corrected report followed.
    """
    for r in reports:
        if failed_consistency(r) and period.contains(r.first_refused_on) and r.first_refused_on <= as_of:
            kind, record_id = _report_record(r)
            broken = "；".join(r.refused_violations)[:300]
            yield Finding(r.unit_id, kind, record_id, r.label, f"{_d(r.first_refused_on)} 报送时勾稽校验未通过：{broken}")


# --- 督查整改 (inspection follow-up) ----------------------------------------------------------------

@rule("rectification_overdue", "整改逾期未完成", category="inspection", points="2", rows="rectifications")
def rectification_overdue(items, period: Period, as_of: date, params: dict, calendar):
    """《政府信息公开条例》第四十六条、第四十七条：政府信息公开工作主管部门应当加强对政府信息公开工作的日常指导和监督检查，对发现的问题督促整改。

    A rectification item (整改事项, from an inspection or a bulletin) whose deadline fell in the
    period and that was not done by it, judged at the end of ``as_of``
    (``inspections.scoring.missed``: answered after the deadline, or not answered and the deadline
    passed; an answer the office returned does not count as done).
    """
    for r in items:
        if period.contains(r.due_date) and rectification_missed(r, as_of):
            yield Finding(r.unit_id, "rectification", r.id, r.title, rectification_detail(r, as_of))


# --- 网站巡查 (website inspection): filled by tracker/website/scoring.py when the app starts ---------

slot("website_columns", "网站巡查：栏目不更新或空白", category="proactive", points="1", awaiting="website",
     source="《政府网站发展指引》（国办发〔2017〕47号）及全国政府网站普查指标：栏目不更新、空白栏目。")
slot("website_links", "网站巡查：链接错误", category="proactive", points="0.5", awaiting="website",
     source="《政府网站发展指引》（国办发〔2017〕47号）及全国政府网站普查指标：错链、断链。")
slot("website_privacy", "网站巡查：隐私信息泄露", category="confidentiality", points="2", awaiting="website",
     source="《政府信息公开条例》第十五条：涉及个人隐私的政府信息不得公开。")
