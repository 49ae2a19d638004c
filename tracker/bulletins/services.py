"""Rules of the quarterly bulletin (季度通报, domain.md §5; seed §六(四): 每季度通报一次).

One bulletin per quarter, drafted once the quarter has ended (by the job on the first working day
of the next quarter, or on demand for any past quarter), edited by the office — narrative and
rectification requirements for named units — and published: numbered (发文字号, GB/T 9704-2012),
frozen (a snapshot of everything the document shows), and announced to every unit's contacts and
reviewers and to every leader, one bell notification and one mail each, through the outbox.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from ..accounts.models import User
from ..audit.services import changes, record, snapshot
from ..errors import ServiceError
from ..extensions import db
from ..inspections.services import check_period_days, issue_rectification, supervised_units
from ..notify.models import Setting
from ..notify.services import Message, notify
from ..timeutil import china_today, utcnow
from ..units.models import UNIT_KINDS, Unit
from . import figures as figures_module
from .models import Bulletin, BulletinItem
from .quarters import Quarter, cn_date, first_workday

SETTINGS_KEY = "bulletins"
SETTING_DEFAULTS = {
    "issuer": "市人民政府办公室",            # 发文机关 (the red issuer mark and the signature)
    "number_prefix": "政公开办",            # 机关代字: 东政公开办〔2026〕3号
    "area": "全市",                        # 关于2026年第三季度全市政务公开工作情况的通报
    "addressees": "各镇人民政府，市政府各部门：",  # 主送机关
    "cc": "",                              # 抄送机关 in the 版记 (none: the line is left out)
    "item_days": 10,                       # default working days for a rectification requirement
}
MAX_NARRATIVE = 4000
NARRATIVE_FIELDS = {"good_practice": "工作亮点", "problems": "存在的问题", "requirements": "下一步工作要求"}


# --- settings -------------------------------------------------------------------------------------

def settings() -> dict:
    row = db.session.get(Setting, SETTINGS_KEY)
    return {**SETTING_DEFAULTS, **(row.value if row else {})}


def save_settings(values: dict, actor) -> dict:
    """The office sets the issuing body, the document-number prefix, the area and the addressees."""
    if actor is None or actor.role != "office":
        raise ServiceError("只有公开办可以修改通报设置。")
    clean = {}
    for key, label, limit in (("issuer", "发文机关", 60), ("number_prefix", "发文字号机关代字", 20),
                              ("area", "通报范围", 20), ("addressees", "主送机关", 200)):
        value = (values.get(key) or "").strip()
        if not value:
            raise ServiceError(f"请填写{label}。", key)
        if len(value) > limit:
            raise ServiceError(f"{label}不能超过{limit}个字符。", key)
        clean[key] = value
    if any(c in clean["number_prefix"] for c in "〔〕[]【】0123456789号"):
        raise ServiceError("机关代字只填代字本身（如“东政公开办”），年份和序号由系统按〔年份〕序号号生成。", "number_prefix")
    cc = (values.get("cc") or "").strip().rstrip("。.")
    if len(cc) > 200:
        raise ServiceError("抄送机关不能超过200个字符。", "cc")
    clean["cc"] = cc + "。" if cc else ""  # 版记: 抄送：市委办公室，市人大常委会办公室。
    if not clean["addressees"].endswith("："):
        clean["addressees"] = clean["addressees"].rstrip(":：") + "："  # 主送机关 ends with a full-width colon
    clean["item_days"] = check_period_days(values.get("item_days"))
    before = settings()
    row = db.session.get(Setting, SETTINGS_KEY)
    if row is None:
        row = Setting(key=SETTINGS_KEY, value={})
        db.session.add(row)
    row.value, row.updated_by_id, row.updated_at = clean, actor.id, utcnow()
    b, a = changes(before, clean)
    record("settings.bulletins", object_type="setting", object_id=SETTINGS_KEY, object_label="季度通报设置",
           before=b, after=a, actor=actor)
    return settings()


def title_for(q: Quarter, area: str) -> str:
    return f"关于{q.label}{area}政务公开工作情况的通报"


# --- drafting -------------------------------------------------------------------------------------

def quarter_of(bulletin: Bulletin) -> Quarter:
    return Quarter(bulletin.year, bulletin.quarter)


def find(q: Quarter) -> Bulletin | None:
    return db.session.scalar(select(Bulletin).where(Bulletin.year == q.year, Bulletin.quarter == q.q))


def check_draftable(q: Quarter, today: date) -> None:
    if not q.has_ended(today):
        raise ServiceError(f"{q.label}尚未结束（截至{cn_date(q.end)}），只能为已经结束的季度起草通报。", "quarter")


def draft(q: Quarter, today: date, actor=None, refresh: bool = True) -> tuple[Bulletin, bool]:
    """The bulletin of ``q``: created with its figures taken today if there is none (exactly one
    per quarter, also when two runs overlap: unique quarter + INSERT .. ON CONFLICT DO NOTHING);
    an existing draft gets fresh figures when ``refresh``; a published one is never touched.
    Returns (bulletin, created)."""
    check_draftable(q, today)
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    new_id = db.session.execute(insert(Bulletin).values(
        year=q.year, quarter=q.q, state="draft", figures={}, figures_as_of=today, created_at=now, updated_at=now,
        drafted_by_id=actor.id if actor is not None else None)
        .on_conflict_do_nothing(index_elements=["year", "quarter"]).returning(Bulletin.id)).scalar()
    if new_id is None:
        bulletin = find(q)
        if refresh and not bulletin.is_published:
            refresh_figures(bulletin, today, actor)
        return bulletin, False
    bulletin = db.session.get(Bulletin, new_id)
    bulletin.figures = figures_module.compute(q, today)
    db.session.flush()
    record("bulletin.draft", bulletin, after={"quarter": q.key, "as_of": today}, actor=actor)
    return bulletin, True  # the office finds the draft on its dashboard (季度通报与整改)


def refresh_figures(bulletin: Bulletin, today: date, actor=None) -> None:
    """重新统计: take a draft's figures again as of today (a published bulletin is frozen)."""
    if bulletin.is_published:
        raise ServiceError("通报已印发，数据已冻结，不能重新统计。")
    bulletin.figures = figures_module.compute(quarter_of(bulletin), today)
    bulletin.figures_as_of, bulletin.updated_at = today, utcnow()
    record("bulletin.refresh", bulletin, after={"as_of": today}, actor=actor)


