"""join requests: people asking to join an organisation until a setting lead (or an admin) decides

Revision ID: 9b4d2f6e1a37
Revises: e5f7a9c1b3d4
Created: 2026-12-07 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

import lms.core.db_types


revision = '9b4d2f6e1a37'
down_revision = 'e5f7a9c1b3d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'join_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=False),
        sa.Column('requested_at', lms.core.db_types.UTCDateTime(), nullable=False),
        sa.Column('notified_at', lms.core.db_types.UTCDateTime(), nullable=True),
        sa.Column('decided_at', lms.core.db_types.UTCDateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('join_request', schema=None) as batch_op:
        batch_op.create_index('ix_join_request_organisation_open', ['organisation_id', 'decided_at'], unique=False)
        batch_op.create_index(
            'ux_join_request_open', ['user_id'], unique=True,
            sqlite_where=sa.text('decided_at IS NULL'), postgresql_where=sa.text('decided_at IS NULL'),
        )


def downgrade():
    with op.batch_alter_table('join_request', schema=None) as batch_op:
        batch_op.drop_index('ux_join_request_open')
        batch_op.drop_index('ix_join_request_organisation_open')
    op.drop_table('join_request')
