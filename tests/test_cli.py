"""CLI commands: CSV imports (idempotent, all-or-nothing, errors naming line and column), demo."""

import hashlib
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from workflow import accounts, campaigns, comments, committees, demo, options, services
from workflow.models import (
    Campaign,
    DayOff,
    HistoryEntry,
    Meeting,
    Nomination,
    PublicComment,
    Unit,
    User,
)

UNITS = """code,name,level,parent_code
HN,Thành ủy Hà Nội,province,
HN-BD,Quận ủy Ba Đình,district,HN
HN-BD-PX,Đảng ủy phường Phúc Xá,commune,HN-BD
HN-BD-PX-1,Chi bộ tổ dân phố 1,cell,HN-BD-PX
HN-BD-YT,Chi bộ Trung tâm Y tế quận,cell,HN-BD
"""

USERS = """username,full_name,email,role,unit_code,password
lan,Nguyễn Thị Lan,lan@hanoi.example,secretary,HN-BD-PX-1,mat-khau-1
minh,Trần Văn Minh,minh@hanoi.example,reviewer,HN-BD-PX,
"""


@pytest.fixture
def cli(app, committed):
    """Run a CLI command against the app's real (committed) database."""
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(args=list(args), catch_exceptions=False)

    return run


@pytest.fixture
def session(committed):
    session = sessionmaker(bind=committed)()
    yield session
    session.close()


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_units_is_idempotent(cli, session, tmp_path):
    path = write(tmp_path, "units.csv", UNITS)
    first = cli("import-units", path)
    assert first.exit_code == 0, first.output
    assert "5 created, 0 updated" in first.output
    again = cli("import-units", path)
    assert "0 created, 0 updated" in again.output
    units = {unit.code: unit for unit in session.scalars(select(Unit))}
    assert units["HN-BD-PX-1"].path == "/HN/HN-BD/HN-BD-PX/HN-BD-PX-1/"
    assert units["HN-BD-YT"].parent.code == "HN-BD"


def test_import_units_moves_a_subtree(cli, session, tmp_path):
    cli("import-units", write(tmp_path, "units.csv", UNITS))
    moved = UNITS + "HN-TH,Quận ủy Tây Hồ,district,HN\n"
    moved = moved.replace(
        "HN-BD-PX,Đảng ủy phường Phúc Xá,commune,HN-BD",
        "HN-BD-PX,Đảng ủy phường Phúc Xá,commune,HN-TH",
    )
    result = cli("import-units", write(tmp_path, "moved.csv", moved))
    assert "1 created, 1 updated" in result.output
    cell = session.scalar(select(Unit).where(Unit.code == "HN-BD-PX-1"))
    assert cell.path == "/HN/HN-TH/HN-BD-PX/HN-BD-PX-1/"


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("X1,Xã Một,town,HN-BD", "line 7, column level"),
        ("X1,Xã Một,commune,NOPE", "line 7, column parent_code"),
        ("X1,Xã Một,province,HN", "line 7, column parent_code"),
        ("X1,Xã Một,district,HN-BD-PX", "line 7, column level"),
        ("X 1,Xã Một,commune,HN-BD", "line 7, column code"),
        (",Xã Một,commune,HN-BD", "line 7, column code"),
        ("HN-BD,Trùng mã,district,HN", "line 7, column code"),
        ("X1,Xã Một,commune", "line 7"),
    ],
)
def test_a_bad_unit_row_names_line_and_column_and_writes_nothing(
    cli, session, tmp_path, row, where
):
    result = cli_fail(cli, "import-units", write(tmp_path, "units.csv", UNITS + row + "\n"))
    assert where in result.output
    assert "nothing was imported" in result.output
    assert session.scalar(select(func.count()).select_from(Unit)) == 0


def cli_fail(cli, *args):
    result = cli(*args)
    assert result.exit_code != 0
    return result


def test_import_units_header_must_match(cli, session, tmp_path):
    result = cli_fail(cli, "import-units", write(tmp_path, "u.csv", "code,name,level\nA,B,cell\n"))
    assert "line 1, column parent_code" in result.output


