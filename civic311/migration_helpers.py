"""Helpers that migrations call: the application role and row-level security policies.

The application connects as a role that owns nothing and has no BYPASSRLS; every tenant-owned table
has RLS enabled and forced, with one policy comparing tenant_id to the per-transaction setting.
`app.all_tenants` is set only inside `tenancy.all_tenants(reason=...)`.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

POLICY = """
CREATE POLICY tenant_isolation ON {table}
USING (
    current_setting('app.all_tenants', true) = 'on'
    OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
)
WITH CHECK (
    current_setting('app.all_tenants', true) = 'on'
    OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
)
"""


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def app_role_name() -> str | None:
    """The role named in DATABASE_URL, when it differs from the owner running the migration."""
    from flask import current_app
    from sqlalchemy.engine import make_url

    settings = current_app.config["CIVIC311"]
    app_user = make_url(settings.database_url).username
    owner = make_url(settings.migration_database_url).username
    return app_user if app_user and app_user != owner else None


def ensure_app_role() -> None:
    """Create the application role if missing, and give it data rights (never ownership)."""
    if not _is_postgres():
        return
    role = app_role_name()
    if role is None:
        return
    bind = op.get_bind()
    exists = bind.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    if not exists:
        # Roles are cluster-wide: two databases migrated at once (parallel test workers on a fresh
        # cluster) both see no role and both create it; the loser gets unique_violation, not
        # duplicate_object, and either means the role is there now.
        op.execute(f"""DO $$ BEGIN
            CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$""")
    op.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
    op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    op.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{role}"')
    op.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "{role}"')


def enable_tenant_rls(table: str) -> None:
    if not _is_postgres():
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(POLICY.format(table=table))
