"""The security review of issue 7, point by point: each test failed on the code before it.

The points about files and documents (evidence names, files that agree with the commit, list
numbers, list-file checks) are in tests/test_security_files.py.

Two provinces share one database here: P (the World's) and Q, each with its own administrator;
nothing one administrator does may reach the other province.
"""

import re

import pytest
from conftest import WebUser, World
from sqlalchemy import select

from tasks import mail
from web import EXIT_NOT_CONFIGURED, create_app
from web.database import db
from workflow import accounts, imports, policy
from workflow.models import Unit, User, utcnow

CSV_ERROR_ROW = re.compile(r'<tr><td class="num">(\d+)</td><td>([a-z_]+)</td>')
USERS_HEADER = "username,full_name,email,role,unit_code,password\n"
UNITS_HEADER = "code,name,level,parent_code\n"


@pytest.fixture
def other_province(world, db_session):
    """Province Q with a district, a cell and an administrator, beside the World's P."""
    parent = None
    for code, name, level in (
        ("Q", "Tỉnh ủy Vĩnh Phúc", "province"),
        ("QD", "Huyện ủy Tam Dương", "district"),
        ("QK", "Chi bộ thôn Đông", "cell"),
    ):
        path = (parent.path if parent else "/") + code + "/"
        unit = Unit(code=code, name=name, level=level, parent=parent, path=path)
        db_session.add(unit)
        world.units[code] = unit
        parent = unit
    world.add_user("adm_q", "admin", "Q", email="adm_q@vinhphuc.example")
    db_session.flush()
    return world.units["Q"]


def _errors(session, actor, kind, text):
    errors, counts = imports.preview(session, actor, kind, text)
    return [(error.line, error.column) for error in errors], counts


# Account takeover: CSV imports stay inside the importer's subtree.


def test_an_import_cannot_take_over_another_provinces_administrator(
    world, other_province, db_session
):
    attacker = world.users["adm_p"]
    victim = world.users["adm_q"]
    row = "adm_q,Kẻ gian,attacker@evil.example,admin,{unit},Mat-khau-moi-2026\n"
    for unit in ("Q", "P"):  # left where it is, or pulled into the attacker's province
        text = USERS_HEADER + row.format(unit=unit)
        errors, counts = _errors(db_session, attacker, "users", text)
        assert counts is None
        assert errors == [(2, "unit_code" if unit == "Q" else "username")]
        with pytest.raises(imports.ImportError_) as refused:
            imports.import_users(db_session, attacker, text)
        assert refused.value.line == 2
    assert victim.email == "adm_q@vinhphuc.example"
    assert accounts.authenticate(db_session, "adm_q", "Mat-khau-moi-2026") is None


def test_an_import_cannot_reparent_or_rename_another_provinces_units(
    world, other_province, db_session
):
    attacker = world.users["adm_p"]
    moved = UNITS_HEADER + "QD,Huyện ủy Tam Dương,district,P\n"
    assert _errors(db_session, attacker, "units", moved) == ([(2, "code")], None)
    under = UNITS_HEADER + "X1,Xã lạ,commune,QD\n"
    assert _errors(db_session, attacker, "units", under) == ([(2, "parent_code")], None)
    root = UNITS_HEADER + "R,Tỉnh ủy mới,province,\n"
    assert _errors(db_session, attacker, "units", root) == ([(2, "parent_code")], None)
    assert world.units["QD"].path == "/Q/QD/"
    assert db_session.scalar(select(Unit).where(Unit.code.in_(["X1", "R"]))) is None


def test_district_administrators_import_inside_their_district_only(world, db_session):
    district_admin = world.users["adm_d1"]
    inside = UNITS_HEADER + "C9,Đảng ủy xã Mới,commune,D1\nK9,Chi bộ 9,cell,C9\n"
    assert imports.import_units(db_session, district_admin, inside) == (2, 0)
    outside = UNITS_HEADER + "C8,Đảng ủy xã Khác,commune,D2\n"
    assert _errors(db_session, district_admin, "units", outside) == ([(2, "parent_code")], None)
    users = USERS_HEADER + "new_k9,Người mới,new@example.org,secretary,K9,\n"
    assert imports.import_users(db_session, district_admin, users) == (1, 0)
    neighbour = USERS_HEADER + "sec_k4,Người dùng sec_k4,sec_k4@example.org,secretary,K9,\n"
    assert _errors(db_session, district_admin, "users", neighbour) == ([(2, "username")], None)


