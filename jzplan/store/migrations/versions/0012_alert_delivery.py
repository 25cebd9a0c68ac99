"""Alert transitions delivered per channel, so one failing channel never re-sends to others.

Revision ID: 0012_alert_delivery
Revises: 0011_office_messages
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_alert_delivery"
down_revision: str | None = "0011_office_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey(
                "alert_event.id",
                name=op.f("fk_alert_delivery_event_id_alert_event"),
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery")),
        sa.UniqueConstraint("event_id", "channel", name=op.f("uq_alert_delivery_event_id_channel")),
    )


def downgrade() -> None:
    op.drop_table("alert_delivery")
