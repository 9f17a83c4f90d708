"""Settings, the database binding, migrations and the layering rule."""

import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import World, _fresh_postgres
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.orm import Session

from web import create_app
from web.database import make_engine, normalise_url
from workflow.models import Base, HistoryEntry, HistoryIsAppendOnly, Nomination, OutboxMessage, User


def test_environment_variables_override_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    app = create_app({"ENVIRONMENT": "testing"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/env.db"


def test_postgresql_urls_are_accepted_as_given():
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_sqlite_uses_wal_and_waits_for_locks(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/wal.db")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_migrations_match_the_models(app):
    """The same check as `flask --app web db check`, on the schema the migrations built."""
    engine = app.extensions["database"].engine
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_history_is_append_only(world, db_session):
    nomination = world.nominate()
    db_session.flush()
    entry = db_session.scalar(
        select(HistoryEntry).where(HistoryEntry.nomination_id == nomination.id)
    )
    entry.comment = "rewritten"
    with pytest.raises(HistoryIsAppendOnly):
        db_session.flush()
    db_session.rollback()


def test_workflow_imports_nothing_from_flask_web_or_tasks():
    code = (
        "import importlib, pkgutil, sys, workflow;"
        "modules = pkgutil.iter_modules(workflow.__path__, 'workflow.');"
        "[importlib.import_module(module.name) for module in modules];"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'web', 'tasks'});"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_addresses_kept_with_a_diacritic_domain_get_it_in_ascii(database_url, tmp_path):
    """The migration a354665631d4, on a database of its own at the revision before it: the
    accounts', the nominees' and the unsent notices' addresses get their domain in ASCII; a
    sent notice keeps the address it went to, a local part with diacritics stays for its owner
    to correct. (The rows are written through today's models: a later migration of the users,
    nominations or outbox tables makes this test write them as that revision had them.)"""
    if database_url.startswith("postgres"):
        url = sa.make_url(normalise_url(database_url))
        url = url.set(database=f"{url.database}_mail_domains").render_as_string(hide_password=False)
        _fresh_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 'before.sqlite3'}"
    app = create_app({"ENVIRONMENT": "testing", "DATABASE_URL": url, "SECRET_KEY": "test"})
    engine = app.extensions["database"].engine
    try:
        with app.app_context():
            upgrade(revision="27606f8c3c60")
            with Session(engine) as session:
                world = World(session)
                world.users["rev_c1"].email = "An.Nguyen@Bưuđiện.vn"
                world.users["rev_c2"].email = "hà@bưuđiện.vn"
                nomination = world.nominate(nominee_email="hoa@trường.edu.vn")
                for status in ("pending", "sent"):
                    session.add(
                        OutboxMessage(
                            key=f"test-{status}",
                            notice="forwarded",
                            recipient_email="an@bưuđiện.vn",
                            language="vi",
                            context={},
                            status=status,
                        )
                    )
                session.commit()
                ids = {
                    "reviewer": world.users["rev_c1"].id,
                    "accented": world.users["rev_c2"].id,
                    "ascii": world.users["rev_p"].id,
                    "nomination": nomination.id,
                }
            upgrade()
            with Session(engine) as session:
                assert (
                    session.get(User, ids["reviewer"]).email == "An.Nguyen@xn--buin-1ua66gr30m.vn"
                )
                assert session.get(User, ids["accented"]).email == "hà@xn--buin-1ua66gr30m.vn"
                assert session.get(User, ids["ascii"]).email == "rev_p@example.org"
                nominee = session.get(Nomination, ids["nomination"]).nominee_email
                assert nominee == "hoa@xn--trng-rib8295b.edu.vn"
                sent_to = dict(
                    session.execute(select(OutboxMessage.key, OutboxMessage.recipient_email)).all()
                )
                assert sent_to == {
                    "test-pending": "an@xn--buin-1ua66gr30m.vn",
                    "test-sent": "an@bưuđiện.vn",
                }
    finally:
        engine.dispose()
