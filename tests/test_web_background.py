"""The web side of the background work: final lists, failed notices, set-password e-mail."""

from conftest import read_mail
from sqlalchemy import select

from tasks import notices
from workflow.models import OutboxMessage, User

BASE_URL = "http://127.0.0.1:5000"  # config.Default.BASE_URL: where e-mailed links point


def test_a_new_account_without_a_password_is_mailed_its_link(web, db_session, dispatching):
    web.login("adm_p")
    created = web.post(
        "/admin/users",
        {
            "username": "moi",
            "full_name": "Nguyễn Thị Mới",
            "email": "moi@example.org",
            "role": "secretary",
            "unit_code": "K2",
            "password": "",
        },
        token_from="/admin/users",
    )
    assert created.status_code == 302
    [message] = read_mail(dispatching)
    assert message["To"] == "moi@example.org"
    assert message["Subject"] == "[Điển hình tiên tiến] Đặt mật khẩu cho tài khoản moi"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Kính gửi đồng chí Nguyễn Thị Mới" in text
    assert "72 giờ" in text
    link = next(line for line in text.splitlines() if line.startswith(BASE_URL))
    assert f'href="{link}"' in html
    row = db_session.scalar(select(OutboxMessage).where(OutboxMessage.notice == "set_password"))
    db_session.refresh(row)
    assert (row.status, row.attempts) == ("sent", 1)
    # The link in the message is the one that works.
    page = web.get(link.removeprefix(BASE_URL))
    assert page.status_code == 200
    assert 'name="password"' in page.text


def test_set_password_notice_in_english_escapes_the_name(app, world):
    row = OutboxMessage(
        key="set_password-1-1-1",
        notice="set_password",
        recipient_email="a@b.vn",
        language="en",
        context={
            "username": "an",
            "full_name": "An <b>bold</b>",
            "link": "http://127.0.0.1:5000/set-password/abc",
        },
    )
    with app.app_context():
        subject, text, html = notices.render(row)
    assert subject == "[Exemplars] Set the password of your account an"
    assert "Dear An <b>bold</b>," in text
    assert "An &lt;b&gt;bold&lt;/b&gt;" in html
    assert 'href="http://127.0.0.1:5000/set-password/abc"' in html
    assert "72 hours" in text


def test_imported_accounts_receive_their_links_by_mail(web, db_session, dispatching):
    web.login("adm_p")
    text = (
        "username,full_name,email,role,unit_code,password\n"
        "n1,Người Một,n1@example.org,secretary,K1,\n"
        "n2,Người Hai,n2@example.org,secretary,K2,\n"
        "n3,Người Ba,n3@example.org,reviewer,C1,mat-khau-dai\n"
    )
    done = web.post("/admin/import/users", {"text": text, "action": "import"}, token_from="/")
    assert done.status_code == 200
    assert sorted(message["To"] for message in read_mail(dispatching)) == [
        "n1@example.org",
        "n2@example.org",
    ]
    assert db_session.scalar(select(User.needs_password).where(User.username == "n3")) is False
