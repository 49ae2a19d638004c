"""Rankings and trends (排名与走势): each period's units ranked together and by kind (towns and
departments separately), with the change since the previous period; each unit's score per
quarter; what the leader's dashboard leads with. Every page is a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from ..extensions import db
from ..units.models import UNIT_KINDS
from .models import Score, ScorePeriod
from .periods import Period

# Practice: a unit below this total, or one that lost this much since the last period, needs attention.
TROUBLE_BELOW = Decimal(85)
TROUBLE_DROP = Decimal(5)
SORTS = ("rank", "total", "change", "code", "bonus")


def visible_periods(user) -> list[ScorePeriod]:
    """Periods the user may see ranked: unit staff see published ones; the office and leaders all."""
    stmt = select(ScorePeriod).order_by(ScorePeriod.year.desc(), ScorePeriod.quarter.desc().nulls_first())
    if not user.sees_all_units:
        stmt = stmt.where(ScorePeriod.state == "published")
    return db.session.scalars(stmt).all()


def may_see(row: ScorePeriod, user) -> bool:
    return user.sees_all_units or row.is_published


def competition_ranks(values: list[Decimal]) -> list[int]:
    """1, 2, 2, 4: equal totals share a rank and the next rank skips."""
    order = sorted(values, reverse=True)
    first = {}
    for i, v in enumerate(order, start=1):
        first.setdefault(v, i)
    return [first[v] for v in values]


@dataclass
class RankRow:
    score: Score
    rank: int
    rank_in_kind: int
    previous: Decimal | None = None
    previous_rank: int | None = None

    @property
    def change(self) -> Decimal | None:
        return None if self.previous is None else self.score.total - self.previous

    @property
    def rank_change(self) -> int | None:
        return None if self.previous_rank is None else self.previous_rank - self.rank

    @property
    def in_trouble(self) -> bool:
        return self.score.total < TROUBLE_BELOW or (self.change is not None and self.change <= -TROUBLE_DROP)

    def category(self, key: str) -> str | None:
        return next((c["score"] for c in self.score.figures.get("categories", []) if c["key"] == key), None)


def rank_by_unit(scores) -> dict[int, tuple[int, int]]:
    """{unit_id: (rank among all, rank among its kind)}: towns and departments are also ranked
    separately (a county compares towns with towns). ``scores`` are rows with ``unit_id``,
    ``unit_kind`` and ``total`` (``Score`` objects or selected columns)."""
    ranks = dict(zip([s.unit_id for s in scores], competition_ranks([s.total for s in scores])))
    in_kind = {}
    for kind in {s.unit_kind for s in scores}:
        same = [s for s in scores if s.unit_kind == kind]
        in_kind.update(zip([s.unit_id for s in same], competition_ranks([s.total for s in same])))
    return {uid: (ranks[uid], in_kind[uid]) for uid in ranks}


def ranking(row: ScorePeriod, user, kind: str | None = None, sort: str = "rank", desc: bool = False) -> list[RankRow]:
    """The period's ranking; ``kind`` ("town" / "department") ranks that kind only. The change is
    against the previous period when the user may see it (two queries in all)."""
    scores = db.session.scalars(select(Score).where(Score.period_id == row.id)).all()
    if kind in UNIT_KINDS:
        scores = [s for s in scores if s.unit_kind == kind]
    ranks = rank_by_unit(scores)
    previous = find(row.period.previous())
    before, before_ranks = {}, {}
    if previous is not None and may_see(previous, user):
        prev_scores = db.session.scalars(select(Score).where(Score.period_id == previous.id)).all()
        if kind in UNIT_KINDS:
            prev_scores = [s for s in prev_scores if s.unit_kind == kind]
        before = {s.unit_id: s.total for s in prev_scores}
        before_ranks = {uid: r for uid, (r, _) in rank_by_unit(prev_scores).items()}
    rows = [RankRow(s, *ranks[s.unit_id], before.get(s.unit_id), before_ranks.get(s.unit_id)) for s in scores]
    return sort_rows(rows, sort, desc)


def sort_rows(rows: list[RankRow], sort: str, desc: bool) -> list[RankRow]:
    def key(r: RankRow):
        if sort == "total":
            return (r.score.total, r.score.unit_code)
        if sort == "change":
            return (r.change if r.change is not None else Decimal("-1000"), r.score.unit_code)
        if sort == "code":
            return (r.score.unit_code,)
        if sort == "bonus":
            return (r.score.bonus, r.score.unit_code)
        if sort.startswith("cat:"):
            value = r.category(sort[4:])
            return (Decimal(value) if value is not None else Decimal(-1), r.score.unit_code)
        return (r.rank, r.score.unit_code)
    return sorted(rows, key=key, reverse=desc)


def find(period: Period) -> ScorePeriod | None:
    return db.session.scalar(select(ScorePeriod).where(ScorePeriod.key == period.key))


def unit_trend(unit_id: int) -> dict:
    """The unit's total per quarter and the city's average, oldest first (chart data)."""
    stmt = (select(ScorePeriod.year, ScorePeriod.quarter, ScorePeriod.state, Score.total)
            .join(Score, Score.period_id == ScorePeriod.id)
            .where(Score.unit_id == unit_id, ScorePeriod.quarter.is_not(None))
            .order_by(ScorePeriod.year, ScorePeriod.quarter))
    average = dict(((y, q), a) for y, q, a in db.session.execute(
        select(ScorePeriod.year, ScorePeriod.quarter, func.avg(Score.total))
        .join(Score, Score.period_id == ScorePeriod.id).where(ScorePeriod.quarter.is_not(None))
        .group_by(ScorePeriod.year, ScorePeriod.quarter)))
    labels, totals, averages = [], [], []
    for year, quarter, state, total in db.session.execute(stmt):
        labels.append(f"{year % 100:02d}年Q{quarter}" + {"published": "", "provisional": "（暂定）"}.get(state, "（待发布）"))
        totals.append(float(total))
        avg = average.get((year, quarter))
        averages.append(round(float(avg), 2) if avg is not None else None)
    return {"labels": labels, "totals": totals, "averages": averages}


def dashboard_panel(user, limit: int = 10) -> dict | None:
    """For the leader's dashboard: the latest published quarter's ranking (top ``limit``) and the
    units in trouble (below 85, or down 5 or more since the quarter before), worst first."""
    row = db.session.scalar(select(ScorePeriod).where(ScorePeriod.state == "published",
                                                      ScorePeriod.quarter.is_not(None))
                            .order_by(ScorePeriod.year.desc(), ScorePeriod.quarter.desc()).limit(1))
    if row is None:
        return None
    rows = ranking(row, user)
    trouble = sorted((r for r in rows if r.in_trouble), key=lambda r: (r.score.total, r.score.unit_code))
    return {"period": row, "top": rows[:limit], "trouble": trouble[:limit], "count": len(rows)}
