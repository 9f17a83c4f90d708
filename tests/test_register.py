"""The register of recognitions (sổ vàng): its entries, its search and export, and the warnings
about a nominee's earlier recognitions and likely duplicates."""

import io

from list_files import recognise
from openpyxl import load_workbook

from workflow import administration, lists, services
from workflow.fields import fold
from workflow.models import Recognition


def _entry(db_session, nomination):
    return db_session.query(Recognition).filter_by(nomination_id=nomination.id).one()


def test_fold_ignores_diacritics_case_and_spacing():
    assert fold("Nguyễn  Văn ĐỨC ") == "nguyen van duc"
    assert fold("Đặng Thị Ánh") == fold("DANG THI ANH") == "dang thi anh"
    assert fold("Phạm Hữu Ý") != fold("Phạm Hữu Yên")


def test_a_recognition_enters_the_register_as_things_stood_that_day(world, db_session):
    nomination = recognise(
        world, "K1", "district", nominee_name="Nguyễn Văn An", nominee_birth_year=1970
    )
    entry = _entry(db_session, nomination)
    assert (entry.nominee_name, entry.name_folded, entry.birth_year) == (
        "Nguyễn Văn An",
        "nguyen van an",
        1970,
    )
    assert entry.kind == "individual"
    assert (entry.level, entry.recognized_unit_id) == ("district", world.units["D1"].id)
    assert entry.recognized_on == services.today()
    assert entry.year == world.campaign.year
    assert entry.unit_names == [
        "Chi bộ thôn Đồng Hội",
        "Đảng ủy xã Tiên Lương",
        "Huyện ủy Cẩm Khê",
        "Tỉnh ủy Phú Thọ",
    ]
    assert entry.list_id is None

    # Renamed later, the units keep their names of the day in the register.
    administration.rename_unit(
        db_session, world.users["adm_p"], world.units["C1"], name="Đảng ủy xã Cẩm Khê"
    )
    db_session.flush()
    db_session.refresh(entry)
    assert entry.unit_names[1] == "Đảng ủy xã Tiên Lương"

    # A list that carries it gives it its number.
    made, _ = lists.request_list(
        db_session, world.users["adm_p"], world.campaign, world.units["D1"], on=services.today()
    )
    lists.claim(db_session, made.id)
    db_session.refresh(made)
    lists.snapshot(db_session, made, on=services.today())
    db_session.refresh(entry)
    assert entry.list_id == made.id


def test_nothing_but_a_recognition_enters_the_register(world, db_session):
    pending = world.nominate(cell="K1", nominee_name="Chưa Duyệt")
    world.act(pending, "sec_k1", "submit")
    world.act(pending, "rev_c1", "approve")
    rejected = world.nominate(cell="K1", nominee_name="Không Đạt")
    world.act(rejected, "sec_k1", "submit")
    world.act(rejected, "rev_c1", "reject")
    assert db_session.query(Recognition).count() == 0


def _search(client, auth, username, **query):
    return client.get("/api/v1/register", query_string=query, headers=auth(username))


