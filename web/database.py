"""Binds the workflow's declarative base to a Flask app: one engine, one session per app context
(a reading request's, or an action's, ends with the request)."""

from functools import wraps

from flask import current_app, g, has_request_context, request
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from workflow.models import Base
from workflow.services import outside_transaction


def normalise_url(url):
    """`postgresql://` is accepted as given and served by psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url, echo=False):
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        # No ping before each checkout: it is one more round trip on every request. A
        # connection the server dropped fails its request once and is replaced (SQLAlchemy
        # invalidates the pool on a disconnect), and none is kept long enough to be cut by an
        # idle timeout. The pool holds one connection per request thread of the process. Its
        # reset on return (a rollback, sent even in autocommit) ends a transaction an action's
        # session began itself (`services.hold_transaction`): keep it.
        return create_engine(url, echo=echo, pool_size=8, max_overflow=8, pool_recycle=1800)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 15})

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection, record):
        # Let SQLAlchemy, not the driver, decide when transactions begin (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA busy_timeout=15000")  # writers queue instead of failing
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection):
        # A deferred transaction that reads, then writes after another writer committed, fails
        # at once with "database is locked" (busy_timeout cannot help it). Taking the write
        # lock at BEGIN makes concurrent requests queue behind each other instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """The app's engine and sessions; `db.session` is the current app context's session."""

    metadata = Base.metadata

    def init_app(self, app):
        engine = make_engine(app.config["DATABASE_URL"], echo=app.config["SQL_ECHO"])
        app.extensions["database"] = _Binding(engine)
        app.teardown_appcontext(self._close_session)
        app.teardown_request(self._close_request_session)

    @property
    def binding(self):
        return current_app.extensions["database"]

    @property
    def engine(self):
        return self.binding.engine

    @property
    def session(self):
        """The app context's session. A request that only reads (GET, HEAD) gets one that
        refuses to write; on PostgreSQL its statements run without BEGIN and ROLLBACK around
        them: two round trips fewer, and psycopg keeps the statements it has prepared (a
        ROLLBACK makes it deallocate them all), so the server plans each of a page's queries
        once per connection. Under READ COMMITTED every statement sees its own snapshot either
        way. (SQLite keeps its transaction, `BEGIN IMMEDIATE` in `make_engine`: no round trips.)"""
        if "db_session" not in g:
            binding = self.binding
            if has_request_context() and request.method in READING_METHODS:
                g.db_session = binding.reader(info={"reads_only": True})
            else:
                g.db_session = binding.sessionmaker()
        return g.db_session

    def one_action(self, view):
        """For a view whose only write is one workflow action (`services.perform`): on
        PostgreSQL its session runs without a transaction, as a reading request's does. The
        action writes in one statement, atomic on its own; one that must lock a row first or
        write more begins a transaction (`services.hold_transaction`). Two round trips fewer
        (BEGIN, COMMIT), and the rows the write locks (the nomination, its counts) are held only
        while its statement runs. A flush (an ORM write) outside such a transaction is refused."""

        @wraps(view)
        def with_session(*args, **kwargs):
            if "db_session" not in g:
                g.db_session = self.binding.actor(info={"one_action": True})
            try:
                return view(*args, **kwargs)
            except BaseException:
                # A refused recognition lets go of its quota's lock now, not at teardown.
                g.db_session.rollback()
                raise

        return with_session

    @staticmethod
    def _close_request_session(exception=None):
        # A reading request's session, or an action's, ends with it, even where the app context
        # outlives the request (a test's, or a task run inside one): the next request may write.
        session = g.get("db_session")
        if session is not None and session.info.keys() & {"reads_only", "one_action"}:
            g.pop("db_session").close()

    @staticmethod
    def _close_session(exception=None):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


READING_METHODS = frozenset({"GET", "HEAD"})


class _Binding:
    def __init__(self, engine):
        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)
        # Sessions whose statements run without BEGIN and COMMIT around them: a reading
        # request's, and an action's (`Database.one_action`). SQLite keeps its transaction.
        self.reader = self.actor = self.sessionmaker
        if engine.dialect.name == "postgresql":
            autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
            self.reader = self.actor = sessionmaker(bind=autocommit, expire_on_commit=False)


@event.listens_for(Session, "before_flush")
def _refuse_to_write(session, flush_context, instances):
    # Without a transaction a failure halfway would keep the first half: a request that
    # changes something is a POST, and an action's session writes in one statement.
    if session.info.get("reads_only"):
        raise RuntimeError("a GET or HEAD request writes nothing; make it a POST")
    if session.info.get("one_action") and outside_transaction(session):
        raise RuntimeError("an action's session writes in one statement, or after BEGIN")


db = Database()
