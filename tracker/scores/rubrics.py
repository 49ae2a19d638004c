"""The rubric (评分细则) of a year, as data the office edits (scoring.md "every number below is a
default that the office must be able to change (per year)").

A rubric has categories with their points, in order (the columns of the export follow them); each
category has automatic rules (kinds from the registry in ``rules.py``, sizes here) and manual item
types with a range; bonuses have their own types and a cap. A new year starts as a copy of the
last. A version already used by a published score is never changed: saving it makes the next
version, and each score remembers the version it used.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from ..audit.services import record
from ..errors import ServiceError, ValidationErrors
from ..extensions import db
from ..timeutil import utcnow
from .models import BONUS, Rubric, Score, ScorePeriod
from .numbers import points_text, to_points
from .rules import RULES

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
MAX_POINTS = Decimal(100)


@dataclass
class RuleSetting:
    kind: str
    points: Decimal
    params: dict = field(default_factory=dict)

    @property
    def spec(self):
        return RULES.get(self.kind)

    @property
    def text(self) -> str:
        return self.spec.describe(self.points, self.params) if self.spec else f"{self.kind}（未知规则）"


@dataclass
class ItemType:
    """A kind of manual deduction or bonus the office may enter, with its range of points."""

    key: str
    name: str
    low: Decimal
    high: Decimal

    @property
    def range_text(self) -> str:
        if self.low == self.high:
            return f"{points_text(self.low)}分"
        return f"{points_text(self.low)}～{points_text(self.high)}分"


@dataclass
class Category:
    key: str
    name: str
    points: Decimal
    rules: list[RuleSetting] = field(default_factory=list)
    manual: list[ItemType] = field(default_factory=list)


@dataclass
class RubricSpec:
    categories: list[Category]
    bonus_cap: Decimal
    bonus_types: list[ItemType] = field(default_factory=list)

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)

    @property
    def total_points(self) -> Decimal:
        return sum((c.points for c in self.categories), Decimal(0))

    def item_type(self, category: str, type_key: str) -> ItemType | None:
        types = self.bonus_types if category == BONUS else (self.category(category).manual
                                                             if self.category(category) else [])
        return next((t for t in types if t.key == type_key), None)

    def rule_settings(self):
        """(category key, RuleSetting) of every automatic rule, in rubric order."""
        for c in self.categories:
            for r in c.rules:
                yield c.key, r

    # --- JSON ---------------------------------------------------------------------------------

    def to_json(self) -> dict:
        def t(x: ItemType):
            return {"key": x.key, "name": x.name, "low": str(x.low), "high": str(x.high)}
        return {
            "categories": [{"key": c.key, "name": c.name, "points": str(c.points),
                            "rules": [{"kind": r.kind, "points": str(r.points), "params": dict(r.params)}
                                      for r in c.rules],
                            "manual": [t(m) for m in c.manual]} for c in self.categories],
            "bonus": {"cap": str(self.bonus_cap), "types": [t(b) for b in self.bonus_types]},
        }

    @classmethod
    def from_json(cls, body: dict) -> RubricSpec:
        def t(x):
            return ItemType(x["key"], x["name"], Decimal(x["low"]), Decimal(x["high"]))
        cats = [Category(c["key"], c["name"], Decimal(c["points"]),
                         [RuleSetting(r["kind"], Decimal(r["points"]), dict(r.get("params") or {}))
                          for r in c.get("rules", [])],
                         [t(m) for m in c.get("manual", [])]) for c in body["categories"]]
        bonus = body.get("bonus") or {}
        return cls(cats, Decimal(bonus.get("cap", "0")), [t(b) for b in bonus.get("types", [])])


def _rules(*pairs) -> list[RuleSetting]:
    return [RuleSetting(kind, RULES[kind].points, {n: p.default for n, p in RULES[kind].params.items()})
            for kind in pairs]


def default_spec() -> RubricSpec:
    """The default rubric of scoring.md: 100 points in seven categories, up to 5 bonus points; the
    网站巡查 rules (tracker/website/scoring.py) count what the website sweeps found."""
    D = Decimal
    return RubricSpec([
        Category("organisation", "组织制度", D(10), _rules("no_active_contact"),
                 [ItemType("training", "培训、制度文件缺失", D(1), D(5))]),
        Category("proactive", "主动公开", D(35), _rules("published_late", "overdue_at_end", "not_acknowledged",
                                                        "website_columns", "website_links"),
                 [ItemType("content", "应公开内容缺失、栏目空白或长期未更新（每处）", D(1), D(1))]),
        Category("applications", "依申请公开", D(20), _rules("reply_late", "case_corrected", "correction_late"),
                 [ItemType("reply_document", "答复文书不规范（每件）", D(1), D(1))]),
        Category("annual_report", "年度报告", D(10), _rules("annual_report_late", "annual_report_inconsistent"),
                 [ItemType("copy_paste", "年度报告雷同（照搬照抄）", D(5), D(5))]),
        Category("inspection", "督查整改", D(10), _rules("rectification_overdue"), []),
        Category("confidentiality", "保密审查", D(10), _rules("website_privacy"),
                 [ItemType("leak", "发现泄密问题（本项全扣）", D(10), D(10))]),
        Category("interpretation", "解读回应", D(5), [],
                 [ItemType("finding", "政策解读、回应关切不到位（每处）", D(1), D(1))]),
    ], D(5), [ItemType("highlight", "工作亮点", D("0.5"), D(5))])


# --- validation ------------------------------------------------------------------------------------

def validate(spec: RubricSpec) -> None:
    """Refuse a rubric that cannot be applied, naming every problem in Chinese."""
    errors = []
    if not spec.categories:
        errors.append("至少需要一个考核类别。")
    names, keys, kinds, type_keys = set(), set(), set(), set()
    for c in spec.categories:
        where = f"类别“{c.name or c.key}”"
        if not c.name or len(c.name) > 30:
            errors.append(f"{where}：名称须为1至30个字符。")
        if c.name in names:
            errors.append(f"{where}：名称重复。")
        names.add(c.name)
        if not KEY_RE.match(c.key) or c.key in keys or c.key == BONUS:
            errors.append(f"{where}：内部代码无效或重复。")
        keys.add(c.key)
        if not Decimal(0) < c.points <= MAX_POINTS:
            errors.append(f"{where}：分值须大于0且不超过100。")
        for r in c.rules:
            spec_ = RULES.get(r.kind)
            if spec_ is None:
                errors.append(f"{where}：未知的自动扣分规则“{r.kind}”。")
                continue
            if r.kind in kinds:
                errors.append(f"{where}：自动扣分规则“{spec_.label}”在细则中重复出现。")
            kinds.add(r.kind)
            if not Decimal(0) < r.points <= c.points:
                errors.append(f"{where}：“{spec_.label}”的扣分须大于0且不超过该类别分值。")
            for name, p in spec_.params.items():
                value = r.params.get(name, p.default)
                if not isinstance(value, int) or not p.low <= value <= p.high:
                    errors.append(f"{where}：“{spec_.label}”的{p.label.rstrip('：')}须为{p.low}至{p.high}之间的整数。")
        for m in c.manual:
            errors += _check_type(m, where, c.points, type_keys)
    if not Decimal(0) <= spec.bonus_cap <= Decimal(20):
        errors.append("加分上限须在0至20分之间。")
    for b in spec.bonus_types:
        errors += _check_type(b, "加分", spec.bonus_cap, type_keys)
    if errors:
        raise ValidationErrors("评分细则有错误，未保存。", errors)


def _check_type(t: ItemType, where: str, ceiling: Decimal, seen: set) -> list[str]:
    errors = []
    if not t.name or len(t.name) > 60:
        errors.append(f"{where}：人工项目名称须为1至60个字符。")
    if not KEY_RE.match(t.key) or t.key in seen:
        errors.append(f"{where}：人工项目“{t.name}”的内部代码无效或重复。")
    seen.add(t.key)
    if not Decimal(0) < t.low <= t.high <= ceiling:
        errors.append(f"{where}：“{t.name}”的分值范围须满足 0 < 最低 ≤ 最高 ≤ {points_text(ceiling)}。")
    return errors


def parse_points(text, label: str) -> Decimal:
    try:
        return to_points(text)
    except ValueError:
        raise ServiceError(f"{label}须为数字（可带两位小数），而不是“{text}”。") from None


# --- stored rubrics ---------------------------------------------------------------------------------

def latest(year: int) -> Rubric | None:
    return db.session.scalar(select(Rubric).where(Rubric.year == year).order_by(Rubric.version.desc()).limit(1))


def rubric_for_year(year: int, actor=None) -> Rubric:
    """The year's current rubric; a year without one starts as a copy of the nearest earlier
    year's current version (or of the default rubric)."""
    found = latest(year)
    if found is not None:
        return found
    source = db.session.scalar(select(Rubric).where(Rubric.year < year)
                               .order_by(Rubric.year.desc(), Rubric.version.desc()).limit(1))
    body = source.body if source is not None else default_spec().to_json()
    note = f"复制自{source.label}" if source is not None else "默认评分细则（scoring.md）"
    rubric = Rubric(year=year, version=1, body=body, note=note, created_by_id=actor.id if actor else None,
                    updated_by_id=actor.id if actor else None)
    db.session.add(rubric)
    db.session.flush()
    record("scores.rubric_create", rubric, after={"year": year, "version": 1}, note=note, actor=actor)
    return rubric


