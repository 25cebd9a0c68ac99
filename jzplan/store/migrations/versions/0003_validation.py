"""Validation: Great Expectations result documents and office explanations (上报说明).

Revision ID: 0003_validation
Revises: 0001_initial
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_validation"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "validation_document",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("suite", sa.String(64), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_document")),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_validation_document_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "submission_id", "suite", name=op.f("uq_validation_document_submission_id_suite")
        ),
    )
    op.create_table(
        "validation_explanation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_code", sa.String(16), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("indicator_code", sa.String(64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("explained_by", sa.String(64), nullable=True),
        sa.Column("explained_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_explanation")),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_validation_explanation_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_code"],
            ["org_unit.code"],
            name=op.f("fk_validation_explanation_org_unit_code_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_code"],
            ["indicator.code"],
            name=op.f("fk_validation_explanation_indicator_code_indicator"),
        ),
        sa.UniqueConstraint(
            "submission_id",
            "rule",
            "indicator_code",
            name=op.f("uq_validation_explanation_submission_id_rule_indicator_code"),
        ),
    )
    op.create_index(op.f("ix_validation_explanation_period"), "validation_explanation", ["period"])


def downgrade() -> None:
    op.drop_index(op.f("ix_validation_explanation_period"), table_name="validation_explanation")
    op.drop_table("validation_explanation")
    op.drop_table("validation_document")