def test_the_register_is_searched_without_diacritics_within_the_subtree(
    client, world, auth, db_session
):
    recognise(world, "K1", "district", nominee_name="Nguyễn Văn An", nominee_birth_year=1970)
    recognise(world, "K3", "commune", nominee_name="Đặng Thị Ánh")
    recognise(world, "K4", "district", nominee_name="Nguyễn Văn Anh", kind="individual")
    db_session.commit()

    found = _search(client, auth, "adm_p", q="NGUYEN van an")
    assert found.status_code == 200
    names = [item["nominee_name"] for item in found.json["items"]]
    assert sorted(names) == ["Nguyễn Văn An", "Nguyễn Văn Anh"]  # a part of the name matches
    item = next(i for i in found.json["items"] if i["nominee_name"] == "Nguyễn Văn An")
    assert item == {
        "nomination_id": item["nomination_id"],
        "nominee_name": "Nguyễn Văn An",
        "kind": "individual",
        "birth_year": 1970,
        "level": "district",
        "campaign_id": world.campaign.id,
        "year": world.campaign.year,
        "list_number": None,
        "recognized_on": services.today().isoformat(),
        "unit_names": [
            "Chi bộ thôn Đồng Hội",
            "Đảng ủy xã Tiên Lương",
            "Huyện ủy Cẩm Khê",
            "Tỉnh ủy Phú Thọ",
        ],
    }
    assert [
        i["nominee_name"] for i in _search(client, auth, "adm_p", q="dang thi").json["items"]
    ] == ["Đặng Thị Ánh"]

    # By unit: a subtree of the caller's; by year: the campaign's.
    by_unit = _search(client, auth, "adm_p", unit_code="C1").json["items"]
    assert [i["nominee_name"] for i in by_unit] == ["Nguyễn Văn An"]
    assert _search(client, auth, "adm_p", year=world.campaign.year).json["total"] == 3
    assert _search(client, auth, "adm_p", year=world.campaign.year - 1).json["total"] == 0

    # Each sees only their own subtree; a unit outside it is not found.
    mine = _search(client, auth, "rev_d2").json["items"]
    assert [i["nominee_name"] for i in mine] == ["Nguyễn Văn Anh"]
    assert _search(client, auth, "sec_k3").json["total"] == 1
    assert _search(client, auth, "rev_d2", unit_code="C1").status_code == 404
    assert _search(client, auth, "adm_p", year="last").status_code == 422
    assert _search(client, auth, "adm_p", year=1800).status_code == 422


def _read(client, auth, username, nomination):
    answer = client.get(f"/api/v1/nominations/{nomination.id}", headers=auth(username))
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_nomination_reads_with_the_same_nominees_past_and_duplicates(
    client, world, auth, db_session
):
    earlier = recognise(
        world, "K1", "commune", nominee_name="Nguyễn Văn An", nominee_birth_year=1970
    )
    elsewhere = recognise(
        world, "K4", "commune", nominee_name="Nguyễn Văn An", nominee_birth_year=1970
    )
    # The same commune (a neighbouring cell), the name typed without accents, in capitals.
    again = world.nominate(cell="K2", nominee_name="NGUYEN VAN AN", nominee_birth_year=1970)
    twin = world.nominate(cell="K1", nominee_name="Nguyễn Văn An")  # birth year unknown
    twin_k2 = world.nominate(cell="K2", nominee_name="Nguyen Van An")
    other_year = world.nominate(cell="K2", nominee_name="Nguyễn Văn An", nominee_birth_year=1980)
    collective = world.nominate(cell="K2", nominee_name="Nguyễn Văn An", kind="collective")
    withdrawn = world.nominate(cell="K1", nominee_name="Nguyễn Văn An", nominee_birth_year=1970)
    world.act(withdrawn, "sec_k1", "withdraw")
    db_session.commit()

    read = _read(client, auth, "rev_c1", again)
    assert [r["nomination_id"] for r in read["earlier_recognitions"]] == [earlier.id]
    assert read["earlier_recognitions"][0]["unit_names"][0] == "Chi bộ thôn Đồng Hội"
    # K4 is in another commune; a withdrawn nomination is no duplicate.
    assert read["possible_duplicates"] == [earlier.id, twin.id, twin_k2.id]
    assert elsewhere.id not in read["possible_duplicates"]

    # A different birth year or kind is someone else.
    read = _read(client, auth, "rev_c1", other_year)
    assert read["earlier_recognitions"] == []
    assert read["possible_duplicates"] == [twin.id, twin_k2.id]
    assert _read(client, auth, "rev_c1", collective)["earlier_recognitions"] == []

    # The secretary of K2 sees only what lies in the cell: nothing of K1.
    read = _read(client, auth, "sec_k2", again)
    assert read["earlier_recognitions"] == []
    assert read["possible_duplicates"] == [twin_k2.id]
    # A new nomination answers with the same warnings.
    created = client.post(
        "/api/v1/nominations",
        json={
            "campaign_id": world.campaign.id,
            "kind": "individual",
            "nominee_name": "nguyễn văn an",
            "nominee_birth_year": 1970,
            "title": "Hiến đất",
            "field": "Nông thôn mới",
            "summary": "Tóm tắt",
            "achievements": "Thành tích",
            "target_level": "commune",
        },
        headers=auth("sec_k1"),
    )
    assert created.status_code == 201, created.json
    assert [r["nomination_id"] for r in created.json["earlier_recognitions"]] == [earlier.id]
    assert created.json["possible_duplicates"] == [earlier.id, twin.id]  # of K1 only