def test_import_users(cli, session, tmp_path):
    cli("import-units", write(tmp_path, "units.csv", UNITS))
    path = write(tmp_path, "users.csv", USERS)
    assert "2 created, 0 updated" in cli("import-users", path).output
    assert "0 created, 0 updated" in cli("import-users", path).output
    users = {user.username: user for user in session.scalars(select(User))}
    assert users["lan"].password_hash.startswith("$argon2id$")
    assert not users["lan"].needs_password
    assert users["minh"].password_hash is None
    assert users["minh"].needs_password


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("an,An,an@hanoi.example,reviewer,HN-BD-PX-1,", "line 4, column unit_code"),
        ("an,An,an@hanoi.example,secretary,HN-BD,", "line 4, column unit_code"),
        ("an,An,not-an-email,secretary,HN-BD-PX-1,", "line 4, column email"),
        ("an,An,an@hanoi.example,boss,HN-BD,", "line 4, column role"),
        ("an,An,an@hanoi.example,admin,NOPE,", "line 4, column unit_code"),
        ("lan,Lan,lan@hanoi.example,admin,HN,", "line 4, column username"),
    ],
)
def test_a_bad_user_row_writes_nothing(cli, session, tmp_path, row, where):
    cli("import-units", write(tmp_path, "units.csv", UNITS))
    result = cli_fail(cli, "import-users", write(tmp_path, "users.csv", USERS + row + "\n"))
    assert where in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0


@pytest.fixture
def demo_files(app, tmp_path, monkeypatch):
    """Where the demo's files go (the paper meeting's scanned minutes)."""
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    return tmp_path / "attachments"


def test_seed_demo_is_idempotent_and_covers_every_state(cli, session, demo_files):
    assert "Demo loaded" in cli("seed-demo").output
    assert "nothing changed" in cli("seed-demo").output
    # Phú Thọ's tree of before 2025 with two campaigns, and Lai Châu's two tiers (communes
    # under the province) with one.
    assert session.scalar(select(func.count()).select_from(Campaign)) == 3
    assert session.scalar(select(Unit.path).where(Unit.code == "LC-BL-NL")) == "/LC/LC-BL/LC-BL-NL/"
    first = session.scalar(select(Campaign.id).where(Campaign.name == demo.CAMPAIGN))
    states = set(session.scalars(select(Nomination.state).where(Nomination.campaign_id == first)))
    assert states == {
        "draft",
        "commune_review",
        "district_review",
        "province_review",
        "returned",
        "commended",
        "rejected",
        "withdrawn",
    }
    roles = set(session.scalars(select(User.role)))
    assert roles == {"admin", "reviewer", "secretary"}


def test_the_demo_decides_by_committee_within_a_quota_and_after_public_comment(
    app, cli, session, demo_files
):
    loaded = cli("seed-demo").output
    assert "nothing changed" in cli("seed-demo").output
    today = services.today()
    campaign = session.scalar(select(Campaign).where(Campaign.name == demo.DECISIONS_CAMPAIGN))
    assert (
        f"Names open for public comment: http://127.0.0.1:5000/public/campaigns/{campaign.id}"
        in (loaded)
    )
    assert options.of_level(campaign, "district")["decision"] == "committee"
    assert options.of_level(campaign, "province")["comment_days"] == 5
    district = session.scalar(select(Unit).where(Unit.code == "PT-CK"))
    committee = committees.committee_of(session, district)
    assert committee.size == 5
    assert sorted(member.user.username for member in committee.members) == list(demo.MEMBERS)
    usage = campaigns.quota_usage(session, campaign, district)
    assert (usage["collective"]["limit"], usage["collective"]["used"]) == (2, 1)
    assert (usage["individual"]["limit"], usage["individual"]["used"]) == (3, 2)

    paper, closed, opened = session.scalars(
        select(Meeting).where(Meeting.campaign_id == campaign.id).order_by(Meeting.id)
    ).all()
    assert (paper.mode, paper.status, paper.present, paper.quorate) == ("paper", "closed", 5, True)
    assert paper.held_on < today
    scan = (demo_files / paper.scan["key"]).read_bytes()
    assert scan.startswith(b"%PDF-")
    assert scan.rstrip().endswith(b"%%EOF")
    assert hashlib.sha256(scan).hexdigest() == paper.scan["sha256"]
    assert (closed.mode, closed.status, closed.present) == ("app", "closed", 4)
    assert closed.closes_on < today
    assert (opened.mode, opened.status) == ("app", "open")
    assert opened.held_on < today <= opened.closes_on
    assert committees.ballots_cast(session, opened) == 2

    tallies = {
        entry.nomination.nominee_name: entry.details
        for entry in session.scalars(select(HistoryEntry).where(HistoryEntry.action == "vote"))
    }
    assert len(tallies) == 8
    assert (tallies["Bùi Thị Ngọc"]["agree"], tallies["Bùi Thị Ngọc"]["passed"]) == (3, True)
    assert (tallies["Đinh Văn Tuấn"]["agree"], tallies["Đinh Văn Tuấn"]["passed"]) == (2, False)
    recognised = session.scalar(
        select(Nomination).where(Nomination.nominee_name == "Nguyễn Văn Hải")
    )
    assert (recognised.state, recognised.recognized_level) == ("commended", "province")

    open_now = comments.published(session, campaign, on=today)
    assert {nomination.nominee_name for _publication, nomination in open_now} == {
        "Chi hội Cựu chiến binh thôn Đồng Hội",
        "Hà Văn Sáu",
    }
    assert all(publication.ends_on > today for publication, _nomination in open_now)
    assert session.scalar(select(func.count()).select_from(PublicComment)) == 2
    assert session.scalar(select(func.count()).select_from(DayOff)) == 1
    url = f"/public/campaigns/{campaign.id}"
    session.rollback()  # SQLite: end the read (BEGIN IMMEDIATE), so that the request may begin
    page = app.test_client().get(url)
    assert page.status_code == 200
    assert "Hà Văn Sáu" in page.text
    assert "havansau@example.vn" not in page.text
    for username in (*demo.MEMBERS, "bithu3"):
        assert accounts.authenticate(session, username, demo.DEMO_PASSWORD) is not None


