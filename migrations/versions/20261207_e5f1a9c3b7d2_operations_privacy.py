"""accounts: a row per email address signed in as, held while an attempt is checked
(sign-in limits exact across workers); records: history imports queued for the scheduler

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
    op.create_table(
        'import_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', lms.core.db_types.UTCDateTime(), nullable=False),
        sa.Column('file_name', sa.String(length=120), nullable=False),
        sa.Column('mapping_name', sa.String(length=120), nullable=True),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('mapping', sa.LargeBinary(), nullable=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('stage', sa.String(length=120), nullable=True),
        sa.Column('rows', sa.Integer(), nullable=True),
        sa.Column('started_at', lms.core.db_types.UTCDateTime(), nullable=True),
        sa.Column('finished_at', lms.core.db_types.UTCDateTime(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['event_id'], ['audit_event.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_job_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_job_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_job_status'))
        batch_op.drop_index(batch_op.f('ix_import_job_created_by_id'))
    op.drop_table('import_job')
    with op.batch_alter_table('sign_in_guard', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_guard_touched_at'))
    op.drop_table('sign_in_guard')
