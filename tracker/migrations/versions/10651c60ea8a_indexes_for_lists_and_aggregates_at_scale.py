"""indexes for the task and application lists and aggregates at scale

Composite indexes matching the filters and sort orders of the supervision and dashboard sums, the
register, the applications list, the running-clock counts and the bell page (tracker/indexes.py).
Only indexes are added: no row changes.

Revision ID: 10651c60ea8a
Revises: e50557001bff
Create Date: 2026-11-27 07:38:48.363147

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '10651c60ea8a'
down_revision = 'e50557001bff'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_application_created_id", "application", ["created_at", "id"]),
    ("ix_application_state_due", "application", ["state", "due_date"]),
    ("ix_application_unit_created_id", "application", ["unit_id", "created_at", "id"]),
    ("ix_disclosure_task_due_state_pub", "disclosure_task", ["due_date", "state", "published_on"]),
    ("ix_disclosure_task_published_id", "disclosure_task", ["published_on", "id"]),
    ("ix_disclosure_task_unit_published_id", "disclosure_task", ["unit_id", "published_on", "id"]),
    ("ix_disclosure_task_unit_state_due_pub", "disclosure_task", ["unit_id", "state", "due_date", "published_on"]),
    ("ix_notification_user_created", "notification", ["user_id", "created_at", "id"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
