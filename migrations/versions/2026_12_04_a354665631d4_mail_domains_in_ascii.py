"""Addresses kept before domains were written in ASCII get their domain in ASCII too
("an@bưuđiện.vn" → "an@xn--buin-1ua66gr30m.vn"), as the forms, the API and the imports now
keep every new one: so one spelling names one mailbox, and the outbox's de-duplication of
recipients (by the address, case-folded) sees one person once, whichever way their address
was first typed. (An address whose ASCII form would pass the 254 characters of an address
is left as it is.)

The accounts' addresses, the nominees' and those of the notices not sent yet; a sent notice
keeps the address it went to. A local part with diacritics (which no server without
SMTPUTF8 takes, and which the forms now refuse) is left for its owner to correct. Nothing to
undo: either spelling reaches the same mailbox.

Revision ID: a354665631d4
Revises: 27606f8c3c60
Create Date: 2026-12-04
"""

import idna
import sqlalchemy as sa
from alembic import op

revision = "a354665631d4"
down_revision = "27606f8c3c60"
branch_labels = None
depends_on = None

# (table, column, a condition on the rows to rewrite, or None)
COLUMNS = (
    ("users", "email", None),
    ("nominations", "nominee_email", None),
    ("outbox", "recipient_email", "status IN ('pending', 'sending', 'failed')"),
)


def ascii_domain(address):
    """`address` with its domain in ASCII (IDNA, UTS 46, as `workflow.policy.mailbox` reads
    it); as it is when the domain is ASCII already or names no domain IDNA can write."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return address


def upgrade():
    connection = op.get_bind()
    # Bytes longer than characters: an address with a letter outside ASCII (UTF-8 on both).
    octets = "length(CAST({} AS BLOB))"
    if connection.dialect.name == "postgresql":
        octets = "octet_length({})"
    for table, column, condition in COLUMNS:
        where = f"{column} IS NOT NULL AND {octets.format(column)} <> length({column})"
        if condition:
            where += f" AND {condition}"
        rows = connection.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {where}"))
        rewritten = [
            {"id": row_id, "address": written}
            for row_id, address in rows
            if (written := ascii_domain(address)) != address and len(written) <= 254
        ]
        if rewritten:
            connection.execute(
                sa.text(f"UPDATE {table} SET {column} = :address WHERE id = :id"), rewritten
            )


def downgrade():
    pass
