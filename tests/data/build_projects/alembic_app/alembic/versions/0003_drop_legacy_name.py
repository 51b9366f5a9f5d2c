"""drop the legacy display name

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade():
    op.drop_column("accounts", "name")


def downgrade():
    op.add_column("accounts", sa.Column("name", sa.String(200)))
