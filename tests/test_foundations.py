"""Settings, the database binding, migrations and the layering rule."""

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from web import create_app
from web.database import make_engine, normalise_url
from workflow.models import Base, HistoryEntry, HistoryIsAppendOnly


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