def draft_due_bulletin(today: date) -> int:
    """The scheduled job: from the first working day of a quarter on, draft the previous quarter's
    bulletin if it does not exist yet (so a scheduler that was down that day catches up, once).
    Returns 1 when a bulletin was drafted, else 0."""
    current = Quarter.containing(today)
    if today < first_workday(current):
        return 0
    previous = current.previous()
    if find(previous) is not None:
        return 0
    _, created = draft(previous, today, actor=None, refresh=False)
    return int(created)


# --- editing a draft ------------------------------------------------------------------------------

def _office_draft(bulletin: Bulletin, actor, verb: str) -> None:
    if actor is None or actor.role != "office":
        raise ServiceError(f"只有公开办可以{verb}。")
    if bulletin.is_published:
        raise ServiceError(f"通报已印发，不能再{verb}。")


def edit_narrative(bulletin: Bulletin, actor, values: dict) -> None:
    """The office writes the good practice, the problems and the requirements."""
    _office_draft(bulletin, actor, "修改通报内容")
    before = snapshot(bulletin, Bulletin.AUDIT_FIELDS)
    for key, label in NARRATIVE_FIELDS.items():
        value = (values.get(key) or "").strip()
        if len(value) > MAX_NARRATIVE:
            raise ServiceError(f"{label}不能超过{MAX_NARRATIVE}个字符。", key)
        setattr(bulletin, key, value or None)
    bulletin.updated_at = utcnow()
    b, a = changes(before, snapshot(bulletin, Bulletin.AUDIT_FIELDS))
    if a:
        record("bulletin.edit", bulletin, before=b, after=a, actor=actor)


def add_item(bulletin: Bulletin, actor, unit_id, requirement: str, period_days) -> BulletinItem:
    """Attach a rectification requirement to a named unit (it becomes a rectification item when
    the bulletin is published)."""
    _office_draft(bulletin, actor, "添加整改要求")
    units = supervised_units([unit_id])
    if not units:
        raise ServiceError("请选择一个在用的被监督单位。", "unit_id")
    requirement = (requirement or "").strip()
    if not requirement:
        raise ServiceError("请填写整改要求。", "requirement")
    if len(requirement) > 1000:
        raise ServiceError("整改要求不能超过1000个字符。", "requirement")
    if any(i.unit_id == units[0].id and i.requirement == requirement for i in bulletin.items):
        raise ServiceError("该单位已有相同的整改要求。", "requirement")
    item = BulletinItem(bulletin_id=bulletin.id, unit_id=units[0].id, requirement=requirement,
                        period_days=check_period_days(period_days))
    bulletin.items.append(item)
    db.session.flush()
    record("bulletin.item_add", bulletin, after={"unit": units[0].name, "requirement": requirement,
                                                 "period_days": item.period_days}, actor=actor)
    return item


