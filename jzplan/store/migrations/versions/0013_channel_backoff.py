"""Each channel's delivery health, so a failing one is retried with backoff on its own; the
lease that lets one delivery run at a time; and office messages delivered per channel.

Revision ID: 0013_channel_backoff
Revises: 0012_alert_delivery
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_channel_backoff"
down_revision: str | None = "0012_alert_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_state",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_state")),
        sa.UniqueConstraint("channel", name=op.f("uq_channel_state_channel")),
    )
    op.create_table(
        "delivery_lease",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_lease")),
        sa.UniqueConstraint("name", name=op.f("uq_delivery_lease_name")),
    )

    op.create_table(
        "office_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey(
                "office_message.id",
                name=op.f("fk_office_delivery_message_id_office_message"),
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_delivery")),
        sa.UniqueConstraint(
            "message_id", "channel", name=op.f("uq_office_delivery_message_id_channel")
        ),
    )


def downgrade() -> None:
    op.drop_table("office_delivery")
    op.drop_table("delivery_lease")
    op.drop_table("channel_state")
