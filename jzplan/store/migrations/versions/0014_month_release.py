"""Each month's state (采集中 / 待审核 / 已发布) and the append-only audit of its moves.

A submission for a released month is kept as a pending correction (status ``correction``,
no schema change: the status column holds it).

Revision ID: 0014_month_release
Revises: 0013_channel_backoff
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_month_release"
down_revision: str | None = "0013_channel_backoff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "month_state",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("released_by", sa.String(64), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_month_state")),
        sa.UniqueConstraint("period", name=op.f("uq_month_state_period")),
    )
    op.create_table(
        "month_transition",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_month_transition")),
    )
    op.create_index(
        op.f("ix_month_transition_period"), "month_transition", ["period"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_month_transition_period"), table_name="month_transition")
    op.drop_table("month_transition")
    op.drop_table("month_state")
