"""Status files: each received 重点工作进展.csv and 排名.csv recorded (issue 16).

They were read from the inbox but neither archived nor recorded. One row per (batch month,
kind, sha256): a rerun with the same bytes adds nothing, a corrected file adds its own row.

Revision ID: 0008_status_files
Revises: 0007_bulk_files
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_status_files"
down_revision: str | None = "0007_bulk_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_file",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("archive_path", sa.String(512), nullable=False),
        sa.Column("source_path", sa.String(512), nullable=False),
        sa.Column("arrival_period", sa.String(7), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_file")),
        sa.UniqueConstraint(
            "arrival_period",
            "kind",
            "sha256",
            name=op.f("uq_status_file_arrival_period_kind_sha256"),
        ),
    )


def downgrade() -> None:
    op.drop_table("status_file")
