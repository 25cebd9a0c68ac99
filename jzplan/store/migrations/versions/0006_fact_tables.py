"""Observations as a fact table: no per-row foreign keys, no surrogate key, one index.

A national month is 4 million figures. Per-row foreign-key triggers and three b-tree indexes
held PostgreSQL COPY to about 14,000 rows/s; this shape loads at the speed of COPY itself.
What the constraints guaranteed, the loader guarantees before it writes: every figure's unit
and indicator are in the catalog (validation rejects the rest), each submission has an
indicator once (duplicate_indicator), and submissions are never deleted. The one index,
(period, submission_id), serves both reads: a period's figures and one submission's figures
(always looked up with its period). On PostgreSQL it is a BRIN index: figures arrive month by
month and submission by submission, so block ranges summarise them almost for free.

Aggregates (400,000 totals a national month) lose their per-row foreign keys and their
unique (org unit, period, indicator) index for the same reason: they are derived from the
catalog, and both writers refuse a duplicate key before writing; the period index stays.

Revision ID: 0006_fact_tables
Revises: 0002_ingest_lifecycle, 0003_validation, 0004_tracking, 0005_operations
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_fact_tables"
down_revision: str | Sequence[str] | None = (
    "0002_ingest_lifecycle",
    "0003_validation",
    "0004_tracking",
    "0005_operations",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_observation_period", table_name="observation")
    with op.batch_alter_table("observation") as batch:
        batch.drop_constraint("fk_observation_submission_id_submission", type_="foreignkey")
        batch.drop_constraint("fk_observation_org_unit_code_org_unit", type_="foreignkey")
        batch.drop_constraint("fk_observation_indicator_code_indicator", type_="foreignkey")
        batch.drop_constraint("uq_observation_submission_id_indicator_code", type_="unique")
        batch.drop_constraint("pk_observation", type_="primary")
        batch.drop_column("id")
    op.create_index(
        "ix_observation_period_submission_id",
        "observation",
        ["period", "submission_id"],
        postgresql_using="brin",
    )
    with op.batch_alter_table("aggregate") as batch:
        batch.drop_constraint("fk_aggregate_org_unit_code_org_unit", type_="foreignkey")
        batch.drop_constraint("fk_aggregate_indicator_code_indicator", type_="foreignkey")
        batch.drop_constraint("uq_aggregate_org_unit_code_period_indicator_code", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("aggregate") as batch:
        batch.create_unique_constraint(
            "uq_aggregate_org_unit_code_period_indicator_code",
            ["org_unit_code", "period", "indicator_code"],
        )
        batch.create_foreign_key(
            "fk_aggregate_org_unit_code_org_unit", "org_unit", ["org_unit_code"], ["code"]
        )
        batch.create_foreign_key(
            "fk_aggregate_indicator_code_indicator", "indicator", ["indicator_code"], ["code"]
        )
    op.drop_index("ix_observation_period_submission_id", table_name="observation")
    with op.batch_alter_table("observation", recreate="always") as batch:
        batch.add_column(sa.Column("id", sa.Integer(), autoincrement=True, nullable=True))
    # number the rows, then make the column the key again
    op.execute(
        "UPDATE observation SET id = (SELECT COUNT(*) FROM observation o2 "
        "WHERE (o2.submission_id, o2.indicator_code) <= "
        "(observation.submission_id, observation.indicator_code))"
    )
    with op.batch_alter_table("observation", recreate="always") as batch:
        batch.alter_column("id", existing_type=sa.Integer(), nullable=False)
        batch.create_primary_key("pk_observation", ["id"])
        batch.create_unique_constraint(
            "uq_observation_submission_id_indicator_code", ["submission_id", "indicator_code"]
        )
        batch.create_foreign_key(
            "fk_observation_submission_id_submission",
            "submission",
            ["submission_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            "fk_observation_org_unit_code_org_unit", "org_unit", ["org_unit_code"], ["code"]
        )
        batch.create_foreign_key(
            "fk_observation_indicator_code_indicator", "indicator", ["indicator_code"], ["code"]
        )
    op.create_index("ix_observation_period", "observation", ["period"])
