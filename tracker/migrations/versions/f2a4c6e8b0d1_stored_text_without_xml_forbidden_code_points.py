"""Stored text without the code points XML forbids: every text and JSON column of every table
loses the control characters (except tab and line breaks), lone surrogates and Unicode
noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF, U+xFFFE/U+xFFFF) that the input filter now drops
(``tracker.inputs.strip_control_characters``), so that old rows no longer break the letters,
bulletins, reports and exports they appear in.

Done in Python, a table at a time in batches by primary key, so it runs alike on SQLite and
PostgreSQL and never holds a large table in memory. The rule is copied here, not imported: a
migration must keep doing what it did when it was written. There is nothing to restore on
downgrade (the characters were invisible and no document could hold them).

Revision ID: f2a4c6e8b0d1
Revises: bab4acec43b3
Create Date: 2026-12-07 05:20:00.000000

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f2a4c6e8b0d1'
down_revision = 'bab4acec43b3'
branch_labels = None
depends_on = None

BATCH = 1000
_NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
_FORBIDDEN = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff{_NONCHARACTERS}]")


def clean(value):
    """``value`` without the forbidden code points; JSON values (dicts, lists) cleaned throughout,
    keys included. Anything else is returned as it is."""
    if isinstance(value, str):
        return _FORBIDDEN.sub("", value) if _FORBIDDEN.search(value) else value
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _text_columns(table: sa.Table) -> list[sa.Column]:
    return [c for c in table.columns if not c.primary_key and not isinstance(c.type, sa.Enum)
            and isinstance(c.type, (sa.String, sa.JSON))]


def clean_table(bind, table: sa.Table, batch: int = BATCH) -> int:
    """Clean the text and JSON columns of ``table``, ``batch`` rows at a time in primary-key
    order; returns the number of rows changed."""
    columns = _text_columns(table)
    keys = list(table.primary_key.columns)
    if not columns or not keys:
        return 0
    changed, last = 0, None
    while True:
        query = sa.select(*keys, *columns).order_by(*keys).limit(batch)
        if last is not None:
            query = query.where(sa.tuple_(*keys) > sa.tuple_(*last)) if len(keys) > 1 else query.where(keys[0] > last[0])
        rows = bind.execute(query).all()
        for row in rows:
            values = {c.name: clean(row._mapping[c.name]) for c in columns}
            dirty = {name: v for name, v in values.items() if v != row._mapping[name]}
            if dirty:
                bind.execute(table.update().where(*(k == row._mapping[k.name] for k in keys)).values(**dirty))
                changed += 1
        if len(rows) < batch:
            return changed
        last = tuple(rows[-1]._mapping[k.name] for k in keys)


def clean_all(bind, batch: int = BATCH) -> dict[str, int]:
    """Every table of the database (Alembic's own excepted): rows changed per table."""
    metadata = sa.MetaData()
    metadata.reflect(bind=bind)
    return {name: clean_table(bind, table, batch) for name, table in sorted(metadata.tables.items())
            if name != "alembic_version"}


def upgrade():
    clean_all(op.get_bind())


def downgrade():
    pass
