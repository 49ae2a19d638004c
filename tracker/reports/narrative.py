"""The narrative sections 一、五、六 of the annual report: drafts written from the figures, and the
雷同 (copy-paste) check.

Drafts follow the sentences offices write (shared/seed): the figures are stated, the qualitative
parts are placeholders the unit replaces with its own work. Section 一 covers what 国办公开办函〔2021〕
30号 asks for: 主动公开, 依申请公开, 政府信息管理, 政府信息公开平台建设, 监督保障 (with 工作考核、社会评议和
责任追究). Section 五 names the problems the figures show and asks what was done about last year's.
Section 六 states the information-processing fees (信息处理费, Art. 42) charged in the year.

Placeholders (【请补充…】, 【请说明…】) mark what the unit must write itself; a report still holding
one is not handed on (提交审核, 审核通过, 报送, 接收, 定稿) nor exported as final: ``require_written``.

Similarity (雷同) compares what units wrote themselves: each text loses its whitespace, punctuation
and digits, then the fixed wording of the system's draft for that section (the draft written from
empty figures: its runs of four or more characters found in the text); what remains is the unit's
own words. ``similarity(a, b)`` is difflib's ``SequenceMatcher.ratio`` on those — 2 × (characters in
the matching blocks) ÷ (characters in both) — 1.0 identical, 0 nothing shared. A section is flagged
from ``SIMILAR_AT`` (0.8) on, when both have at least ``MIN_CHARS`` own characters; a section with
fewer is reported as still being essentially the system's draft.
"""
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass

from ..disclosure.models import CHANNELS
from ..errors import ServiceError
from .formats import Format, key

SIMILAR_AT = 0.8
MIN_CHARS = 60
NARRATIVE = ("overview", "problems", "other_matters")
NARRATIVE_LABEL_KEYS = {"overview": "overview", "problems": "problems", "other_matters": "other"}


PLACEHOLDER = re.compile(r"【请[^】]*】")  # what the drafts leave for the unit to write


def placeholder_sections(fmt: Format, texts: dict) -> list[str]:
    """The official headings of the narrative sections (``texts`` keyed as ``NARRATIVE``) that
    still hold a drafting placeholder, in the report's order."""
    return [fmt.section_label(NARRATIVE_LABEL_KEYS[k]) for k in NARRATIVE if PLACEHOLDER.search(texts.get(k) or "")]


def require_written(fmt: Format, texts: dict, step: str) -> None:
    """Refuse ``step`` (e.g. 提交审核, 导出定稿) while a section still holds a placeholder: a report
    with 【请补充…】 in it never leaves the office as if it were finished."""
    missing = placeholder_sections(fmt, texts)
    if missing:
        raise ServiceError(f"以下部分仍有待补充内容：{'；'.join(missing)}（【】标注处），不能{step}。")


def _n(cells: dict, table: str, row: str, col: str = "total") -> int:
    return int(cells.get(key(table, row, col), 0))


def _group(cells: dict, prefix: str) -> int:
    """An outcome group's total: the row itself, or the sum of its numbered sub-rows."""
    return sum(int(v) for k, v in cells.items()
               if k.startswith("three/") and k.endswith("/total")
               and (k.split("/")[1] == prefix or k.split("/")[1].startswith(prefix + ".")))


