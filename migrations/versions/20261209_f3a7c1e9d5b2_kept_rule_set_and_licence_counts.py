"""kept rule set and licence counts: rule_set_version (one row whose token changes with the
rules, requirements, job roles and courses, so each process can reuse its rule set) and
licence_count (the licence summary's open and dormant accounts, kept)

Revision ID: f3a7c1e9d5b2
Revises: f3a9d1c7e5b2
Created: 2026-12-09 09:00:00.000000
"""
import secrets

import sqlalchemy as sa
from alembic import op

import lms.core.db_types


revision = 'f3a7c1e9d5b2'
down_revision = 'f3a9d1c7e5b2'
branch_labels = None
depends_on = None


def upgrade():
    version = op.create_table(
        'rule_set_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(version, [{'id': 1, 'token': secrets.randbits(62)}])
    op.create_table(
        'licence_count',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('active', sa.Integer(), nullable=False),
        sa.Column('dormant', sa.Integer(), nullable=False),
        sa.Column('checked_at', lms.core.db_types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute(
        "INSERT INTO licence_count (id, active, dormant) SELECT 1, "
        "COUNT(CASE WHEN dormant_at IS NULL THEN 1 END), COUNT(CASE WHEN dormant_at IS NOT NULL THEN 1 END) "
        "FROM \"user\" WHERE active = true"
    )


def downgrade():
    op.drop_table('licence_count')
    op.drop_table('rule_set_version')