def test_an_import_cannot_change_the_importers_own_role_or_unit(world, db_session):
    admin = world.users["adm_d1"]
    for role, unit, column in (("reviewer", "D1", "role"), ("admin", "C1", "unit_code")):
        text = USERS_HEADER + f"adm_d1,Người dùng adm_d1,adm_d1@example.org,{role},{unit},\n"
        assert _errors(db_session, admin, "users", text) == ([(2, column)], None)
    assert (admin.role, admin.unit.code) == ("admin", "D1")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short1", "at least 8 characters"),
        ("123456789", "one of the commonest passwords"),
        ("Matkhau123", None),
        ("anhyeuem", "one of the commonest passwords"),
        ("new_user", "the same as the username"),
    ],
)
def test_imported_passwords_follow_the_forms_rule(world, db_session, password, problem):
    text = USERS_HEADER + f"new_user,Người mới,new@example.org,secretary,K1,{password}\n"
    errors, counts = imports.preview(db_session, world.users["adm_p"], "users", text)
    if problem is None:
        assert (errors, counts) == ([], (1, 0))
    else:
        assert [(error.line, error.column, error.message) for error in errors] == [
            (2, "password", problem)
        ]


def test_the_import_page_is_scoped_like_the_import(web, world, db_session):
    web.login("adm_d1")
    url = "/admin/import/users"
    text = USERS_HEADER + "adm_p,Kẻ gian,attacker@evil.example,admin,D1,Mat-khau-moi-2026\n"
    answer = web.post(url, {"text": text, "action": "import"}, token_from=url)
    assert answer.status_code == 422
    assert CSV_ERROR_ROW.findall(answer.text) == [("2", "username")]
    assert db_session.scalar(select(User.email).where(User.username == "adm_p")) == (
        "adm_p@example.org"
    )


def test_the_cli_imports_as_the_operator_or_as_a_named_administrator(
    app, world, db_session, tmp_path
):
    db_session.commit()  # a savepoint: the command's session shares the test's connection
    path = tmp_path / "units.csv"
    path.write_text(UNITS_HEADER + "R,Tỉnh ủy mới,province,\n", encoding="utf-8")
    runner = app.test_cli_runner()
    scoped = runner.invoke(args=["import-units", str(path), "--as", "adm_d1"])
    assert scoped.exit_code == 1
    assert "line 2, column parent_code" in scoped.output
    assert "nothing was imported" in scoped.output
    unknown = runner.invoke(args=["import-units", str(path), "--as", "sec_k1"])
    assert "no active administrator" in unknown.output
    operator = runner.invoke(args=["import-units", str(path)])
    assert operator.exit_code == 0, operator.output
    assert "1 created" in operator.output
    assert policy.can_add_province(policy.OPERATOR)
    assert not policy.can_add_province(world.users["adm_p"])


# The default SECRET_KEY is public: there is none any more.


@pytest.fixture
def keep_hash_profile(monkeypatch):
    """create_app chooses the process's argon2 profile: put the tests' cheap one back after."""
    monkeypatch.setattr(accounts, "_hasher", accounts._hasher)


