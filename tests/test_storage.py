"""One store interface, three backends (STORAGE_URL): the node's folders, the database, and S3
(moto's server on loopback); downloads streamed from each; storage-migrate between them."""

import base64
import hashlib
import io
import secrets
from io import BytesIO

import pytest
from list_files import recognise
from sqlalchemy import func, select, update

from web import storage
from web.database import db
from workflow import attachments, files, lists, services
from workflow.models import Attachment, StoredFile, StoredFileChunk
from workflow.s3 import S3Store

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
BACKENDS = ("local", "database", "s3")


@pytest.fixture
def make_store(app, db_session, tmp_path, request):
    """`make_store(kind)` → an empty store of that kind for one area."""

    def make(kind):
        if kind == "local":
            return files.LocalStore(tmp_path / "store")
        if kind == "database":
            return files.DatabaseStore(lambda: db_session, prefix="test/")
        moto = request.getfixturevalue("moto")
        bucket = request.getfixturevalue("bucket")
        return S3Store(moto.client(), bucket, prefix=f"t-{secrets.token_hex(4)}/evidence/")

    return make


@pytest.fixture(scope="session")
def bucket(moto):
    return moto.bucket("commend-storage-test")


def _read(store, key):
    with store.open(key) as stream:
        return stream.size, stream.read()


@pytest.mark.parametrize("kind", BACKENDS)
def test_every_backend_keeps_reads_moves_and_deletes(make_store, kind):
    store = make_store(kind)
    stat = store.put("a1", PNG)
    assert stat == (len(PNG), hashlib.sha256(PNG).hexdigest())
    assert _read(store, "a1") == (len(PNG), PNG)
    assert store.stat("a1").size == len(PNG)
    assert store.stat("a1").sha256 in (None, stat.sha256)  # a folder does not keep it
    store.put("a1", b"%PDF-2")  # replaces
    assert _read(store, "a1") == (6, b"%PDF-2")
    store.move("a1", "12/list-12.pdf")
    assert store.stat("a1") is None
    assert _read(store, "12/list-12.pdf") == (6, b"%PDF-2")
    store.delete("12/list-12.pdf")
    store.delete("12/list-12.pdf")  # twice: nothing to do
    with pytest.raises(FileNotFoundError):
        store.open("12/list-12.pdf")
    assert store.stat("12/list-12.pdf") is None
    store.ping()
    for bad in ("../etc/passwd", ".hidden", "a//b", "a/../b", "", "x" * 201, "a\\b"):
        with pytest.raises(ValueError, match="not a storage key"):
            store.put(bad, PNG)


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_large_file_goes_in_and_out_in_blocks(make_store, kind, tmp_path, db_session):
    """A list file is stored from a file on disk and read back as a stream, block by block."""
    store = make_store(kind)
    content = b"".join(hashlib.sha256(str(n).encode()).digest() for n in range(90_000))
    assert len(content) > 2 * files.BLOCK
    source = tmp_path / "render.tmp"
    source.write_bytes(content)
    with source.open("rb") as stream:
        stat = store.put("7/list-7.xlsx", stream)
    assert stat == (len(content), hashlib.sha256(content).hexdigest())
    with store.open("7/list-7.xlsx") as stream:
        assert stream.size == len(content)
        reads = []
        while block := stream.read(64 * 1024):
            reads.append(block)
    assert b"".join(reads) == content
    assert max(len(block) for block in reads) <= 64 * 1024
    if kind == "database":  # kept as blocks of at most BLOCK bytes, never one value
        sizes = db_session.scalars(
            select(func.length(StoredFileChunk.data)).order_by(StoredFileChunk.position)
        ).all()
        assert len(sizes) == 3
        assert max(sizes) == files.BLOCK


