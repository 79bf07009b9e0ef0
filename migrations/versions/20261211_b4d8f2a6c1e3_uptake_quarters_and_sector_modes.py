"""reports: kept uptake rows by quarter mask (uptake_quarter_mix) and the combined sector and
delivery mode dimension (6) in uptake_learner, uptake_mix and uptake_span, filled from
what is kept and from the completions

Revision ID: b4d8f2a6c1e3
Revises: a1c5e9b3d7f2
Created: 2026-12-11 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = 'b4d8f2a6c1e3'
down_revision = 'a1c5e9b3d7f2'
branch_labels = None
depends_on = None

MONTHS = [f'completions_{m}' for m in range(12)]
QUARTERS = [f'completions_q{q}' for q in range(1, 5)]
# lms.records.uptake: DIMENSIONS["sector-delivery-mode"], MODE_KEYS and DELIVERY_MODES' order
SECTOR_MODES = 6
MODE_KEYS = 16
DELIVERY_MODES = ('elearning', 'face-to-face', 'virtual', 'outreach', 'twilight', 'event', 'external', 'imported')


def upgrade():
    op.create_table(
        'uptake_quarter_mix',
        sa.Column('dimension', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('financial_year', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('group_key', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('quarters', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in QUARTERS],
        sa.PrimaryKeyConstraint('dimension', 'financial_year', 'group_key', 'quarters'),
    )

    # The combined dimension's rows, from the completions (as rebuild_uptake makes them).
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
    group = f"COALESCE(c.sector_id, 0) * {MODE_KEYS} + {modes}"
    sums = ", ".join(f"SUM(CASE WHEN bit = {1 << m} THEN n ELSE 0 END)" for m in range(12))
    op.execute(
        f"INSERT INTO uptake_learner (dimension, financial_year, group_key, user_id, months, {', '.join(MONTHS)}) "
        f"SELECT {SECTOR_MODES}, financial_year, group_key, user_id, SUM(bit), {sums} FROM ("
        f"SELECT c.user_id AS user_id, {financial_year} AS financial_year, {bit} AS bit, {group} AS group_key, "
        f"COUNT(*) AS n FROM completion c GROUP BY 1, 2, 3, 4) AS by_month "
        f"GROUP BY user_id, financial_year, group_key"
    )
    op.execute(
        f"INSERT INTO uptake_mix (dimension, financial_year, group_key, months, people, {', '.join(MONTHS)}) "
        f"SELECT dimension, financial_year, group_key, months, COUNT(*), {', '.join(f'SUM({m})' for m in MONTHS)} "
        f"FROM uptake_learner WHERE dimension = {SECTOR_MODES} GROUP BY dimension, financial_year, group_key, months"
    )
    op.execute(
        "INSERT INTO uptake_span (dimension, group_key, years, people) "
        "SELECT dimension, group_key, years, COUNT(*) FROM ("
        "SELECT dimension, group_key, SUM(CAST(1 AS BIGINT) << (financial_year - 2000)) AS years FROM uptake_learner "
        f"WHERE dimension = {SECTOR_MODES} AND financial_year BETWEEN 2000 AND 2062 "
        "GROUP BY dimension, group_key, user_id) AS spans "
        "GROUP BY dimension, group_key, years"
    )
    # Every dimension's month mixes counted by quarter mask (lms.records.uptake.quarters_of).
    quarters = " + ".join(f"CASE WHEN (months & {0b111 << (3 * q)}) <> 0 THEN {1 << q} ELSE 0 END" for q in range(4))
    quarter_sums = ", ".join(f"SUM({MONTHS[3 * q]} + {MONTHS[3 * q + 1]} + {MONTHS[3 * q + 2]})" for q in range(4))
    op.execute(
        f"INSERT INTO uptake_quarter_mix (dimension, financial_year, group_key, quarters, people, {', '.join(QUARTERS)}) "
        f"SELECT dimension, financial_year, group_key, {quarters}, SUM(people), {quarter_sums} "
        f"FROM uptake_mix GROUP BY dimension, financial_year, group_key, {quarters}"
    )


def downgrade():
    op.drop_table('uptake_quarter_mix')
    op.execute(f"DELETE FROM uptake_span WHERE dimension = {SECTOR_MODES}")
    op.execute(f"DELETE FROM uptake_mix WHERE dimension = {SECTOR_MODES}")
    op.execute(f"DELETE FROM uptake_learner WHERE dimension = {SECTOR_MODES}")
