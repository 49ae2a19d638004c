"""The outcome taxonomy of table 三 (国办公开办函〔2021〕30号), with the exact official labels.

Every closed application ends in exactly one leaf (domain.md R8). Keys are stable: they are stored
on the application and used by the statistics; labels are shown and exported as they stand.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str           # the official row label, exactly as in table 三
    group: str           # key of the top row: grant, partial, deny, unable, reject, other
    short: str           # a short label for lists


# (group key, group label, [(leaf key, label, short)]). Groups without sub-rows are themselves leaves.
TREE = [
    ("grant", "（一）予以公开", []),
    ("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", []),
    ("deny", "（三）不予公开", [
        ("deny.state_secret", "1.属于国家秘密", "不予公开·国家秘密"),
        ("deny.law_prohibits", "2.其他法律行政法规禁止公开", "不予公开·法律法规禁止"),
        ("deny.three_safety", "3.危及“三安全一稳定”", "不予公开·三安全一稳定"),
        ("deny.third_party", "4.保护第三方合法权益", "不予公开·第三方权益"),
        ("deny.internal", "5.属于三类内部事务信息", "不予公开·内部事务"),
        ("deny.process", "6.属于四类过程性信息", "不予公开·过程性信息"),
        ("deny.enforcement_file", "7.属于行政执法案卷", "不予公开·执法案卷"),
        ("deny.inquiry", "8.属于行政查询事项", "不予公开·行政查询"),
    ]),
    ("unable", "（四）无法提供", [
        ("unable.not_held", "1.本机关不掌握相关政府信息", "无法提供·不掌握"),
        ("unable.needs_creation", "2.没有现成信息需要另行制作", "无法提供·需另行制作"),
        ("unable.still_unclear", "3.补正后申请内容仍不明确", "无法提供·补正后仍不明确"),
    ]),
    ("reject", "（五）不予处理", [
        ("reject.petition", "1.信访举报投诉类申请", "不予处理·信访举报投诉"),
        ("reject.repeat", "2.重复申请", "不予处理·重复申请"),
        ("reject.publication", "3.要求提供公开出版物", "不予处理·公开出版物"),
        ("reject.excessive", "4.无正当理由大量反复申请", "不予处理·大量反复申请"),
        ("reject.confirm", "5.要求行政机关确认或重新出具已获取信息", "不予处理·确认或重新出具"),
    ]),
    ("other", "（六）其他处理", [
        ("other.no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
         "其他处理·逾期不补正"),
        ("other.no_payment", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
         "其他处理·逾期未缴费"),
        ("other.other", "3.其他", "其他处理·其他"),
    ]),
]

GROUP_SHORT = {"grant": "予以公开", "partial": "部分公开", "deny": "不予公开", "unable": "无法提供",
               "reject": "不予处理", "other": "其他处理"}

OUTCOMES: dict[str, Outcome] = {}
for _group, _label, _leaves in TREE:
    if not _leaves:
        OUTCOMES[_group] = Outcome(_group, _label, _group, GROUP_SHORT[_group])
    for _key, _leaf_label, _short in _leaves:
        OUTCOMES[_key] = Outcome(_key, _leaf_label, _group, _short)

# Outcomes staff choose when replying. The two lapse closures are set by the sweep only.
SWEEP_ONLY = {"other.no_correction", "other.no_payment"}
REPLY_CHOICES = [(k, o.short) for k, o in OUTCOMES.items() if k not in SWEEP_ONLY]

# Art. 36 reply types mapped onto table 三 rows (domain.md R8).
ART36_TYPES = {
    "already_public": ("已主动公开，告知获取方式", "grant"),
    "not_exist": ("经检索没有所申请公开的信息", "unable.not_held"),
    "other_agency": ("不属于本机关负责公开，告知负责机关", "unable.not_held"),
    "repeat": ("重复申请", "reject.repeat"),
    "special_law": ("属于登记资料等，依有关法律法规规定的查询途径办理", "deny.inquiry"),
}


def label(key: str | None) -> str:
    return OUTCOMES[key].short if key in OUTCOMES else ""