@pytest.mark.parametrize("kind", BACKENDS)
def test_staged_files_follow_the_transaction(make_store, kind, world, db_session):
    """Every backend keeps stage and remove_after_commit: a file takes its key when its
    transaction commits and is gone if it rolls back, savepoints included."""
    store = make_store(kind)
    db_session.commit()
    files.stage(db_session, store, "lost", PNG)
    db_session.rollback()
    assert store.stat("lost") is None

    readable = files.stage(db_session, store, "kept", PNG)
    assert _read(store, readable) == (len(PNG), PNG)  # read back before the commit
    savepoint = db_session.begin_nested()
    files.stage(db_session, store, "inner", PNG)
    savepoint.rollback()
    db_session.commit()
    assert _read(store, "kept") == (len(PNG), PNG)
    assert store.stat("inner") is None

    files.remove_after_commit(db_session, store, "kept")
    db_session.rollback()
    assert store.stat("kept") is not None
    files.remove_after_commit(db_session, store, "kept")
    db_session.commit()
    assert store.stat("kept") is None


def test_a_database_upload_and_its_row_commit_or_fail_together(app, world, db_session):
    """STORAGE_URL=database: the file is written in the upload's own transaction."""
    with app.app_context():
        store = files.DatabaseStore(lambda: db_session, prefix="evidence/")
        nomination = world.nominate()
        db_session.commit()
        secretary = world.users["sec_k1"]
        attachment = attachments.add_attachment(
            db_session, nomination, secretary, filename="a.png", data=PNG, store=store, max_bytes=99
        )
        key = f"evidence/{attachment.storage_key}"
        assert db_session.scalar(select(StoredFile.size).where(StoredFile.key == key)) == len(PNG)
        db_session.rollback()  # the upload fails: neither the row nor the file remains
        assert db_session.scalar(select(func.count()).select_from(StoredFile)) == 0
        assert db_session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_storage_url_chooses_the_backend(app, monkeypatch, tmp_path):
    assert files.parse_url(None) == ("local",)
    assert files.parse_url("database") == ("database",)
    assert files.parse_url("s3://commend-files/phu-tho/") == ("s3", "commend-files", "phu-tho/")
    assert files.parse_url("s3://commend-files") == ("s3", "commend-files", "")
    for bad in ("ftp://x", "s3://", "s3://UPPER/x", "databases", "/srv/files"):
        with pytest.raises(ValueError, match="STORAGE_URL"):
            files.parse_url(bad)
    from web import create_app

    with pytest.raises(RuntimeError, match="STORAGE_URL"):
        create_app({"ENVIRONMENT": "testing", "STORAGE_URL": "nfs://x"})
    with app.app_context():
        monkeypatch.setitem(app.config, "LISTS_DIR", str(tmp_path / "l"))
        assert isinstance(storage.store(files.LISTS), files.LocalStore)
        assert storage.store(files.LISTS).directory == tmp_path / "l"
        monkeypatch.setitem(app.config, "STORAGE_URL", "database")
        assert isinstance(storage.store(files.LISTS), files.DatabaseStore)
        assert storage.store(files.LISTS).prefix == "lists/"


# The application on each backend ------------------------------------------------------------


@pytest.fixture(params=("database", "s3"))
def shared_storage(request, app, monkeypatch, tmp_path):
    """The app with STORAGE_URL set to a backend every node can read; its local folders point
    at a folder that must stay empty."""
    if request.param == "database":
        url = "database"
    else:
        request.getfixturevalue("moto")
        bucket = request.getfixturevalue("bucket")
        url = f"s3://{bucket}/run-{secrets.token_hex(4)}"
        monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", request.getfixturevalue("moto").url)
    monkeypatch.setitem(app.config, "STORAGE_URL", url)
    for setting in ("ATTACHMENTS_DIR", "LISTS_DIR", "MINUTES_DIR"):
        monkeypatch.setitem(app.config, setting, str(tmp_path / "local" / setting))
    return tmp_path / "local"


def _upload(web, nomination, data, name):
    url = f"/nominations/{nomination.id}"
    return web.post(
        f"{url}/attachments",
        {"file": (BytesIO(data), name)},
        token_from=url,
        content_type="multipart/form-data",
    )


