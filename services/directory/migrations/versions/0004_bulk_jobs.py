"""imports and bulk jobs (issue 16): jobs, their items, uploaded rows; admins get users:bulk

Revision ID: 0004_bulk_jobs
Revises: 0003_login_buckets
Create Date: 2026-12-04 01:28:03.212651
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004_bulk_jobs'
down_revision: str | None = '0003_login_buckets'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERMISSION = "users:bulk"


def upgrade() -> None:
    op.create_table('bulk_job_items',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('outcome', sa.Enum('created', 'updated', 'unchanged', 'skipped', 'refused', 'failed', name='itemoutcome', native_enum=False, length=12), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'job_id', 'user_id', name=op.f('pk_bulk_job_items'))
    )
    op.create_table('bulk_jobs',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('import', 'bulk', name='jobkind', native_enum=False, length=10), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', 'expired', 'cancelled', name='jobstate', native_enum=False, length=12), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('processed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('lease_owner', sa.Uuid(), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_bulk_jobs'))
    )
    op.create_index('ix_bulk_jobs_listed', 'bulk_jobs', ['tenant_id', 'created_at'], unique=False)
    op.create_index('ix_bulk_jobs_to_run', 'bulk_jobs', ['created_at'], unique=False, postgresql_where=sa.text("state IN ('queued', 'running')"))
    op.create_index('uq_bulk_jobs_running', 'bulk_jobs', ['tenant_id', 'action'], unique=True, postgresql_where=sa.text("state IN ('queued', 'running')"))
    op.create_table('user_import_rows',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('import_id', sa.Uuid(), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('cells', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('plan', sa.Enum('create', 'update', 'unchanged', 'error', name='rowplan', native_enum=False, length=10), nullable=False),
    sa.Column('changes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Enum('created', 'updated', 'unchanged', 'skipped', 'refused', 'failed', name='itemoutcome', native_enum=False, length=12), nullable=True),
    sa.Column('outcome_message', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'import_id', 'row_number', name=op.f('pk_user_import_rows'))
    )
    op.create_table('user_imports',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_kind', sa.String(length=10), nullable=False),
    sa.Column('create_groups', sa.Boolean(), nullable=False),
    sa.Column('columns', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('ignored_columns', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_user_imports'))
    )
    op.create_index('ix_user_imports_listed', 'user_imports', ['tenant_id', 'created_at'], unique=False)
    op.execute(
        f"UPDATE roles SET permissions = array_append(permissions, '{PERMISSION}')"
        f" WHERE key = 'admin' AND NOT ('{PERMISSION}' = ANY(permissions))"
    )


def downgrade() -> None:
    op.execute(f"UPDATE roles SET permissions = array_remove(permissions, '{PERMISSION}')")
    op.drop_index('ix_user_imports_listed', table_name='user_imports')
    op.drop_table('user_imports')
    op.drop_table('user_import_rows')
    op.drop_index('uq_bulk_jobs_running', table_name='bulk_jobs', postgresql_where=sa.text("state IN ('queued', 'running')"))
    op.drop_index('ix_bulk_jobs_to_run', table_name='bulk_jobs', postgresql_where=sa.text("state IN ('queued', 'running')"))
    op.drop_index('ix_bulk_jobs_listed', table_name='bulk_jobs')
    op.drop_table('bulk_jobs')
    op.drop_table('bulk_job_items')
