"""Concurrent actions on the same version: exactly one wins, the others get 409."""

import threading
from contextlib import contextmanager

import pytest
from conftest import WebUser, World
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import sessionmaker

from workflow import accounts, administration, campaigns, reorganisation, services
from workflow.errors import StaleVersion
from workflow.models import HistoryEntry, Nomination, Unit
from workflow.reorganisation import Operation

THREADS = 8


def committed_aside(session, work):
    """`work()`, then `session` committed, in a thread of its own: (the thread, the errors it
    met, after which `session` was rolled back)."""
    errors = []

    def run():
        try:
            work()
            session.commit()
        except Exception as error:
            errors.append(error)
            session.rollback()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@contextmanager
def statuses_before_statements(app):
    """The statements the app runs inside the block, by their first word, each with psycopg's
    transaction status before it (IDLE: no transaction is open)."""
    engine = app.extensions["database"].engine
    seen = []

    def record(connection, cursor, statement, *args):
        status = connection.connection.driver_connection.info.transaction_status
        seen.append((statement.split(None, 1)[0].upper(), status.name))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def committed_world(app, committed):
    session = sessionmaker(bind=committed, expire_on_commit=False)()
    world = World(session)
    session.commit()
    yield world
    session.close()


def test_concurrent_approvals_on_one_version(app, committed_world):
    world = committed_world
    nomination = world.nominate(cell="K1", target="district")
    world.act(nomination, "sec_k1", "submit")
    reviewers = [world.add_user(f"rev_c1_{n}", "reviewer", "C1") for n in range(THREADS)]
    world.session.commit()
    tokens = [accounts.issue_token(world.session, user, hours=1)[0] for user in reviewers]
    world.session.commit()

    barrier = threading.Barrier(THREADS)
    statuses = []

    def approve(token):
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/nominations/{nomination.id}/actions/approve",
            json={"version": nomination.version},
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=approve, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [200] + [409] * (THREADS - 1)
    world.session.expire_all()
    assert world.session.get(Nomination, nomination.id).state == "district_review"
    approvals = world.session.scalar(
        select(func.count())
        .select_from(HistoryEntry)
        .where(HistoryEntry.nomination_id == nomination.id, HistoryEntry.action == "approve")
    )
    assert approvals == 1


