"""Operations: at most one accepted submission per (org unit, period), a partial unique index.

Revision ID: 0005_operations
Revises: 0001_initial
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_operations"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCEPTED = sa.text("status = 'accepted'")


def upgrade() -> None:
    op.create_index(
        "uq_submission_accepted_org_unit_code_period",
        "submission",
        ["org_unit_code", "period"],
        unique=True,
        sqlite_where=ACCEPTED,
        postgresql_where=ACCEPTED,
    )


def downgrade() -> None:
    op.drop_index("uq_submission_accepted_org_unit_code_period", table_name="submission")
