"""Test fixtures: the schema built once with the migrations, each test in a rolled-back transaction.

The database is SQLite (a throw-away file) unless TEST_DATABASE_URL names a PostgreSQL server;
`make test` runs the suite both ways. A PostgreSQL run that cannot reach its server skips on a
developer's machine and fails when CI is set.
"""

import datetime as dt
import email
import email.policy
import os
import re
import socket

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.orm import sessionmaker

from web import create_app
from web.database import make_engine, normalise_url
from workflow import accounts, services
from workflow.models import Base, Unit, User

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
IN_CI = bool(os.environ.get("CI"))


def free_port():
    """A free TCP port on loopback, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def service_missing(reason):
    """Skip on a developer's machine, fail in CI: a real-service test never silently passes."""
    if IN_CI:
        pytest.fail(f"{reason} (required when CI is set)")
    pytest.skip(reason)


def _fresh_postgres(url):
    """Drop and recreate the test database named in `url`."""
    target = sa.make_url(normalise_url(url))
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    except sa.exc.OperationalError as error:
        service_missing(f"PostgreSQL at {target.host}:{target.port} unreachable: {error.orig}")
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE_URL:
        _fresh_postgres(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(
        {
            "ENVIRONMENT": "testing",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
        }
    )
    with app.app_context():
        upgrade()  # the schema comes from the migrations, so every run tests them
    yield app
    with app.app_context():
        app.extensions["database"].engine.dispose()


@pytest.fixture(autouse=True)
def fresh_login_throttle(request):
    """Every test starts with no failed logins or public comments counted (the throttles'
    counters, one storage for both, outlive a test's data)."""
    if "app" in request.fixturenames:
        from web.throttle import login_throttle

        with request.getfixturevalue("app").app_context():
            login_throttle.reset()


@pytest.fixture
def is_postgres(database_url):
    return database_url.startswith("postgres")


@pytest.fixture
def db_session(app):
    """The test's own session, inside a transaction that is rolled back after the test.

    Requests made through `client` get sessions of their own (one per app context) on the same
    connection, reading ones too; every commit, theirs or the test's, is a savepoint of that
    transaction.
    """
    binding = app.extensions["database"]
    connection = binding.engine.connect()
    transaction = connection.begin()
    original = binding.sessionmaker, binding.reader, binding.actor
    binding.sessionmaker = binding.reader = binding.actor = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    session = binding.sessionmaker()
    yield session
    session.close()
    binding.sessionmaker, binding.reader, binding.actor = original
    transaction.rollback()
    connection.close()


@pytest.fixture
def committed(app):
    """For tests that need real commits (concurrency): the app's engine, emptied afterwards."""
    binding = app.extensions["database"]
    yield binding.engine
    with binding.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "alembic_version":
                connection.execute(table.delete())


@pytest.fixture
def client(app, db_session):
    return app.test_client()


class World:
    """A small tree with a user for every role at every position.

    P (province)
    ├── D1 (district)
    │   ├── C1 (commune): cells K1, K2
    │   ├── C2 (commune): cell K3
    │   └── KD (cell directly under the district: chi bộ cơ sở)
    └── D2 (district)
        └── C3 (commune): cell K4
    """

    TREE = (
        ("P", "Tỉnh ủy Phú Thọ", "province", None),
        ("D1", "Huyện ủy Cẩm Khê", "district", "P"),
        ("D2", "Huyện ủy Lâm Thao", "district", "P"),
        ("C1", "Đảng ủy xã Tiên Lương", "commune", "D1"),
        ("C2", "Đảng ủy xã Phương Xá", "commune", "D1"),
        ("C3", "Đảng ủy thị trấn Lâm Thao", "commune", "D2"),
        ("K1", "Chi bộ thôn Đồng Hội", "cell", "C1"),
        ("K2", "Chi bộ khu 3", "cell", "C1"),
        ("K3", "Chi bộ Trường Tiểu học", "cell", "C2"),
        ("KD", "Chi bộ Trung tâm Y tế", "cell", "D1"),
        ("K4", "Chi bộ khu 5", "cell", "C3"),
    )

    def __init__(self, session):
        self.session = session
        self.units = {}
        for code, name, level, parent in self.TREE:
            parent_unit = self.units.get(parent)
            path = (parent_unit.path if parent_unit else "/") + code + "/"
            unit = Unit(code=code, name=name, level=level, parent=parent_unit, path=path)
            session.add(unit)
            self.units[code] = unit
        self.users = {}
        for code, _, level, _ in self.TREE:
            role = "secretary" if level == "cell" else "reviewer"
            self.add_user(f"{role[:3]}_{code}".lower(), role, code)
        self.add_user("adm_p", "admin", "P")
        self.add_user("adm_d1", "admin", "D1")
        session.flush()
        today = services.today()
        self.campaign = services.create_campaign(
            session,
            self.users["adm_p"],
            self.units["P"],
            name="Đợt điển hình 2026",
            year=today.year,
            submission_deadline=today + dt.timedelta(days=30),
            review_deadlines={"commune": today + dt.timedelta(days=40)},
        )

    def add_user(self, username, role, code, email=None):
        user = User(
            username=username,
            full_name=f"Người dùng {username}",
            email=email or f"{username}@example.org",
            role=role,
            unit=self.units[code],
            language="vi",
            password_hash=accounts.hash_password("secret-pass"),
        )
        self.session.add(user)
        self.users[username] = user
        return user

    def nominate(self, cell="K1", target="district", **fields):
        values = {
            "kind": "individual",
            "nominee_name": "Nguyễn Văn An",
            "title": "Hiến đất làm đường",
            "field": "Nông thôn mới",
            "summary": "Tóm tắt",
            "achievements": "Thành tích",
            "target_level": target,
        }
        values.update(fields)
        secretary = self.users[f"sec_{cell.lower()}"]
        return services.create_nomination(self.session, secretary, self.campaign, values)

    def act(self, nomination, username, action, comment=None):
        services.perform(
            self.session,
            nomination,
            self.users[username],
            action=action,
            version=nomination.version,
            comment=comment or ("Cần bổ sung" if action in ("return", "reject") else None),
        )
        return nomination


@pytest.fixture
def world(db_session):
    return World(db_session)


@pytest.fixture
def dispatching(app, tmp_path, monkeypatch):
    """Dispatch after commit, in-process, with mail written under a temporary folder."""
    monkeypatch.setitem(app.config, "OUTBOX_DISPATCH_ON_COMMIT", True)
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path / "mail"))
    monkeypatch.setitem(app.config, "LISTS_DIR", str(tmp_path / "lists"))
    monkeypatch.setitem(app.config, "SMTP_URL", None)
    return tmp_path / "mail"


