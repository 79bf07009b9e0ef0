"""reports: the kept uptake rows (uptake_learner), one per dimension, financial year, group
and person with a 12-bit month mask and completions per month, their counts by month mask
(uptake_mix) and by set of financial years (uptake_span), filled from the completions

Revision ID: f3b9d1e7a6c4
Revises: f3a7c1e9d5b2
Created: 2026-12-09 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = 'f3b9d1e7a6c4'
down_revision = 'f3a7c1e9d5b2'
branch_labels = None
depends_on = None

MONTHS = [f'completions_{m}' for m in range(12)]
# lms.records.uptake.DIMENSIONS, and each one's group key (0: no group)
DIMENSIONS = {0: '0', 1: 'COALESCE(c.sector_id, 0)', 2: 'COALESCE(o.type_id, 0)', 3: 'COALESCE(o.area_id, 0)',
              4: 'COALESCE(c.course_id, 0)', 5: None}
DELIVERY_MODES = ('elearning', 'face-to-face', 'virtual', 'outreach', 'twilight', 'event', 'external', 'imported')


def upgrade():
    op.create_table(
        'uptake_learner',
        sa.Column('dimension', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('financial_year', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('group_key', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('months', sa.SmallInteger(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in MONTHS],
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('dimension', 'financial_year', 'group_key', 'user_id'),
    )
    with op.batch_alter_table('uptake_learner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uptake_learner_user_id'), ['user_id'], unique=False)
    op.create_table(
        'uptake_mix',
        sa.Column('dimension', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('financial_year', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('group_key', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('months', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in MONTHS],
        sa.PrimaryKeyConstraint('dimension', 'financial_year', 'group_key', 'months'),
    )
    op.create_table(
        'uptake_span',
        sa.Column('dimension', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('group_key', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('years', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('dimension', 'group_key', 'years'),
    )

    # Fill it from the completions recorded so far (what lms.records.uptake.rebuild_uptake does).
    if op.get_bind().dialect.name == 'sqlite':
        month = "CAST(strftime('%m', c.completed_on) AS INTEGER)"
        year = "CAST(strftime('%Y', c.completed_on) AS INTEGER)"
    else:
        month = "CAST(EXTRACT(month FROM c.completed_on) AS INTEGER)"
        year = "CAST(EXTRACT(year FROM c.completed_on) AS INTEGER)"
    financial_year = f"CASE WHEN {month} >= 4 THEN {year} ELSE {year} - 1 END"
    bit = "CASE " + " ".join(f"WHEN {month} = {m} THEN {1 << ((m - 4) % 12)}" for m in range(1, 13)) + " END"
    modes = "CASE " + " ".join(f"WHEN c.delivery_mode = '{mode}' THEN {i + 1}"
                                for i, mode in enumerate(DELIVERY_MODES)) + " ELSE 0 END"
    sums = ", ".join(f"SUM(CASE WHEN bit = {1 << m} THEN n ELSE 0 END)" for m in range(12))
    for dimension, group in DIMENSIONS.items():
        group = group or modes
        op.execute(
            f"INSERT INTO uptake_learner (dimension, financial_year, group_key, user_id, months, {', '.join(MONTHS)}) "
            f"SELECT {dimension}, financial_year, group_key, user_id, SUM(bit), {sums} FROM ("
            f"SELECT c.user_id AS user_id, {financial_year} AS financial_year, {bit} AS bit, {group} AS group_key, "
            f"COUNT(*) AS n FROM completion c LEFT OUTER JOIN organisation o ON o.id = c.organisation_id "
            f"GROUP BY 1, 2, 3, 4) AS by_month "
            f"GROUP BY user_id, financial_year, group_key"
        )
    op.execute(
        f"INSERT INTO uptake_mix (dimension, financial_year, group_key, months, people, {', '.join(MONTHS)}) "
        f"SELECT dimension, financial_year, group_key, months, COUNT(*), {', '.join(f'SUM({m})' for m in MONTHS)} "
        f"FROM uptake_learner GROUP BY dimension, financial_year, group_key, months"
    )
    # lms.records.uptake.FIRST_SPAN_YEAR and LAST_SPAN_YEAR
    op.execute(
        "INSERT INTO uptake_span (dimension, group_key, years, people) "
        "SELECT dimension, group_key, years, COUNT(*) FROM ("
        "SELECT dimension, group_key, SUM(CAST(1 AS BIGINT) << (financial_year - 2000)) AS years FROM uptake_learner "
        "WHERE financial_year BETWEEN 2000 AND 2062 GROUP BY dimension, group_key, user_id) AS spans "
        "GROUP BY dimension, group_key, years"
    )


def downgrade():
    op.drop_table('uptake_span')
    op.drop_table('uptake_mix')
    with op.batch_alter_table('uptake_learner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uptake_learner_user_id'))
    op.drop_table('uptake_learner')
