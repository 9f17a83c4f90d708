"""Files and documents: evidence names, files that agree with the commit, list numbers and files."""

from io import BytesIO

from sqlalchemy import select

from workflow.models import Attachment

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
