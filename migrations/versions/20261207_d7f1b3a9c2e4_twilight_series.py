"""twilight series: a programme's terms (topic, agencies, materials) and its sessions by area and host

Revision ID: d7f1b3a9c2e4
Revises: c4e8a2f6b1d9
Created: 2026-12-07 16:05:00.000000
"""
import sqlalchemy as sa
from alembic import op

import lms.core.db_types


revision = 'd7f1b3a9c2e4'
down_revision = 'c4e8a2f6b1d9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'twilight_term',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('term', sa.String(length=10), nullable=False),
        sa.Column('topic_title', sa.String(length=200), nullable=True),
        sa.Column('topic_summary', sa.Text(), nullable=True),
        sa.Column('agencies', sa.Text(), nullable=True),
        sa.Column('materials_url', sa.String(length=500), nullable=True),
        sa.Column('materials_text', sa.Text(), nullable=True),
        sa.Column('lock_version', sa.Integer(), nullable=False),
        sa.Column('updated_at', lms.core.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('programme_id', 'term', name='uq_twilight_term_programme_term'),
    )
    with op.batch_alter_table('twilight_term', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twilight_term_programme_id'), ['programme_id'], unique=False)

    op.create_table(
        'twilight_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('term_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('host_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['area_id'], ['area.id']),
        sa.ForeignKeyConstraint(['host_id'], ['organisation.id']),
        sa.ForeignKeyConstraint(['session_id'], ['training_session.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['term_id'], ['twilight_term.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_id'),
    )
    with op.batch_alter_table('twilight_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twilight_session_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twilight_session_host_id'), ['host_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twilight_session_term_id'), ['term_id'], unique=False)


def downgrade():
    with op.batch_alter_table('twilight_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twilight_session_term_id'))
        batch_op.drop_index(batch_op.f('ix_twilight_session_host_id'))
        batch_op.drop_index(batch_op.f('ix_twilight_session_area_id'))
    op.drop_table('twilight_session')
    with op.batch_alter_table('twilight_term', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twilight_term_programme_id'))
    op.drop_table('twilight_term')
