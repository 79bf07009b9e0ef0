"""evaluations: one per completion, and whether a course asks for one before its certificate

Revision ID: 339d9d1b0a20
Revises: b7e2c4a6d8f0
Created: 2026-12-06 06:21:01.778285
"""
from alembic import op
import sqlalchemy as sa
import lms.core.db_types


revision = '339d9d1b0a20'
down_revision = 'b7e2c4a6d8f0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('completion_id', sa.Integer(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('training_session_id', sa.Integer(), nullable=True),
    sa.Column('delivery_mode', sa.String(length=20), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=False),
    sa.Column('skills', sa.String(length=10), nullable=False),
    sa.Column('confidence_before', sa.Integer(), nullable=False),
    sa.Column('confidence_after', sa.Integer(), nullable=False),
    sa.Column('will_do_differently', sa.Text(), nullable=True),
    sa.Column('improvements', sa.Text(), nullable=True),
    sa.Column('may_quote', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', lms.core.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['completion_id'], ['completion.id'], name=op.f('fk_evaluation_completion_id_completion'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_evaluation_course_id_course')),
    sa.ForeignKeyConstraint(['sector_id'], ['sector.id'], name=op.f('fk_evaluation_sector_id_sector')),
    sa.ForeignKeyConstraint(['training_session_id'], ['training_session.id'], name=op.f('fk_evaluation_training_session_id_training_session'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_evaluation_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation')),
    sa.UniqueConstraint('completion_id', name=op.f('uq_evaluation_completion_id'))
    )
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_course_completed', ['course_id', 'completed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_training_session_id'), ['training_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_user_id'), ['user_id'], unique=False)

    # Courses already made do not ask for an evaluation (the default is only for the rows
    # there now; the application always sets the value).
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asks_for_evaluation', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.alter_column('asks_for_evaluation', server_default=None)



def downgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_column('asks_for_evaluation')

    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_user_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_training_session_id'))
        batch_op.drop_index('ix_evaluation_course_completed')

    op.drop_table('evaluation')
