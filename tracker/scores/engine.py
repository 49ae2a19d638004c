"""From findings and manual entries to a unit's score, as pure functions (no database).

``drafts`` turns what the rules found and what the office entered into items (each with a stable
key, its category, points and a snapshot of the record); ``tally`` adds them up under the rubric:
each category loses at most its own points, voided items count for nothing, the bonus is capped,
and a category with nothing due keeps its full points (scoring.md).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from .models import BONUS
from .numbers import points_text
from .periods import Period
from .rubrics import RubricSpec
from .rules import RULES, evaluate

MANUAL_SOURCE = "公开办检查发现，人工录入（附理由和佐证材料）"
BONUS_SOURCE = "工作亮点，公开办录入（附理由），加分不超过上限"


@dataclass(frozen=True)
class Draft:
    """An item as computed, before it is stored in a score (or kept aside in a re-run)."""

    key: str
    category: str
    kind: str
    points: Decimal
    record_type: str | None
    record_id: int | None
    label: str
    detail: str
    rule_label: str
    source: str
    manual_id: int | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        data["points"] = str(self.points)
        return data

    @classmethod
    def from_json(cls, data: dict) -> Draft:
        return cls(**{**data, "points": Decimal(data["points"])})


def rule_drafts(spec: RubricSpec, rows: dict[str, list], period: Period, as_of: date, calendar) -> list[Draft]:
    """The automatic deductions of one unit: every rule of the rubric over the unit's rows."""
    out = []
    for category, setting in spec.rule_settings():
        kind = RULES.get(setting.kind)
        if kind is None or not kind.available:
            continue
        rule_label = setting.text[:100]
        for f in evaluate(setting.kind, rows.get(kind.rows, []), period, as_of, setting.params, calendar):
            out.append(Draft(f"{setting.kind}:{f.record_type}:{f.record_id}", category, setting.kind,
                             setting.points, f.record_type, f.record_id, f.label[:300], f.detail[:500],
                             rule_label, kind.source))
    return out


def manual_drafts(entries) -> list[Draft]:
    """The office's entries (ManualEntry rows or anything with the same attributes) as items."""
    out = []
    for e in entries:
        bonus = e.category == BONUS
        out.append(Draft(f"manual:{e.id}", e.category, "bonus" if bonus else "manual", e.points, None, None,
                         e.type_name[:300], e.reason[:500], ("加分：" if bonus else "人工扣分：") + e.type_name[:90],
                         BONUS_SOURCE if bonus else MANUAL_SOURCE, e.id))
    return out


@dataclass
class CategoryFigure:
    key: str
    name: str
    points: Decimal
    deducted: Decimal   # the sum of the items, before the cap
    count: int          # items that count (not voided)

    @property
    def lost(self) -> Decimal:
        return min(self.deducted, self.points)

    @property
    def score(self) -> Decimal:
        return self.points - self.lost

    @property
    def capped(self) -> bool:
        return self.deducted > self.points


@dataclass
class Tally:
    categories: list[CategoryFigure]
    bonus_raw: Decimal
    bonus_cap: Decimal

    @property
    def bonus(self) -> Decimal:
        return min(self.bonus_raw, self.bonus_cap)

    @property
    def total(self) -> Decimal:
        return sum((c.score for c in self.categories), Decimal(0)) + self.bonus

    def figures(self) -> dict:
        """What a Score keeps in its ``figures`` column."""
        return {"categories": [{"key": c.key, "name": c.name, "points": str(c.points), "deducted": str(c.deducted),
                                "score": str(c.score), "count": c.count} for c in self.categories],
                "bonus_raw": str(self.bonus_raw), "bonus_cap": str(self.bonus_cap)}


def tally(spec: RubricSpec, items, voided: set[str]) -> Tally:
    """Sum ``items`` (anything with key, category, points) under ``spec``; keys in ``voided`` count
    for nothing. Items of a category the rubric no longer has are left out."""
    figures = {c.key: CategoryFigure(c.key, c.name, c.points, Decimal(0), 0) for c in spec.categories}
    bonus = Decimal(0)
    for item in items:
        if item.key in voided:
            continue
        if item.category == BONUS:
            bonus += item.points
        elif item.category in figures:
            figures[item.category].deducted += item.points
            figures[item.category].count += 1
    return Tally(list(figures.values()), bonus, spec.bonus_cap)


def figures_total_text(figures: dict) -> dict[str, str]:
    """{category key: score text} of a stored ``figures`` column."""
    return {c["key"]: points_text(c["score"]) for c in figures.get("categories", [])}
