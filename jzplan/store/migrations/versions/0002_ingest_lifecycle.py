"""Ingest lifecycle: metadata of every received file, and the audit of corrected figures.

Revision ID: 0002_ingest_lifecycle
Revises: 0001_initial
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_ingest_lifecycle"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain nullable columns: SQLite adds them in place, no table rebuild
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("size_bytes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("source_path", sa.String(512), nullable=True))
        batch.add_column(sa.Column("file_format", sa.String(8), nullable=True))
    op.create_table(
        "submission_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_unit_code", sa.String(16), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("old_submission_id", sa.Integer(), nullable=False),
        sa.Column("new_submission_id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sa.String(64), nullable=False),
        sa.Column("old_value", sa.Float(), nullable=True),
        sa.Column("new_value", sa.Float(), nullable=True),
        sa.Column("old_value_month", sa.Float(), nullable=True),
        sa.Column("new_value_month", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_change")),
        sa.UniqueConstraint(
            "new_submission_id",
            "indicator_code",
            name=op.f("uq_submission_change_new_submission_id_indicator_code"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_code"],
            ["org_unit.code"],
            name=op.f("fk_submission_change_org_unit_code_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["old_submission_id"],
            ["submission.id"],
            name=op.f("fk_submission_change_old_submission_id_submission"),
        ),
        sa.ForeignKeyConstraint(
            ["new_submission_id"],
            ["submission.id"],
            name=op.f("fk_submission_change_new_submission_id_submission"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_code"],
            ["indicator.code"],
            name=op.f("fk_submission_change_indicator_code_indicator"),
        ),
    )
    op.create_index(op.f("ix_submission_change_period"), "submission_change", ["period"])


def downgrade() -> None:
    op.drop_index(op.f("ix_submission_change_period"), table_name="submission_change")
    op.drop_table("submission_change")
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("file_format")
        batch.drop_column("source_path")
        batch.drop_column("size_bytes")
