"""Files and documents: evidence names, files that agree with the commit, list numbers and files."""

import datetime as dt
import hashlib
import re
import threading
from io import BytesIO

import pytest
from conftest import WebUser, World
from list_files import recognise
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from workflow import accounts, attachments, files, lists, services
from workflow.errors import StaleVersion
from workflow.models import Attachment, CommendationList, Nomination

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
    removed = web.post(f"{url}/attachments/{stored.id}/delete", {"confirm": "1"}, token_from=url)
    assert removed.status_code == 302
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


# 3. Asking for a list again does not burn a new number.


def _ask(client, auth, username="rev_d1", unit="D1", campaign=None, **extra):
    return client.post(
        f"/api/v1/campaigns/{campaign}/lists",
        json={"unit_code": unit, **extra},
        headers=auth(username),
    )


def _count_lists(session):
    return session.scalar(select(func.count()).select_from(CommendationList))


def test_asking_twice_returns_the_same_list_and_number(client, world, auth, db_session):
    """Point 3: while a list is pending, asking again gives the same list and number."""
    recognise(world, "KD", "district", nominee_name="Đặng Thị Ánh")
    db_session.commit()
    first = _ask(client, auth, campaign=world.campaign.id)
    assert first.status_code == 202
    again = _ask(client, auth, "adm_p", campaign=world.campaign.id)
    assert again.status_code == 202  # still on its way: the same list
    assert again.json == first.json == {"id": first.json["id"], "status": "pending"}
    assert _count_lists(db_session) == 1


def test_a_new_number_only_for_a_confirmed_change(
    app, client, world, auth, db_session, dispatching
):
    """Point 3: a done, unchanged list is the answer (200); a changed set needs confirming (409
    list-changed, saying what changed), and only then gets the next number."""
    recognise(world, "KD", "district", nominee_name="Đặng Thị Ánh")
    db_session.commit()
    campaign = world.campaign.id
    with app.app_context():  # dispatching: the list task runs in-process after the commit
        first = _ask(client, auth, campaign=campaign)
    done = client.get(f"/api/v1/lists/{first.json['id']}", headers=auth("rev_d1")).json
    assert (done["status"], done["number"]) == ("done", "01-DS/HU")

    unchanged = _ask(client, auth, campaign=campaign)
    assert unchanged.status_code == 200
    assert unchanged.json == {"id": first.json["id"], "status": "done"}

    recognise(world, "K1", "district", nominee_name="Tổ hòa giải thôn Đồng Hội")
    recognise(world, "K3", "district", nominee_name="Phạm Hữu Ý")
    db_session.commit()
    changed = _ask(client, auth, campaign=campaign)
    assert changed.status_code == 409
    assert changed.mimetype == "application/problem+json"
    problem = changed.json
    assert problem["type"].endswith("/list-changed")
    assert problem["type"] != "about:blank"
    assert (problem["added"], problem["removed"]) == (2, 0)
    assert "2 recognised nomination(s) were added and 0 removed" in problem["detail"]
    assert (problem["number"], problem["next_number"]) == ("01-DS/HU", "02-DS/HU")
    assert _count_lists(db_session) == 1  # refused: nothing numbered
    assert _ask(client, auth, campaign=campaign, confirm="yes").status_code == 422

    with app.app_context():
        confirmed = _ask(client, auth, campaign=campaign, confirm=True)
    assert confirmed.status_code == 202
    second = client.get(f"/api/v1/lists/{confirmed.json['id']}", headers=auth("rev_d1")).json
    assert (second["number"], second["count"]) == ("02-DS/HU", 3)
    assert _ask(client, auth, campaign=campaign).json["id"] == confirmed.json["id"]


def test_a_failed_list_is_produced_again_under_its_own_number(client, world, auth, db_session):
    """Point 3: asking again for a failed list queues it again; no new number is issued."""
    first = _ask(client, auth, campaign=world.campaign.id)
    failed = db_session.get(CommendationList, first.json["id"])
    failed.status, failed.error = "failed", "OSError: disk full"
    db_session.commit()
    again = _ask(client, auth, "adm_d1", campaign=world.campaign.id)
    assert again.status_code == 202
    assert again.json == {"id": failed.id, "status": "pending"}
    db_session.refresh(failed)
    assert (failed.number, failed.error, failed.requested_by.username) == (1, None, "adm_d1")
    assert _count_lists(db_session) == 1


