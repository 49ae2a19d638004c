"""applications: the applicant's rating of a reply (社会评议) and requests for a new query password

Revision ID: a7b9c1d3e5f2
Revises: f2a4c6e8b0d1
Create Date: 2026-12-07 13:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7b9c1d3e5f2'
down_revision = 'f2a4c6e8b0d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'application_rating',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('level', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('rated_on', sa.Date(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('handled_at', sa.DateTime(), nullable=True),
        sa.Column('handled_by_id', sa.Integer(), nullable=True),
        sa.Column('handled_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id']),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('application_id'),
    )
    op.create_index('ix_application_rating_unit_rated', 'application_rating', ['unit_id', 'rated_on'])
    op.create_table(
        'application_password_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('ip', sa.String(length=64), nullable=False),
        sa.Column('success', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_application_password_request_ip_at', 'application_password_request', ['ip', 'at'])
    op.create_index('ix_application_password_request_code_at', 'application_password_request', ['code', 'at'])


def downgrade():
    op.drop_index('ix_application_password_request_code_at', table_name='application_password_request')
    op.drop_index('ix_application_password_request_ip_at', table_name='application_password_request')
    op.drop_table('application_password_request')
    op.drop_index('ix_application_rating_unit_rated', table_name='application_rating')
    op.drop_table('application_rating')
