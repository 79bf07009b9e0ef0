"""compliance: the partnership's setting for unverified self-reported CPD, and the
status rows that rest on it

Revision ID: a7c3e9f1d5b2
Revises: 9b4d2f6e1a37
Created: 2026-12-07 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import lms.core.db_types


revision = 'a7c3e9f1d5b2'
down_revision = '9b4d2f6e1a37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'compliance_policy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unverified_cpd_counts', sa.Boolean(), nullable=False),
        sa.Column('updated_at', lms.core.db_types.UTCDateTime(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('compliance_status', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rests_on_unverified', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('compliance_status', schema=None) as batch_op:
        batch_op.drop_column('rests_on_unverified')
    op.drop_table('compliance_policy')
