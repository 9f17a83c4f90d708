"""Stored files that agree with the database: written and deleted only when the transaction commits.

A store keeps bytes under keys and offers four operations: `put` bytes under a key, `open` a
key for streaming, `move` a key to another and `delete` a key. `LocalStore` keeps them as files in
one folder; a database or S3 store can offer the same four later.

`stage` writes a file under a temporary key at once and moves it to its real key after the
session's transaction commits; `remove_after_commit` deletes a key after the commit. A rollback
(of the whole transaction, or of the savepoint the work was asked for in) removes the temporary
file and deletes nothing. Commits of savepoints are not commits: the work waits for the
outermost transaction, as the outbox's hand-off does (tasks/outbox.py).
"""

import logging
import os
import re
import secrets
import tempfile
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Keys name files directly: no separators, no leading dot, nothing a path could climb out with.
KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
STAGED = ".staged-"  # temporary keys: "<key>.staged-<random>"; a sweep can tell them apart
_WORK = "commend_file_work"  # session.info key: [(transaction, action, store, key, new_key)]


class LocalStore:
    """Bytes under keys, as files in one folder."""

    def __init__(self, directory):
        self.directory = Path(directory)

    def path(self, key):
        if not isinstance(key, str) or not KEY.fullmatch(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.directory / key

    def put(self, key, data):
        """Store `data` under `key`, whole or not at all."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # A hidden name (".…part") can never be a key, so a half-written file is never read.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key):
        """The bytes under `key` as a binary stream; FileNotFoundError when there are none."""
        return self.path(key).open("rb")

    def move(self, key, new_key):
        os.replace(self.path(key), self.path(new_key))

    def delete(self, key):
        self.path(key).unlink(missing_ok=True)

    def __repr__(self):
        return f"<LocalStore {self.directory}>"


def stage(session, store, key, data):
    """Write `data` now under a temporary key; it becomes `key` when `session` commits."""
    temporary = f"{key}{STAGED}{secrets.token_hex(4)}"
    store.put(temporary, data)
    _remember(session, "move", store, temporary, key)
    return temporary


def remove_after_commit(session, store, key):
    """Delete `key` once `session` commits; nothing happens if it rolls back."""
    _remember(session, "delete", store, key, None)


def _remember(session, action, store, key, new_key):
    # The innermost transaction: rolling back a savepoint undoes only what was asked inside it.
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_WORK, []).append((transaction, action, store, key, new_key))


def _undo(entry):
    """A file staged by a transaction that did not commit is removed; a delete is not done."""
    _transaction, action, store, key, _new_key = entry
    if action == "move":
        try:
            store.delete(key)
        except OSError:
            log.warning("could not remove the staged file %s from %r", key, store, exc_info=True)


def _inside(transaction, ended):
    """Was work asked for in `transaction` part of `ended` (the same one, or nested in it)?"""
    if transaction is None:  # asked for before the session began: belongs to the outermost
        return ended.parent is None
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _after_commit(session):
    if session.in_nested_transaction():
        return  # SQLAlchemy fires after_commit for a released savepoint too: not yet committed
    for _transaction, action, store, key, new_key in session.info.pop(_WORK, ()):
        # The rows are committed: a failure here cannot undo them, so it is logged, not raised.
        try:
            if action == "move":
                store.move(key, new_key)
            else:
                store.delete(key)
        except OSError:
            log.exception("after commit, could not %s %s in %r", action, key, store)


def _after_transaction_end(session, transaction):
    """The outermost transaction is over: whatever it did not commit is undone (a rollback,
    or a session closed without committing). After a commit the work is already done."""
    if transaction.parent is None:
        for entry in session.info.pop(_WORK, ()):
            _undo(entry)


def _after_soft_rollback(session, previous_transaction):
    """A savepoint rolled back: undo only the work asked for inside it."""
    work = session.info.get(_WORK)
    if not work:
        return
    kept = []
    for entry in work:
        if _inside(entry[0], previous_transaction):
            _undo(entry)
        else:
            kept.append(entry)
    session.info[_WORK] = kept


for _name, _function in (
    ("after_commit", _after_commit),
    ("after_transaction_end", _after_transaction_end),
    ("after_soft_rollback", _after_soft_rollback),
):
    if not event.contains(Session, _name, _function):
        event.listen(Session, _name, _function)
