"""Evidence names take the extension of the type their bytes hold ("poly.html" holding a PNG is
"poly.png"); the rows stored before this kept the uploader's extension.

Revision ID: 5455800f3731
Revises: b8efa163a50d
Create Date: 2026-12-02
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "5455800f3731"
down_revision = "b8efa163a50d"
branch_labels = None
depends_on = None

# A copy of workflow.attachments.clean_filename as it was written for this revision: a migration
# must give the same result whatever the code becomes later.
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
SPELLINGS = {".pdf": {".pdf"}, ".png": {".png"}, ".jpg": {".jpg", ".jpeg", ".jpe"}}
EXTENSION_LIKE = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}")
MAX_NAME = 200

attachments = sa.table(
    "attachments",
    sa.column("id", sa.Integer),
    sa.column("filename", sa.String),
    sa.column("content_type", sa.String),
)


def typed_name(name, content_type):
    extension = EXTENSIONS.get(content_type)
    if extension is None:
        return name
    stem, dot, suffix = name.rpartition(".")
    if dot and EXTENSION_LIKE.fullmatch(dot + suffix):
        name = stem
        stem, dot, suffix = name.rpartition(".")
        if dot and (dot + suffix).lower() in SPELLINGS[extension]:
            name = stem
    name = name.strip(" .")[: MAX_NAME - len(extension)].rstrip(" .")
    return (name or "tep-dinh-kem") + extension


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(attachments.c.id, attachments.c.filename, attachments.c.content_type)
    ).all()
    for row in rows:
        name = typed_name(row.filename, row.content_type)
        if name != row.filename:
            connection.execute(
                attachments.update().where(attachments.c.id == row.id).values(filename=name)
            )


def downgrade():
    pass  # the names uploaders gave are not kept; the typed names are valid names
