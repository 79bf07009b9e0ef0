"""home page indexes: bookings by status then session (the registers to mark read only the
places still "booked") and the emails the sender gave up on (partial: failed only)

Revision ID: a1c5e9b3d7f2
Revises: f3b9d1e7a6c4
Created: 2026-12-10 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = 'a1c5e9b3d7f2'
down_revision = 'f3b9d1e7a6c4'
branch_labels = None
depends_on = None

FAILED = sa.text('failed_at IS NOT NULL')


def upgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index('ix_booking_status_session', ['status', 'session_id'], unique=False)
    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outbound_email_failed', ['failed_at'], unique=False,
            sqlite_where=FAILED, postgresql_where=FAILED,
        )


def downgrade():
    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_email_failed')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_status_session')
