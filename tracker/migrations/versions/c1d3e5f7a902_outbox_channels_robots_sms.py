"""outbox channels: group robots and SMS beside email

Each outbox row has a ``channel`` (email, wecom, dingtalk, sms), a unit for robot messages and an
``urgent`` flag (overdue work: SMS in quiet hours too); robot items wait for their unit's grouped
message; units keep their robot (encrypted), users their mobile number and channel choices.

Revision ID: c1d3e5f7a902
Revises: a9e3c5d7f201
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1d3e5f7a902'
down_revision = 'a9e3c5d7f201'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=20), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_mail_unit_id_unit'), 'unit', ['unit_id'], ['id'])
        batch_op.create_index('ix_outbox_mail_channel_sent', ['channel', 'sent_at'], unique=False)
    op.create_table('robot_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox_mail.id'], name=op.f('fk_robot_item_outbox_id_outbox_mail'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_robot_item_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_robot_item')),
    sa.UniqueConstraint('key', name=op.f('uq_robot_item_key'))
    )
    with op.batch_alter_table('robot_item', schema=None) as batch_op:
        batch_op.create_index('ix_robot_item_pending', ['outbox_id', 'unit_id'], unique=False)
    op.create_table('unit_robot',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('webhook_encrypted', sa.Text(), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_robot_unit_id_unit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_unit_robot_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_unit_robot'))
    )
    op.create_table('user_channels',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=True),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_channels_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_channels'))
    )


def downgrade():
    op.drop_table('user_channels')
    op.drop_table('unit_robot')
    with op.batch_alter_table('robot_item', schema=None) as batch_op:
        batch_op.drop_index('ix_robot_item_pending')
    op.drop_table('robot_item')
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_mail_channel_sent')
        batch_op.drop_constraint(batch_op.f('fk_outbox_mail_unit_id_unit'), type_='foreignkey')
        batch_op.drop_column('urgent')
        batch_op.drop_column('unit_id')
        batch_op.drop_column('channel')