def spec_of(rubric: Rubric) -> RubricSpec:
    return RubricSpec.from_json(rubric.body)


def used_by_published(rubric: Rubric) -> bool:
    """True when a published score was computed with this version (it may then never change)."""
    return bool(db.session.scalar(select(func.count(Score.id)).join(ScorePeriod, Score.period_id == ScorePeriod.id)
                                  .where(Score.rubric_id == rubric.id, ScorePeriod.state == "published")))


def save(rubric: Rubric, spec: RubricSpec, actor, note: str = "") -> Rubric:
    """Store an edited rubric. Only the year's current version may be edited; when a published
    score used it, the edit becomes a new version and the published scores keep theirs."""
    current = latest(rubric.year)
    if current is None or current.id != rubric.id:
        raise ServiceError(f"只能修改{rubric.year}年评分细则的当前版本（第{current.version if current else 1}版）。")
    validate(spec)
    body = spec.to_json()
    if body == rubric.body:
        return rubric
    note = (note or "").strip()[:500]
    if used_by_published(rubric):
        new = Rubric(year=rubric.year, version=rubric.version + 1, body=body,
                     note=note or f"在第{rubric.version}版基础上修改（第{rubric.version}版已用于已发布的得分）",
                     created_by_id=actor.id if actor else None, updated_by_id=actor.id if actor else None)
        db.session.add(new)
        db.session.flush()
        record("scores.rubric_version", new, before={"version": rubric.version}, after={"version": new.version,
               "changes": _changes(rubric.body, body)}, note=note or None, actor=actor)
        return new
    before = rubric.body
    rubric.body, rubric.updated_at = body, utcnow()
    rubric.updated_by_id = actor.id if actor else None
    if note:
        rubric.note = note
    db.session.flush()
    record("scores.rubric_update", rubric, after={"changes": _changes(before, body)}, note=note or None, actor=actor)
    return rubric


def _changes(before: dict, after: dict) -> list[str]:
    """The differences of two rubric bodies in words, for the audit log."""
    def flat(body):
        spec = RubricSpec.from_json(body)
        out = {"加分上限": points_text(spec.bonus_cap)}
        for c in spec.categories:
            out[f"{c.name}分值"] = points_text(c.points)
            for r in c.rules:
                out[f"{c.name}·{r.spec.label if r.spec else r.kind}"] = r.text
            for m in c.manual:
                out[f"{c.name}·人工·{m.name}"] = m.range_text
        for b in spec.bonus_types:
            out[f"加分·{b.name}"] = b.range_text
        return out
    a, b = flat(before), flat(after)
    return [f"{k}：{a.get(k, '（无）')} → {b.get(k, '（删除）')}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def versions(year: int) -> list[Rubric]:
    return db.session.scalars(select(Rubric).where(Rubric.year == year).order_by(Rubric.version.desc())).all()


def years() -> list[int]:
    return db.session.scalars(select(Rubric.year).distinct().order_by(Rubric.year.desc())).all()
