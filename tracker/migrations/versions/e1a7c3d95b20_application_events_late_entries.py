"""application events: entered late (补录)

An act entered more than the allowed working days after its own date is marked on its event, so
that the record, the audit log and the supervision page can show it; the reason and the office's
confirmation are kept in the event's details. Earlier events are not marked.

Revision ID: e1a7c3d95b20
Revises: c1d3e5f7a902
Create Date: 2026-12-07 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1a7c3d95b20'
down_revision = 'c1d3e5f7a902'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("application_event") as batch:
        batch.add_column(sa.Column("late_entry", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_application_event_late_entry", "application_event", ["late_entry", "at"])


def downgrade():
    op.drop_index("ix_application_event_late_entry", table_name="application_event")
    with op.batch_alter_table("application_event") as batch:
        batch.drop_column("late_entry")
