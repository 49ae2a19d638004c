"""indexes for the supervision figures over open work and one year

The "now" figures read open work and publications awaiting verification by (state, unit,
deadline); a year's figures read the tasks due in it with unit and failed verifications, so
``ix_disclosure_task_due_state_pub`` grows two columns (tracker/indexes.py). Only indexes change.

Revision ID: b7c2e41f9a15
Revises: c4d2f8b1e6a3
Create Date: 2026-11-27 11:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7c2e41f9a15'
down_revision = 'c4d2f8b1e6a3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_disclosure_task_state_unit_due", "disclosure_task", ["state", "unit_id", "due_date"])
    op.create_index("ix_disclosure_task_due_state_pub_unit", "disclosure_task",
                    ["due_date", "state", "published_on", "unit_id", "verify_failures"])
    op.drop_index("ix_disclosure_task_due_state_pub", table_name="disclosure_task")


def downgrade():
    op.create_index("ix_disclosure_task_due_state_pub", "disclosure_task", ["due_date", "state", "published_on"])
    op.drop_index("ix_disclosure_task_due_state_pub_unit", table_name="disclosure_task")
    op.drop_index("ix_disclosure_task_state_unit_due", table_name="disclosure_task")