def test_evidence_on_a_shared_backend(app, web, world, db_session, shared_storage, browser_of):
    nomination = world.nominate()
    web.login("sec_k1")
    assert _upload(web, nomination, PNG, "ảnh hiện trường.png").status_code == 302
    [stored] = db_session.scalars(select(Attachment)).all()
    url = f"/nominations/{nomination.id}/attachments/{stored.id}"
    reviewer = browser_of("sec_k1")
    with reviewer.get(url) as download:
        assert download.status_code == 200
        assert download.data == PNG
        assert download.headers["Content-Length"] == str(len(PNG))
        assert download.headers["ETag"] == f'"{stored.sha256}"'
        digest = download.headers["Repr-Digest"]
        assert hashlib.sha256(PNG).digest() == base64.b64decode(
            digest.removeprefix("sha-256=:")[:-1]
        )
        assert (
            "filename*=UTF-8''%E1%BA%A3nh%20hi%E1%BB%87n%20tr%C6%B0%E1%BB%9Dng.png"
            in (download.headers["Content-Disposition"])
        )
    with reviewer.get(url, headers={"If-None-Match": download.headers["ETag"]}) as again:
        assert (again.status_code, again.data) == (304, b"")
    assert not shared_storage.exists()  # nothing on this node's disk

    page = f"/nominations/{nomination.id}"
    asked = web.post(f"{url}/delete", token_from=page)
    assert (asked.status_code, "Xác nhận: xóa tệp" in asked.text) == (200, True)
    with app.app_context():  # asking removed nothing
        assert storage.store(files.EVIDENCE).stat(stored.storage_key) is not None
    removed = web.post(f"{url}/delete", {"confirm": "1"}, token_from=page)
    assert removed.status_code == 302
    with app.app_context():
        assert storage.store(files.EVIDENCE).stat(stored.storage_key) is None


def test_a_list_on_a_shared_backend(app, web, world, db_session, dispatching, shared_storage, auth):
    """Rendered, stored, read back, served from the backend; the audit reads it there too."""
    recognise(world, "KD", "district", nominee_name="Đặng Thị Ánh")
    made, _ = lists.request_list(
        db_session, world.users["adm_p"], world.campaign, world.units["D1"], on=services.today()
    )
    with app.app_context():
        db_session.commit()  # the list task runs in-process after the commit
    db_session.refresh(made)
    assert made.status == "done", made.error
    for file_format in lists.FORMATS:
        url = f"/api/v1/lists/{made.id}/{file_format}"
        with web.client.get(url, headers=auth("rev_d1")) as got:
            assert got.status_code == 200
            assert hashlib.sha256(got.data).hexdigest() == made.files[file_format]["sha256"]
            assert got.headers["ETag"] == f'"{made.files[file_format]["sha256"]}"'
    assert not shared_storage.exists()

    with app.app_context():  # altered where it is kept (a database store writes in a session)
        storage.store(files.LISTS).put(lists.file_key(made.id, "csv"), b"STT,altered\r\n")
        db.session.commit()
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["audit-lists"]).exit_code == 1
    db_session.refresh(made)
    assert made.audit_error == "csv: does not match its checksum"
    refused = web.client.get(f"/api/v1/lists/{made.id}/pdf", headers=auth("rev_d1"))
    assert refused.status_code == 410


