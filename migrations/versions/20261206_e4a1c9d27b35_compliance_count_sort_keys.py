"""compliance counts: an organisation's name in lower case and its share overdue, indexed for the overview's two orders

Revision ID: e4a1c9d27b35
Revises: c7d3a9e1f042
Created: 2026-12-06 04:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'e4a1c9d27b35'
down_revision = 'c7d3a9e1f042'
branch_labels = None
depends_on = None

ALL_REQUIREMENTS = sa.text('requirement_id IS NULL')


def upgrade():
    with op.batch_alter_table('compliance_count', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('overdue_share', sa.Float(), nullable=True))
        batch_op.drop_index('ix_compliance_count_scope')
        batch_op.create_index('ix_compliance_count_scope', ['scope', 'scope_id', 'requirement_id'], unique=False)
        batch_op.create_index(
            'ix_compliance_count_name', ['scope', 'requirement_id', 'as_of', 'sort_name', 'scope_id'], unique=False,
        )
        batch_op.create_index(
            'ix_compliance_count_overdue',
            ['scope', 'requirement_id', 'as_of', sa.text('overdue_share DESC'), 'sort_name', 'scope_id'],
            unique=False,
        )
        batch_op.create_index(
            'ix_compliance_count_all_name', ['scope', 'as_of', 'sort_name', 'scope_id'], unique=False,
            postgresql_where=ALL_REQUIREMENTS, sqlite_where=ALL_REQUIREMENTS,
        )
        batch_op.create_index(
            'ix_compliance_count_all_overdue', ['scope', 'as_of', sa.text('overdue_share DESC'), 'sort_name', 'scope_id'],
            unique=False, postgresql_where=ALL_REQUIREMENTS, sqlite_where=ALL_REQUIREMENTS,
        )
    # The organisation rows already kept get their new columns now, so the overview
    # does not wait for the next rebuild.
    op.execute(
        "UPDATE compliance_count SET"
        " sort_name = (SELECT lower(organisation.name) FROM organisation WHERE organisation.id = compliance_count.scope_id),"
        " overdue_share = CAST(overdue_count AS FLOAT) / NULLIF(total_count, 0)"
        " WHERE scope = 'organisation'"
    )


def downgrade():
    with op.batch_alter_table('compliance_count', schema=None) as batch_op:
        batch_op.drop_index('ix_compliance_count_all_overdue')
        batch_op.drop_index('ix_compliance_count_all_name')
        batch_op.drop_index('ix_compliance_count_overdue')
        batch_op.drop_index('ix_compliance_count_name')
        batch_op.drop_index('ix_compliance_count_scope')
        batch_op.create_index('ix_compliance_count_scope', ['scope', 'requirement_id', 'scope_id'], unique=False)
        batch_op.drop_column('overdue_share')
        batch_op.drop_column('sort_name')
