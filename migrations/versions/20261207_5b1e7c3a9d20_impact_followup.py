"""impact follow-up: a course's weeks before the follow-up (or none), and a follow-up row per completion of attendance

Revision ID: 5b1e7c3a9d20
Revises: 2f044e5de8b8
Created: 2026-12-07 16:40:00
"""
from alembic import op
import sqlalchemy as sa
import lms.core.db_types


revision = '5b1e7c3a9d20'
down_revision = '2f044e5de8b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followup_weeks', sa.Integer(), nullable=True))
    op.execute("UPDATE course SET followup_weeks = 12")

    op.create_table('followup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('completion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('created_at', lms.core.db_types.UTCDateTime(), nullable=False),
    sa.Column('sent_at', lms.core.db_types.UTCDateTime(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('answered_at', lms.core.db_types.UTCDateTime(), nullable=True),
    sa.Column('used', sa.String(length=10), nullable=True),
    sa.Column('how', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['completion_id'], ['completion.id'], name=op.f('fk_followup_completion_id_completion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_followup_course_id_course')),
    sa.ForeignKeyConstraint(['sector_id'], ['sector.id'], name=op.f('fk_followup_sector_id_sector')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_followup_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup')),
    sa.UniqueConstraint('completion_id', name=op.f('uq_followup_completion_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_followup_token_hash'))
    )
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.create_index('ix_followup_due', ['sent_at', 'due_on'], unique=False)
        batch_op.create_index('ix_followup_course_completed', ['course_id', 'completed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_user_id'))
        batch_op.drop_index('ix_followup_course_completed')
        batch_op.drop_index('ix_followup_due')
    op.drop_table('followup')
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_column('followup_weeks')
