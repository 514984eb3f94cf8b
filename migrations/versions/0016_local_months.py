"""local months: a case's received_month is its month in China, as the statistics' days are

Revision ID: 0016_local_months
Revises: 0015_privacy
Create Date: 2026-12-06 17:00:00

received_month was the UTC month: a case received between 00:00 and 08:00 China time on the 1st of a month
counted in the month before (a night 110 hand-over on 1 January in the old year). Only rows received in the
last 8 hours (UTC) of a month change. New cases get the local month from services.cases.create.create_case; the
demo and import writers already store moments inside office hours, where both months agree.
"""
from alembic import op

revision = "0016_local_months"
down_revision = "0015_privacy"
branch_labels = None
depends_on = None

LOCAL = {
    "sqlite": "CAST(strftime('%Y%m', received_at, '+8 hours') AS INTEGER)",  # China has kept UTC+8 since 1991
    "postgresql": "CAST(to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMM') AS INTEGER)",
}
UTC = {
    "sqlite": "CAST(strftime('%Y%m', received_at) AS INTEGER)",
    "postgresql": "CAST(to_char(received_at AT TIME ZONE 'UTC', 'YYYYMM') AS INTEGER)",
}


def _set_month(expr: dict[str, str]) -> None:
    month = expr[op.get_bind().dialect.name]
    op.execute(f'UPDATE "case" SET received_month = {month} WHERE received_month <> {month}')  # noqa: S608 (constants)


def upgrade() -> None:
    _set_month(LOCAL)


def downgrade() -> None:
    _set_month(UTC)
