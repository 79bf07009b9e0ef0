"""certificates: frozen at issue, one live certificate per completion, verifiable by code

Revision ID: b7e2c4a6d8f0
Revises: d4f6a8c0b2e1
Created: 2026-12-06 07:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from lms.core.db_types import UTCDateTime


revision = 'b7e2c4a6d8f0'
down_revision = 'd4f6a8c0b2e1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'certificate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('completion_id', sa.Integer(), nullable=True),
        sa.Column('course_id', sa.Integer(), nullable=True),
        sa.Column('training_session_id', sa.Integer(), nullable=True),
        sa.Column('holder_name', sa.String(length=200), nullable=False),
        sa.Column('course_title', sa.String(length=200), nullable=False),
        sa.Column('course_code', sa.String(length=30), nullable=True),
        sa.Column('delivery_mode', sa.String(length=20), nullable=False),
        sa.Column('completed_on', sa.Date(), nullable=False),
        sa.Column('cpd_hours', sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column('provider', sa.String(length=200), nullable=False),
        sa.Column('refresh_due_on', sa.Date(), nullable=True),
        sa.Column('issued_at', UTCDateTime(), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('replaces_id', sa.Integer(), nullable=True),
        sa.Column('reissue_reason', sa.String(length=500), nullable=True),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('revoke_reason', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['completion_id'], ['completion.id'], name=op.f('fk_certificate_completion_id_completion'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_certificate_course_id_course')),
        sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_certificate_issued_by_id_user'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['replaces_id'], ['certificate.id'], name=op.f('fk_certificate_replaces_id_certificate')),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_certificate_revoked_by_id_user'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['training_session_id'], ['training_session.id'], name=op.f('fk_certificate_training_session_id_training_session'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_certificate_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
        sa.UniqueConstraint('code', name=op.f('uq_certificate_code')),
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index('ix_certificate_training_session_id', ['training_session_id'], unique=False)
        batch_op.create_index('ix_certificate_user_issued', ['user_id', 'issued_at'], unique=False)
        batch_op.create_index(
            'uq_certificate_live_completion', ['completion_id'], unique=True,
            sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'),
        )


def downgrade():
    op.drop_table('certificate')
