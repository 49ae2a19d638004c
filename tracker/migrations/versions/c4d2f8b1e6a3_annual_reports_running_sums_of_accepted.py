"""annual reports: each year's running sums of the accepted unit reports

The city report read and summed every accepted unit report's snapshot on every view; the year's
row now keeps the sum of their cells and facts and which units, added to as each report is
accepted (tracker/reports/services.py, count_accepted). Existing accepted reports are summed here.

Revision ID: c4d2f8b1e6a3
Revises: b3c1e7a9d2f4
Create Date: 2026-11-27 11:40:00

"""
import json
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4d2f8b1e6a3'
down_revision = 'b3c1e7a9d2f4'
branch_labels = None
depends_on = None

COLUMNS = ("accepted_cells", "accepted_facts", "accepted_units")


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _add_facts(total: dict, facts: dict) -> None:
    for k in ("published", "late", "late_replies"):
        total[k] += int(facts.get(k, 0) or 0)
    for k in ("amount", "count"):
        total["fees"][k] += int((facts.get("fees") or {}).get(k, 0) or 0)
    for bucket in ("by_channel", "by_area"):
        for name, n in (facts.get(bucket) or {}).items():
            total[bucket][name] = total[bucket].get(name, 0) + n


def upgrade():
    with op.batch_alter_table("report_year") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.JSON(), nullable=True))
    # Sum what was accepted so far. Snapshots store money as text with four decimals, counts as
    # integers (services.dump_cells); the sums are stored the same way.
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT s.year, s.unit_id, s.snapshot FROM report_submission s JOIN annual_report a ON a.id = s.report_id"
        " WHERE a.scope = 'unit' AND a.state = 'accepted' AND s.decision = 'accepted' ORDER BY s.year, s.unit_id"))
    years: dict[int, tuple[dict, dict, list]] = {}
    for year, unit_id, snapshot in rows:
        snap = _json(snapshot) or {}
        cells, facts, units = years.setdefault(year, ({}, {"units": 0, "published": 0, "late": 0, "late_replies": 0,
                                                           "fees": {"amount": 0, "count": 0}, "by_channel": {},
                                                           "by_area": {}}, []))
        for k, v in (snap.get("cells") or {}).items():
            cells[k] = cells.get(k, 0) + (Decimal(v) if isinstance(v, str) else int(v))
        _add_facts(facts, snap.get("facts") or {})
        units.append(unit_id)
    params = [sa.bindparam(name, type_=sa.JSON) for name in ("cells", "facts", "units")]
    update = sa.text("UPDATE report_year SET accepted_cells = :cells, accepted_facts = :facts,"
                     " accepted_units = :units WHERE year = :year").bindparams(*params)
    insert = sa.text("INSERT INTO report_year (year, updated_at, accepted_cells, accepted_facts, accepted_units)"
                     " VALUES (:year, :now, :cells, :facts, :units)").bindparams(*params)
    for year, (cells, facts, units) in years.items():
        values = {"cells": {k: _money(v) if isinstance(v, Decimal) else v for k, v in cells.items()},
                  "facts": facts, "units": sorted(set(units)), "year": year, "now": datetime.now(timezone.utc)}
        exists = conn.execute(sa.text("SELECT 1 FROM report_year WHERE year = :year"), {"year": year}).first()
        conn.execute(update if exists else insert, values)


def _money(value: Decimal) -> str:
    """As services.dump_cells writes money: up to four decimals, no trailing zeros."""
    text = format(value.quantize(Decimal("0.0001")).normalize(), "f")
    return "0" if text in ("0", "-0") else text


def downgrade():
    with op.batch_alter_table("report_year") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
