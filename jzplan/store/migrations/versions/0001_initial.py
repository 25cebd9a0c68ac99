"""Initial schema: catalog, plan, submissions, observations, results and alerts.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_unit",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_org_unit")),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["org_unit.code"], name=op.f("fk_org_unit_parent_code_org_unit")
        ),
    )
    op.create_table(
        "indicator",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("measure", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("aggregation", sa.String(16), nullable=False),
        sa.Column("weight_code", sa.String(64), nullable=True),
        sa.Column("formula", sa.String(256), nullable=True),
        sa.Column("group_name", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_indicator")),
    )
    op.create_table(
        "target",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("group_name", sa.String(32), nullable=False),
        sa.Column("scope_code", sa.String(16), nullable=False),
        sa.Column("indicator_code", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(16), nullable=True),
        sa.Column("comparison", sa.String(2), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("growth_pct", sa.Float(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target")),
        sa.ForeignKeyConstraint(
            ["scope_code"], ["org_unit.code"], name=op.f("fk_target_scope_code_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["indicator_code"],
            ["indicator.code"],
            name=op.f("fk_target_indicator_code_indicator"),
        ),
    )
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("archive_path", sa.String(512), nullable=False),
        sa.Column("org_unit_code", sa.String(16), nullable=True),
        sa.Column("period", sa.String(7), nullable=True),
        sa.Column("arrival_period", sa.String(7), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
        sa.UniqueConstraint("sha256", name=op.f("uq_submission_sha256")),
        sa.ForeignKeyConstraint(
            ["org_unit_code"],
            ["org_unit.code"],
            name=op.f("fk_submission_org_unit_code_org_unit"),
        ),
    )
    op.create_table(
        "observation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_code", sa.String(16), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("indicator_code", sa.String(64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("value_month", sa.Float(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation")),
        sa.UniqueConstraint(
            "submission_id",
            "indicator_code",
            name=op.f("uq_observation_submission_id_indicator_code"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_observation_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_code"],
            ["org_unit.code"],
            name=op.f("fk_observation_org_unit_code_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_code"],
            ["indicator.code"],
            name=op.f("fk_observation_indicator_code_indicator"),
        ),
    )
    op.create_index(op.f("ix_observation_period"), "observation", ["period"])
    op.create_table(
        "validation_result",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_result")),
        sa.UniqueConstraint(
            "submission_id", "rule", name=op.f("uq_validation_result_submission_id_rule")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_validation_result_submission_id_submission"),
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "aggregate",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_unit_code", sa.String(16), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("indicator_code", sa.String(64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("n_reported", sa.Integer(), nullable=False),
        sa.Column("n_expected", sa.Integer(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aggregate")),
        sa.UniqueConstraint(
            "org_unit_code",
            "period",
            "indicator_code",
            name=op.f("uq_aggregate_org_unit_code_period_indicator_code"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_code"],
            ["org_unit.code"],
            name=op.f("fk_aggregate_org_unit_code_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_code"],
            ["indicator.code"],
            name=op.f("fk_aggregate_indicator_code_indicator"),
        ),
    )
    op.create_index(op.f("ix_aggregate_period"), "aggregate", ["period"])
    op.create_table(
        "target_progress",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("target_id", sa.String(32), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("actual", sa.Float(), nullable=True),
        sa.Column("expected", sa.Float(), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(16), nullable=True),
        sa.Column("completion_pct", sa.Float(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_progress")),
        sa.UniqueConstraint(
            "target_id", "period", name=op.f("uq_target_progress_target_id_period")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["target.id"], name=op.f("fk_target_progress_target_id_target")
        ),
    )
    op.create_index(op.f("ix_target_progress_period"), "target_progress", ["period"])
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("org_unit_code", sa.String(16), nullable=True),
        sa.Column("target_id", sa.String(32), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.String(7), nullable=False),
        sa.Column("last_seen", sa.String(7), nullable=False),
        sa.Column("resolved", sa.String(7), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_alert_dedup_key")),
        sa.ForeignKeyConstraint(
            ["org_unit_code"], ["org_unit.code"], name=op.f("fk_alert_org_unit_code_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["target.id"], name=op.f("fk_alert_target_id_target")
        ),
    )


def downgrade() -> None:
    op.drop_table("alert")
    op.drop_index(op.f("ix_target_progress_period"), table_name="target_progress")
    op.drop_table("target_progress")
    op.drop_index(op.f("ix_aggregate_period"), table_name="aggregate")
    op.drop_table("aggregate")
    op.drop_table("validation_result")
    op.drop_index(op.f("ix_observation_period"), table_name="observation")
    op.drop_table("observation")
    op.drop_table("submission")
    op.drop_table("target")
    op.drop_table("indicator")
    op.drop_table("org_unit")