def test_a_missing_or_resized_file_is_refused_from_the_database(
    app, web, world, db_session, dispatching, auth, monkeypatch
):
    monkeypatch.setitem(app.config, "STORAGE_URL", "database")
    recognise(world, "KD", "district", nominee_name="Đặng Thị Ánh")
    made, _ = lists.request_list(
        db_session, world.users["adm_p"], world.campaign, world.units["D1"], on=services.today()
    )
    with app.app_context():
        db_session.commit()
    db_session.refresh(made)
    pdf = StoredFile.key == f"lists/{lists.file_key(made.id, 'pdf')}"
    db_session.execute(update(StoredFile).where(pdf).values(size=1))
    db_session.execute(
        update(StoredFile)
        .where(StoredFile.key == f"lists/{lists.file_key(made.id, 'csv')}")
        .values(key="lists/elsewhere")
    )
    db_session.commit()
    resized = web.client.get(f"/api/v1/lists/{made.id}/pdf", headers=auth("rev_d1"))
    assert resized.status_code == 410
    assert resized.json["detail"] == "the stored file no longer matches the list; it is not served"
    missing = web.client.get(f"/api/v1/lists/{made.id}/csv", headers=auth("rev_d1"))
    assert missing.json["detail"] == "the file of this list is no longer stored"


# storage-migrate ------------------------------------------------------------------------------


def test_storage_migrate_copies_what_the_rows_name(
    app, web, world, db_session, dispatching, monkeypatch, moto, bucket, auth
):
    """From the node's folders to the database, then from the database to S3: a dry run copies
    nothing, a run copies each file once and checks it, a second run finds them there."""
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", moto.url)
    nomination = world.nominate()
    web.login("sec_k1")
    assert _upload(web, nomination, PNG, "a.png").status_code == 302
    recognise(world, "KD", "district", nominee_name="Đặng Thị Ánh")
    made, _ = lists.request_list(
        db_session, world.users["adm_p"], world.campaign, world.units["D1"], on=services.today()
    )
    with app.app_context():
        db_session.commit()
    db_session.refresh(made)
    runner = app.test_cli_runner()

    def migrate(*arguments):
        with app.app_context():
            return runner.invoke(args=["storage-migrate", *arguments])

    dry = migrate("--to", "database", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "4 file(s) would copy, 0 already there, 0 missing from the source" in dry.output
    assert db_session.scalar(select(func.count()).select_from(StoredFile)) == 0
    done = migrate("--to", "database")
    assert done.exit_code == 0, done.output
    assert "4 file(s) copied, 0 already there" in done.output
    again = migrate("--to", "database")
    assert "0 file(s) copied, 4 already there" in again.output

    monkeypatch.setitem(app.config, "STORAGE_URL", "database")
    with web.client.get(f"/api/v1/lists/{made.id}/xlsx", headers=auth("rev_d1")) as download:
        assert download.status_code == 200
        assert hashlib.sha256(download.data).hexdigest() == made.files["xlsx"]["sha256"]

    target = f"s3://{bucket}/migrated-{secrets.token_hex(4)}"
    to_s3 = migrate("--to", target)
    assert to_s3.exit_code == 0, to_s3.output
    assert "4 file(s) copied" in to_s3.output
    assert "0 file(s) copied, 4 already there" in migrate("--to", target).output

    # A file the rows name but the source lost is named, and the command fails.
    db_session.execute(update(StoredFile).where(StoredFile.key.like("evidence/%")).values(key="x"))
    db_session.commit()
    lost = migrate("--to", f"s3://{bucket}/another-{secrets.token_hex(4)}")
    assert lost.exit_code == 1
    assert "3 file(s) copied, 0 already there, 1 missing from the source" in lost.output
    assert "evidence" in lost.output
    assert migrate("--to", "database").exit_code == 2  # the same store: refused
    assert migrate("--to", "ftp://x").exit_code == 2


def test_s3_store_reports_a_missing_bucket_as_a_storage_error(moto):
    store = S3Store(moto.client(), "no-such-bucket-here", "x/")
    with pytest.raises(files.StorageError):
        store.ping()
    with pytest.raises(files.StorageError, match="could not store k"):
        store.put("k", b"data")


def test_reader_serves_blocks_in_any_size():
    reader = files.Reader(10, iter([b"abc", b"", b"defg", b"hij"]))
    assert reader.read(2) == b"ab"
    assert io.BufferedReader(reader).read() == b"cdefghij"
