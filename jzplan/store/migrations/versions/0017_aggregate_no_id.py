"""Totals without a surrogate key, as the figures have been since 0006_fact_tables.

Nothing reads a total by its id: a total is (org unit, period, indicator), unique because
both writers refuse a duplicate before writing, and a period's totals are replaced as one
block. The id's sequence and B-tree cost 0.29 s of the 0.53 s that COPY of a national
month's 402,516 totals took (bench/RESULTS.md).

Revision ID: 0017_aggregate_no_id
Revises: 0016_aggregate_period_brin
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_aggregate_no_id"
down_revision: str | None = "0016_aggregate_period_brin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("aggregate") as batch:
        batch.drop_constraint("pk_aggregate", type_="primary")
        batch.drop_column("id")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE aggregate ADD COLUMN id SERIAL")  # numbers the rows
        op.create_primary_key("pk_aggregate", "aggregate", ["id"])
        return
    with op.batch_alter_table("aggregate", recreate="always") as batch:
        batch.add_column(sa.Column("id", sa.Integer(), nullable=True))
    op.execute("UPDATE aggregate SET id = rowid")
    with op.batch_alter_table("aggregate", recreate="always") as batch:
        batch.alter_column("id", existing_type=sa.Integer(), nullable=False)
        batch.create_primary_key("pk_aggregate", ["id"])
