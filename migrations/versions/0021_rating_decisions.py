"""rating decisions: one published rating per subject and period

Revision ID: 0021_rating_decisions
Revises: 0020_publication_consent
Create Date: 2026-12-13 10:00:00

A recompute proposes and never unpublishes (issue 23): the published rating of a mediator or an organisation for a
period — approved, or overridden with its reason — stands until someone decides again, and deciding again first
marks the earlier decision "revised". The database holds that rule: a partial unique index per subject kind.
Older duplicates, if any, are marked revised first (the newest decision stands, as the app always read it).
Only CREATE INDEX (no SQLite table rebuild).
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_rating_decisions"
down_revision = "0020_publication_consent"
branch_labels = None
depends_on = None

PUBLISHED = "status IN ('approved', 'overridden')"
INDEXES = (("uq_rating_published_mediator", "mediator_id"), ("uq_rating_published_org", "org_id"))
DEDUPE = (  # every published row but the newest of its subject and period becomes "revised"
    "UPDATE rating SET status = 'revised' WHERE status IN ('approved', 'overridden') AND mediator_id IS NOT NULL "
    "AND id NOT IN (SELECT max(id) FROM rating WHERE status IN ('approved', 'overridden') "
    "AND mediator_id IS NOT NULL GROUP BY period, mediator_id)",
    "UPDATE rating SET status = 'revised' WHERE status IN ('approved', 'overridden') AND org_id IS NOT NULL "
    "AND id NOT IN (SELECT max(id) FROM rating WHERE status IN ('approved', 'overridden') "
    "AND org_id IS NOT NULL GROUP BY period, org_id)",
)


def upgrade() -> None:
    for statement in DEDUPE:
        op.execute(statement)
    for name, column in INDEXES:
        where = sa.text(f"{PUBLISHED} AND {column} IS NOT NULL")
        op.create_index(name, "rating", ["period", column], unique=True, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, _ in INDEXES:
        op.drop_index(name, table_name="rating")
