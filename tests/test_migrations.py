"""The Alembic migrations create exactly the schema the models describe, on this database."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tracker.extensions import db
from tracker.timeutil import UTCDateTime


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": _compare_type})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


def _compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    if isinstance(metadata_type, UTCDateTime):
        return False  # stored as a plain DATETIME / TIMESTAMP by design
    return None
