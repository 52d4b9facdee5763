"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-12-01 02:03:27.448490
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.messaging.tables import create_messaging_tables, drop_messaging_tables

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute(TEXT_BIGRAMS)
    op.create_table('login_throttle',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('email_normalized', sa.String(length=320), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'email_normalized', name=op.f('pk_login_throttle'))
    )
    op.create_table('roles',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('permissions', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('label_fr', sa.String(length=100), nullable=False),
    sa.Column('label_en', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_roles'))
    )
    op.create_table('tenants',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('slug', sa.String(length=63), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('default_locale', sa.String(length=2), server_default='fr', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants')),
    sa.UniqueConstraint('slug', name=op.f('uq_tenants_slug'))
    )
    op.create_table('custom_fields',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('required', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('choices', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_custom_fields_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_custom_fields'))
    )
    op.create_index('uq_custom_fields_key', 'custom_fields', ['tenant_id', 'key'], unique=True)
    op.create_table('groups',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_groups_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_groups'))
    )
    op.create_index('uq_groups_name', 'groups', ['tenant_id', sa.literal_column('lower(name)')], unique=True)
    op.create_table('users',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('email_normalized', sa.String(length=320), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('role', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('custom_fields', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('invitation_state', sa.String(length=20), server_default='none', nullable=False),
    sa.Column('invitation_request_id', sa.Uuid(), nullable=True),
    sa.Column('invitation_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invitation_resend_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('invitation_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invitation_first_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invitation_last_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invitation_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invitation_send_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('invitation_message_id', sa.Text(), nullable=True),
    sa.Column('invitation_failure_reason', sa.Text(), nullable=True),
    sa.Column('email_state', sa.String(length=20), server_default='ok', nullable=False),
    sa.Column('email_bounce_kind', sa.String(length=20), nullable=True),
    sa.Column('email_state_reason', sa.Text(), nullable=True),
    sa.Column('email_state_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('email_delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deactivated_by', sa.Uuid(), nullable=True),
    sa.Column('deactivation_reason', sa.Text(), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('sort_name', sa.Text(), sa.Computed("lower(last_name || ' ' || first_name)", persisted=True), nullable=False),
    sa.Column('search_text', sa.Text(), sa.Computed("lower(first_name || ' ' || last_name) || ' ' || email_normalized", persisted=True), nullable=False),
    sa.Column('last_login_sort', sa.DateTime(timezone=True), sa.Computed("coalesce(last_login_at, '1970-01-01T00:00:00Z'::timestamptz)", persisted=True), nullable=False),
    sa.Column('login_state', sa.String(length=10), sa.Computed("CASE WHEN last_login_at IS NULL THEN 'never' ELSE 'logged_in' END", persisted=True), nullable=False),
    sa.ForeignKeyConstraint(['role'], ['roles.key'], name=op.f('fk_users_role_roles')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_users_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_users'))
    )
    op.create_index('ix_users_created', 'users', ['tenant_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_users_custom_fields', 'users', ['custom_fields'], unique=False, postgresql_using='gin', postgresql_ops={'custom_fields': 'jsonb_path_ops'})
    op.create_index('ix_users_email_trgm', 'users', ['email_normalized'], unique=False, postgresql_using='gin', postgresql_ops={'email_normalized': 'gin_trgm_ops'})
    op.create_index('ix_users_invitation', 'users', ['tenant_id', 'invitation_state', 'invitation_expires_at'], unique=False)
    op.create_index('ix_users_invitation_message', 'users', ['tenant_id', 'invitation_message_id'], unique=False)
    op.create_index('ix_users_last_login', 'users', ['tenant_id', 'last_login_sort', 'id'], unique=False)
    op.create_index('ix_users_login_state', 'users', ['tenant_id', 'login_state', 'status'], unique=False)
    op.create_index('ix_users_search_bigrams', 'users', [sa.literal_column('text_bigrams(search_text)')], unique=False, postgresql_using='gin')
    op.create_index('ix_users_search_trgm', 'users', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.create_index('ix_users_sort_name', 'users', ['tenant_id', 'sort_name', 'id'], unique=False)
    op.create_index('ix_users_states', 'users', ['status', 'role', 'invitation_state', 'email_state', 'login_state'], unique=False, postgresql_using='gin')
    op.create_index('uq_users_email', 'users', ['tenant_id', 'email_normalized'], unique=True)
    _users_statistics()
    op.create_table('activities',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=100), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('source_event_id', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'user_id'], ['users.tenant_id', 'users.id'], name=op.f('fk_activities_tenant_id_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_activities'))
    )
    op.create_index('ix_activities_user', 'activities', ['tenant_id', 'user_id', 'occurred_at', 'id'], unique=False)
    op.create_table('enrollments',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('course_id', sa.String(length=200), nullable=False),
    sa.Column('course_title', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=50), nullable=False),
    sa.Column('progress_percent', sa.Integer(), nullable=True),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'user_id'], ['users.tenant_id', 'users.id'], name=op.f('fk_enrollments_tenant_id_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'user_id', 'course_id', name=op.f('pk_enrollments'))
    )
    op.create_table('sessions',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'user_id'], ['users.tenant_id', 'users.id'], name=op.f('fk_sessions_tenant_id_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_sessions'))
    )
    op.create_index('ix_sessions_user', 'sessions', ['tenant_id', 'user_id'], unique=False)
    op.create_index('uq_sessions_token', 'sessions', ['tenant_id', 'token_hash'], unique=True)
    op.create_table('user_groups',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'group_id'], ['groups.tenant_id', 'groups.id'], name=op.f('fk_user_groups_tenant_id_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'user_id'], ['users.tenant_id', 'users.id'], name=op.f('fk_user_groups_tenant_id_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'user_id', 'group_id', name=op.f('pk_user_groups'))
    )
    op.create_index('ix_user_groups_group', 'user_groups', ['tenant_id', 'group_id', 'user_id'], unique=False)
    create_messaging_tables()
    _seed_roles()


def downgrade() -> None:
    drop_messaging_tables()
    op.drop_index('ix_user_groups_group', table_name='user_groups')
    op.drop_table('user_groups')
    op.drop_index('uq_sessions_token', table_name='sessions')
    op.drop_index('ix_sessions_user', table_name='sessions')
    op.drop_table('sessions')
    op.drop_table('enrollments')
    op.drop_index('ix_activities_user', table_name='activities')
    op.drop_table('activities')
    op.drop_index('uq_users_email', table_name='users')
    op.drop_index('ix_users_states', table_name='users', postgresql_using='gin')
    op.drop_index('ix_users_sort_name', table_name='users')
    op.drop_index('ix_users_search_trgm', table_name='users', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    op.drop_index('ix_users_search_bigrams', table_name='users', postgresql_using='gin')
    op.drop_index('ix_users_login_state', table_name='users')
    op.drop_index('ix_users_last_login', table_name='users')
    op.drop_index('ix_users_invitation_message', table_name='users')
    op.drop_index('ix_users_invitation', table_name='users')
    op.drop_index('ix_users_email_trgm', table_name='users', postgresql_using='gin', postgresql_ops={'email_normalized': 'gin_trgm_ops'})
    op.drop_index('ix_users_custom_fields', table_name='users', postgresql_using='gin', postgresql_ops={'custom_fields': 'jsonb_path_ops'})
    op.drop_index('ix_users_created', table_name='users')
    op.execute("DROP STATISTICS IF EXISTS users_states")
    op.drop_table('users')
    op.execute("DROP FUNCTION IF EXISTS text_bigrams(text)")
    op.drop_index('uq_groups_name', table_name='groups')
    op.drop_table('groups')
    op.drop_index('uq_custom_fields_key', table_name='custom_fields')
    op.drop_table('custom_fields')
    op.drop_table('tenants')
    op.drop_table('roles')
    op.drop_table('login_throttle')


# The letter pairs of a text: what a two-letter search term is looked up by, since pg_trgm
# finds nothing to search with in a term shorter than three letters.
TEXT_BIGRAMS = """
CREATE FUNCTION text_bigrams(value text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ARRAY(SELECT substr(value, i, 2) FROM generate_series(1, length(value) - 1) AS i)
"""


def _users_statistics() -> None:
    """What the planner needs to choose between walking a sort index and collecting the
    matches: the joint frequencies of the state columns (they are far from independent:
    invited users never logged in), and finer samples of the text searched with LIKE."""
    op.execute(
        "CREATE STATISTICS users_states (mcv)"
        " ON status, role, invitation_state, email_state, login_state FROM users"
    )
    op.execute("ALTER STATISTICS users_states SET STATISTICS 1000")
    for column in ("search_text", "email_normalized", "custom_fields"):
        op.execute(f"ALTER TABLE users ALTER COLUMN {column} SET STATISTICS 1000")


ADMIN_PERMISSIONS = [
    "custom-fields:manage", "exports:create", "groups:manage", "hooks:manage", "roles:assign",
    "users:deactivate", "users:invite", "users:read", "users:write",
]


def _seed_roles() -> None:
    """The built-in roles, frozen as they were when this migration was written."""
    roles = sa.table(
        "roles",
        sa.column("key", sa.String),
        sa.column("is_admin", sa.Boolean),
        sa.column("permissions", postgresql.ARRAY(sa.Text)),
        sa.column("label_fr", sa.String),
        sa.column("label_en", sa.String),
    )
    op.bulk_insert(
        roles,
        [
            {"key": "learner", "is_admin": False, "permissions": [],
             "label_fr": "Apprenant", "label_en": "Learner"},
            {"key": "admin", "is_admin": True, "permissions": ADMIN_PERMISSIONS,
             "label_fr": "Administrateur", "label_en": "Administrator"},
        ],
    )
