"""The counts the database keeps of nominations (triggers), and the reads that use them: the
summary report, list totals and keyset pages, whose cost does not grow with the rows."""

from collections import Counter

import pytest
from sqlalchemy import String, delete, func, insert, select, text, update

from workflow import administration, imports, policy, queries, reorganisation, reports, services
from workflow.models import Nomination, NominationCount, Unit, UnitCount, UnitTotal
from workflow.reorganisation import Operation

API = "/api/v1"


def kept(session, counts=NominationCount):
    """The counts (or, given `UnitCount`, their rollup) as the triggers keep them, without the
    zeros: by campaign, cell (or parent and its path), state, kind, levels and (cells only)
    pending unit."""
    if counts is NominationCount:
        columns = (counts.campaign_id, counts.cell_id, *dimensions(counts), counts.pending_unit_id)
    else:
        columns = (counts.campaign_id, counts.unit_id, counts.path, *dimensions(counts))
    return {tuple(key): n for *key, n in session.execute(select(*columns, counts.n)).all() if n}


def dimensions(rows):
    """The columns every count is kept by, beside the campaign and the place."""
    return (rows.state, rows.kind, rows.target_level, rows.recognized_level)


def counted(session):
    """The same, counted from the nominations themselves."""
    key = (
        Nomination.campaign_id,
        Nomination.cell_id,
        Nomination.state,
        Nomination.kind,
        Nomination.target_level,
        func.coalesce(Nomination.recognized_level, "", type_=String),
        func.coalesce(Nomination.pending_unit_id, 0),
    )
    return {tuple(row): n for *row, n in session.execute(select(*key, func.count()).group_by(*key))}


def rolled_up(session):
    return kept(session, UnitCount)


def totalled(session):
    """The totals as the triggers keep them, without the zeros: by unit and campaign."""
    rows = session.execute(select(UnitTotal.unit_id, UnitTotal.campaign_id, UnitTotal.n))
    return {(unit, campaign): n for unit, campaign, n in rows if n}


def totalled_from_nominations(session):
    """The same, counted from the nominations: each one in its cell and every ancestor's."""
    paths = dict(session.execute(select(Unit.id, Unit.path)).all())
    totals = Counter()
    for campaign, cell in session.execute(select(Nomination.campaign_id, Nomination.cell_id)):
        for unit, path in paths.items():
            if paths[cell].startswith(path):
                totals[(unit, campaign)] += 1
    return dict(totals)


def rolled_up_from_nominations(session):
    """The same, counted from the nominations: each cell's counts added to its parent's."""
    parents = dict(session.execute(select(Unit.id, Unit.parent_id)).all())
    paths = dict(session.execute(select(Unit.id, Unit.path)).all())
    totals = {}
    for (campaign, cell, *rest, _pending), n in counted(session).items():
        key = (campaign, parents[cell], paths[parents[cell]], *rest)
        totals[key] = totals.get(key, 0) + n
    return totals


def test_every_writer_keeps_the_counts_exact(world, db_session):
    walked = world.nominate(target="commune", kind="collective")
    world.act(walked, "sec_k1", "submit")
    world.act(walked, "rev_c1", "approve")  # recognised at the commune
    returned = world.nominate(cell="K3")
    world.act(returned, "sec_k3", "submit")
    world.act(returned, "rev_c2", "return")
    world.nominate(cell="KD")
    db_session.flush()
    assert kept(db_session) == counted(db_session)
    # A writer that bypasses the services is counted too: the triggers see every statement.
    db_session.execute(
        update(Nomination)
        .where(Nomination.cell_id == world.units["KD"].id)
        .values(kind="collective")
        .execution_options(synchronize_session=False)
    )
    assert kept(db_session) == counted(db_session)
    assert rolled_up(db_session) == rolled_up_from_nominations(db_session)
    assert check_queues(db_session, world.users) == 1  # the returned one, at K3
    # The totals: kept by inserts, a nomination moved to another cell, and a delete.
    assert totalled(db_session) == totalled_from_nominations(db_session)
    moved = world.nominate(cell="K1")
    db_session.flush()
    db_session.execute(
        update(Nomination)
        .where(Nomination.id == moved.id)
        .values(cell_id=world.units["K3"].id)
        .execution_options(synchronize_session=False)
    )
    assert totalled(db_session) == totalled_from_nominations(db_session)
    db_session.execute(text("DELETE FROM history WHERE nomination_id = :id"), {"id": moved.id})
    db_session.execute(delete(Nomination).where(Nomination.id == moved.id))
    assert totalled(db_session) == totalled_from_nominations(db_session)
    province = world.units["P"]
    assert queries.search_total(db_session, world.users["adm_p"], scope=province) == (3, False)


