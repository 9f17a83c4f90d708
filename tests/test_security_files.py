"""Files and documents: evidence names, files that agree with the commit, list numbers and files."""

import threading
from io import BytesIO

import pytest
from conftest import WebUser, World
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from workflow import accounts, attachments, files, services
from workflow.errors import StaleVersion
from workflow.models import Attachment, Nomination

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def _upload(web, nomination, data, name):
    url = f"/nominations/{nomination.id}"
    return web.post(
        f"{url}/attachments",
        {"file": (BytesIO(data), name)},
        token_from=url,
        content_type="multipart/form-data",
    )


def _evidence(db_session, nomination):
    return db_session.scalars(
        select(Attachment).where(Attachment.nomination_id == nomination.id).order_by(Attachment.id)
    ).all()


# 1. Evidence is stored and served under the extension of the type its bytes hold.


def test_evidence_takes_the_extension_of_its_detected_type(web, world, db_session, browser_of):
    """Point 1: poly.html holding PNG bytes is stored and downloaded as poly.png."""
    nomination = world.nominate()
    web.login("sec_k1")
    for data, name in (
        (PNG, "poly.html"),
        (PDF, "scan.PDF"),
        (JPEG, "ảnh chụp hiện trường"),
        (PNG, "anh.png.html"),
        (PDF, "Biên bản 12.5.2024"),
    ):
        assert _upload(web, nomination, data, name).status_code == 302, name
    stored = _evidence(db_session, nomination)
    assert [item.filename for item in stored] == [
        "poly.png",
        "scan.pdf",
        "ảnh chụp hiện trường.jpg",
        "anh.png",
        "Biên bản 12.5.2024.pdf",
    ]
    page = web.get(f"/nominations/{nomination.id}").text
    assert "poly.png" in page
    assert "poly.html" not in page

    reviewer = browser_of("rev_c1")
    with reviewer.get(f"/nominations/{nomination.id}/attachments/{stored[0].id}") as download:
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "image/png"
        assert download.headers["Content-Disposition"] == "attachment; filename=poly.png"


def test_evidence_stored_before_the_fix_is_downloaded_under_its_type(
    web, world, db_session, browser_of
):
    """Point 1: a row that kept the uploader's extension is still served under the right one."""
    nomination = world.nominate()
    web.login("sec_k1")
    assert _upload(web, nomination, PNG, "anh.png").status_code == 302
    [stored] = _evidence(db_session, nomination)
    stored.filename = "poly.html"  # as the old code stored it
    db_session.commit()
    got = browser_of("rev_c1").get(f"/nominations/{nomination.id}/attachments/{stored.id}")
    assert got.headers["Content-Disposition"] == "attachment; filename=poly.png"
    got.close()


def test_the_migration_renames_stored_evidence_as_uploads_are_named_now():
    """Point 1: rows stored before the fix get the names new uploads get."""
    import importlib.util
    from pathlib import Path

    from workflow.attachments import clean_filename

    [path] = Path(__file__).parent.parent.glob("migrations/versions/*_evidence_names_*.py")
    spec = importlib.util.spec_from_file_location("evidence_names", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for name in ("poly.html", "scan.PDF", "a.jpeg", "x.png.html", "12.5.2024", ".pdf", "báo cáo"):
        for content_type in ("application/pdf", "image/png", "image/jpeg"):
            assert migration.typed_name(name, content_type) == clean_filename(name, content_type)


# 2. Evidence files agree with the commit; evidence cannot slip in beside a concurrent submit.


def _stored(directory):
    """The names in the evidence folder, temporary ones included."""
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


def _attach(session, secretary, nomination, store, name="anh.png"):
    return attachments.add_attachment(
        session,
        nomination,
        secretary,
        filename=name,
        data=PNG,
        store=store,
        max_bytes=1000,
    )


def test_an_evidence_file_takes_its_name_only_when_the_upload_commits(world, db_session, tmp_path):
    """Point 2: written under a temporary name, moved into place after commit, gone on rollback."""
    folder = tmp_path / "evidence"
    store = files.LocalStore(folder)
    nomination = world.nominate()
    db_session.commit()

    lost = _attach(db_session, world.users["sec_k1"], nomination, store)
    assert not store.path(lost.storage_key).exists()  # not before the commit
    assert [name.split(".staged-")[0] for name in _stored(folder)] == [lost.storage_key]
    db_session.rollback()
    assert _stored(folder) == []  # the rollback removed the temporary file

    kept = _attach(db_session, world.users["sec_k1"], nomination, store)
    savepoint = db_session.begin_nested()
    _attach(db_session, world.users["sec_k1"], nomination, store, name="trong-savepoint.png")
    savepoint.rollback()  # undoes only what was staged inside it
    db_session.commit()
    assert _stored(folder) == [kept.storage_key]  # only what committed, under its own name
    with attachments.open_file(kept, store) as stream:
        assert stream.read() == PNG


def test_an_evidence_file_is_deleted_only_when_the_removal_commits(world, db_session, tmp_path):
    """Point 2: a removal that rolls back deletes nothing; a committed one deletes the file."""
    store = files.LocalStore(tmp_path / "evidence")
    nomination = world.nominate()
    attachment = _attach(db_session, world.users["sec_k1"], nomination, store)
    db_session.commit()
    path = store.path(attachment.storage_key)
    assert path.read_bytes() == PNG

    attachments.remove_attachment(db_session, attachment, world.users["sec_k1"], store=store)
    assert path.exists()  # not before the commit
    db_session.rollback()
    assert path.read_bytes() == PNG
    assert attachments.attachments_of(db_session, nomination) == [attachment]

    attachments.remove_attachment(db_session, attachment, world.users["sec_k1"], store=store)
    db_session.commit()
    assert not path.exists()


def test_evidence_moves_the_nominations_version(web, world, db_session):
    """Point 2: adding or removing evidence is a change of the nomination (its version moves)."""
    nomination = world.nominate()
    web.login("sec_k1")
    before = nomination.version
    assert _upload(web, nomination, PNG, "anh.png").status_code == 302
    db_session.refresh(nomination)
    assert nomination.version == before + 1
    [stored] = _evidence(db_session, nomination)
    url = f"/nominations/{nomination.id}"
    assert web.post(f"{url}/attachments/{stored.id}/delete", token_from=url).status_code == 302
    db_session.refresh(nomination)
    assert nomination.version == before + 2


@pytest.fixture
def committed_world(app, committed, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "evidence"))
    session = sessionmaker(bind=committed, expire_on_commit=False)()
    world = World(session)
    session.commit()
    yield world
    session.close()