def remove_item(bulletin: Bulletin, actor, item_id: int) -> None:
    _office_draft(bulletin, actor, "删除整改要求")
    item = next((i for i in bulletin.items if i.id == item_id), None)
    if item is None:
        raise ServiceError("该整改要求不存在。")
    bulletin.items.remove(item)
    record("bulletin.item_remove", bulletin, before={"unit": item.unit.name, "requirement": item.requirement},
           actor=actor)


# --- publishing -----------------------------------------------------------------------------------

def next_number(prefix: str, year: int) -> int:
    """The next free sequence number of ``prefix``〔year〕 among bulletins (the office may choose
    another: its document numbers are shared with its other documents)."""
    top = db.session.scalar(select(func.max(Bulletin.doc_seq)).where(Bulletin.doc_prefix == prefix,
                                                                     Bulletin.doc_year == year))
    return (top or 0) + 1


def publish(bulletin: Bulletin, actor, doc_seq, published_on: date | None, today: date,
            announce: bool = True) -> None:
    """印发: number the bulletin (prefix〔year of issue〕seq号), turn its requirements into
    rectification items issued that day, freeze everything it shows, and tell every unit's
    contacts and reviewers and every leader (one bell notification and one mail each).
    ``announce=False`` only for bulletins loaded as history (the demo)."""
    _office_draft(bulletin, actor, "印发通报")
    q = quarter_of(bulletin)
    if published_on is None:
        raise ServiceError("请填写印发日期。", "published_on")
    if published_on > today:
        raise ServiceError("印发日期不能晚于今天。", "published_on")
    if published_on <= q.end:
        raise ServiceError(f"印发日期须在{q.label}结束之后（{cn_date(q.end)}以后）。", "published_on")
    try:
        seq = int(str(doc_seq).strip())
    except (TypeError, ValueError):
        raise ServiceError("发文序号须为正整数（如 3）。", "doc_seq") from None
    if not 1 <= seq <= 9999:
        raise ServiceError("发文序号须为1至9999之间的整数。", "doc_seq")
    prefix = settings()["number_prefix"]
    taken = db.session.scalar(select(Bulletin).where(Bulletin.doc_prefix == prefix,
                                                     Bulletin.doc_year == published_on.year, Bulletin.doc_seq == seq))
    if taken is not None:
        raise ServiceError(f"发文字号{prefix}〔{published_on.year}〕{seq}号已用于{taken}，请换一个序号。", "doc_seq")
    bulletin.doc_prefix, bulletin.doc_year, bulletin.doc_seq = prefix, published_on.year, seq
    bulletin.published_on, bulletin.published_at, bulletin.published_by_id = published_on, utcnow(), actor.id
    for item in bulletin.items:
        rectification = issue_rectification(
            item.unit, item.requirement, item.period_days, actor, today, source="bulletin", bulletin=bulletin,
            issued_on=published_on, title=f"{q.label}通报整改：{item.requirement}", announce=False)
        item.rectification_id = rectification.id
    db.session.flush()
    bulletin.state = "published"
    bulletin.snapshot = compose(bulletin)
    record("bulletin.publish", bulletin, before={"state": "draft"},
           after={"state": "published", "doc_number": bulletin.doc_number, "published_on": published_on,
                  "items": len(bulletin.items)}, actor=actor)
    if announce:
        announce_publication(bulletin)


def recipients() -> list[User]:
    """Every active contact and reviewer of an active supervised unit, and every active leader."""
    return db.session.scalars(
        select(User).outerjoin(Unit, User.unit_id == Unit.id).where(
            User.active.is_(True),
            ((User.role.in_(("contact", "reviewer"))) & Unit.active.is_(True) & (Unit.kind != "office"))
            | (User.role == "leader"))
        .order_by(User.unit_id, User.id)).all()


