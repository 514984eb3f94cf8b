"""verifiable documents, appointments and recusal (issue 20)

Revision ID: 0023_trust
Revises: 0022_supervision
Create Date: 2026-12-07 14:00:00

New tables only. The once-only rules are partial unique indexes, mirrored in models/trust.py: one valid issue per
case and document, one pending recusal request per case, one held booking per seat of a slot (so a slot with N
seats takes exactly N bookings however many arrive at once).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0023_trust"
down_revision = "0022_supervision"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
TS = sqlmodel.sql.sqltypes.UTCDateTime()
NEW_PERMISSIONS = ("document.revoke", "recusal.decide")
GRANT = sa.text(
    "INSERT INTO rolepermission (role_id, permission) SELECT r.id, :permission FROM role r "
    "WHERE r.builtin AND r.code IN ('justice', 'coordinator') AND NOT EXISTS ("
    "SELECT 1 FROM rolepermission p WHERE p.role_id = r.id AND p.permission = :permission)"
)


def _partial(name: str, table: str, columns: list[str], where: str) -> None:
    op.create_index(name, table, columns, unique=True, sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade() -> None:
    op.create_table(
        "verificationissue",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", S(length=24), nullable=False, unique=True),
        sa.Column("kind", S(length=40), nullable=False),
        sa.Column("doc_key", S(length=60), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("issued_by", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("content_sha256", S(length=64), nullable=False),
        sa.Column("state", S(length=12), nullable=False),
        sa.Column("superseded_at", TS, nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("revoke_reason", S(length=200), nullable=False),
    )
    op.create_index("ix_verificationissue_case_id", "verificationissue", ["case_id"])
    _partial("uq_verificationissue_valid", "verificationissue", ["case_id", "doc_key"], "state = 'valid'")
    op.create_table(
        "verificationfile",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("issue_id", sa.Integer(), sa.ForeignKey("verificationissue.id"), nullable=False),
        sa.Column("fmt", S(length=8), nullable=False),
        sa.Column("sha256", S(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("issue_id", "sha256"),
    )
    op.create_index("ix_verificationfile_issue_id", "verificationfile", ["issue_id"])
    op.create_table(
        "recusalrequest",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("mediator_id", sa.Integer(), sa.ForeignKey("mediator.id"), nullable=False),
        sa.Column("source", S(length=10), nullable=False),
        sa.Column("party_id", sa.Integer(), sa.ForeignKey("party.id"), nullable=True),
        sa.Column("requested_by", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("reason", S(length=500), nullable=False),
        sa.Column("status", S(length=10), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("decision_note", S(length=500), nullable=False),
        sa.Column("new_mediator_id", sa.Integer(), sa.ForeignKey("mediator.id"), nullable=True),
    )
    op.create_index("ix_recusalrequest_case_id", "recusalrequest", ["case_id"])
    op.create_index("ix_recusalrequest_mediator_id", "recusalrequest", ["mediator_id"])
    _partial("uq_recusalrequest_pending", "recusalrequest", ["case_id"], "status = 'pending'")
    op.create_table(
        "appointmentsetting",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False, unique=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("days_ahead", sa.Integer(), nullable=False),
        sa.CheckConstraint("capacity BETWEEN 1 AND 50", name="ck_appointmentsetting_capacity"),
    )
    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=True),
        sa.Column("slot_start", TS, nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("status", S(length=12), nullable=False),
        sa.Column("booked_via", S(length=10), nullable=False),
        sa.Column("note", S(length=200), nullable=False),
        sa.Column("proposed_start", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("reminded_at", TS, nullable=True),
        sa.Column("booking_token", S(length=64), nullable=True, unique=True),
        sa.CheckConstraint("seat >= 1", name="ck_appointment_seat"),
    )
    op.create_index("ix_appointment_org_id", "appointment", ["org_id"])
    op.create_index("ix_appointment_case_id", "appointment", ["case_id"])
    _partial(
        "uq_appointment_seat", "appointment", ["org_id", "slot_start", "seat"], "status IN ('requested', 'confirmed')"
    )
    _partial(
        "uq_appointment_case_held",
        "appointment",
        ["case_id"],
        "status IN ('requested', 'confirmed') AND case_id IS NOT NULL",
    )
    # The new permissions for the built-in roles of an existing database (a fresh one gets them from bootstrap).
    for permission in NEW_PERMISSIONS:
        op.execute(GRANT.bindparams(permission=permission))


def downgrade() -> None:
    for permission in NEW_PERMISSIONS:
        op.execute(
            sa.text("DELETE FROM rolepermission WHERE permission = :permission").bindparams(permission=permission)
        )
    for table in ("appointment", "appointmentsetting", "recusalrequest", "verificationfile", "verificationissue"):
        op.drop_table(table)