def draft_overview(fmt: Format, organ: str, year: int, cells: dict, facts: dict) -> str:
    published = facts.get("published", 0)
    channels = facts.get("by_channel", {})
    channel_text = "、".join(f"{label}{channels.get(k, 0)}条" for k, label in CHANNELS.items() if channels.get(k))
    areas = sorted(facts.get("by_area", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    area_text = "、".join(f"{name}信息{n}条" for name, n in areas[:8])
    normative_row = "normative"
    if fmt.key == "2021":
        issued, repealed, in_force = (_n(cells, "two", normative_row, c) for c in ("issued", "repealed", "in_force"))
        normative = f"本年制发行政规范性文件{issued}件、废止{repealed}件，现行有效{in_force}件。"
    else:
        made, total = _n(cells, "two", normative_row, "made"), _n(cells, "two", normative_row, "total")
        normative = f"本年新制作规范性文件{made}件，对外公开规范性文件总数{total}件。"
    late = facts.get("late", 0)
    timeliness = f"有{late}条信息未在规定期限内发布，已督促整改。" if late else "主动公开信息均在规定期限内发布。"
    new, carried = _n(cells, "three", "new"), _n(cells, "three", "carried")
    closed, carry_next = _n(cells, "three", "total"), _n(cells, "three", "carry_next")
    outcomes = "、".join(f"{label}{n}件" for label, n in (
        ("予以公开", _n(cells, "three", "grant")), ("部分公开", _n(cells, "three", "partial")),
        ("不予公开", _group(cells, "deny")), ("无法提供", _group(cells, "unable")),
        ("不予处理", _group(cells, "reject")), ("其他处理", _group(cells, "other"))) if n)
    late_replies = facts.get("late_replies", 0)
    reply_time = f"有{late_replies}件申请超过法定期限答复。" if late_replies else "全部申请均在法定期限内答复。"
    reconsideration = _n(cells, "four", "reconsideration")
    lawsuits = _n(cells, "four", "lawsuit_direct") + _n(cells, "four", "lawsuit_after")
    corrected = sum(_n(cells, "four", g, "corrected") for g in ("reconsideration", "lawsuit_direct", "lawsuit_after"))
    return "\n".join([
        f"{year}年，{organ}认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，"
        "全面推进决策、执行、管理、服务、结果公开，现将本年度政府信息公开工作情况报告如下。",
        f"（一）主动公开。全年主动公开政府信息{published}条（不同渠道和方式公开相同信息计1条）"
        + (f"，其中{channel_text}" if channel_text else "") + "。"
        + (f"重点领域方面，公开{area_text}。" if area_text else "") + normative + timeliness,
        f"（二）依申请公开。全年新收政府信息公开申请{new}件，上年结转{carried}件，办结{closed}件"
        + (f"（{outcomes}）" if outcomes else "") + f"，结转下年度继续办理{carry_next}件。" + reply_time,
        "（三）政府信息管理。严格落实“先审查、后公开”和保密审查制度，动态更新政府信息公开目录，"
        "做好规范性文件的清理和公开。【请补充本单位的具体做法】",
        "（四）政府信息公开平台建设。以政府网站为政府信息公开的第一平台，"
        + ("发挥政务微博、政务微信等新媒体的作用，" if channels.get("weibo") or channels.get("wechat") else "")
        + "及时更新各栏目内容。【请补充平台建设情况】",
        f"（五）监督保障。本年度涉及政府信息公开的行政复议{reconsideration}件、行政诉讼{lawsuits}件"
        + (f"，其中被纠正{corrected}件" if corrected else "") + "。"
        "将政府信息公开工作纳入年度绩效考核，【请补充工作考核、社会评议和责任追究情况】。",
    ])


def draft_problems(fmt: Format, cells: dict, facts: dict, last_year_text: str) -> str:
    found = []
    if facts.get("late"):
        found.append(f"个别信息未在规定期限内公开，全年逾期发布{facts['late']}条")
    if facts.get("late_replies"):
        found.append(f"依申请公开答复时效有待提高，{facts['late_replies']}件申请超过法定期限答复")
    corrected = sum(_n(cells, "four", g, "corrected") for g in ("reconsideration", "lawsuit_direct", "lawsuit_after"))
    if corrected:
        found.append(f"{corrected}件行政复议、行政诉讼案件结果被纠正，答复的规范性需要加强")
    if not found:
        found.append("政务公开工作的主动性和规范性仍需加强，重点领域信息公开的深度和广度有待拓展")
    numbered = "；".join(f"{'一二三四五'[i]}是{text}" for i, text in enumerate(found)) + "。"
    improved = ("针对上年度报告提出的问题，【请逐条说明改进情况】。" if last_year_text.strip()
                else "【请说明针对以往存在问题的改进情况】。")
    return "\n".join([f"存在的主要问题：{numbered}", f"改进情况：{improved}",
                      "下一步，将进一步规范公开流程、严格落实公开时限，加强业务培训和督促检查，"
                      "不断提升政府信息公开工作水平。"])


def fee_sentence(year: int, facts: dict) -> str:
    """Section 六's statement of the information-processing fees charged (Art. 42; 国办函〔2020〕109号)."""
    fee = facts.get("fees") or {}
    if fee.get("count"):
        return (f"{year}年度，依据《政府信息公开信息处理费管理办法》收取信息处理费{fee['count']}件，"
                f"共计{fee['amount']}元。")
    return f"{year}年度，本机关未收取信息处理费。"


def draft_other(year: int, facts: dict) -> str:
    return "\n".join([fee_sentence(year, facts), "本年度无其他需要报告的事项。"])


# --- 雷同 ------------------------------------------------------------------------------------------

def normalized(text: str) -> str:
    """The text without whitespace, punctuation and digits (only letters: Unicode category L*)."""
    return "".join(ch for ch in text or "" if unicodedata.category(ch)[0] == "L")


TEMPLATE_RUN = 4  # a run of the draft's wording at least this long counts as template, not own words


@functools.lru_cache(maxsize=16)
def skeleton(fmt_key: str, section: str) -> str:
    """The fixed wording of the system's draft of ``section`` (drafted from empty figures)."""
    from ..disclosure.models import DEFAULT_KEY_AREAS
    from .formats import FORMATS, cell_keys

    fmt = FORMATS[fmt_key]
    # every variant the drafts write: from empty figures and from figures where everything happened
    ones = {k: 1 for k in cell_keys(fmt)}
    full = {"published": 1, "late": 1, "late_replies": 1, "fees": {"count": 1, "amount": 1},
            "by_channel": {c: 1 for c in CHANNELS}, "by_area": {a: 1 for a in DEFAULT_KEY_AREAS}}
    if section == "overview":
        variants = [draft_overview(fmt, "", 0, {}, {}), draft_overview(fmt, "", 0, ones, full),
                    "".join(f"{a}信息条" for a in DEFAULT_KEY_AREAS)]
    elif section == "problems":
        variants = [draft_problems(fmt, {}, {}, ""), draft_problems(fmt, ones, full, "上年")]
    else:
        variants = [draft_other(0, {}), draft_other(0, full)]
    return normalized("".join(variants))


def own_words(text: str, template: str) -> str:
    """``text`` normalised, without the runs it shares with the draft's wording."""
    mine = normalized(text)
    if not template or not mine:
        return mine
    blocks = difflib.SequenceMatcher(None, template, mine, autojunk=False).get_matching_blocks()
    keep = [True] * len(mine)
    for _, start, size in blocks:
        if size >= TEMPLATE_RUN:
            keep[start:start + size] = [False] * size
    return "".join(ch for ch, k in zip(mine, keep) if k)


def similarity(a: str, b: str) -> float:
    """difflib's ratio: 2·M / T, M the matched characters, T both lengths (texts already reduced)."""
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


@dataclass(frozen=True)
class Similar:
    section: str        # overview | problems | other_matters
    other: str          # the other report, named (e.g. 民政局2025年政府信息公开工作年度报告)
    other_id: int
    ratio: float

    @property
    def percent(self) -> int:
        return int(self.ratio * 100)


def template_sections(fmt_key: str, texts: dict[str, str]) -> list[str]:
    """The sections that are still essentially the system's draft (too few own words)."""
    return [s for s, text in texts.items()
            if normalized(text) and len(own_words(text, skeleton(fmt_key, s))) < MIN_CHARS]


def similar_sections(fmt_key: str, texts: dict[str, str],
                     others: list[tuple[int, str, dict[str, str]]]) -> list[Similar]:
    """Sections of ``texts`` whose own words nearly equal those of the same section of another report.

    ``others``: (report id, report name, {section: text}). Cheap upper bounds (length and character
    counts) skip the pairs that cannot reach ``SIMILAR_AT`` before the full comparison."""
    found = []
    for section, text in texts.items():
        template = skeleton(fmt_key, section)
        mine = own_words(text, template)
        if len(mine) < MIN_CHARS:
            continue
        for other_id, name, other_texts in others:
            theirs = own_words(other_texts.get(section, ""), template)
            if len(theirs) < MIN_CHARS:
                continue
            matcher = difflib.SequenceMatcher(None, mine, theirs, autojunk=False)
            if matcher.real_quick_ratio() < SIMILAR_AT or matcher.quick_ratio() < SIMILAR_AT:
                continue
            ratio = matcher.ratio()
            if ratio >= SIMILAR_AT:
                found.append(Similar(section, name, other_id, ratio))
    return sorted(found, key=lambda s: (s.section, -s.ratio))