def test_a_concurrent_upload_and_submit_cannot_both_win(app, committed_world, tmp_path):
    """Point 2: the page's upload and the API's submit race on one draft: exactly one wins."""
    world = committed_world
    nomination = world.nominate()
    world.session.commit()
    token, _ = accounts.issue_token(world.session, world.users["sec_k1"], hours=1)
    world.session.commit()
    page = WebUser(app.test_client()).login("sec_k1")
    csrf = page.token(f"/nominations/{nomination.id}")
    barrier = threading.Barrier(2)
    answers = {}

    def upload():
        barrier.wait()
        answers["upload"] = page.client.post(
            f"/nominations/{nomination.id}/attachments",
            data={"csrf_token": csrf, "file": (BytesIO(PNG), "anh.png")},
            content_type="multipart/form-data",
        ).status_code

    def submit():
        client = app.test_client()
        barrier.wait()
        answers["submit"] = client.post(
            f"/api/v1/nominations/{nomination.id}/actions/submit",
            json={"version": nomination.version},
            headers={"Authorization": f"Bearer {token}"},
        ).status_code

    threads = [threading.Thread(target=upload), threading.Thread(target=submit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    world.session.expire_all()
    shown = world.session.get(Nomination, nomination.id)
    evidence = _stored(tmp_path / "evidence")
    if answers["submit"] == 200:
        assert answers["upload"] == 409
        assert shown.state == "commune_review"
        assert evidence == []  # the refused upload left no file behind
        assert _evidence(world.session, nomination) == []
    else:
        assert (answers["upload"], answers["submit"]) == (302, 409)
        assert shown.state == "draft"
        assert evidence == [stored.storage_key for stored in _evidence(world.session, nomination)]
        assert len(evidence) == 1


@pytest.mark.postgres
def test_an_upload_and_a_submit_that_read_one_version_cannot_both_commit(
    committed, committed_world, is_postgres, tmp_path
):
    """Point 2: on PostgreSQL, an upload that read the draft before a submit committed loses,
    and so does a submit that read it before an upload committed."""
    if not is_postgres:
        pytest.skip("SQLite takes the write lock at BEGIN, so two writers cannot interleave")
    world = committed_world
    folder = tmp_path / "race"
    store = files.LocalStore(folder)
    secretary = world.users["sec_k1"]
    make = sessionmaker(bind=committed, expire_on_commit=False)

    # The submit holds the row (flushed, not committed); the upload's UPDATE waits for it.
    nomination = world.nominate()
    world.session.commit()
    first, second = make(), make()
    mine = services.get_nomination(first, secretary, nomination.id)
    theirs = services.get_nomination(second, secretary, nomination.id)
    services.perform(first, mine, first.merge(secretary), action="submit", version=mine.version)
    uploader = second.merge(secretary)
    outcome = {}

    def upload():
        try:
            _attach(second, uploader, theirs, store)
        except StaleVersion as error:
            outcome["error"] = error
        finally:
            second.rollback()

    waiting = threading.Thread(target=upload)
    waiting.start()
    waiting.join(timeout=1)
    assert waiting.is_alive()  # blocked on the submit's row lock
    first.commit()
    waiting.join(timeout=30)
    assert isinstance(outcome.get("error"), StaleVersion)
    assert _stored(folder) == []
    first.close()
    second.close()

    # The upload commits first; a submit that read the draft before it is refused.
    nomination = world.nominate()
    world.session.commit()
    first, second = make(), make()
    mine = services.get_nomination(first, secretary, nomination.id)
    theirs = services.get_nomination(second, secretary, nomination.id)
    attached = _attach(first, first.merge(secretary), mine, store)
    first.commit()
    with pytest.raises(StaleVersion):
        services.perform(
            second, theirs, second.merge(secretary), action="submit", version=theirs.version
        )
    second.rollback()
    world.session.expire_all()
    assert world.session.get(Nomination, nomination.id).state == "draft"
    assert _stored(folder) == [attached.storage_key]
    first.close()
    second.close()
