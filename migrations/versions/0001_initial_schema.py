"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 03:41:45.132962
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY = ("auditlog", "ledgerentry")


def _append_only_triggers() -> None:
    """The audit log and the ledger refuse UPDATE and DELETE (LOG-6, LED)."""
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        else:
            op.execute(
                "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$ LANGUAGE plpgsql"
            )
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
            )


def upgrade() -> None:
    op.create_table('checklistitem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label_zh', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('label_en', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('dictionaryentry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dictionary', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label_zh', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('label_en', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dictionary', 'code')
    )
    with op.batch_alter_table('dictionaryentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dictionaryentry_dictionary'), ['dictionary'], unique=False)

    op.create_table('expertpool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('sector', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('loginthrottle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=True),
    sa.Column('sector', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('hours', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_path'), ['path'], unique=False)

    op.create_table('ratelimit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('window_start', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'window_start')
    )
    op.create_table('role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('budget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('line', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_fen >= 0', name='ck_budget_amount'),
    sa.ForeignKeyConstraint(['region_org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('region_org_id', 'year', 'line')
    )
    op.create_table('casecounter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'year')
    )
    op.create_table('rolepermission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('permission', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('role_id', 'permission')
    )
    with op.batch_alter_table('rolepermission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rolepermission_role_id'), ['role_id'], unique=False)

    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('sessions_valid_after', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_org_id'), ['org_id'], unique=False)

    op.create_table('auditlog',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditlog_actor_id'), ['actor_id'], unique=False)

    op.create_table('authsession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('authsession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authsession_user_id'), ['user_id'], unique=False)

    op.create_table('checkliststate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('evidence_note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('evidence_photo', sa.LargeBinary(), nullable=True),
    sa.Column('checked_by', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['checked_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['checklistitem.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'item_id', 'period')
    )
    with op.batch_alter_table('checkliststate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkliststate_org_id'), ['org_id'], unique=False)

    op.create_table('configversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'version')
    )
    op.create_table('formspec',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title_zh', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('title_en', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('is_register', sa.Boolean(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', 'version')
    )
    op.create_table('mediator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('gender', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('employment', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('specialties', sa.JSON(), nullable=False),
    sa.Column('certificate_no', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=True),
    sa.Column('photo', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )
    with op.batch_alter_table('mediator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediator_org_id'), ['org_id'], unique=False)

    op.create_table('orghistory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('old_value', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('new_value', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('orghistory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orghistory_org_id'), ['org_id'], unique=False)

    op.create_table('payoutbatch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('region_org_id', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('notice_until', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('paid_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['region_org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('ratingscheme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('thresholds', sa.JSON(), nullable=False),
    sa.Column('min_cases', sa.Integer(), nullable=False),
    sa.Column('in_use', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', 'version')
    )
    op.create_table('subsidyrate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grade', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('org_kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('region_org_id', sa.Integer(), nullable=True),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('amount_fen >= 0', name='ck_rate_amount'),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['region_org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('userrole',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'role_id')
    )
    with op.batch_alter_table('userrole', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_userrole_role_id'), ['role_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_userrole_user_id'), ['user_id'], unique=False)

    op.create_table('case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_no', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('tracking_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('form_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=True),
    sa.Column('mediator_id', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('request', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('group_size', sa.Integer(), nullable=False),
    sa.Column('risk_level', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('risk_flags', sa.JSON(), nullable=False),
    sa.Column('grade_proposed', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    sa.Column('grade_audited', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    sa.Column('on_the_spot', sa.Boolean(), nullable=False),
    sa.Column('pre_litigation', sa.Boolean(), nullable=False),
    sa.Column('outcome_note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('diversion', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('reject_reason', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('received_month', sa.Integer(), nullable=False),
    sa.Column('accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('concluded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('archived_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('accept_due', sa.Date(), nullable=True),
    sa.Column('conclude_due', sa.Date(), nullable=True),
    sa.Column('custom', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_fen >= 0', name='ck_case_amount'),
    sa.CheckConstraint('group_size >= 0', name='ck_case_group_size'),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediator.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_no'),
    sa.UniqueConstraint('form_token'),
    sa.UniqueConstraint('tracking_code')
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_county_month', ['county_id', 'received_month'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_mediator_id'), ['mediator_id'], unique=False)
        batch_op.create_index('ix_case_month_category', ['received_month', 'category'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_case_org_status_received', ['org_id', 'status', 'received_at'], unique=False)
        batch_op.create_index('ix_case_status_month', ['status', 'received_month'], unique=False)

    op.create_table('dutyshift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediator.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'day', 'kind', 'mediator_id')
    )
    with op.batch_alter_table('dutyshift', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dutyshift_org_id'), ['org_id'], unique=False)

    op.create_table('expertpoolmember',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediator.id'], ),
    sa.ForeignKeyConstraint(['pool_id'], ['expertpool.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pool_id', 'mediator_id')
    )
    with op.batch_alter_table('expertpoolmember', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expertpoolmember_mediator_id'), ['mediator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expertpoolmember_pool_id'), ['pool_id'], unique=False)

    op.create_table('formsubmission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('form_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['formspec.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['submitted_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('formsubmission', schema=None) as batch_op:
        batch_op.create_index('ix_formsub_form_org', ['form_code', 'org_id'], unique=False)

    op.create_table('mediatorposting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediator.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mediatorposting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediatorposting_mediator_id'), ['mediator_id'], unique=False)

    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('proposed_stars', sa.Integer(), nullable=True),
    sa.Column('approved_stars', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('override_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediator.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['scheme_id'], ['ratingscheme.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_mediator_id'), ['mediator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_scheme_id'), ['scheme_id'], unique=False)

    op.create_table('titleaward',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('awarded_by', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['awarded_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediator.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('trainingrecord',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('organiser', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.CheckConstraint('hours >= 0', name='ck_training_hours'),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediator.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('trainingrecord', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trainingrecord_mediator_id'), ['mediator_id'], unique=False)

    op.create_table('agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('terms', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('obligations', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('performance_due', sa.Date(), nullable=True),
    sa.Column('signed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('performance', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('performance_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_fen >= 0', name='ck_agreement_amount'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'version')
    )
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_case_id'), ['case_id'], unique=False)

    op.create_table('boardpost',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('publish_from', sa.Date(), nullable=True),
    sa.Column('publish_until', sa.Date(), nullable=True),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['reviewed_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('boardpost', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_boardpost_org_id'), ['org_id'], unique=False)

    op.create_table('caseevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('caseevent', schema=None) as batch_op:
        batch_op.create_index('ix_caseevent_case_at', ['case_id', 'at'], unique=False)

    op.create_table('followup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('done_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('agreement_holds', sa.Boolean(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('satisfaction IS NULL OR (satisfaction BETWEEN 1 AND 5)', name='ck_followup_satisfaction'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_case_id'), ['case_id'], unique=False)

    op.create_table('gradeaudit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('proposed', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('audited', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('auditor_id', sa.Integer(), nullable=False),
    sa.Column('auditor_org_id', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['auditor_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['auditor_org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('gradeaudit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gradeaudit_case_id'), ['case_id'], unique=False)

    op.create_table('jointparticipant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('added_by', sa.Integer(), nullable=True),
    sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'org_id')
    )
    with op.batch_alter_table('jointparticipant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jointparticipant_org_id'), ['org_id'], unique=False)
        batch_op.create_index('uq_joint_one_lead', ['case_id'], unique=True, sqlite_where=sa.text("role = 'lead'"), postgresql_where=sa.text("role = 'lead'"))

    op.create_table('judicialconfirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('court_org_id', sa.Integer(), nullable=False),
    sa.Column('applied_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('applied_by', sa.Integer(), nullable=True),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('ruling_no', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['applied_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['court_org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('judicialconfirmation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judicialconfirmation_case_id'), ['case_id'], unique=False)

    op.create_table('mediationsession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('held_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('participants', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('meeting_url', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('attended', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mediationsession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediationsession_case_id'), ['case_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('read_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_notification_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('party',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('side', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('gender', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('phone_index', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('id_number_enc', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('id_number_index', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('id_number_masked', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_id_number_index'), ['id_number_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_phone_index'), ['phone_index'], unique=False)

    op.create_table('publicrating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('stars BETWEEN 1 AND 5', name='ck_publicrating_stars'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id')
    )
    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_org_id', sa.Integer(), nullable=False),
    sa.Column('to_org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sent_by', sa.Integer(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['from_org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['sent_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['to_org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_from_org_id'), ['from_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_to_org_id'), ['to_org_id'], unique=False)

    op.create_table('subsidyclaim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=True),
    sa.Column('grade', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('hold_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('claimed_by', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_fen >= 0', name='ck_claim_amount'),
    sa.ForeignKeyConstraint(['batch_id'], ['payoutbatch.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['claimed_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediator.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('subsidyclaim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subsidyclaim_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subsidyclaim_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subsidyclaim_mediator_id'), ['mediator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subsidyclaim_org_id'), ['org_id'], unique=False)
        batch_op.create_index('uq_claim_one_subsidy_per_case', ['case_id'], unique=True, sqlite_where=sa.text("kind = 'subsidy' AND status != 'rejected'"), postgresql_where=sa.text("kind = 'subsidy' AND status != 'rejected'"))

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('mime', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['mediationsession.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_case_id'), ['case_id'], unique=False)

    op.create_table('ledgerentry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['claim_id'], ['subsidyclaim.id'], ),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledgerentry.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reverses_id')
    )
    with op.batch_alter_table('ledgerentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledgerentry_claim_id'), ['claim_id'], unique=False)

    op.create_table('partylink',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('failed_checks', sa.Integer(), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['issued_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('partylink', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partylink_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partylink_party_id'), ['party_id'], unique=False)

    op.create_table('partyconfirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], ),
    sa.ForeignKeyConstraint(['link_id'], ['partylink.id'], ),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agreement_id', 'party_id')
    )
    with op.batch_alter_table('partyconfirmation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partyconfirmation_agreement_id'), ['agreement_id'], unique=False)
    _append_only_triggers()


def downgrade() -> None:
    with op.batch_alter_table('partyconfirmation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partyconfirmation_agreement_id'))

    op.drop_table('partyconfirmation')
    with op.batch_alter_table('partylink', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partylink_party_id'))
        batch_op.drop_index(batch_op.f('ix_partylink_case_id'))

    op.drop_table('partylink')
    with op.batch_alter_table('ledgerentry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledgerentry_claim_id'))

    op.drop_table('ledgerentry')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_case_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('subsidyclaim', schema=None) as batch_op:
        batch_op.drop_index('uq_claim_one_subsidy_per_case', sqlite_where=sa.text("kind = 'subsidy' AND status != 'rejected'"), postgresql_where=sa.text("kind = 'subsidy' AND status != 'rejected'"))
        batch_op.drop_index(batch_op.f('ix_subsidyclaim_org_id'))
        batch_op.drop_index(batch_op.f('ix_subsidyclaim_mediator_id'))
        batch_op.drop_index(batch_op.f('ix_subsidyclaim_county_id'))
        batch_op.drop_index(batch_op.f('ix_subsidyclaim_case_id'))

    op.drop_table('subsidyclaim')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_to_org_id'))
        batch_op.drop_index(batch_op.f('ix_referral_from_org_id'))
        batch_op.drop_index(batch_op.f('ix_referral_case_id'))

    op.drop_table('referral')
    op.drop_table('publicrating')
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_phone_index'))
        batch_op.drop_index(batch_op.f('ix_party_id_number_index'))
        batch_op.drop_index(batch_op.f('ix_party_case_id'))

    op.drop_table('party')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_read')
        batch_op.drop_index(batch_op.f('ix_notification_org_id'))

    op.drop_table('notification')
    with op.batch_alter_table('mediationsession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mediationsession_case_id'))

    op.drop_table('mediationsession')
    with op.batch_alter_table('judicialconfirmation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judicialconfirmation_case_id'))

    op.drop_table('judicialconfirmation')
    with op.batch_alter_table('jointparticipant', schema=None) as batch_op:
        batch_op.drop_index('uq_joint_one_lead', sqlite_where=sa.text("role = 'lead'"), postgresql_where=sa.text("role = 'lead'"))
        batch_op.drop_index(batch_op.f('ix_jointparticipant_org_id'))

    op.drop_table('jointparticipant')
    with op.batch_alter_table('gradeaudit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gradeaudit_case_id'))

    op.drop_table('gradeaudit')
    with op.batch_alter_table('followup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_case_id'))

    op.drop_table('followup')
    with op.batch_alter_table('caseevent', schema=None) as batch_op:
        batch_op.drop_index('ix_caseevent_case_at')

    op.drop_table('caseevent')
    with op.batch_alter_table('boardpost', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_boardpost_org_id'))

    op.drop_table('boardpost')
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_case_id'))

    op.drop_table('agreement')
    with op.batch_alter_table('trainingrecord', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trainingrecord_mediator_id'))

    op.drop_table('trainingrecord')
    op.drop_table('titleaward')
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_scheme_id'))
        batch_op.drop_index(batch_op.f('ix_rating_org_id'))
        batch_op.drop_index(batch_op.f('ix_rating_mediator_id'))

    op.drop_table('rating')
    with op.batch_alter_table('mediatorposting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mediatorposting_mediator_id'))

    op.drop_table('mediatorposting')
    with op.batch_alter_table('formsubmission', schema=None) as batch_op:
        batch_op.drop_index('ix_formsub_form_org')

    op.drop_table('formsubmission')
    with op.batch_alter_table('expertpoolmember', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expertpoolmember_pool_id'))
        batch_op.drop_index(batch_op.f('ix_expertpoolmember_mediator_id'))

    op.drop_table('expertpoolmember')
    with op.batch_alter_table('dutyshift', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dutyshift_org_id'))

    op.drop_table('dutyshift')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_status_month')
        batch_op.drop_index('ix_case_org_status_received')
        batch_op.drop_index(batch_op.f('ix_case_org_id'))
        batch_op.drop_index('ix_case_month_category')
        batch_op.drop_index(batch_op.f('ix_case_mediator_id'))
        batch_op.drop_index('ix_case_county_month')

    op.drop_table('case')
    with op.batch_alter_table('userrole', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_userrole_user_id'))
        batch_op.drop_index(batch_op.f('ix_userrole_role_id'))

    op.drop_table('userrole')
    op.drop_table('subsidyrate')
    op.drop_table('ratingscheme')
    op.drop_table('payoutbatch')
    with op.batch_alter_table('orghistory', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orghistory_org_id'))

    op.drop_table('orghistory')
    with op.batch_alter_table('mediator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mediator_org_id'))

    op.drop_table('mediator')
    op.drop_table('formspec')
    op.drop_table('configversion')
    with op.batch_alter_table('checkliststate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkliststate_org_id'))

    op.drop_table('checkliststate')
    with op.batch_alter_table('authsession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authsession_user_id'))

    op.drop_table('authsession')
    with op.batch_alter_table('auditlog', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditlog_actor_id'))
        batch_op.drop_index('ix_audit_entity')

    op.drop_table('auditlog')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_org_id'))

    op.drop_table('user')
    with op.batch_alter_table('rolepermission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rolepermission_role_id'))

    op.drop_table('rolepermission')
    op.drop_table('casecounter')
    op.drop_table('budget')
    op.drop_table('role')
    op.drop_table('ratelimit')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_path'))
        batch_op.drop_index(batch_op.f('ix_organisation_parent_id'))
        batch_op.drop_index(batch_op.f('ix_organisation_kind'))
        batch_op.drop_index(batch_op.f('ix_organisation_county_id'))

    op.drop_table('organisation')
    op.drop_table('loginthrottle')
    op.drop_table('expertpool')
    with op.batch_alter_table('dictionaryentry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dictionaryentry_dictionary'))

    op.drop_table('dictionaryentry')
    op.drop_table('checklistitem')