def test_reorganise_demo_moves_the_campaigns_across_2025(cli, session, demo_files):
    assert "load the demo first" in cli("reorganise-demo").output
    cli("seed-demo")
    pending = session.scalar(
        select(Nomination).where(Nomination.nominee_name == "Trần Văn Bình")
    )  # approved by the commune, waiting at the district of Cẩm Khê
    assert (pending.state, pending.pending_unit.code) == ("district_review", "PT-CK")
    session.rollback()  # SQLite: the CLI needs the write lock this read took
    output = cli("reorganise-demo").output
    # Three of the first campaign, five of the one decided by committee votes.
    assert "8 nominations changed" in output, output
    session.expire_all()
    assert (pending.state, pending.pending_unit.code) == ("province_review", "PT")
    units = {unit.code: unit for unit in session.scalars(select(Unit))}
    assert units["PT-CK"].retired
    assert units["PT-LT"].retired
    assert units["PT-CK-TL-DH"].path == "/PT/PT-CKX/PT-CK-TL-DH/"
    assert units["PT-LT-YT"].path == "/PT/PT-LT-TT/PT-LT-YT/"
    assert units["PT-LT-TT"].name == "Đảng ủy xã Lâm Thao"
    users = {user.username: user for user in session.scalars(select(User))}
    assert users["xa"].unit.code == "PT-CKX"
    assert users["xa"].active
    assert not users["huyen"].active
    session.rollback()
    assert "nothing changed" in cli("reorganise-demo").output
    assert "nothing changed" in cli("seed-demo").output


def test_reorganise_previews_unless_told_to_apply(cli, session, tmp_path):
    cli("import-units", write(tmp_path, "units.csv", UNITS))
    path = write(tmp_path, "reorganisation.csv", "old_code,new_code\nHN-BD,HN\n")
    preview = cli("reorganise", path, "--reason", "Nghị quyết 60-NQ/TW")
    assert "would change" in preview.output
    assert "unit HN-BD: dissolved" in preview.output
    assert not session.scalar(select(Unit).where(Unit.code == "HN-BD")).retired
    session.rollback()
    applied = cli("reorganise", path, "--reason", "Nghị quyết 60-NQ/TW", "--apply")
    assert re.search(r"changed \(reorganisation \d+\)", applied.output)
    assert session.scalar(select(Unit.path).where(Unit.code == "HN-BD-PX")) == "/HN/HN-BD-PX/"
    session.rollback()
    bad = write(tmp_path, "bad.csv", "old_code,new_code\nHN-BD-PX,HN-X\n")
    result = cli("reorganise", bad, "--reason", "x", "--apply")
    assert result.exit_code != 0
    assert "line 2, column name: is required for a new unit" in result.output


def test_workflow_diagram(cli):
    output = cli("workflow-diagram").output
    assert output.startswith("---") or "stateDiagram-v2" in output
    assert "draft --> commune_review: submit" in output
