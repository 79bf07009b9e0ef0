"""records: completions taken off the record (completion_removal), for the analysts' feed of
removals

Revision ID: d2f6b8a4e0c9
Revises: c7e1a3f9b5d2
Created: 2026-12-11 11:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

from lms.core.db_types import UTCDateTime


revision = 'd2f6b8a4e0c9'
down_revision = 'c7e1a3f9b5d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'completion_removal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('completion_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('removed_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('completion_removal', schema=None) as batch_op:
        batch_op.create_index('ix_completion_removal_removed_at', ['removed_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_completion_removal_completion_id'), ['completion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_completion_removal_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('completion_removal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_completion_removal_user_id'))
        batch_op.drop_index(batch_op.f('ix_completion_removal_completion_id'))
        batch_op.drop_index('ix_completion_removal_removed_at')
    op.drop_table('completion_removal')
