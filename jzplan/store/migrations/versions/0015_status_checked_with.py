"""What a status file's suite read, as a digest: a rerun of a file checked clean under the
same digest reuses its rule results instead of running Great Expectations again.

Revision ID: 0015_status_checked_with
Revises: 0014_month_release
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_status_checked_with"
down_revision: str | None = "0014_month_release"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_file") as batch:
        batch.add_column(sa.Column("checked_with", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_file") as batch:
        batch.drop_column("checked_with")
