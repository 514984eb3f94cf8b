"""ledger: one live claim per case of either kind, each ledger step once per claim, who/what on entries

Revision ID: 0004_ledger
Revises: 0001
Create Date: 2026-11-23 04:00:00

Only ADD COLUMN and CREATE/DROP INDEX, never a table rebuild: `ledgerentry` is append-only and its
triggers must survive (a SQLite batch rebuild would drop them).
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_ledger"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_WHERE = "kind = 'subsidy' AND status != 'rejected'"
LIVE_WHERE = "status NOT IN ('rejected', 'reversed')"


def _where(clause: str) -> dict[str, sa.TextClause]:
    return {"sqlite_where": sa.text(clause), "postgresql_where": sa.text(clause)}


def _add_fk_column(table: str, column: str, target: str) -> None:
    """An integer column referencing `target` (SQLite takes the reference inline in ADD COLUMN)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES "{target}" (id)')
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), sa.ForeignKey(f"{target}.id"), nullable=True))


def upgrade() -> None:
    op.drop_index("uq_claim_one_subsidy_per_case", table_name="subsidyclaim", **_where(OLD_WHERE))
    op.create_index("uq_claim_one_live_per_case", "subsidyclaim", ["case_id"], unique=True, **_where(LIVE_WHERE))
    _add_fk_column("subsidyclaim", "rate_id", "subsidyrate")

    _add_fk_column("ledgerentry", "actor_org_id", "organisation")
    op.add_column("ledgerentry", sa.Column("from_status", sa.String(length=12), nullable=False, server_default=""))
    op.add_column("ledgerentry", sa.Column("to_status", sa.String(length=12), nullable=False, server_default=""))
    _add_fk_column("ledgerentry", "batch_id", "payoutbatch")
    op.add_column("ledgerentry", sa.Column("budget_override", sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    op.create_index("uq_ledger_step_once", "ledgerentry", ["claim_id", "action"], unique=True)

    op.add_column("payoutbatch", sa.Column("notice_from", sa.Date(), nullable=True))
    _add_fk_column("payoutbatch", "paid_by", "user")
    _add_fk_column("payoutbatch", "published_by", "user")


def downgrade() -> None:
    for column in ("published_by", "paid_by", "notice_from"):
        op.drop_column("payoutbatch", column)
    op.drop_index("uq_ledger_step_once", table_name="ledgerentry")
    for column in ("budget_override", "batch_id", "to_status", "from_status", "actor_org_id"):
        op.drop_column("ledgerentry", column)
    op.drop_column("subsidyclaim", "rate_id")
    op.drop_index("uq_claim_one_live_per_case", table_name="subsidyclaim", **_where(LIVE_WHERE))
    op.create_index("uq_claim_one_subsidy_per_case", "subsidyclaim", ["case_id"], unique=True, **_where(OLD_WHERE))