def test_a_merged_cells_recognitions_stay_with_the_cell_that_carries_it_on(
    client, world, auth, db_session
):
    from workflow import reorganisation

    earlier = recognise(world, "K2", "commune", nominee_name="Lê Thị Hoa", nominee_birth_year=1985)
    reorganisation.reorganise(
        db_session,
        world.users["adm_p"],
        [reorganisation.Operation("merge", units=("K1", "K2"), into="K1")],
        reason="Nghị quyết sáp nhập",
        dry_run=False,
    )
    db_session.flush()
    now = world.nominate(cell="K1", nominee_name="Le Thi Hoa", nominee_birth_year=1985)
    db_session.commit()
    read = _read(client, auth, "sec_k1", now)
    assert [r["nomination_id"] for r in read["earlier_recognitions"]] == [earlier.id]
    assert read["earlier_recognitions"][0]["unit_names"][0] == "Chi bộ khu 3"
    found = _search(client, auth, "sec_k1", q="hoa").json["items"]
    assert [i["unit_names"][0] for i in found] == ["Chi bộ khu 3"]


def test_the_register_page_searches_and_exports(web, world, db_session):
    recognise(world, "K1", "district", nominee_name="Nguyễn Văn An", nominee_birth_year=1970)
    recognise(world, "K3", "commune", nominee_name="Đặng Thị Ánh")
    recognise(world, "K4", "district", nominee_name="Lò Văn Khác")
    web.login("rev_d1")
    page = web.get("/register?q=nguyen+van")
    assert page.status_code == 200
    text = page.text
    assert "Nguyễn Văn An" in text
    assert "Chi bộ thôn Đồng Hội, Đảng ủy xã Tiên Lương, Huyện ủy Cẩm Khê, Tỉnh ủy Phú Thọ" in text
    assert "Đặng Thị Ánh" not in text
    assert f"{services.today():%d/%m/%Y}" in text
    assert 'data-field="total">Tìm thấy 1 lượt công nhận<' in text
    english = web.get("/register?q=nguyen+van&lang=en").text
    assert 'data-field="total">1 recognition found<' in english
    web.get("/register?lang=vi")
    assert "Lò Văn Khác" not in web.get("/register").text  # another district's
    assert web.get("/register?year=abc").status_code == 400
    assert web.get("/register?unit=D2").status_code == 400  # not one of the choices

    with web.get("/register/export.xlsx?unit=C2") as export:
        assert export.status_code == 200
        assert export.headers["Content-Disposition"].startswith("attachment")
        content = export.data
    sheet = load_workbook(io.BytesIO(content))["Sổ vàng"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("STT", "Họ và tên / Tên tập thể", "Loại")
    assert [row[1] for row in rows[1:]] == ["Đặng Thị Ánh"]
    assert rows[1][5] == "Cấp xã"
    assert rows[1][7] == f"{services.today():%d/%m/%Y}"


def test_the_nomination_page_warns_of_the_same_nominee(web, world, db_session, browser_of):
    recognise(world, "K1", "commune", nominee_name="Nguyễn Văn An", nominee_birth_year=1970)
    again = world.nominate(cell="K1", nominee_name="nguyen van an", nominee_birth_year=1970)
    fresh = world.nominate(cell="K1", nominee_name="Trần Thị Bình")
    web.login("sec_k1")
    text = web.get(f"/nominations/{again.id}").text
    assert "Đã có trong sổ vàng" in text
    assert 'data-field="earlier-recognitions"' in text
    assert "Có thể trùng hồ sơ trong đợt này" in text
    assert "Đã có trong sổ vàng" not in web.get(f"/nominations/{fresh.id}").text
    world.act(again, "sec_k1", "submit")
    reviewer = browser_of("rev_c1")
    assert "Đã có trong sổ vàng" in reviewer.get(f"/nominations/{again.id}").text
