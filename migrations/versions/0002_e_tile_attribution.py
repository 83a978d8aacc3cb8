"""tenants.tile_attribution: whose map tiles a city's portal shows (its tile provider's attribution)

Revision ID: 0002_e_tile_attribution
Revises: 0001_initial
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_e_tile_attribution"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tile_attribution", sa.String(length=300), nullable=True))
    # Cities that already have a tile server showed OpenStreetMap's tiles (the only one configured so far).
    op.execute("UPDATE tenants SET tile_attribution = '© OpenStreetMap contributors' "
               "WHERE tile_url LIKE 'https://tile.openstreetmap.org/%'")


def downgrade():
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("tile_attribution")
