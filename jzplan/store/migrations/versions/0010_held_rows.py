"""Rows held out of an accepted form as questions (待确认), and their answers.

Revision ID: 0010_held_rows
Revises: 0009_open_alert_per_target
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_held_rows"
down_revision: str | None = "0009_open_alert_per_target"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_row",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "submission_id",
            sa.Integer(),
            sa.ForeignKey(
                "submission.id",
                name=op.f("fk_held_row_submission_id_submission"),
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("org_unit_code", sa.String(16), nullable=True),
        sa.Column("period", sa.String(7), nullable=True),
        sa.Column("sheet", sa.String(255), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(8), nullable=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("name_written", sa.Text(), nullable=False),
        sa.Column("unit_written", sa.Text(), nullable=True),
        sa.Column("value_written", sa.Text(), nullable=True),
        sa.Column("month_written", sa.Text(), nullable=True),
        sa.Column("hints", sa.JSON(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("indicator_code", sa.String(64), nullable=True),
        sa.Column("answered_by", sa.String(64), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_row")),
        sa.UniqueConstraint(
            "submission_id", "sheet", "row", name=op.f("uq_held_row_submission_id_sheet_row")
        ),
    )
    op.create_index(op.f("ix_held_row_period"), "held_row", ["period"])


def downgrade() -> None:
    op.drop_index(op.f("ix_held_row_period"), table_name="held_row")
    op.drop_table("held_row")
