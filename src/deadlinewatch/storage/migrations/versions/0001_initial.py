"""Initial schema: ledger/outbox, status history, acks, snoozes, engine and source state.

Revision ID: 0001
Revises:
Create Date: 2026-05-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as of this revision (do not import them from tables.py).
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_INSTANT = sa.DateTime(timezone=True)
_JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _id() -> sa.Column[int]:
    return sa.Column("id", _ID, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "notification",
        _id(),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("subscription", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("occurred", _INSTANT, nullable=False),
        sa.Column("send_at", _INSTANT, nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_until", _INSTANT, nullable=True),
        sa.Column("next_attempt_at", _INSTANT, nullable=False),
        sa.Column("created_at", _INSTANT, nullable=False),
        sa.Column("sent_at", _INSTANT, nullable=True),
        sa.Column("updated_at", _INSTANT, nullable=False),
        sa.UniqueConstraint("key", name="uq_notification_key"),
    )
    op.create_index("ix_notification_claim", "notification", ["state", "next_attempt_at"])
    op.create_index("ix_notification_lease", "notification", ["state", "lease_until"])
    op.create_index("ix_notification_send_at", "notification", ["send_at"])
    op.create_index("ix_notification_subject", "notification", ["subject", "send_at"])

    op.create_table(
        "status_change",
        _id(),
        sa.Column("commitment_id", sa.String(), nullable=False),
        sa.Column("at", _INSTANT, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", _INSTANT, nullable=False),
    )
    op.create_index("ix_status_change_commitment", "status_change", ["commitment_id", "at"])

    op.create_table(
        "ack",
        _id(),
        sa.Column("commitment_id", sa.String(), nullable=False),
        sa.Column("at", _INSTANT, nullable=False),
        sa.Column("note", sa.String(), nullable=True),
    )
    op.create_index("ix_ack_commitment", "ack", ["commitment_id", "at"])

    op.create_table(
        "snooze",
        _id(),
        sa.Column("commitment_id", sa.String(), nullable=False),
        sa.Column("at", _INSTANT, nullable=False),
        sa.Column("until", _INSTANT, nullable=False),
        sa.Column("note", sa.String(), nullable=True),
    )
    op.create_index("ix_snooze_commitment", "snooze", ["commitment_id", "at"])

    op.create_table(
        "engine_state",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", _JSON, nullable=True),
        sa.Column("updated_at", _INSTANT, nullable=False),
    )

    op.create_table(
        "slack_thread",
        sa.Column("channel", sa.String(), primary_key=True),
        sa.Column("commitment_id", sa.String(), primary_key=True),
        sa.Column("ts", sa.String(), nullable=False),
    )

    op.create_table(
        "source_state",
        sa.Column("source_id", sa.String(), primary_key=True),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failing", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("updated_at", _INSTANT, nullable=False),
    )

    op.create_table(
        "source_item",
        _id(),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("item_key", sa.String(), nullable=False),
        sa.Column("seen_at", _INSTANT, nullable=False),
        sa.UniqueConstraint("source_id", "item_key", name="uq_source_item"),
    )


def downgrade() -> None:
    for table in (
        "source_item",
        "source_state",
        "slack_thread",
        "engine_state",
        "snooze",
        "ack",
        "status_change",
        "notification",
    ):
        op.drop_table(table)