@pytest.mark.parametrize("environment", ["development", "production"])
def test_no_secret_key_means_no_start_outside_debug_and_testing(
    monkeypatch, tmp_path, capsys, environment, keep_hash_profile
):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    settings = {"ENVIRONMENT": environment, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    with pytest.raises(SystemExit) as refused:
        create_app(settings)
    assert refused.value.code == EXIT_NOT_CONFIGURED  # gunicorn stops instead of respawning
    message = capsys.readouterr().err.strip()
    assert "\n" not in message
    assert "SECRET_KEY is not set" in message
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert create_app(settings).config["SECRET_KEY"] == "from-the-environment"


def test_debug_and_testing_without_a_key_sign_with_a_random_one(
    monkeypatch, tmp_path, keep_hash_profile
):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    keys = {
        create_app({"ENVIRONMENT": name, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}).config[
            "SECRET_KEY"
        ]
        for name in ("development", "testing", "development")
    }
    assert len(keys) == 3
    assert all(len(key) >= 64 for key in keys)


# One login throttle for both doors.

API = "/api/v1"


def _token_attempt(client, username, password, address="127.0.0.1", **headers):
    return client.post(
        f"{API}/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def test_the_api_token_door_is_throttled_with_the_login_page(web, client, world):
    for _ in range(5):
        assert _token_attempt(client, "sec_k1", "wrong").status_code == 401
    blocked = _token_attempt(client, "sec_k1", "secret-pass")
    assert blocked.status_code == 429
    assert blocked.mimetype == "application/problem+json"
    assert blocked.json["status"] == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    page = web.post("/login", {"username": "sec_k1", "password": "secret-pass"})
    assert page.status_code == 429  # the page counts the API's failures: one throttle
    assert "Retry-After" in page.headers
    assert "Đăng nhập sai quá nhiều lần" in page.text


def test_a_stranger_cannot_lock_a_user_out_from_their_own_address(client, world):
    for number in range(5):
        assert _token_attempt(client, "sec_k1", "wrong", f"203.0.113.{number}").status_code == 401
    # Five failures, but none from the user's own address: the user still gets in.
    assert _token_attempt(client, "sec_k1", "secret-pass", "198.51.100.7").status_code == 200
    for number in range(5, 25):
        _token_attempt(client, "sec_k1", "wrong", f"203.0.113.{number}")
    # Twenty failures on the username from everywhere: the looser limit slows everyone.
    assert _token_attempt(client, "sec_k1", "secret-pass", "198.51.100.7").status_code == 429


def test_a_success_clears_its_own_bucket(client, world):
    for _ in range(4):
        _token_attempt(client, "sec_k1", "wrong")
    assert _token_attempt(client, "sec_k1", "secret-pass").status_code == 200
    for _ in range(4):
        assert _token_attempt(client, "sec_k1", "wrong").status_code == 401
    assert _token_attempt(client, "sec_k1", "secret-pass").status_code == 200


@pytest.mark.parametrize(("proxies", "separate"), [(0, False), (1, True)])
def test_forwarded_addresses_count_only_behind_trusted_proxies(
    database_url, proxies, separate, keep_hash_profile
):
    from web.throttle import login_throttle

    proxied = create_app(
        {
            "ENVIRONMENT": "testing",
            "DATABASE_URL": database_url,
            "TRUSTED_PROXIES": proxies,
            "LOGIN_LIMIT_PER_ADDRESS": "2 per 15 minutes",
        }
    )
    client = proxied.test_client()
    with proxied.app_context():
        login_throttle.reset()
    for number in (1, 2):
        _token_attempt(client, f"nobody{number}", "x", **{"X-Forwarded-For": "192.0.2.1"})
    other = _token_attempt(client, "nobody3", "x", **{"X-Forwarded-For": "192.0.2.2"})
    # Behind one trusted proxy, 192.0.2.2 is another person; without it, a header anyone writes.
    assert other.status_code == (401 if separate else 429)
    proxied.extensions["database"].engine.dispose()


# Logout ends the session on the server; log out everywhere; changes revoke tokens.


def _copy_of(web, app):
    """Another browser holding a copy of `web`'s session cookie (as a thief would)."""
    thief = WebUser(app.test_client(), web.session)
    thief.client.set_cookie("session", web.client.get_cookie("session").value)
    return thief


def test_a_copied_cookie_dies_with_the_logout(web, app, world):
    web.login("sec_k1")
    thief = _copy_of(web, app)
    assert thief.get("/").status_code == 200
    assert web.post("/logout", token_from="/").status_code == 302
    assert thief.get("/").status_code == 302  # to the login page


def test_log_out_everywhere_ends_every_session_and_token(web, app, client, world, auth):
    web.login("sec_k1")
    phone = _copy_of(web, app)
    other = WebUser(app.test_client(), web.session).login("sec_k1")
    headers = auth("sec_k1")
    assert web.get("/account").status_code == 200
    answer = web.post("/logout/everywhere", token_from="/account")
    assert answer.status_code == 302
    for browser in (web, phone, other):
        assert browser.get("/").status_code == 302
    assert client.get(f"{API}/me", headers=headers).status_code == 401


def test_a_role_or_unit_change_on_the_admin_page_revokes_api_tokens(
    web, client, world, db_session, auth
):
    headers = auth("sec_k1")
    secretary = world.users["sec_k1"]
    web.login("adm_p")
    url = f"/admin/users/{secretary.id}"
    changed = web.post(url, {"role": "secretary", "unit_code": "K2"}, token_from=url)
    assert changed.status_code == 302
    assert client.get(f"{API}/me", headers=headers).status_code == 401


def test_delete_token_with_trailing_whitespace_revokes_it(client, world, auth):
    headers = auth("sec_k1")
    spaced = {"Authorization": headers["Authorization"] + "   "}
    assert client.delete(f"{API}/auth/token", headers=spaced).status_code == 204
    assert client.get(f"{API}/me", headers=headers).status_code == 401


def WebUserFor(app, web):
    from conftest import WebUser

    return WebUser(app.test_client(), web.session)


# Nobody decides on a nomination they wrote or that names them.


@pytest.mark.parametrize(
    "nominee_email", ["rev_c1@example.org", " REV_C1@Example.org ", "rev_c1+khen@example.org"]
)
def test_a_reviewer_cannot_decide_on_a_nomination_naming_them(client, world, auth, nominee_email):
    nomination = world.nominate(nominee_email=nominee_email)
    world.act(nomination, "sec_k1", "submit")
    answer = client.post(
        f"{API}/nominations/{nomination.id}/actions/approve",
        json={"version": nomination.version},
        headers=auth("rev_c1"),
    )
    assert answer.status_code == 403


def test_a_reviewer_cannot_decide_on_a_nomination_they_wrote(client, world, auth, db_session):
    author = world.users["sec_k1"]
    nomination = world.nominate()
    world.act(nomination, "sec_k1", "submit")
    accounts.assign(db_session, author, role="reviewer", unit=world.units["C1"])
    assert not policy.can(author, "approve", nomination)
    answer = client.post(
        f"{API}/nominations/{nomination.id}/actions/approve",
        json={"version": nomination.version},
        headers=auth("sec_k1"),
    )
    assert answer.status_code == 403


# /dev/mail holds set-password links: administrators only, even on a debug server.


def test_debug_mail_page_lists_the_eml_files_to_administrators(database_url, tmp_path, committed):
    mail_dir = tmp_path / "mail"
    message = mail.build(
        key="submitted-1-rev@example.org",
        mail_from="commend <no-reply@commend.local>",
        to="rev@example.org",
        subject="Hồ sơ mới chờ xét duyệt: Nguyễn Văn An",
        text="Nội dung",
        html="<p>Nội dung <b>HTML</b></p>",
        language="vi",
        date=utcnow(),
    )
    path = mail.FileBackend(mail_dir).send(message)
    settings = {"ENVIRONMENT": "testing", "DATABASE_URL": database_url, "MAIL_DIR": str(mail_dir)}
    quiet = create_app(settings)
    assert quiet.test_client().get("/dev/mail/").status_code == 404

    debug = create_app({**settings, "DEBUG": True})
    with debug.app_context():
        World(db.session)
        db.session.commit()
    anonymous = debug.test_client().get("/dev/mail/")
    assert anonymous.status_code == 302  # to the login page: the mails hold set-password links
    secretary = WebUser(debug.test_client()).login("sec_k1")
    assert secretary.get("/dev/mail/").status_code == 403
    assert secretary.get(f"/dev/mail/{path.name}").status_code == 403
    client = WebUser(debug.test_client()).login("adm_p")
    index = client.get("/dev/mail/")
    assert index.status_code == 200
    assert "Hồ sơ mới chờ xét duyệt: Nguyễn Văn An" in index.get_data(as_text=True)
    shown = client.get(f"/dev/mail/{path.name}")
    assert shown.status_code == 200
    assert "Nội dung" in shown.get_data(as_text=True)
    assert client.get("/dev/mail/..%2Fsecret.eml").status_code == 404
    for app in (quiet, debug):
        app.extensions["database"].engine.dispose()


def test_the_sweep_forgets_sessions_that_ended_a_day_ago(app, web, world, db_session):
    import datetime as dt

    from tasks.outbox import sweep
    from workflow.models import BrowserSession

    web.login("sec_k1")
    web.post("/logout", token_from="/")
    web.login("sec_k1")
    rows = db_session.scalars(select(BrowserSession).order_by(BrowserSession.id)).all()
    assert len(rows) == 2
    rows[0].expires_at = utcnow() - dt.timedelta(days=2)
    db_session.commit()
    with app.app_context():
        sweep(None)
    assert db_session.scalars(select(BrowserSession.id)).all() == [rows[1].id]
    assert web.get("/").status_code == 200
