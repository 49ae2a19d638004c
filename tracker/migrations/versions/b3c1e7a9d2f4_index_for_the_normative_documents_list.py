"""index for the normative documents list

The normative documents page counts and sorts the published tasks marked normative among all
tasks (tracker/indexes.py). Only an index is added: no row changes.

Revision ID: b3c1e7a9d2f4
Revises: b3f1c2d4e5a6
Create Date: 2026-11-27 11:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b3c1e7a9d2f4'
down_revision = 'b3f1c2d4e5a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_disclosure_task_normative_state_pub", "disclosure_task",
                    ["normative", "state", "unit_id", "published_on"], unique=False)


def downgrade():
    op.drop_index("ix_disclosure_task_normative_state_pub", table_name="disclosure_task")
