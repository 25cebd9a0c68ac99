"""The totals' period index as a BRIN index on PostgreSQL.

A period's totals are written together (deleted and appended as one block), so the rows of a
period sit in neighbouring pages: a block-range index finds them as a B-tree does, and costs
next to nothing to maintain. The B-tree over 402,516 equal keys of a national month cost
0.33 s of the 0.82 s its COPY took (bench/RESULTS.md). SQLite keeps its B-tree.

Revision ID: 0016_aggregate_period_brin
Revises: 0015_status_checked_with
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016_aggregate_period_brin"
down_revision: str | None = "0015_status_checked_with"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_aggregate_period", table_name="aggregate")
    op.create_index("ix_aggregate_period", "aggregate", ["period"], postgresql_using="brin")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_aggregate_period", table_name="aggregate")
    op.create_index("ix_aggregate_period", "aggregate", ["period"])