def test_the_pages_confirm_a_new_number_and_keep_an_unchanged_list(
    app, web, world, db_session, dispatching
):
    """Point 3: the pages say when the list is unchanged, and ask before issuing a new number."""
    recognise(world, "KD", "district", nominee_name="Đặng Thị Ánh")
    web.login("rev_d1")
    url = f"/campaigns/{world.campaign.id}/lists"
    asked = web.post(url, {"unit_code": "D1"}, token_from="/")  # the first number asks first
    assert asked.status_code == 200
    assert 'data-step="confirm-first-list"' in asked.text
    assert "Xác nhận: lập danh sách số 01-DS/HU" in asked.text
    assert "công nhận trong đợt này đến nay: 1." in asked.text
    assert 'name="first" value="1"' in asked.text
    assert _count_lists(db_session) == 0
    confirmed = {"unit_code": "D1", "first": "1", "number": "1", "confirm": "1"}
    made = web.post(url, confirmed, token_from="/")
    assert made.status_code == 302
    list_page = made.headers["Location"]

    same = web.post(url, {"unit_code": "D1"}, token_from=list_page)
    assert (same.status_code, same.headers["Location"]) == (302, list_page)
    shown = web.get(list_page).text
    assert "Không có gì thay đổi" in shown  # the flash: nothing changed, the list stands
    assert "Kiểm tra thay đổi so với danh sách này" in shown  # the button that asks again

    recognise(world, "K1", "district", nominee_name="Tổ hòa giải <b>Đồng Hội</b>")
    step = web.post(url, {"unit_code": "D1"}, token_from=list_page)
    assert step.status_code == 409
    assert "Xác nhận: cấp danh sách số 02-DS/HU" in step.text
    assert "1 được thêm, 0 bị bớt" in step.text
    assert "Tổ hòa giải &lt;b&gt;Đồng Hội&lt;/b&gt;" in step.text
    assert 'name="confirm" value="1"' in step.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", step.text)  # a form, no inline script (CSP)
    assert _count_lists(db_session) == 1
    # The first list's confirmation, sent again now, shows the changes rather than issuing.
    stale = web.post(url, confirmed, token_from="/")
    assert stale.status_code == 409
    assert "Xác nhận: cấp danh sách số 02-DS/HU" in stale.text
    assert _count_lists(db_session) == 1

    confirmed = web.post(url, {"unit_code": "D1", "confirm": "1"}, token_from=list_page)
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] != list_page
    assert "Danh sách số 02-DS/HU" in web.get(confirmed.headers["Location"]).text
    assert _count_lists(db_session) == 2


def test_a_first_list_is_issued_under_the_number_it_asked_about(web, world, db_session):
    """The numbers run per unit and year: should another campaign's list take the number a
    first list's confirmation named, the confirmation asks again with the next one."""
    recognise(world, "KD", "district", nominee_name="Đặng Thị Ánh")
    web.login("rev_d1")
    url = f"/campaigns/{world.campaign.id}/lists"
    assert "lập danh sách số 01-DS/HU" in web.post(url, {"unit_code": "D1"}, token_from="/").text
    today = services.today()
    other = services.create_campaign(
        db_session,
        world.users["adm_p"],
        world.units["P"],
        name="Đợt khác",
        year=today.year,
        submission_deadline=today + dt.timedelta(days=10),
        review_deadlines={},
    )
    lists.request_list(db_session, world.users["rev_d1"], other, world.units["D1"], on=today)
    db_session.commit()  # list 01-DS/HU of the other campaign
    confirmed = {"unit_code": "D1", "first": "1", "number": "1", "confirm": "1"}
    again = web.post(url, confirmed, token_from="/")
    assert again.status_code == 200
    assert "Xác nhận: lập danh sách số 02-DS/HU" in again.text
    assert _count_lists(db_session) == 1
    made = web.post(url, {**confirmed, "number": "2"}, token_from="/")
    assert made.status_code == 302
    assert "Danh sách số 02-DS/HU" in web.get(made.headers["Location"]).text


def test_closing_a_level_is_the_confirmation(app, web, world, db_session, dispatching):
    """Point 3: closing a unit's review asks for its list with the change confirmed."""
    recognise(world, "KD", "district", nominee_name="Đặng Thị Ánh")
    db_session.commit()
    made, outcome = lists.request_list(
        db_session, world.users["adm_p"], world.campaign, world.units["D1"], on=services.today()
    )
    with app.app_context():
        db_session.commit()
    assert outcome == lists.NEW
    recognise(world, "K3", "district", nominee_name="Phạm Hữu Ý")
    web.login("adm_p")
    url = f"/admin/campaigns/{world.campaign.id}"
    closed = web.post(f"{url}/close", {"unit_code": "D1", "confirm": "1"}, token_from=url)
    assert closed.status_code == 302
    newer = db_session.scalar(select(CommendationList).where(CommendationList.id != made.id))
    assert (newer.number, newer.unit.code) == (2, "D1")


