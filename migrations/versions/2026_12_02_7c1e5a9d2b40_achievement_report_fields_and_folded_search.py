"""What an individual's achievement report carries (gender, ethnic group, workplace), and search
without diacritics or case: `search_text` holds the nominee's name and the deed folded, with a
trigram index on PostgreSQL in place of the two on the raw columns.

Revision ID: 7c1e5a9d2b40
Revises: 4d2b8e61f0a7
Create Date: 2026-12-02
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "7c1e5a9d2b40"
down_revision = "4d2b8e61f0a7"
branch_labels = None
depends_on = None

nominations = sa.table(
    "nominations",
    sa.column("id", sa.Integer),
    sa.column("nominee_name", sa.String),
    sa.column("title", sa.String),
    sa.column("search_text", sa.Text),
)
BATCH = 2000


# A copy of workflow.fields.fold and models.searchable as written for this revision: a migration
# gives the same result whatever the code becomes later.
def fold(text):
    decomposed = unicodedata.normalize("NFD", text or "")
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.replace("đ", "d").replace("Đ", "D").casefold().split())


def searchable(name, title):
    return fold(f"{name or ''}\n{title or ''}")


# SQLite's batch mode rebuilds `nominations` (a new CHECK constraint needs it), and a rebuilt
# table has lost its triggers: the counts' triggers of revision 7a1c0f3e9b42, as written there,
# are put back after each rebuild (PostgreSQL alters the table in place and keeps them).
_KEY = "campaign_id, cell_id, state, kind, target_level, recognized_level"
_NEW = (
    "NEW.campaign_id, NEW.cell_id, NEW.state, NEW.kind, NEW.target_level, "
    "coalesce(NEW.recognized_level, '')"
)
_ADD_NEW = (
    f"INSERT INTO nomination_counts ({_KEY}, n) VALUES ({_NEW}, 1) "
    f"ON CONFLICT ({_KEY}) DO UPDATE SET n = nomination_counts.n + 1"
)
_TAKE_OLD = (
    "UPDATE nomination_counts SET n = n - 1 WHERE campaign_id = OLD.campaign_id "
    "AND cell_id = OLD.cell_id AND state = OLD.state AND kind = OLD.kind "
    "AND target_level = OLD.target_level "
    "AND recognized_level = coalesce(OLD.recognized_level, '')"
)
_SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS nominations_counted_insert AFTER INSERT ON nominations "
    f"BEGIN {_ADD_NEW}; END",
    "CREATE TRIGGER IF NOT EXISTS nominations_counted_delete AFTER DELETE ON nominations "
    f"BEGIN {_TAKE_OLD}; END",
    f"CREATE TRIGGER IF NOT EXISTS nominations_counted_update AFTER UPDATE OF {_KEY} "
    f"ON nominations BEGIN {_TAKE_OLD}; {_ADD_NEW}; END",
]


def _restore_count_triggers():
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def upgrade():
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "nominee_gender",
                sa.Enum(
                    "female",
                    "male",
                    name="nominee_gender",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("nominee_ethnicity", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("nominee_workplace", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
        batch_op.drop_index("ix_nominations_nominee_name_trgm")
        batch_op.drop_index("ix_nominations_title_trgm")
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(nominations.c.id, nominations.c.nominee_name, nominations.c.title)
            .where(nominations.c.id > last)
            .order_by(nominations.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            nominations.update()
            .where(nominations.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("folded")),
            [{"row_id": row.id, "folded": searchable(row.nominee_name, row.title)} for row in rows],
        )
        last = rows[-1].id
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        # Elsewhere (SQLite) a plain index keeps the schema identical to the models.
        batch_op.create_index(
            "ix_nominations_search_text_trgm",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    _restore_count_triggers()


def downgrade():
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.drop_index("ix_nominations_search_text_trgm")
        for column in ("nominee_name", "title"):
            batch_op.create_index(
                f"ix_nominations_{column}_trgm",
                [column],
                unique=False,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )
        batch_op.drop_column("search_text")
        batch_op.drop_column("nominee_workplace")
        batch_op.drop_column("nominee_ethnicity")
        batch_op.drop_column("nominee_gender")
    _restore_count_triggers()
