"""sender instances with a heartbeat; interruptions counted on each mail

A sender is known by a random id and a lease it renews (``sender_instance``), not by its host
name and process id; ``outbox_mail.interruptions`` counts the connections lost while a mail was
being sent.

Revision ID: a9e3c5d7f201
Revises: b7c2e41f9a15
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9e3c5d7f201'
down_revision = 'b7c2e41f9a15'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sender_instance',
    sa.Column('id', sa.String(length=80), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sender_instance'))
    )
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interruptions', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_column('interruptions')
    op.drop_table('sender_instance')
