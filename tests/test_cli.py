"""CLI commands: CSV imports (idempotent, all-or-nothing, errors naming line and column), demo."""

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from workflow.models import Campaign, Nomination, Unit, User

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


def test_seed_demo_is_idempotent_and_covers_every_state(cli, session):
    assert "Demo loaded" in cli("seed-demo").output
    assert "nothing changed" in cli("seed-demo").output
    # Phú Thọ's tree of before 2025, and Lai Châu's two tiers (communes under the province).
    assert session.scalar(select(func.count()).select_from(Campaign)) == 2
    assert session.scalar(select(Unit.path).where(Unit.code == "LC-BL-NL")) == "/LC/LC-BL/LC-BL-NL/"
    states = set(session.scalars(select(Nomination.state)))
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


def test_reorganise_demo_moves_the_campaign_across_2025(cli, session):
    assert "load the demo first" in cli("reorganise-demo").output
    cli("seed-demo")
    pending = session.scalar(
        select(Nomination).where(Nomination.nominee_name == "Trần Văn Bình")
    )  # approved by the commune, waiting at the district of Cẩm Khê
    assert (pending.state, pending.pending_unit.code) == ("district_review", "PT-CK")
    session.rollback()  # SQLite: the CLI needs the write lock this read took
    output = cli("reorganise-demo").output
    assert "3 nominations changed" in output, output
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
