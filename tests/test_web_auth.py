"""Login, logout, throttling, session endings and set-password links through the HTML pages."""

import time

import pytest
from itsdangerous import TimestampSigner

from web.auth.tokens import password_link
from workflow import administration
from workflow.models import User

WRONG = "Sai tên đăng nhập hoặc mật khẩu."


def test_pages_need_a_login(web):
    for url in ("/", "/nominations", "/queue", "/nominations/new", "/admin/units"):
        response = web.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_login_page_is_vietnamese_by_default(web):
    page = web.get("/login")
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Đăng nhập" in page.text


def test_unknown_user_wrong_password_and_disabled_account_read_the_same(web, world, db_session):
    world.users["sec_k2"].active = False
    db_session.flush()
    answers = [
        web.post("/login", {"username": "nobody", "password": "secret-pass"}),
        web.post("/login", {"username": "sec_k1", "password": "wrong-pass"}),
        web.post("/login", {"username": "sec_k2", "password": "secret-pass"}),
    ]
    for answer in answers:
        assert answer.status_code == 401
        assert WRONG in answer.text
    assert web.get("/").status_code == 302


def test_login_renews_the_session_and_keeps_the_language(web, client, world):
    web.get("/login?lang=en")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before login"
    response = web.post("/login", {"username": "sec_k1", "password": "secret-pass"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["lang"] == "en"
        assert session["_user_id"] == world.users["sec_k1"].get_id()
    assert "Dashboard" in web.get("/").text


def test_the_chosen_language_is_saved_on_the_user_at_login(web, world, db_session):
    web.get("/login?lang=en")
    web.login("sec_k1")
    db_session.refresh(world.users["sec_k1"])
    assert world.users["sec_k1"].language == "en"


def test_next_goes_only_to_this_site(web):
    local = web.post("/login?next=/queue", {"username": "sec_k1", "password": "secret-pass"})
    assert local.headers["Location"] == "/queue"
    web.post("/logout", token_from="/")
    # Nor an address that cannot be read (an unclosed "[" in the host).
    for target in (
        "https://evil.example/",
        "//evil.example/x",
        "javascript:alert(1)",
        "http://[::1",
        "http://[",
    ):
        credentials = {"username": "sec_k1", "password": "secret-pass"}
        answer = web.post(f"/login?next={target}", credentials)
        assert answer.headers["Location"] == "/"
        web.post("/logout", token_from="/")


def test_logout_is_a_post_with_a_token(web):
    web.login("sec_k1")
    assert web.get("/logout").status_code == 405
    assert web.post_raw("/logout").status_code == 400
    assert web.get("/").status_code == 200
    assert web.post("/logout", token_from="/").status_code == 302
    assert web.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(web):
    response = web.post_raw("/login", {"username": "sec_k1", "password": "secret-pass"})
    assert response.status_code == 400
    assert "mã bảo mật" in response.text


@pytest.mark.parametrize("ending", ["password", "disabled"])
def test_a_new_password_or_a_disabled_account_ends_open_sessions(web, world, db_session, ending):
    web.login("sec_k1")
    assert web.get("/").status_code == 200
    user = world.users["sec_k1"]
    if ending == "password":
        administration.set_password(db_session, user, "another-pass")
    else:
        administration.set_active(db_session, world.users["adm_p"], user, active=False)
    db_session.commit()
    assert web.get("/").status_code == 302


def test_failed_logins_are_throttled_per_username(web, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_USERNAME", "3 per 15 minutes")
    for _ in range(3):
        assert web.post("/login", {"username": "sec_k1", "password": "nope"}).status_code == 401
    blocked = web.post("/login", {"username": "sec_k1", "password": "secret-pass"})
    assert blocked.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in blocked.text
    # Another username from the same address is still served.
    assert web.post("/login", {"username": "sec_k2", "password": "secret-pass"}).status_code == 302


def test_failed_logins_are_throttled_per_address(web, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "4 per 15 minutes")
    for name in ("a1", "a2", "a3", "a4"):
        assert web.post("/login", {"username": name, "password": "nope"}).status_code == 401
    assert web.post("/login", {"username": "sec_k1", "password": "secret-pass"}).status_code == 429


def test_successful_logins_are_not_counted(web, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_USERNAME", "2 per 15 minutes")
    for _ in range(4):
        web.login("sec_k1")
        web.post("/logout", token_from="/")


def _link_path(app, user):
    with app.test_request_context():
        return password_link(user).removeprefix(app.config["BASE_URL"])


def test_set_password_link_sets_it_once(web, app, world, db_session):
    user = world.users["sec_k3"]
    user.password_hash, user.needs_password = None, True
    db_session.flush()
    path = _link_path(app, user)
    page = web.get(path)
    assert page.status_code == 200
    assert "Đặt mật khẩu" in page.text
    short = web.post(path, {"password": "short", "confirm": "short"}, token_from=path)
    assert short.status_code == 422
    assert "Từ 8 đến 200 ký tự" in short.text
    common = web.post(path, {"password": "iloveyou", "confirm": "iloveyou"}, token_from=path)
    assert common.status_code == 422
    assert "Mật khẩu này quá phổ biến" in common.text
    differ = web.post(path, {"password": "long-enough", "confirm": "other-one"}, token_from=path)
    assert "Hai mật khẩu không khớp." in differ.text
    done = web.post(path, {"password": "long-enough", "confirm": "long-enough"}, token_from=path)
    assert done.status_code == 302
    db_session.refresh(user)
    assert not user.needs_password
    assert web.get(path).status_code == 404  # the link died with its first use
    web.login("sec_k3", "long-enough")


def test_expired_and_forged_links_are_refused(web, app, world, monkeypatch):
    user = world.users["sec_k3"]
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 73 * 3600)
        old = _link_path(app, user)
    expired = web.get(old)
    assert expired.status_code == 404
    assert "hết hạn" in expired.text
    assert web.get("/set-password/forged.token.value").status_code == 404


def test_user_model_is_the_login_identity(world):
    user: User = world.users["sec_k1"]
    assert user.get_id() == str(user.id)
    assert user.is_active
    assert user.is_authenticated
    assert not user.is_anonymous


def test_a_new_password_revokes_api_tokens(client, world, db_session, auth):
    headers = auth("sec_k1")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    administration.set_password(db_session, world.users["sec_k1"], "another-pass")
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_two_web_workers_share_the_throttle_through_redis(database_url, monkeypatch):
    """With RATELIMIT_STORAGE_URI, every worker counts in the same Redis."""
    from conftest import service_missing
    from limits.storage import storage_from_string

    from web import create_app
    from web.throttle import login_throttle
    from workflow import accounts

    url = "redis://127.0.0.1:6379/15"
    try:
        reachable = storage_from_string(url).check()
    except Exception as error:  # any connection failure means: no Redis here
        reachable, reason = False, error
    else:
        reason = "check() failed"
    if not reachable:
        service_missing(f"Redis at {url} unreachable: {reason}")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", url)
    monkeypatch.setattr(accounts, "_hasher", accounts._hasher)
    settings = {
        "ENVIRONMENT": "testing",
        "DATABASE_URL": database_url,
        "LOGIN_LIMIT_PER_USERNAME_AND_ADDRESS": "3 per 15 minutes",
    }
    workers = [create_app(settings), create_app(settings)]
    with workers[0].app_context():
        login_throttle.reset()
    try:
        for _ in range(3):
            answer = (
                workers[0]
                .test_client()
                .post("/api/v1/auth/token", json={"username": "shared", "password": "wrong"})
            )
            assert answer.status_code == 401
        other = (
            workers[1]
            .test_client()
            .post("/api/v1/auth/token", json={"username": "shared", "password": "wrong"})
        )
        assert other.status_code == 429
    finally:
        with workers[0].app_context():
            login_throttle.reset()
        for worker in workers:
            worker.extensions["database"].engine.dispose()


def test_a_password_is_checked_as_it_was_typed(web, client, world, db_session):
    # Passwords are hashed as typed: a character the other fields turn or refuse is kept.
    typed = "pa\vss\x1bword-1"
    administration.set_password(db_session, world.users["sec_k1"], typed)
    db_session.commit()
    answer = web.post("/login", {"username": "sec_k1", "password": typed})
    assert answer.status_code == 302
    token = client.post("/api/v1/auth/token", json={"username": "sec_k1", "password": typed})
    assert token.status_code == 200, token.json