def test_the_totals_follow_statements_of_many_rows(world, db_session):
    """One statement inserting, moving or deleting nominations of several cells at once (a bulk
    load, a cleanup): each unit's total gains or loses what its cells did, once."""
    for cell in ("K1", "K1", "K3", "KD"):
        world.nominate(cell=cell)
    db_session.flush()
    copied = [column for column in Nomination.__table__.columns if column.key != "id"]
    db_session.execute(
        insert(Nomination).from_select([c.key for c in copied], select(*copied))
    )  # four more, one statement
    assert db_session.scalar(select(func.count()).select_from(Nomination)) == 8
    assert totalled(db_session) == totalled_from_nominations(db_session)
    # K1's four moved to K3, another commune's cell, in one statement; then KD's two (a
    # district's own cell) to K1.
    for source, target in (("K1", "K3"), ("KD", "K1")):
        db_session.execute(
            update(Nomination)
            .where(Nomination.cell_id == world.units[source].id)
            .values(cell_id=world.units[target].id)
            .execution_options(synchronize_session=False)
        )
        assert totalled(db_session) == totalled_from_nominations(db_session)
    # Moved to another campaign (the old campaign's rows lose them, the new one's gain them),
    # and "moved" to the cell they are in: nothing changes.
    other = services.create_campaign(
        db_session,
        world.users["adm_d1"],
        world.units["D1"],
        name="Đợt của huyện",
        year=2026,
        submission_deadline=world.campaign.submission_deadline,
        review_deadlines={},
    )
    k1 = world.units["K1"].id
    for values in ({"campaign_id": other.id}, {"cell_id": k1}):
        db_session.execute(
            update(Nomination)
            .where(Nomination.cell_id == k1)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        assert totalled(db_session) == totalled_from_nominations(db_session)
    assert totalled(db_session)[(world.units["D1"].id, other.id)] == 2
    db_session.execute(
        text(
            "DELETE FROM history WHERE nomination_id IN (SELECT id FROM nominations "
            "WHERE cell_id = :cell)"
        ),
        {"cell": world.units["K3"].id},
    )
    db_session.execute(
        delete(Nomination)
        .where(Nomination.cell_id == world.units["K3"].id)
        .execution_options(synchronize_session=False)
    )
    assert totalled(db_session) == totalled_from_nominations(db_session)
    province = world.units["P"]
    assert queries.search_total(db_session, world.users["adm_p"], scope=province) == (2, False)


def test_the_rollup_follows_the_tree_when_a_unit_moves(world, db_session):
    for cell in ("K1", "K2", "K3", "KD"):
        nomination = world.nominate(cell=cell)
        world.act(nomination, f"sec_{cell.lower()}", "submit")
    db_session.flush()
    assert rolled_up(db_session) == rolled_up_from_nominations(db_session)
    actor = world.users["adm_p"]
    administration.move_unit(db_session, actor, world.units["C2"], world.units["D2"])
    db_session.flush()
    assert rolled_up(db_session) == rolled_up_from_nominations(db_session)
    assert totalled(db_session) == totalled_from_nominations(db_session)
    assert totalled(db_session)[(world.units["D2"].id, world.campaign.id)] == 1
    # Lâm Thao now holds Phương Xá's nomination; Cẩm Khê keeps the other three.
    assert reports.summary(db_session, actor, world.units["D2"])["by_state"]["commune_review"] == 1
    cam_khe = reports.summary(db_session, actor, world.units["D1"])["by_state"]
    assert cam_khe["commune_review"] + cam_khe["district_review"] == 3
    # A cell reads its own counts; a province the rows of its cells' parents.
    assert reports.summary(db_session, actor, world.units["K1"])["by_state"]["commune_review"] == 1
    assert sum(reports.summary(db_session, actor, world.units["P"])["by_state"].values()) == 4


def test_the_summary_reads_the_counts_and_agrees_with_history(world, db_session):
    for cell, target in (
        ("K1", "commune"),
        ("K2", "district"),
        ("K3", "commune"),
        ("K4", "commune"),
    ):
        nomination = world.nominate(cell=cell, target=target)
        world.act(nomination, f"sec_{cell.lower()}", "submit")
    db_session.flush()
    actor, scope = world.users["adm_p"], world.units["D1"]
    from_counts = reports.summary(db_session, actor, scope)
    from_history = reports.summary(db_session, actor, scope, by="then")
    assert from_counts["by_state"] == from_history["by_state"]
    assert from_counts["by_state"]["commune_review"] == 3
    assert from_counts["by_state"]["district_review"] == 0  # K2's went to C1 first


@pytest.mark.parametrize("q", ["", "nguoi so"])
@pytest.mark.parametrize("per_page", [1, 3])
def test_keyset_pages_walk_the_list_in_constant_statements(
    app, client, world, auth, db_session, per_page, q
):
    from test_api import sql_log

    names = [world.nominate(nominee_name=f"Người số {n}").id for n in range(5)]
    if q:  # a text search: its matches are read once, counted and paged
        world.nominate(nominee_name="Lê Văn Một")
    db_session.commit()
    headers = auth("adm_p")
    walked = [
        item["id"]
        for page in (1, 2)
        for item in client.get(
            f"{API}/nominations?per_page=3&page={page}&q={q}", headers=headers
        ).json["items"]
    ]
    assert walked == sorted(names, reverse=True)
    seen, after, statements = [], None, []
    while True:
        url = f"{API}/nominations?per_page={per_page}&q={q}" + (f"&after={after}" if after else "")
        with sql_log(app) as log:
            page = client.get(url, headers=headers).json
        statements.append(
            len([s for s in log if s.split()[0].upper() not in ("SAVEPOINT", "RELEASE")])
        )
        assert page["total"] == 5
        seen += [item["id"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(names, reverse=True)
    # Every page: the token, then the rows with their total (from the counts, or the text's
    # matches counted); a page past the last one (per_page=1) has no rows to bring the total,
    # which is read apart.
    assert len(set(statements[:-1])) == 1
    assert statements[-1] == statements[0] + (per_page == 1)


@pytest.fixture
def cap_of_three(monkeypatch):
    """SEARCH_COUNT_CAP at 3, with no page's statement built under the other cap kept."""
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 3)
    queries._search_statement.cache_clear()
    yield
    queries._search_statement.cache_clear()


@pytest.mark.parametrize("common", [False, True])
def test_a_text_search_counts_up_to_a_cap(world, db_session, monkeypatch, cap_of_three, common):
    if common:  # "nguyen" is then counted apart, not along with its page
        many = frozenset(queries.trigrams("nguyen"))
        monkeypatch.setattr(queries, "common_trigrams", lambda session: many)
    for n in range(5):
        world.nominate(nominee_name=f"Nguyễn Văn {n}")
    db_session.flush()
    province = world.users["adm_p"]
    total, capped = queries.search_total(db_session, province, q="Nguyễn")
    assert (total, capped) == (3, True)
    total, capped, items = queries.search_page(db_session, province, per_page=2, q="Nguyen")
    assert (total, capped, len(items)) == (3, True, 2)
    total, capped = queries.search_total(db_session, province, q="Nguyễn Văn 4")
    assert (total, capped) == (1, False)
    total, capped, items = queries.search_page(db_session, province, per_page=2, q="Nguyen Van 4")
    assert (total, capped, len(items)) == (1, False, 1)
    total, capped = queries.search_total(db_session, province, state="draft")
    assert (total, capped) == (5, False)


def test_a_search_asks_the_index_for_its_rare_trigrams_only(world, db_session):
    for n in range(12):
        world.nominate(nominee_name=f"Nguyễn Văn {100 + n}", title="Mô hình hay")
    db_session.flush()
    assert queries.trigrams("nguyen van_4 mo-hinh") == {"ngu", "guy", "uye", "yen", "van"} | {
        "hin",
        "inh",
    }
    common = frozenset(queries.trigrams("nguyen van mo hinh"))
    conditions = queries.text_conditions("Nguyễn Văn 1112", common)
    rendered = [str(c.compile(compile_kwargs={"literal_binds": True})) for c in conditions]
    # The rare pieces as values the planner does not read, so that it plans the search once.
    assert [" ".join(piece.split()) for piece in rendered[:2]] == [
        "nominations.search_text LIKE (SELECT '%111%' AS anon_1) ESCAPE '\\'",
        "nominations.search_text LIKE (SELECT '%112%' AS anon_1) ESCAPE '\\'",
    ]
    assert "|| ''" in rendered[2]
    assert "'%nguyen van 1112%'" in rendered[2]
    # Nothing rare (a half-typed "nguy", a number too short for a trigram), or nothing common:
    # the text is asked as it is.
    for q, told in (("nguy", common), ("Nguyễn Văn 11", common), ("Nguyễn Văn 111", frozenset())):
        assert len(queries.text_conditions(q, told)) == 1
    # Whatever is common, the same nominations match.
    for q in ("Nguyễn Văn 111", "van 111", "Mô hình", "nguyen", "1", "110 mo", "hay", "văn 10"):
        found = [
            set(db_session.scalars(select(Nomination.id).where(*queries.text_conditions(q, told))))
            for told in (frozenset(), common, frozenset({"hay"}))
        ]
        assert found[0] == found[1] == found[2], q
        assert found[0], q


def test_common_trigrams_come_from_the_database_statistics(
    world, db_session, is_postgres, monkeypatch
):
    monkeypatch.setattr(queries, "_common", (None, frozenset()))
    if not is_postgres:
        assert queries.common_trigrams(db_session) == frozenset()  # SQLite has no such index
        return
    for n in range(60):
        world.nominate(nominee_name=f"Nguyễn Văn {1000 + n}", title=f"Sáng kiến số {n}")
    db_session.flush()
    db_session.execute(text("ANALYZE nominations"))  # what autovacuum does; rolled back after
    common = queries.common_trigrams(db_session)
    assert {"ngu", "guy", "uye", "yen", "van", "san", "ang", "kie", "ien"} <= common
    assert "103" in common  # in ten names
    assert "037" not in common  # in one
    conditions = queries.text_conditions("Nguyễn Văn 1037", common)
    assert len(conditions) == 2  # LIKE '%037%', then the whole text
    total, capped = queries.search_total(db_session, world.users["adm_p"], q="Nguyễn Văn 1037")
    assert (total, capped) == (1, False)


def by_state_counted(session, scope):
    cells = select(Unit.id).where(policy.subtree(scope))
    return Counter(session.scalars(select(Nomination.state).where(Nomination.cell_id.in_(cells))))


def check_every_scope(session, actor):
    """The rollup and the totals match the nominations, and so do every live unit's summary and
    list total."""
    assert rolled_up(session) == rolled_up_from_nominations(session)
    assert totalled(session) == totalled_from_nominations(session)
    for unit in session.scalars(select(Unit).where(Unit.retired_at.is_(None))):
        summary = {s: n for s, n in reports.summary(session, actor, unit)["by_state"].items() if n}
        assert summary == dict(by_state_counted(session, unit)), unit.code
        total = sum(summary.values())
        assert queries.search_total(session, actor, scope=unit) == (total, False), unit.code


def check_queues(session, users):
    """Every reviewer's and secretary's queue total, from the counts, is what their queue holds."""
    waiting = 0
    for user in users.values():
        total = queries.queue_total(session, user)
        assert total == queries.count(session, queries.queue_conditions(user)), user.username
        waiting += total
    return waiting


def populate(world):
    for cell in ("K1", "K2", "K3", "KD", "K4"):
        for _ in range(2):
            nomination = world.nominate(cell=cell)
            world.act(nomination, f"sec_{cell.lower()}", "submit")
        world.nominate(cell=cell)


def test_reorganisations_keep_the_rollup(world, db_session):
    populate(world)
    db_session.flush()
    actor = world.users["adm_p"]
    check_every_scope(db_session, actor)
    for operations in (
        [Operation("merge", units=("K2",), into="K1")],  # a retired cell under its successor
        [Operation("move", unit="KD", parent="C3")],  # a cell straight under a district
        [Operation("dissolve", unit="C2")],
        [Operation("merge", units=("C1", "C3"), into="CX", name="Xã mới", parent="D2")],
        [Operation("dissolve", unit="D1")],
    ):
        reorganisation.reorganise(db_session, actor, operations, reason="test", dry_run=False)
        db_session.flush()
        check_every_scope(db_session, actor)
        check_queues(db_session, world.users)


def test_a_cell_made_a_commune_keeps_its_own_nominations_counted(world, db_session):
    populate(world)
    db_session.flush()
    actor, kd = world.users["adm_p"], world.units["KD"]
    text = f"code,name,level,parent_code\nKD,{kd.name},commune,D1\n"
    imports.import_units(db_session, actor, text)
    db_session.flush()
    assert kd.level == "commune"
    assert sum(by_state_counted(db_session, kd).values()) == 3
    check_every_scope(db_session, actor)
