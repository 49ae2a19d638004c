"""A period's scores as CSV (UTF-8) or Excel: 单位代码, 单位, one column per category of the
rubric in its order, 加分, 总分; one line per unit, best first. The Excel file (for paper, through
the shared spreadsheet module) also ranks each unit beside its total: 全市排名, then its 单位类别
and 类别内排名 (towns and departments ranked separately, as the ranking page does)."""
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..spreadsheets import csv_text, workbook
from ..units.models import UNIT_KINDS
from .models import Score, ScorePeriod
from .numbers import points_text
from .ranking import rank_by_unit
from .rubrics import spec_of


def _scores(row: ScorePeriod) -> list[Score]:
    return db.session.scalars(select(Score).where(Score.period_id == row.id)
                              .order_by(Score.total.desc(), Score.unit_code)).all()


def table(row: ScorePeriod, scores: list[Score] | None = None) -> tuple[list[str], list[list]]:
    """Header and rows (numbers as Decimals). The categories are those of the rubric the period's
    scores used (the latest version among them, should a re-run have changed it)."""
    scores = _scores(row) if scores is None else scores
    if not scores:
        return [], []
    rubric = max((s.rubric for s in scores), key=lambda r: (r.version, r.id))
    categories = spec_of(rubric).categories
    header = ["单位代码", "单位"] + [c.name for c in categories] + ["加分", "总分"]
    rows = []
    for s in scores:
        figures = {c["key"]: c["score"] for c in s.figures.get("categories", [])}
        rows.append([s.unit_code, s.unit_name] + [figures.get(c.key) for c in categories] + [s.bonus, s.total])
    return header, rows


def to_csv(row: ScorePeriod) -> str:
    """Through the shared cell writer (``spreadsheets.csv_text``): a unit named ``=HYPERLINK(...)``
    arrives as text, as in the Excel file."""
    header, rows = table(row)
    return csv_text(header, (r[:2] + [Decimal(points_text(v)) if v is not None else None for v in r[2:]]
                             for r in rows))


def to_xlsx(row: ScorePeriod) -> bytes:
    scores = _scores(row)
    header, rows = table(row, scores)
    ranks = rank_by_unit(scores)
    if header:
        header += ["全市排名", "单位类别", "类别内排名"]
    return workbook(f"{row.label}考核得分", header, (
        [r[0], r[1]] + [float(v) if v is not None else None for v in r[2:]]
        + [ranks[s.unit_id][0], UNIT_KINDS.get(s.unit_kind, s.unit_kind), ranks[s.unit_id][1]]
        for r, s in zip(rows, scores)))


def filename(row: ScorePeriod, ext: str) -> str:
    return f"考核得分-{row.key}.{ext}"
