"""Trigram indexes for the substring search on nominee and title (PostgreSQL).

Revision ID: 4f2f414dee0f
Revises: 3284adccb7b4
Create Date: 2026-11-21
"""

from alembic import op

revision = "4f2f414dee0f"
down_revision = "3284adccb7b4"
branch_labels = None
depends_on = None

COLUMNS = ("nominee_name", "title")


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # pg_trgm is a trusted extension: the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        for column in COLUMNS:
            # Elsewhere (SQLite) a plain index keeps the schema identical to the models.
            batch_op.create_index(
                f"ix_nominations_{column}_trgm",
                [column],
                unique=False,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )


def downgrade():
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_nominations_{column}_trgm")
