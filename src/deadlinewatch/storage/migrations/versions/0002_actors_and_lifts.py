"""Who made each write (``actor`` on status changes, acks and snoozes) and withdrawn acks and
snoozes (``lifted``: a row that ends the commitment's acknowledgement or snooze at its ``at``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("status_change", "ack", "snooze"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("actor", sa.String(), nullable=True))
    for table in ("ack", "snooze"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("lifted", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in ("ack", "snooze"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("lifted")
    for table in ("status_change", "ack", "snooze"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("actor")
