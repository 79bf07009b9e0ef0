"""external CPD: what a person logs about training done elsewhere, one-to-one with its completion

Revision ID: c1e3a5b7d9f2
Revises: 339d9d1b0a20
Created: 2026-12-06 06:33:01.990673
"""
from alembic import op
import sqlalchemy as sa
import lms.core.db_types


revision = 'c1e3a5b7d9f2'
down_revision = '339d9d1b0a20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('external_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('completion_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('requirement_codes', sa.JSON(), nullable=False),
    sa.Column('evidence_name', sa.String(length=200), nullable=True),
    sa.Column('evidence_path', sa.String(length=100), nullable=True),
    sa.Column('evidence_content_type', sa.String(length=50), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('verified_at', lms.core.db_types.UTCDateTime(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('rejected_at', lms.core.db_types.UTCDateTime(), nullable=True),
    sa.Column('rejected_by_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('updated_at', lms.core.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['completion_id'], ['completion.id'], name=op.f('fk_external_activity_completion_id_completion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rejected_by_id'], ['user.id'], name=op.f('fk_external_activity_rejected_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['user.id'], name=op.f('fk_external_activity_verified_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_activity')),
    sa.UniqueConstraint('completion_id', name=op.f('uq_external_activity_completion_id')),
    sa.UniqueConstraint('evidence_path', name=op.f('uq_external_activity_evidence_path'))
    )
    with op.batch_alter_table('external_activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_activity_verified_at'), ['verified_at'], unique=False)



def downgrade():
    with op.batch_alter_table('external_activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_activity_verified_at'))

    op.drop_table('external_activity')