def test_two_concurrent_requests_get_one_number(app, committed):
    """Point 3: two requests at once for the same unit and campaign number one list."""
    session = sessionmaker(bind=committed, expire_on_commit=False)()
    world = World(session)
    session.commit()
    tokens = [
        accounts.issue_token(session, world.users[username], hours=1)[0]
        for username in ("rev_d1", "adm_p", "adm_d1", "rev_d1")
    ]
    session.commit()
    barrier = threading.Barrier(len(tokens))
    answers = []

    def ask(token):
        client = app.test_client()
        barrier.wait()
        answers.append(
            client.post(
                f"/api/v1/campaigns/{world.campaign.id}/lists",
                json={"unit_code": "D1"},
                headers={"Authorization": f"Bearer {token}"},
            )
        )

    threads = [threading.Thread(target=ask, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [answer.status_code for answer in answers] == [202] * len(tokens)
    assert len({answer.json["id"] for answer in answers}) == 1
    assert session.scalars(select(CommendationList.number)).all() == [1]
    session.close()


# 4. List files are checked when written and by a daily audit, and streamed from disk.


def _produced(app, world, db_session, unit="D1"):
    made, _outcome = lists.request_list(
        db_session, world.users["adm_p"], world.campaign, world.units[unit], on=services.today()
    )
    with app.app_context():  # dispatching: the list task runs in-process after the commit
        db_session.commit()
    db_session.refresh(made)
    return made


def test_a_list_whose_files_do_not_read_back_is_not_done(
    app, world, db_session, dispatching, monkeypatch
):
    """Point 4: the task reads the written files back and compares them before marking done."""
    from tasks import documents

    write_all = documents.write_all

    def write_then_lose(commendation_list, store, **options):
        files = write_all(commendation_list, store, **options)
        store.put(lists.file_key(commendation_list.id, "xlsx"), b"truncated")
        return files

    monkeypatch.setattr(documents, "write_all", write_then_lose)
    made = _produced(app, world, db_session)
    assert made.status == "failed"
    assert "xlsx: does not match its checksum" in made.error
    assert made.verified_at is None


def test_list_files_are_streamed_and_audited(app, web, world, db_session, dispatching, auth):
    """Point 4: downloads stream the stored file; the audit (beat and CLI) finds a missing or
    altered file, and the list is then refused (410) and shown as such until it is restored."""
    recognise(world, "KD", "district", nominee_name="Đặng Thị Ánh")
    made = _produced(app, world, db_session)
    assert made.status == "done"
    written = made.verified_at
    assert written is not None  # read back when written
    web.login("rev_d1")
    page = web.get(f"/lists/{made.id}").text
    assert f'data-field="verified">{i18n_moment(app, written)}<' in page

    url = f"/lists/{made.id}/pdf"
    with web.get(url) as download:
        assert download.status_code == 200
        assert download.headers["ETag"]  # the file on disk, with its validators
        content = download.data
        assert (
            "filename*=UTF-8''Danh%20s%C3%A1ch%2001-DS-HU%20Huy%E1%BB%87n"
            in (download.headers["Content-Disposition"])
        )
    with web.get(url, headers={"If-None-Match": download.headers["ETag"]}) as again:
        assert again.status_code == 304
    assert hashlib.sha256(content).hexdigest() == made.files["pdf"]["sha256"]

    # A byte altered on disk, the size unchanged: the daily audit finds it.
    stored = dispatching.parent / "lists" / str(made.id) / f"list-{made.id}.pdf"
    stored.write_bytes(content[:-1] + bytes([content[-1] ^ 1]))
    runner = app.test_cli_runner()
    with app.app_context():  # as `flask --app web audit-lists` runs it
        audit = runner.invoke(args=["audit-lists"])
    assert audit.exit_code == 1, audit.output
    assert "1 list(s) checked, 1 with missing or altered files" in audit.output
    db_session.refresh(made)
    assert made.audit_error == "pdf: does not match its checksum"
    assert made.verified_at == written

    refused = web.get(url)
    assert refused.status_code == 410
    api = web.client.get(f"/api/v1/lists/{made.id}/csv", headers=auth("rev_d1"))
    assert (api.status_code, api.mimetype) == (410, "application/problem+json")
    assert "pdf: does not match its checksum" in api.json["detail"]
    shown = web.client.get(f"/api/v1/lists/{made.id}", headers=auth("rev_d1")).json
    assert shown["audit_error"] == "pdf: does not match its checksum"
    assert shown["verified_at"] == written.isoformat()
    page = web.get(f"/lists/{made.id}").text
    assert 'data-field="audit"' in page
    assert "bị mất hoặc bị thay đổi" in page
    assert f'href="{url}"' not in page

    # Restored from a backup: the next audit clears the failure.
    stored.write_bytes(content)
    with app.app_context():
        assert runner.invoke(args=["audit-lists"]).exit_code == 0
    db_session.refresh(made)
    assert (made.audit_error, made.audit_failed_at) == (None, None)
    assert made.verified_at > written
    with web.get(url) as restored:
        assert restored.status_code == 200


def test_the_audit_runs_daily_under_beat(app):
    """Point 4: beat schedules the audit of the list files once a day."""
    from celery.schedules import crontab

    from tasks import celery_settings

    entry = celery_settings(app.config)["beat_schedule"]["audit-lists"]
    assert entry["task"] == "commend.audit_lists"
    assert entry["task"] in app.extensions["celery"].tasks
    assert entry["schedule"] == crontab(minute=30, hour=app.config["LIST_AUDIT_HOUR"])


def i18n_moment(app, value):
    from web.i18n import format_moment

    with app.app_context():
        return format_moment(value)
