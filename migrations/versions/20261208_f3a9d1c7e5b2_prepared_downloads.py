"""prepared downloads: large documents made by the run-downloads job, with progress, kept
for a few days

Revision ID: f3a9d1c7e5b2
Revises: c8e2a4f6b0d3
Created: 2026-12-08 12:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import lms.core.db_types


revision = 'f3a9d1c7e5b2'
down_revision = 'c8e2a4f6b0d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'prepared_download',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('progress_done', sa.Integer(), nullable=False),
        sa.Column('progress_total', sa.Integer(), nullable=True),
        sa.Column('progress_label', sa.String(length=60), nullable=True),
        sa.Column('requested_at', lms.core.db_types.UTCDateTime(), nullable=False),
        sa.Column('started_at', lms.core.db_types.UTCDateTime(), nullable=True),
        sa.Column('finished_at', lms.core.db_types.UTCDateTime(), nullable=True),
        sa.Column('file_name', sa.String(length=200), nullable=True),
        sa.Column('content_type', sa.String(length=100), nullable=True),
        sa.Column('size', sa.Integer(), nullable=True),
        sa.Column('stored_name', sa.String(length=80), nullable=True),
        sa.Column('expires_at', lms.core.db_types.UTCDateTime(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('prepared_download', schema=None) as batch_op:
        batch_op.create_index('ix_prepared_download_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prepared_download_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prepared_download_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('prepared_download', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prepared_download_expires_at'))
        batch_op.drop_index(batch_op.f('ix_prepared_download_requested_by_id'))
        batch_op.drop_index('ix_prepared_download_status_id')
    op.drop_table('prepared_download')
