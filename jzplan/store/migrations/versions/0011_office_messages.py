"""The outbox of messages to offices: receipts (回执) and reminders (催报).

Revision ID: 0011_office_messages
Revises: 0010_held_rows
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_office_messages"
down_revision: str | None = "0010_held_rows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office_message",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("org_unit_code", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_message")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_office_message_dedup_key")),
    )
    op.create_index(op.f("ix_office_message_period"), "office_message", ["period"])


def downgrade() -> None:
    op.drop_index(op.f("ix_office_message_period"), table_name="office_message")
    op.drop_table("office_message")
