"""audit log: one index by action and time for its keyset pages (replaces the index on action)

The 操作日志 filtered by action shows the newest events a page at a time (tracker/audit/log.py);
(action, at, id) answers each page from the index, where the index on action alone had every
matching event sorted (150 ms for 150,000 acknowledgements on the large bench city). The new index
serves lookups by action alone too, so that index is dropped. Only indexes change: no row changes.

Revision ID: b3f1c2d4e5a6
Revises: 5746add3f856
Create Date: 2026-11-27 11:25:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b3f1c2d4e5a6'
down_revision = '5746add3f856'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_event_action_at", "audit_event", ["action", "at", "id"], unique=False)
    op.drop_index("ix_audit_event_action", table_name="audit_event")


def downgrade():
    op.create_index("ix_audit_event_action", "audit_event", ["action"], unique=False)
    op.drop_index("ix_audit_event_action_at", table_name="audit_event")
