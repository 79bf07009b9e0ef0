"""analysts: completion.updated_at (filled from created_at, indexed with id) for the
completions feed's changed_since; read-only API tokens with an expiry (reporting tokens)

Revision ID: c8e2a4f6b0d3
Revises: e5f1a9c3b7d2
Created: 2026-12-08 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import lms.core.db_types


revision = 'c8e2a4f6b0d3'
down_revision = 'e5f1a9c3b7d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('completion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', lms.core.db_types.UTCDateTime(), nullable=True))
    # Every completion recorded so far last changed, as far as anyone can tell, when it was recorded.
    op.execute("UPDATE completion SET updated_at = created_at")
    with op.batch_alter_table('completion', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=lms.core.db_types.UTCDateTime(), nullable=False)
        batch_op.create_index('ix_completion_updated_at', ['updated_at', 'id'], unique=False)
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_only', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('expires_at', lms.core.db_types.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('read_only')
    with op.batch_alter_table('completion', schema=None) as batch_op:
        batch_op.drop_index('ix_completion_updated_at')
        batch_op.drop_column('updated_at')
