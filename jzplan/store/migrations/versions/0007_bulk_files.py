"""Bulk files: one CSV or Parquet file holding many units' submissions.

The file is recorded once in ``bulk_file`` (sha256, archive, outcome); each unit and period in
it becomes an ordinary ``submission`` row pointing at it (``bulk_file_id``), so coverage,
deadlines, supersession and reports treat a unit of a bulk file like a township's own form.

Revision ID: 0007_bulk_files
Revises: 0006_fact_tables
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_bulk_files"
down_revision: str | None = "0006_fact_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_file",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("archive_path", sa.String(512), nullable=False),
        sa.Column("arrival_period", sa.String(7), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period", sa.String(7), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("source_path", sa.String(512), nullable=True),
        sa.Column("file_format", sa.String(8), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("units_loaded", sa.Integer(), nullable=False),
        sa.Column("units_unchanged", sa.Integer(), nullable=False),
        sa.Column("units_rejected", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_file")),
        sa.UniqueConstraint("sha256", name=op.f("uq_bulk_file_sha256")),
    )
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("bulk_file_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_submission_bulk_file_id_bulk_file", "bulk_file", ["bulk_file_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.drop_constraint("fk_submission_bulk_file_id_bulk_file", type_="foreignkey")
        batch.drop_column("bulk_file_id")
    op.drop_table("bulk_file")
