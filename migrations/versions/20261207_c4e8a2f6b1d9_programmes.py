"""programmes: the table each programme (twilight series, Safeguarding Week) hangs from

Revision ID: c4e8a2f6b1d9
Revises: a7c3e9f1d5b2
Created: 2026-12-07 15:45:00.000000
"""
import sqlalchemy as sa
from alembic import op

import lms.core.db_types


revision = 'c4e8a2f6b1d9'
down_revision = 'a7c3e9f1d5b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'programme',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=True),
        sa.Column('created_at', lms.core.db_types.UTCDateTime(), nullable=False),
        sa.Column('updated_at', lms.core.db_types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'starts_on', name='uq_programme_kind_starts_on'),
    )
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_kind'), ['kind'], unique=False)


def downgrade():
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_kind'))
    op.drop_table('programme')
