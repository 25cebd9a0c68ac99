"""Tracking and alerts: seasonal pace and forecast columns, status reports, rankings, and the
alert-event outbox.

Revision ID: 0004_tracking
Revises: 0001_initial
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_tracking"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PROGRESS_FLOATS = (
    "expected_seasonal", "forecast", "forecast_low", "forecast_high", "required_monthly",
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("target_progress") as batch:
        for name in _PROGRESS_FLOATS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))
        batch.add_column(sa.Column("pace_model", sa.String(8), nullable=True))
    op.create_table(
        "status_report",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("target_id", sa.String(32), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(64), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("source_file", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_report")),
        sa.UniqueConstraint("target_id", "period", name=op.f("uq_status_report_target_id_period")),
        sa.ForeignKeyConstraint(
            ["target_id"], ["target.id"], name=op.f("fk_status_report_target_id_target")
        ),
    )
    op.create_index(op.f("ix_status_report_period"), "status_report", ["period"])
    op.create_table(
        "ranking",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_unit_code", sa.String(16), nullable=False),
        sa.Column("indicator_code", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("out_of", sa.Integer(), nullable=True),
        sa.Column("published_by", sa.String(64), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("source_file", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ranking")),
        sa.UniqueConstraint(
            "org_unit_code",
            "indicator_code",
            "period",
            name=op.f("uq_ranking_org_unit_code_indicator_code_period"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_code"], ["org_unit.code"], name=op.f("fk_ranking_org_unit_code_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["indicator_code"],
            ["indicator.code"],
            name=op.f("fk_ranking_indicator_code_indicator"),
        ),
    )
    op.create_index(op.f("ix_ranking_period"), "ranking", ["period"])
    op.create_table(
        "alert_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("org_unit_code", sa.String(16), nullable=True),
        sa.Column("target_id", sa.String(32), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("emitted", sa.Boolean(), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_event")),
        sa.UniqueConstraint(
            "dedup_key", "action", "period", name=op.f("uq_alert_event_dedup_key_action_period")
        ),
    )


def downgrade() -> None:
    op.drop_table("alert_event")
    op.drop_index(op.f("ix_ranking_period"), table_name="ranking")
    op.drop_table("ranking")
    op.drop_index(op.f("ix_status_report_period"), table_name="status_report")
    op.drop_table("status_report")
    with op.batch_alter_table("target_progress") as batch:
        batch.drop_column("pace_model")
        for name in reversed(_PROGRESS_FLOATS):
            batch.drop_column(name)
