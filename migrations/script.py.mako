"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""
import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
import civic311.db  # noqa: F401
from sqlalchemy import Text  # noqa: F401
from civic311.migration_helpers import enable_tenant_rls, ensure_app_role  # noqa: F401

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
    ${upgrades if upgrades else "pass"}
    # For each new tenant-owned table: enable_tenant_rls("table_name")


def downgrade():
    ${downgrades if downgrades else "pass"}