@pytest.mark.postgres
def test_an_action_runs_without_a_transaction_unless_it_locks_first(
    app, committed, committed_world, is_postgres
):
    """On PostgreSQL an action through the API is one writing statement, atomic on its own: no
    BEGIN, no COMMIT, and no row lock held while the app works between round trips. A
    recognition locks its level's quota first, so it holds one transaction from the lock to
    its commit."""
    if not is_postgres:
        pytest.skip("SQLite keeps its transaction: BEGIN IMMEDIATE, no round trips")
    world = committed_world
    forwarded = world.nominate(cell="K1", target="district")
    recognised = world.nominate(cell="K1", target="commune")
    for nomination in (forwarded, recognised):
        world.act(nomination, "sec_k1", "submit")
    world.session.commit()
    token = accounts.issue_token(world.session, world.users["rev_c1"], hours=1)[0]
    world.session.commit()

    def act(nomination, action):
        with statuses_before_statements(app) as seen:
            answer = app.test_client().post(
                f"/api/v1/nominations/{nomination.id}/actions/{action}",
                json={"version": nomination.version},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert answer.status_code == 200, answer.json
        return seen

    assert act(forwarded, "approve") == [("SELECT", "IDLE"), ("SELECT", "IDLE"), ("WITH", "IDLE")]
    seen = act(recognised, "approve")
    # The token and the nomination are read outside any transaction; the quota's lock begins
    # one, which everything after it shares: the lock, the action's statement, the register.
    assert seen[:3] == [("SELECT", "IDLE"), ("SELECT", "IDLE"), ("BEGIN", "IDLE")], seen
    assert all(status == "INTRANS" for _verb, status in seen[3:]), seen
    assert [verb for verb, _status in seen[3:]][-2:] == ["WITH", "INSERT"], seen
    world.session.expire_all()
    assert world.session.get(Nomination, forwarded.id).state == "district_review"
    assert world.session.get(Nomination, recognised.id).state == "commended"


@pytest.mark.postgres
def test_a_refused_recognition_writes_nothing_and_the_page_acts_in_one_statement(
    app, committed, committed_world, is_postgres
):
    if not is_postgres:
        pytest.skip("SQLite keeps its transaction: BEGIN IMMEDIATE, no round trips")
    world = committed_world
    refused = world.nominate(cell="K1", target="commune")
    paged = world.nominate(cell="K1", target="district")
    for nomination in (refused, paged):
        world.act(nomination, "sec_k1", "submit")
    campaigns.set_quota(
        world.session,
        world.users["adm_p"],
        world.campaign,
        world.units["C1"],
        collective=0,
        individual=0,
    )
    world.session.commit()
    token = accounts.issue_token(world.session, world.users["rev_c1"], hours=1)[0]
    world.session.commit()

    # Past the quota, after its transaction began: 409, and nothing of the action is written.
    answer = app.test_client().post(
        f"/api/v1/nominations/{refused.id}/actions/approve",
        json={"version": refused.version},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 409
    assert answer.json["type"].endswith("quota-exhausted")
    world.session.expire_all()
    again = world.session.get(Nomination, refused.id)
    assert (again.state, again.version) == ("commune_review", refused.version)
    assert world.session.scalar(
        select(func.count()).where(HistoryEntry.nomination_id == refused.id)
    ) == len(["create", "submit"])

    # The nomination's page takes its action the same way: one statement, no transaction.
    reviewer = WebUser(app.test_client()).login("rev_c1")
    url = f"/nominations/{paged.id}"
    form = {"action": "approve", "version": str(paged.version), "csrf_token": reviewer.token(url)}
    with statuses_before_statements(app) as seen:
        answer = reviewer.client.post(url, data=form)
    assert answer.status_code == 302
    assert [verb for verb, _status in seen][-1] == "WITH", seen
    assert "BEGIN" not in {verb for verb, _status in seen}, seen
    assert {status for _verb, status in seen} == {"IDLE"}, seen
    world.session.expire_all()
    assert world.session.get(Nomination, paged.id).state == "district_review"


@pytest.mark.postgres
def test_a_writer_that_lost_the_race_gets_a_conflict_not_a_double_transition(
    app, committed, committed_world, is_postgres
):
    if not is_postgres:
        pytest.skip("SQLite takes the write lock at BEGIN, so two writers cannot interleave")
    world = committed_world
    nomination = world.nominate(cell="K1", target="district")
    world.act(nomination, "sec_k1", "submit")
    world.session.commit()
    make = sessionmaker(bind=committed, expire_on_commit=False)
    first, second = make(), make()
    mine = services.get_nomination(first, world.users["rev_c1"], nomination.id)
    theirs = services.get_nomination(second, world.users["rev_c1"], nomination.id)
    services.perform(first, mine, first.merge(world.users["rev_c1"]), action="approve", version=2)
    first.commit()
    with pytest.raises(StaleVersion):
        # It read version 2 before the first writer committed; the UPDATE finds no such row.
        services.perform(
            second,
            theirs,
            second.merge(world.users["rev_c1"]),
            action="reject",
            version=2,
            comment="Không đạt",
        )
    second.rollback()
    world.session.expire_all()
    assert world.session.get(Nomination, nomination.id).state == "district_review"
    first.close()
    second.close()


@pytest.mark.postgres
def test_an_action_racing_a_reorganisation_sees_the_old_or_the_new_pending_unit(
    app, committed, committed_world, is_postgres
):
    if not is_postgres:
        pytest.skip("SQLite takes the write lock at BEGIN, so two writers cannot interleave")
    world = committed_world
    first = world.nominate(cell="K1", target="district")
    world.act(first, "sec_k1", "submit")
    second = world.nominate(cell="K2", target="district")
    world.act(second, "sec_k2", "submit")
    world.session.commit()
    make = sessionmaker(bind=committed, expire_on_commit=False)
    reviewer, admin = make(), make()
    late = services.get_nomination(reviewer, world.users["rev_c1"], first.id)
    early = services.get_nomination(reviewer, world.users["rev_c1"], second.id)
    # The reviewer acts before the reorganisation starts: it moves what the approval left.
    services.perform(
        reviewer, early, reviewer.merge(world.users["rev_c1"]), action="approve", version=2
    )
    reviewer.commit()
    operations = [
        Operation("merge", units=("C1", "C2"), into="CX", name="Đảng ủy xã Cẩm Khê"),
        Operation("dissolve", unit="D1"),
    ]
    reorganisation.reorganise(
        admin, admin.merge(world.users["adm_p"]), operations, reason="NQ 60", dry_run=False
    )
    admin.commit()
    # The reviewer read `late` before the reorganisation committed: its UPDATE finds no row.
    with pytest.raises(StaleVersion):
        services.perform(
            reviewer, late, reviewer.merge(world.users["rev_c1"]), action="approve", version=2
        )
    reviewer.rollback()
    world.session.expire_all()
    moved = world.session.get(Nomination, first.id)
    assert (moved.state, moved.pending_unit.code) == ("commune_review", "CX")
    forwarded = world.session.get(Nomination, second.id)
    assert (forwarded.state, forwarded.pending_unit.code) == ("province_review", "P")
    reviewer.close()
    admin.close()


@pytest.mark.postgres
def test_a_unit_moved_while_an_action_commits_waits_for_it(
    app, committed, committed_world, is_postgres
):
    """Moving units rebuilds the rolled-up counts: it waits for the actions in flight (a
    submit in another commune here) instead of colliding with what they add."""
    if not is_postgres:
        pytest.skip("SQLite takes the write lock at BEGIN, so two writers cannot interleave")
    world = committed_world
    draft = world.nominate(cell="K1")
    world.session.commit()
    make = sessionmaker(bind=committed, expire_on_commit=False)
    submitter, mover = make(), make()
    mine = services.get_nomination(submitter, world.users["sec_k1"], draft.id)
    services.perform(
        submitter, mine, submitter.merge(world.users["sec_k1"]), action="submit", version=1
    )  # flushed, not committed

    def move():
        admin = mover.merge(world.users["adm_p"])
        c2, d2 = (mover.scalar(select(Unit).where(Unit.code == c)) for c in ("C2", "D2"))
        administration.move_unit(mover, admin, c2, d2)

    thread, errors = committed_aside(mover, move)
    thread.join(timeout=2)
    assert thread.is_alive(), "the move should wait for the submit"
    submitter.commit()
    thread.join(timeout=30)
    assert not errors, repr(errors[0])[:400]
    submitter.close()
    mover.close()


@pytest.mark.postgres
def test_an_action_halfway_through_when_a_reorganisation_locks_the_tree(
    app, committed, committed_world, is_postgres
):
    """A reorganisation locks the province's units, then waits for the actions in flight to
    commit before it rebuilds the counts. An action halfway through (its nomination updated,
    its history row not yet written) must not wait for those units in turn: its history row
    names its unit (a foreign key), which a lock for an update of the tree would hold."""
    if not is_postgres:
        pytest.skip("SQLite takes the write lock at BEGIN, so two writers cannot interleave")
    world = committed_world
    nomination = world.nominate(cell="K1", target="district")
    world.act(nomination, "sec_k1", "submit")
    world.session.commit()
    make = sessionmaker(bind=committed, expire_on_commit=False)
    reviewer, admin = make(), make()
    # The action's first statement: the nomination is returned, and its counts change with it.
    reviewer.execute(
        update(Nomination)
        .where(Nomination.id == nomination.id)
        .values(state="returned", pending_unit_id=None, version=Nomination.version + 1)
    )

    def reorganise():
        actor = admin.merge(world.users["adm_p"])
        operations = [Operation("move", unit="C2", parent="D2")]
        reorganisation.reorganise(admin, actor, operations, reason="NQ 60", dry_run=False)

    thread, errors = committed_aside(admin, reorganise)
    thread.join(timeout=1.5)
    assert thread.is_alive(), "the reorganisation should wait for the action's counts"
    # Its next statement: the history row, naming the reviewer and their unit.
    reviewer.add(
        HistoryEntry(
            nomination_id=nomination.id,
            action="return",
            from_state="commune_review",
            to_state="returned",
            actor_id=world.users["rev_p"].id,
            actor_unit_id=world.units["P"].id,
        )
    )
    reviewer.commit()  # a deadlock would fail this one or the reorganisation
    thread.join(timeout=30)
    assert not errors, repr(errors[0])[:400]
    world.session.expire_all()
    assert world.session.get(Unit, world.units["C2"].id).parent.code == "D2"
    reviewer.close()
    admin.close()