def announce_publication(bulletin: Bulletin) -> int:
    """One bell notification and one mail (keyed: sent once however often this runs) per recipient;
    unit staff read their own unit's line and requirements in it."""
    content = bulletin.snapshot or compose(bulletin)
    rows = {r["unit_id"]: r for r in content["figures"]["rows"]}
    items: dict[int, list[dict]] = {}
    for item in content["items"]:
        items.setdefault(item["unit_id"], []).append(item)
    title = f"【季度通报】{content['title']}（{content['doc_number']}）"
    sent = 0
    for user in recipients():
        lines = [f"{content['issuer']}印发了《{content['title']}》（{content['doc_number']}），请登录平台查阅。"]
        if user.unit_id in rows:
            lines.append("本单位本季度：" + unit_line(rows[user.unit_id]))
            for item in items.get(user.unit_id, []):
                lines.append(f"本单位整改要求：{item['requirement']}（请于{item['due_text']}前整改到位并在平台报送整改情况）")
        sent += notify(user, Message(title, tuple(lines), f"/bulletins/{bulletin.id}"),
                       key=f"bulletin:{bulletin.id}:published:{user.id}", immediate=True, kind="bulletin_published")
    return sent


def _points(value) -> str:
    return f"{value:g}"


def unit_line(row: dict) -> str:
    """One unit's figures in a sentence (mails, the unit's dashboard)."""
    line = (f"主动公开应公开{row['tasks_due']}条，按时公开{row['tasks_on_time']}条，逾期公开{row['tasks_late']}条，"
            f"逾期未公开{row['tasks_overdue']}条；依申请公开应答复{row['apps_due']}件，按时答复{row['apps_on_time']}件，"
            f"逾期答复{row['apps_late']}件，超期未答复{row['apps_overdue']}件；督办{row['urgings']}次")
    if row.get("score") is not None:
        line += f"；考核得分{_points(row['score'])}分，{rank_text(row)}"
    return line + "。"


def rank_text(row: dict) -> str:
    """在市直部门中排名第2，总排名第5 (a bulletin published before kinds were ranked: 排名第5)."""
    if row.get("rank_in_kind") is None:
        return f"排名第{row['rank']}"
    return f"在{UNIT_KINDS.get(row.get('kind'), '同类单位')}中排名第{row['rank_in_kind']}，总排名第{row['rank']}"


# --- what the document says -----------------------------------------------------------------------

