"""add plan to accounts

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("accounts", sa.Column("plan", sa.String(20), server_default="free"))


def downgrade():
    pass
