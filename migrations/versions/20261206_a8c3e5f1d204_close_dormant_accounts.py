"""licence policy: dormant accounts closed after a further number of months (the retention rule for accounts)

Revision ID: a8c3e5f1d204
Revises: f2b7d4e8a913
Created: 2026-12-06 05:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'a8c3e5f1d204'
down_revision = 'f2b7d4e8a913'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('licence_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('close_after_dormant_months', sa.Integer(), nullable=True))
    # A partnership's policy already saved gets the default: closed 12 months after dormancy.
    op.execute("UPDATE licence_policy SET close_after_dormant_months = 12")


def downgrade():
    with op.batch_alter_table('licence_policy', schema=None) as batch_op:
        batch_op.drop_column('close_after_dormant_months')
