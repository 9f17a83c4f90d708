"""Stored files that agree with the database, on one interface whatever keeps them.

A store keeps bytes under keys. Every kind offers the same few operations: `put` bytes or a
binary stream under a key (returning its size and SHA-256), `open` a key for streaming (a binary
stream that knows its `size`), `stat` a key, `move` a key to another, `delete` a key, and `ping`
the place the files live in. Three kinds exist, and STORAGE_URL chooses one for every node
(`web/storage.py` builds it, for the pages and the tasks alike; nothing else knows which):

- `LocalStore`: files in a folder of this node (the embedded default);
- `DatabaseStore`: rows in the application's own database, written in the caller's transaction;
- `S3Store` (workflow/s3.py): objects in S3-compatible storage.

A store serves one area — evidence (with scanned minutes), lists or minutes —, so keys are
short names: "3f9c…", "12/list-12.pdf".

`stage(session, store, key, data)` and `remove_after_commit(session, store, key)` tie a write
and a delete to the session's transaction. A database store simply writes and deletes in that
transaction: the file commits or rolls back with the rows that name it. The others write the
file under a temporary key at once and move it to its real key after the commit, and delete
after the commit; a rollback (of the whole transaction, or of the savepoint the work was asked
for in) removes the temporary file and deletes nothing. Commits of savepoints are not commits:
the work waits for the outermost transaction, as the outbox's hand-off does (tasks/outbox.py).
"""

import hashlib
import io
import logging
import os
import re
import secrets
import tempfile
from collections import namedtuple
from pathlib import Path

from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.orm import Session

from workflow.models import StoredFile, StoredFileChunk, utcnow

log = logging.getLogger(__name__)

# The areas a store serves, each with its own folder, key prefix or object prefix.
EVIDENCE, LISTS, MINUTES = AREAS = ("evidence", "lists", "minutes")

# Keys are one to four names joined by "/": no leading dot, no "..", nothing a path could climb
# out with.
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}"
KEY = re.compile(rf"{_NAME}(?:/{_NAME}){{0,3}}")
MAX_KEY = 200
STAGED = ".staged-"  # temporary keys: "<key>.staged-<random>"; a sweep can tell them apart
_WORK = "commend_file_work"  # session.info key: [(transaction, action, store, key, new_key)]
# Files are copied, stored in the database and streamed in blocks of this size: nothing holds a
# whole list in memory.
BLOCK = 1024 * 1024

Stat = namedtuple("Stat", "size sha256")  # sha256 is None where the store does not keep it


class StorageError(OSError):
    """The place the files live in failed (not a missing file: that is FileNotFoundError)."""