def _rate(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def overview(figs: dict, q: Quarter) -> list[str]:
    """一、总体情况, written from the figures (the office writes the other sections). Where nothing
    was due the text says so in words ("本季度无到期应公开事项"), never a rate of "—"."""
    t = figs["totals"]
    units = len(figs["rows"])
    as_of = cn_date(date.fromisoformat(figs["as_of"]))
    if t["tasks_due"]:
        tasks = (f"{q.label}，纳入监督的{units}个单位应主动公开信息{t['tasks_due']}条，按时公开{t['tasks_on_time']}条，"
                 f"逾期公开{t['tasks_late']}条，截至{as_of}仍逾期未公开{t['tasks_overdue']}条，"
                 f"按时公开率{_rate(t['rate'])}；")
    else:
        tasks = f"{q.label}，纳入监督的{units}个单位本季度无到期应公开事项；"
    paragraphs = [
        f"{tasks}本季度共公开政府信息{t['published']}条。"
        f"任务签收延迟{t['ack_delays']}条，公开办核验未通过退回整改{t['verify_failures']}次。",
        (f"依申请公开方面，本季度到期应答复的申请{t['apps_due']}件，按时答复{t['apps_on_time']}件，逾期答复"
         f"{t['apps_late']}件，超期未答复{t['apps_overdue']}件，按时答复率{_rate(t['apps_rate'])}。")
        if t["apps_due"] else "依申请公开方面，本季度无到期应答复的申请。",
        f"督查整改方面，尚未整改销号的事项{t['rect_open']}项，本季度到期未按期整改{t['rect_missed']}项；"
        f"公开办本季度共督办{t['urgings']}次。",
    ]
    ranked = score_summary(figs)
    if ranked:
        paragraphs.append(f"季度考核方面，{ranked}各单位得分、类内排名和总排名见附件。")
    return paragraphs


def score_summary(figs: dict) -> str:
    """The first and last units of each kind by score (towns and departments are ranked
    separately): 镇（街道）得分居前的：甲镇（98分）；得分靠后的：乙镇（90分）。"""
    parts = []
    for kind, label in UNIT_KINDS.items():
        scored = sorted((r for r in figs["rows"] if r.get("score") is not None and r.get("kind") == kind),
                        key=lambda r: (r.get("rank_in_kind") or r["rank"], r["code"]))
        if len(scored) < 2:
            continue
        n = min(3, len(scored) // 2)
        top = "、".join(f"{r['name']}（{_points(r['score'])}分）" for r in scored[:n])
        bottom = "、".join(f"{r['name']}（{_points(r['score'])}分）" for r in scored[-n:])
        parts.append(f"{label}得分居前的：{top}；得分靠后的：{bottom}。")
    return "".join(parts)


def urging_summary(figs: dict) -> str | None:
    """督办 of the quarter per unit, most urged first: 民政局3次、财政局1次."""
    counts: dict[str, int] = {}
    for u in figs["urgings"]:
        counts[u["unit"]] = counts.get(u["unit"], 0) + 1
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return (f"本季度公开办对{len(counts)}个单位督办{len(figs['urgings'])}次：" +
            "、".join(f"{name}{n}次" for name, n in ranked) + "。")


def compose(bulletin: Bulletin) -> dict:
    """Everything the bulletin shows, in one dict (JSON-safe). Frozen into ``snapshot`` at
    publication; for a draft it is composed afresh from the stored figures and current settings."""
    q = quarter_of(bulletin)
    s = settings()
    figs = bulletin.figures or figures_module.compute(q, bulletin.figures_as_of)
    items = []
    for item in bulletin.items:
        due = item_due(item)
        items.append({"unit_id": item.unit_id, "unit": item.unit.name, "requirement": item.requirement,
                      "period_days": item.period_days, "due_date": due.isoformat() if due else None,
                      "due_text": cn_date(due) if due else f"通报印发之日起{item.period_days}个工作日内"})
    return {
        "quarter": q.key, "quarter_label": q.label, "title": title_for(q, s["area"]),
        "issuer": s["issuer"], "addressees": s["addressees"], "cc": s.get("cc", ""),
        "doc_number": bulletin.doc_number or f"{s['number_prefix']}〔{china_today().year}〕  号",
        "published_on": bulletin.published_on.isoformat() if bulletin.published_on else None,
        "date_text": cn_date(bulletin.published_on) if bulletin.published_on else "    年  月  日",
        "overview": overview(figs, q),
        "good_practice": bulletin.good_practice or "", "problems": bulletin.problems or "",
        "requirements": bulletin.requirements or "",
        "no_output": figs["no_output"], "units_with_overdue": figs["units_with_overdue"],
        "urging_summary": urging_summary(figs), "items": items, "figures": figs,
        "table_title": f"{q.label}各单位政务公开工作情况统计表",
    }


def item_due(item: BulletinItem) -> date | None:
    if item.rectification_id:
        from ..inspections.models import Rectification
        rect = db.session.get(Rectification, item.rectification_id)
        return rect.due_date if rect else None
    return None


def content(bulletin: Bulletin) -> dict:
    """What to show or export: the frozen snapshot once published, else the live composition."""
    return bulletin.snapshot if bulletin.is_published and bulletin.snapshot else compose(bulletin)


def visible_query(user):
    """Bulletins ``user`` may read: units see published ones; the office and leaders see drafts too."""
    stmt = select(Bulletin).order_by(Bulletin.year.desc(), Bulletin.quarter.desc())
    if not user.sees_all_units:
        stmt = stmt.where(Bulletin.state == "published")
    return stmt


def latest_bulletins(with_draft: bool) -> tuple[Bulletin | None, Bulletin | None]:
    """The latest published bulletin and (for the office) the latest draft, in one statement and
    without their items (the dashboard shows neither's items)."""
    states = ("published", "draft") if with_draft else ("published",)
    ranked = (select(Bulletin.id, func.row_number().over(
        partition_by=Bulletin.state, order_by=(Bulletin.year.desc(), Bulletin.quarter.desc())).label("n"))
        .where(Bulletin.state.in_(states)).subquery())
    found = {b.state: b for b in db.session.scalars(
        select(Bulletin).join(ranked, ranked.c.id == Bulletin.id).where(ranked.c.n == 1)
        .options(lazyload(Bulletin.items)))}
    return found.get("published"), found.get("draft")
