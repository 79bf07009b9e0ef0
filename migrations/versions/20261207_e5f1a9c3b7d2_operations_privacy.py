"""accounts: a row per email address signed in as, held while an attempt is checked
(sign-in limits exact across workers); records: history imports queued for the scheduler;
partnership: its own details; certificates: the signatory at issue; accounts: when an
account was closed and when its person was erased

Revision ID: e5f1a9c3b7d2
Revises: b3d5f7a9c1e2
Created: 2026-12-07 16:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import lms.core.db_types


revision = 'e5f1a9c3b7d2'
down_revision = 'b3d5f7a9c1e2'
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
    op.create_table(
        'partnership_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('service_name', sa.String(length=200), nullable=True),
        sa.Column('contact_email', sa.String(length=254), nullable=True),
        sa.Column('contact_phone', sa.String(length=40), nullable=True),
        sa.Column('postal_address', sa.Text(), nullable=True),
        sa.Column('dpo_name', sa.String(length=200), nullable=True),
        sa.Column('dpo_email', sa.String(length=254), nullable=True),
        sa.Column('ico_registration', sa.String(length=20), nullable=True),
        sa.Column('signatory_name', sa.String(length=200), nullable=True),
        sa.Column('signatory_role', sa.String(length=200), nullable=True),
        sa.Column('logo', sa.LargeBinary(), nullable=True),
        sa.Column('logo_type', sa.String(length=20), nullable=True),
        sa.Column('accessibility_email', sa.String(length=254), nullable=True),
        sa.Column('accessibility_checked_on', sa.Date(), nullable=True),
        sa.Column('accessibility_known_issues', sa.Text(), nullable=True),
        sa.Column('updated_at', lms.core.db_types.UTCDateTime(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signatory', sa.String(length=402), nullable=True))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', lms.core.db_types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('erased_at', lms.core.db_types.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_closed_at'), ['closed_at'], unique=False)
    # Accounts already closed: their retention period runs from this upgrade.
    op.execute(sa.text('UPDATE "user" SET closed_at = CURRENT_TIMESTAMP WHERE active = :closed').bindparams(closed=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_closed_at'))
        batch_op.drop_column('erased_at')
        batch_op.drop_column('closed_at')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('signatory')
    op.drop_table('partnership_settings')
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_job_status'))
        batch_op.drop_index(batch_op.f('ix_import_job_created_by_id'))
    op.drop_table('import_job')
    with op.batch_alter_table('sign_in_guard', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_guard_touched_at'))
    op.drop_table('sign_in_guard')
