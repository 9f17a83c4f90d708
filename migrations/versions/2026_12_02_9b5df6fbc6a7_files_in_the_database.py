"""Files kept in the database (STORAGE_URL=database): one row per file with its size and
checksum, its bytes in numbered blocks, so that every node reads what any node wrote and a file
commits or rolls back with the rows that name it.

Nothing moves by itself: `flask --app web storage-migrate --to database` copies the files
already stored elsewhere.

Revision ID: 9b5df6fbc6a7
Revises: e4290212bb56
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "9b5df6fbc6a7"
down_revision = "e4290212bb56"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
        sa.UniqueConstraint("key", name=op.f("uq_stored_files_key")),
    )
    op.create_table(
        "stored_file_chunks",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_files.id"],
            name=op.f("fk_stored_file_chunks_file_id_stored_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "position", name=op.f("pk_stored_file_chunks")),
    )


def downgrade():
    op.drop_table("stored_file_chunks")
    op.drop_table("stored_files")
