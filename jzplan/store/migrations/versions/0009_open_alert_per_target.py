"""At most one open alert per target, a partial unique index.

A month run before an earlier one could leave a target with two open alerts (the later
month's status and the earlier month's); the store now refuses that. A store that already
holds such pairs keeps the alert seen last open and resolves the others at that month.

Revision ID: 0009_open_alert_per_target
Revises: 0007_bulk_files
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_open_alert_per_target"
down_revision: str | None = "0008_status_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_TARGET_ALERT = sa.text("resolved IS NULL AND target_id IS NOT NULL")


def _resolve_duplicates() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, target_id, last_seen FROM alert WHERE resolved IS NULL "
            "AND target_id IS NOT NULL ORDER BY target_id, last_seen DESC, id DESC"
        )
    ).all()
    kept: dict[str, str] = {}
    for alert_id, target_id, last_seen in rows:
        if target_id not in kept:
            kept[target_id] = last_seen
            continue
        conn.execute(
            sa.text("UPDATE alert SET resolved = :month WHERE id = :id"),
            {"month": kept[target_id], "id": alert_id},
        )


def upgrade() -> None:
    _resolve_duplicates()
    op.create_index(
        "uq_alert_open_target_id",
        "alert",
        ["target_id"],
        unique=True,
        sqlite_where=OPEN_TARGET_ALERT,
        postgresql_where=OPEN_TARGET_ALERT,
    )


def downgrade() -> None:
    op.drop_index("uq_alert_open_target_id", table_name="alert")
