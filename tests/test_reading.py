"""Requests that only read (GET, HEAD): they write nothing, and on PostgreSQL they run without a
transaction around them, so that psycopg keeps the statements it prepared from one request to
the next; a subtree is written into the statement, so that each gets a plan of its own."""

import pytest
from sqlalchemy import select, text
from test_api import sql_log

from web.database import db
from workflow import policy
from workflow.models import Unit


def new_unit(code, parent):
    return Unit(
        code=code, name=f"Chi bộ {code}", level="cell", parent=parent, path=f"{parent.path}{code}/"
    )


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_reading_request_writes_nothing(app, world, db_session, method):
    with app.test_request_context(method=method):
        db.session.add(new_unit("NEW", db.session.merge(world.units["C1"])))
        with pytest.raises(RuntimeError, match="writes nothing"):
            db.session.flush()


def test_a_request_that_changes_something_writes(app, world, db_session):
    with app.test_request_context(method="POST"):
        db.session.add(new_unit("NEW", db.session.merge(world.units["C1"])))
        db.session.flush()
        assert db.session.scalar(select(Unit.path).where(Unit.code == "NEW")) == "/P/D1/C1/NEW/"


@pytest.mark.postgres
def test_reading_requests_keep_the_statements_they_prepared(app, committed, is_postgres):
    if not is_postgres:
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    committed.dispose()  # one connection, which every request below checks out again
    probe = select(Unit.id).where(Unit.code == "K1")

    def prepared_after(method):
        with app.test_request_context(method=method):
            for _ in range(6):  # psycopg prepares a statement at its fifth run on a connection
                db.session.execute(probe).all()
        with app.test_request_context(method="GET"):
            return db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))

    assert prepared_after("POST") == 0  # the ROLLBACK that ended it deallocated them all
    assert prepared_after("GET") >= 1


def test_a_subtree_is_written_into_the_statement_and_matched_literally(app, world, db_session):
    province = world.units["P"]
    odd, like_it = new_unit("X_1%", province), new_unit("XZ1A", province)
    db_session.add_all([odd, like_it, new_unit("K9", odd)])
    db_session.flush()
    with sql_log(app) as log:
        found = db_session.scalars(select(Unit.code).where(policy.subtree(odd))).all()
    assert sorted(found) == ["K9", "X_1%"]  # not XZ1A: "_" and "%" are letters here
    assert "X\\_1\\%" in log[-1]


def test_a_request_after_a_reading_one_in_the_same_app_context_may_write(app, world, db_session):
    with app.app_context():  # a test's or a task's, which the requests below share
        with app.test_request_context(method="GET"):
            assert db.session.scalar(select(Unit.code).where(Unit.code == "C1")) == "C1"
        with app.test_request_context(method="POST"):
            db.session.add(new_unit("NEW", db.session.merge(world.units["C1"])))
            db.session.flush()


@pytest.mark.parametrize(
    ("route", "username", "written"),
    [
        ("nominations?per_page=2", "rev_p", ["LIMIT 2"]),
        ("nominations?per_page=2&page=2", "rev_p", ["LIMIT 2", "OFFSET 2"]),
        ("queue?per_page=2", "rev_c1", ["LIMIT 2", "pending_unit_id = {unit}"]),
    ],
)
def test_a_page_writes_in_the_values_its_plan_depends_on(
    app, client, world, auth, db_session, route, username, written
):
    """The page's size and the reviewer's unit, like the subtree, are written into the page's
    statement: with them as parameters PostgreSQL planned a list page or a queue again on every
    request (the plan for any values looked dearer), which cost more than running it."""
    for index in range(5):
        world.act(world.nominate(nominee_name=f"Người {index}"), "sec_k1", "submit")
    db_session.commit()
    with sql_log(app) as statements:
        page = client.get(f"/api/v1/{route}", headers=auth(username)).json
    assert len(page["items"]) == 2
    unit = world.users[username].unit_id
    read = next(statement for statement in statements if "FROM nominations" in statement)
    assert [part.format(unit=unit) in read for part in written] == [True] * len(written)
