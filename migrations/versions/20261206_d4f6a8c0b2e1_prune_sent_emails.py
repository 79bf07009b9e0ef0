"""outbound email: the content of sent and given-up emails is cleared after a retention period (pruned_at)

Revision ID: d4f6a8c0b2e1
Revises: a8c3e5f1d204
Created: 2026-12-06 06:30:00.000000
"""
from alembic import op
import sqlalchemy as sa

import lms.core.db_types


revision = 'd4f6a8c0b2e1'
down_revision = 'a8c3e5f1d204'
branch_labels = None
depends_on = None

UNPRUNED = sa.text('pruned_at IS NULL')


def upgrade():
    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.alter_column('body_text', existing_type=sa.Text(), nullable=True)
        batch_op.add_column(sa.Column('pruned_at', lms.core.db_types.UTCDateTime(), nullable=True))
        batch_op.create_index(
            'ix_outbound_email_unpruned', ['sent_at', 'failed_at'], unique=False,
            sqlite_where=UNPRUNED, postgresql_where=UNPRUNED,
        )


def downgrade():
    # A pruned email's text is gone for good: it comes back as an empty text.
    op.execute("UPDATE outbound_email SET body_text = '' WHERE body_text IS NULL")
    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_email_unpruned')
        batch_op.drop_column('pruned_at')
        batch_op.alter_column('body_text', existing_type=sa.Text(), nullable=False)
