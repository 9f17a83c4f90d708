"""E-mails as officials read them: greeted by name, the list-ready notice with its counts by kind,
to the requester and to the secretaries whose nominations are on the list, signed by the issuing
unit, from a Vietnamese sender."""

from email.utils import parseaddr

from conftest import read_mail
from list_files import build_campaign, recognise

from workflow import lists, services


def _issue(app, world, db_session, username="rev_d1"):
    made, _ = lists.request_list(
        db_session, world.users[username], world.campaign, world.units["D1"], on=services.today()
    )
    with app.app_context():  # dispatching: the list task, then its notices, run after the commit
        db_session.commit()
    db_session.refresh(made)
    assert made.status == "done", made.error
    return made


def _by_recipient(directory, subject_part):
    return {
        message["To"]: message
        for message in read_mail(directory)
        if subject_part in str(message["Subject"])
    }


def test_one_individual_reads_0_collectives_and_1_individual(app, world, db_session, dispatching):
    recognise(world, "KD", "district", nominee_name="Đặng Thị Ánh")
    _issue(app, world, db_session)
    mail = _by_recipient(dispatching, "01-DS/HU")
    text = mail["rev_d1@example.org"].get_body(("plain",)).get_content()
    assert text.startswith("Kính gửi đồng chí Người dùng rev_d1,")
    assert "gồm 0 tập thể và 1 cá nhân" in text
    assert "được công nhận điển hình tiên tiến cấp huyện, đợt điển hình 2026" in text
    assert text.rstrip().endswith(
        "Trân trọng,\nHuyện ủy Cẩm Khê\n\n--\n"
        "Thư tự động của hệ thống điển hình tiên tiến; vui lòng không trả lời thư này."
    )
    assert parseaddr(str(mail["rev_d1@example.org"]["From"]))[0] == "Hệ thống điển hình tiên tiến"


def test_the_list_reaches_the_secretaries_of_its_nominations(app, world, db_session, dispatching):
    build_campaign(world)  # on D1's list: a row each from K1, KD and K3; K2's and K4's are not
    world.users["sec_kd"].language = "en"
    made = _issue(app, world, db_session)
    mail = _by_recipient(dispatching, "01-DS/HU")
    assert set(mail) == {
        "rev_d1@example.org",
        "sec_k1@example.org",
        "sec_kd@example.org",
        "sec_k3@example.org",
    }
    requester = mail["rev_d1@example.org"].get_body(("html",)).get_content()
    assert "gồm 1 tập thể và 2 cá nhân" in requester
    assert f"/lists/{made.id}" in requester

    secretary = mail["sec_k3@example.org"].get_body(("plain",)).get_content()
    assert secretary.startswith("Kính gửi đồng chí Người dùng sec_k3,")
    assert "Phạm Hữu Ý" in secretary
    assert "Đặng Thị Ánh" not in secretary  # another cell's
    assert f"/lists/{made.id}" not in secretary  # a page the cell's secretary cannot open
    [own] = [row for row in made.rows if row["nominee_name"] == "Phạm Hữu Ý"]
    assert f"/nominations/{own['nomination_id']}" in secretary

    english = mail["sec_kd@example.org"].get_body(("plain",)).get_content()
    assert english.startswith("Dear Người dùng sec_kd,")
    assert "1 collective and 2 individuals" in english
    assert "Yours sincerely,\nHuyện ủy Cẩm Khê" in english


def test_workflow_notices_greet_the_recipient_by_name(app, world, db_session, dispatching):
    nomination = world.nominate(
        cell="K1", target="commune", nominee_name="Nguyễn Văn An", nominee_email="an@example.vn"
    )
    world.act(nomination, "sec_k1", "submit")
    collective = world.nominate(
        cell="K1",
        target="commune",
        kind="collective",
        nominee_name="Tổ hòa giải thôn Đồng Hội",
        nominee_email="to@example.vn",
    )
    world.act(collective, "sec_k1", "submit")
    world.act(nomination, "rev_c1", "approve")
    world.act(collective, "rev_c1", "approve")
    with app.app_context():
        db_session.commit()
    texts = {}
    for message in read_mail(dispatching):
        texts.setdefault(message["To"], []).append(message.get_body(("plain",)).get_content())
    assert all(
        text.startswith("Kính gửi đồng chí Người dùng rev_c1,")
        for text in texts["rev_c1@example.org"]
    )
    assert texts["an@example.vn"][0].startswith("Kính gửi đồng chí Nguyễn Văn An,")
    assert texts["to@example.vn"][0].startswith("Kính gửi Tổ hòa giải thôn Đồng Hội,")


def test_a_notice_written_before_the_counts_by_kind_says_the_total(app, world, db_session):
    from tasks import notices
    from workflow.models import OutboxMessage

    row = OutboxMessage(
        key="list_ready-old",
        notice="list_ready",
        recipient_email="rev_d1@example.org",
        language="vi",
        context={
            "list_id": 7,
            "number": "01-DS/HU",
            "unit": "Huyện ủy Cẩm Khê",
            "campaign": "Đợt điển hình 2026",
            "level": "district",
            "count": 3,
        },
    )
    with app.test_request_context():
        _subject, text, _html = notices.render(row)
    assert "gồm 3 tập thể, cá nhân." in text
    assert text.startswith("Kính gửi đồng chí,")  # no account, no nominee: nobody to name