def read_mail(directory):
    """The .eml files the file backend wrote under `directory`, parsed, in name order."""
    messages = []
    for path in sorted(directory.glob("*.eml")):
        with path.open("rb") as stream:
            messages.append(email.message_from_binary_file(stream, policy=email.policy.default))
    return messages


@pytest.fixture
def auth(db_session, world):
    """`auth("rev_c1")` → headers carrying a fresh bearer token for that user."""

    def headers(username):
        token, _ = accounts.issue_token(db_session, world.users[username], hours=1)
        return {"Authorization": f"Bearer {token}"}

    return headers


# The web UI: a test client that logs in through the form and sends CSRF tokens.

CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class WebUser:
    """A browser-like test client: `login`, then `get` pages and `post` forms with their token."""

    def __init__(self, client, session=None):
        self.client = client
        self.session = session

    def token(self, url="/login"):
        page = self.get(url)
        found = CSRF_FIELD.search(page.text)
        assert found, f"no CSRF token on {url} ({page.status_code})"
        return found.group(1)

    def login(self, username, password="secret-pass"):
        response = self.post("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.text
        return self

    def _new_request(self):
        """Commit what the test wrote so far (a savepoint of the test's transaction), as it
        would be committed before a real request; requests have sessions of their own."""
        if self.session is not None:
            self.session.commit()

    def get(self, url, **kwargs):
        self._new_request()
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, *, token_from=None, **kwargs):
        data = {"csrf_token": self.token(token_from or "/login"), **(data or {})}
        self._new_request()
        return self.client.post(url, data=data, **kwargs)

    def post_raw(self, url, data=None, **kwargs):
        """A POST without a CSRF token."""
        self._new_request()
        return self.client.post(url, data=data or {}, **kwargs)


@pytest.fixture
def web(app, client, world, db_session, tmp_path, monkeypatch):
    """A fresh browser session for the World, with evidence in tmp_path.

    The World is committed (a savepoint of the test's transaction, still rolled back at the end),
    as data a real request meets was committed before it.
    """
    db_session.commit()
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    return WebUser(client, db_session)


@pytest.fixture
def browser_of(app, world, db_session):
    """`browser_of("rev_c1")` → another logged-in WebUser with its own cookies."""

    def make(username):
        return WebUser(app.test_client(), db_session).login(username)

    return make


@pytest.fixture(scope="session")
def moto(tmp_path_factory):
    """moto's S3 server on loopback for the whole session, with the process's AWS settings
    pointing at nothing but it (tests/moto_server.py)."""
    from moto_server import AWS_ENVIRONMENT, MotoServer

    server = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in AWS_ENVIRONMENT.items():
            patch.setenv(name, value)
        server.start()
        try:
            yield server
        finally:
            server.stop()