def check_key(key):
    if not isinstance(key, str) or len(key) > MAX_KEY or not KEY.fullmatch(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


def parse_url(url):
    """STORAGE_URL as ("local",), ("database",) or ("s3", bucket, prefix); ValueError else.

    Unset (or "local") is the node's own instance folder.
    """
    url = (url or "").strip()
    if url in ("", "local"):
        return ("local",)
    if url == "database":
        return ("database",)
    if url.startswith("s3://"):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        prefix = prefix.strip("/")
        if bucket and re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
            return ("s3", bucket, f"{prefix}/" if prefix else "")
    raise ValueError(
        f"STORAGE_URL={url!r}: expected nothing (the instance folder), 'database' or "
        "'s3://bucket/prefix'"
    )


def blocks_of(source):
    """The bytes of `source` (bytes, or a binary stream read to its end) in blocks."""
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        for start in range(0, len(view), BLOCK):
            yield bytes(view[start : start + BLOCK])
        return
    while block := source.read(BLOCK):
        yield block


def checksum(stream):
    """SHA-256 of a binary stream read to its end, in blocks."""
    return hashlib.file_digest(stream, "sha256").hexdigest()


class Reader(io.RawIOBase):
    """A stored file open for reading: `size` bytes, served from an iterator of blocks."""

    def __init__(self, size, blocks, on_close=None):
        super().__init__()
        self.size = size
        self._blocks = iter(blocks)
        self._block = memoryview(b"")
        self._on_close = on_close

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self._block:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._block = memoryview(block)
        count = min(len(buffer), len(self._block))
        buffer[:count] = self._block[:count]
        self._block = self._block[count:]
        return count

    def close(self):
        if not self.closed and self._on_close is not None:
            self._on_close()
        super().close()


class Store:
    """What every kind of store offers. Subclasses keep the bytes; this class ties writes and
    deletes to a transaction by doing them after the commit (see the module's docstring)."""

    transactional = False  # True: writes and deletes join the caller's transaction instead

    def put(self, key, source):
        """Store `source` (bytes or a binary stream) under `key`, whole or not at all; replaces
        what was there. Returns its Stat."""
        raise NotImplementedError

    def open(self, key):
        """A binary stream of the bytes under `key` with their `size`; FileNotFoundError when
        there are none."""
        raise NotImplementedError

    def stat(self, key):
        """Stat(size, sha256 or None) of `key`, or None when nothing is stored under it."""
        raise NotImplementedError

    def move(self, key, new_key):
        raise NotImplementedError

    def delete(self, key):
        """Delete `key`; nothing happens when it is not there."""
        raise NotImplementedError

    def ping(self):
        """Raise unless the place the files live in answers (the health check)."""
        raise NotImplementedError

    def stage(self, session, key, source):
        """Write `source` now under a temporary key that becomes `key` when `session` commits;
        returns the key to read it back under until then."""
        temporary = f"{key}{STAGED}{secrets.token_hex(4)}"
        self.put(temporary, source)
        _remember(session, "move", self, temporary, key)
        return temporary

    def remove(self, session, key):
        """Delete `key` once `session` commits; nothing happens if it rolls back."""
        _remember(session, "delete", self, key, None)


class LocalStore(Store):
    """Bytes under keys, as files in one folder of this node."""

    def __init__(self, directory):
        self.directory = Path(directory)

    def path(self, key):
        return self.directory / check_key(key)

    def put(self, key, source):
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # A hidden name (".…part") can never be a key, so a half-written file is never read.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(handle, "wb") as stream:
                for block in blocks_of(source):
                    stream.write(block)
                    digest.update(block)
                    size += len(block)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return Stat(size, digest.hexdigest())

    def open(self, key):
        stream = self.path(key).open("rb")
        stream.size = os.fstat(stream.fileno()).st_size
        return stream

    def stat(self, key):
        try:
            return Stat(self.path(key).stat().st_size, None)
        except FileNotFoundError:
            return None

    def move(self, key, new_key):
        target = self.path(new_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path(key), target)

    def delete(self, key):
        self.path(key).unlink(missing_ok=True)

    def ping(self):
        if not self.directory.is_dir():
            raise StorageError(f"{self.directory} is not a folder")

    def __repr__(self):
        return f"<LocalStore {self.directory}>"


_FILES = StoredFile.__table__
_CHUNKS = StoredFileChunk.__table__


class DatabaseStore(Store):
    """Bytes under keys, as rows of the application's own database (`stored_files` and their
    `stored_file_chunks`), written and read in blocks through the caller's session.

    Everything happens in the session's transaction: a file staged beside a row commits with
    it, and one read back before the commit is seen. Rows are written with Core statements, so
    no block stays in the session's identity map.
    """

    transactional = True

    def __init__(self, session, prefix=""):
        self.session = session  # a callable: the session to work in now (db.session)
        self.prefix = prefix

    def _name(self, key):
        return self.prefix + check_key(key)

    def put(self, key, source):
        return self._put(self.session(), key, source)

    def _put(self, session, key, source):
        name = self._name(key)
        self._delete(session, key)
        file_id = session.execute(
            insert(_FILES)
            .values(key=name, size=0, sha256="", created_at=utcnow())
            .returning(_FILES.c.id)
        ).scalar_one()
        digest, size = hashlib.sha256(), 0
        for position, block in enumerate(blocks_of(source)):
            session.execute(insert(_CHUNKS).values(file_id=file_id, position=position, data=block))
            digest.update(block)
            size += len(block)
        stat = Stat(size, digest.hexdigest())
        session.execute(
            update(_FILES).where(_FILES.c.id == file_id).values(size=stat.size, sha256=stat.sha256)
        )
        return stat

    def open(self, key):
        session = self.session()
        found = session.execute(
            select(_FILES.c.id, _FILES.c.size).where(_FILES.c.key == self._name(key))
        ).first()
        if found is None:
            raise FileNotFoundError(key)
        return Reader(found.size, self._blocks(found.id))

    def _blocks(self, file_id):
        """One block at a time, each by its own primary-key lookup in the session of the moment:
        a download is read after its view returned, in a session of its own (web/downloads.py)."""
        position = 0
        while True:
            block = (
                self.session()
                .execute(
                    select(_CHUNKS.c.data).where(
                        _CHUNKS.c.file_id == file_id, _CHUNKS.c.position == position
                    )
                )
                .scalar()
            )
            if block is None:
                return
            yield bytes(block)
            position += 1

    def stat(self, key):
        found = (
            self.session()
            .execute(select(_FILES.c.size, _FILES.c.sha256).where(_FILES.c.key == self._name(key)))
            .first()
        )
        return Stat(found.size, found.sha256) if found else None

    def move(self, key, new_key):
        session = self.session()
        self._delete(session, new_key)
        moved = session.execute(
            update(_FILES).where(_FILES.c.key == self._name(key)).values(key=self._name(new_key))
        ).rowcount
        if not moved:
            raise FileNotFoundError(key)

    def delete(self, key):
        self._delete(self.session(), key)

    def _delete(self, session, key):
        ids = select(_FILES.c.id).where(_FILES.c.key == self._name(key))
        session.execute(delete(_CHUNKS).where(_CHUNKS.c.file_id.in_(ids)))
        session.execute(delete(_FILES).where(_FILES.c.key == self._name(key)))

    def ping(self):
        self.session().execute(select(_FILES.c.id).limit(1))

    def stage(self, session, key, source):
        self._put(session, key, source)
        return key

    def remove(self, session, key):
        self._delete(session, key)

    def __repr__(self):
        return f"<DatabaseStore {self.prefix}>"


def stage(session, store, key, data):
    """Write `data` for `key` in `session`'s transaction (see the module's docstring); returns
    the key to read it back under before the commit."""
    return store.stage(session, key, data)


def remove_after_commit(session, store, key):
    """Delete `key` once `session` commits; nothing happens if it rolls back."""
    store.remove(session, key)


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
