"""A period's scores as CSV (UTF-8) or Excel: 单位代码, 单位, one column per category of the
rubric in its order, 加分, 总分; one line per unit, best first. Excel goes through the shared
spreadsheet module."""
import csv
import io

from sqlalchemy import select

from ..extensions import db
from ..spreadsheets import workbook
from .models import Score, ScorePeriod
from .numbers import points_text
from .rubrics import spec_of


def table(row: ScorePeriod) -> tuple[list[str], list[list]]:
    """Header and rows (numbers as Decimals). The categories are those of the rubric the period's
    scores used (the latest version among them, should a re-run have changed it)."""
    scores = db.session.scalars(select(Score).where(Score.period_id == row.id)
                                .order_by(Score.total.desc(), Score.unit_code)).all()
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
    header, rows = table(row)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow(r[:2] + [points_text(v) for v in r[2:]])
    return out.getvalue()


def to_xlsx(row: ScorePeriod) -> bytes:
    header, rows = table(row)
    return workbook(f"{row.label}考核得分", header,
                    ([r[0], r[1]] + [float(v) if v is not None else None for v in r[2:]] for r in rows))


def filename(row: ScorePeriod, ext: str) -> str:
    return f"考核得分-{row.key}.{ext}"
