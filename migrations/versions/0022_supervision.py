"""supervision (督办) and graded risk levels (issue 18)

Revision ID: 0022_supervision
Revises: 0021_rating_decisions
Create Date: 2026-12-07 14:00:00

Six new tables (caserisk, consultation, supervisionorder, supervisionreport, supervisionrequest,
accountabilityevent); nothing existing changes. The once-only rules are indexes: one active order per case,
one pending request of each kind per order, one accountability event per order and missed report day, and one
row per create-form submission. The new permissions go to the built-in roles of an existing database (a fresh
one gets them from bootstrap).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0022_supervision"
down_revision = "0021_rating_decisions"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
ORDER_ACTIVE = sa.text("state IN ('listed', 'delist_requested')")
REQUEST_PENDING = sa.text("status = 'pending'")
GRANTS = (  # the new permissions for the built-in roles of an existing database (a fresh one gets them from bootstrap)
    "INSERT INTO rolepermission (role_id, permission) SELECT r.id, 'supervision.open' FROM role r "
    "WHERE r.builtin AND r.code = 'coordinator' AND NOT EXISTS ("
    "SELECT 1 FROM rolepermission p WHERE p.role_id = r.id AND p.permission = 'supervision.open')",
    "INSERT INTO rolepermission (role_id, permission) SELECT r.id, 'supervision.report' FROM role r "
    "WHERE r.builtin AND r.code = 'mediator' AND NOT EXISTS ("
    "SELECT 1 FROM rolepermission p WHERE p.role_id = r.id AND p.permission = 'supervision.report')",
)


def upgrade() -> None:
    op.create_table(
        "caserisk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("owner_level", sa.String(length=12), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("graded_at", UTC(), nullable=False),
        sa.Column("level_since", UTC(), nullable=False),
        sa.Column("contact_due", UTC(), nullable=True),
        sa.Column("plan_due", UTC(), nullable=True),
        sa.Column("contact_at", UTC(), nullable=True),
        sa.Column("plan_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    op.create_index("ix_caserisk_level_open", "caserisk", ["level", "is_open"])
    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("held_at", UTC(), nullable=False),
        sa.Column("participants", sa.String(length=500), nullable=False),
        sa.Column("decision", sa.String(length=2000), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("form_token", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consultation_case_id", "consultation", ["case_id"])
    op.create_index("uq_consultation_form_token", "consultation", ["form_token"], unique=True)
    op.create_table(
        "supervisionorder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_org_id", sa.Integer(), nullable=False),
        sa.Column("handling_org_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("report_every_days", sa.Integer(), nullable=False),
        sa.Column("report_due", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=True),
        sa.Column("opened_at", UTC(), nullable=False),
        sa.Column("delisted_at", UTC(), nullable=True),
        sa.Column("delisted_by", sa.Integer(), nullable=True),
        sa.Column("form_token", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["supervisor_org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["handling_org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["opened_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["delisted_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supervisionorder_case_id", "supervisionorder", ["case_id"])
    op.create_index(
        "uq_supervision_one_active",
        "supervisionorder",
        ["case_id"],
        unique=True,
        sqlite_where=ORDER_ACTIVE,
        postgresql_where=ORDER_ACTIVE,
    )
    op.create_index("uq_supervision_form_token", "supervisionorder", ["form_token"], unique=True)
    op.create_index("ix_supervision_handler_state", "supervisionorder", ["handling_org_id", "state"])
    op.create_index("ix_supervision_supervisor_state", "supervisionorder", ["supervisor_org_id", "state"])
    op.create_table(
        "supervisionreport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("by_user", sa.Integer(), nullable=True),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("form_token", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["supervisionorder.id"]),
        sa.ForeignKeyConstraint(["by_user"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supervisionreport_order_id", "supervisionreport", ["order_id"])
    op.create_index("uq_supervisionreport_form_token", "supervisionreport", ["form_token"], unique=True)
    op.create_table(
        "supervisionrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("new_deadline", sa.Date(), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", UTC(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("decision_reason", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["supervisionorder.id"]),
        sa.ForeignKeyConstraint(["requested_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supervisionrequest_order_id", "supervisionrequest", ["order_id"])
    op.create_index(
        "uq_supervisionrequest_one_pending",
        "supervisionrequest",
        ["order_id", "kind"],
        unique=True,
        sqlite_where=REQUEST_PENDING,
        postgresql_where=REQUEST_PENDING,
    )
    op.create_table(
        "accountabilityevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["supervisionorder.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "kind", "due", name="uq_accountability_once"),
    )
    op.create_index("ix_accountabilityevent_order_id", "accountabilityevent", ["order_id"])
    op.create_index("ix_accountabilityevent_org_id", "accountabilityevent", ["org_id"])
    for statement in GRANTS:
        op.execute(sa.text(statement))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM rolepermission WHERE permission IN ('supervision.open', 'supervision.report')"))
    op.drop_table("accountabilityevent")
    op.drop_table("supervisionrequest")
    op.drop_table("supervisionreport")
    op.drop_table("supervisionorder")
    op.drop_table("consultation")
    op.drop_table("caserisk")
