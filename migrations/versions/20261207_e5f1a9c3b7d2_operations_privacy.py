"""accounts: a row per email address signed in as, held while an attempt is checked
(sign-in limits exact across workers)

Revision ID: e5f1a9c3b7d2
Revises: c4e8a2f6b1d9
Created: 2026-12-07 16:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import lms.core.db_types


revision = 'e5f1a9c3b7d2'
down_revision = 'c4e8a2f6b1d9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_in_guard',
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('touched_at', lms.core.db_types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('email'),
    )
    with op.batch_alter_table('sign_in_guard', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_guard_touched_at'), ['touched_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_guard', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_guard_touched_at'))
    op.drop_table('sign_in_guard')
