"""initial schema: results, jobs, batches, rate buckets

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 07:14:06.408404
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("input_digest", sa.String(length=64), nullable=False),
        sa.Column("stages", sa.String(length=200), nullable=False),
        sa.Column("refresh", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batches_input_digest"), ["input_digest"], unique=False)

    op.create_table(
        "rate_buckets",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("burst", sa.Float(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rate_buckets")),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purl", sa.Text(), nullable=False),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=False),
        sa.Column("ossprov_version", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("ecosystem", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=40), nullable=True),
        sa.Column("worst_severity", sa.String(length=8), nullable=True),
        sa.Column("commit", sa.String(length=64), nullable=True),
        sa.Column("repository", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results")),
        sa.UniqueConstraint(
            "purl",
            "artifact_sha256",
            "ossprov_version",
            "stage",
            name=op.f("uq_results_purl_artifact_sha256_ossprov_version_stage"),
        ),
    )
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_results_commit"), ["commit"], unique=False)
        batch_op.create_index(batch_op.f("ix_results_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_results_ecosystem"), ["ecosystem"], unique=False)
        batch_op.create_index("ix_results_lookup", ["purl", "ossprov_version", "stage"], unique=False)
        batch_op.create_index(batch_op.f("ix_results_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_results_ossprov_version"), ["ossprov_version"], unique=False)
        batch_op.create_index(batch_op.f("ix_results_repository"), ["repository"], unique=False)
        batch_op.create_index(batch_op.f("ix_results_stage"), ["stage"], unique=False)
        batch_op.create_index(batch_op.f("ix_results_verdict"), ["verdict"], unique=False)
        batch_op.create_index(batch_op.f("ix_results_version"), ["version"], unique=False)
        batch_op.create_index(batch_op.f("ix_results_worst_severity"), ["worst_severity"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("purl", sa.Text(), nullable=False),
        sa.Column("stages", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("reused", sa.Boolean(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_jobs_state")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_jobs_batch_id_batches"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("batch_id", "purl", name=op.f("uq_jobs_batch_id_purl")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_claim", ["batch_id", "state", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_claim")

    op.drop_table("jobs")
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_results_worst_severity"))
        batch_op.drop_index(batch_op.f("ix_results_version"))
        batch_op.drop_index(batch_op.f("ix_results_verdict"))
        batch_op.drop_index(batch_op.f("ix_results_stage"))
        batch_op.drop_index(batch_op.f("ix_results_repository"))
        batch_op.drop_index(batch_op.f("ix_results_ossprov_version"))
        batch_op.drop_index(batch_op.f("ix_results_name"))
        batch_op.drop_index("ix_results_lookup")
        batch_op.drop_index(batch_op.f("ix_results_ecosystem"))
        batch_op.drop_index(batch_op.f("ix_results_created_at"))
        batch_op.drop_index(batch_op.f("ix_results_commit"))

    op.drop_table("results")
    op.drop_table("rate_buckets")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batches_input_digest"))

    op.drop_table("batches")
