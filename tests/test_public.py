"""The public page: names open for comment today, shown to anyone without anything private, and
the comments anyone may send (checked, stored with the address and time, throttled per address)."""

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from workflow import attachments, campaigns, comments, files, services
from workflow.models import PublicComment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ADDRESS = "192.0.2.44"


def with_comment_period(world, days=5):
    campaign = world.campaign
    campaigns.amend(
        world.session,
        world.users["adm_p"],
        campaign,
        version=campaign.version,
        reason="Lấy ý kiến nhân dân trước khi công nhận",
        new_options={"district": {"comment_days": days}},
    )


def waiting_at_district(world, name, **fields):
    nomination = world.nominate(nominee_name=name, **fields)
    world.act(nomination, "sec_k1", "submit")
    world.act(nomination, "rev_c1", "approve")
    return nomination


def publish(world, nomination, on=None):
    return comments.publish(
        world.session, world.users["rev_d1"], nomination, on=on or services.today()
    )


def page_of(web, world, **kwargs):
    return web.get(f"/public/campaigns/{world.campaign.id}", **kwargs)


def text_of(page):
    """What a reader sees of the page's main part: the words, without the markup."""
    main = page[page.index("<main") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


@pytest.fixture
def published(world, db_session, tmp_path):
    """One name open for comment today, with everything private a nomination may carry."""
    with_comment_period(world)
    nomination = world.nominate(
        nominee_name="Nguyễn Thị Công Khai",
        summary="Vận động 40 hộ hiến đất mở đường liên thôn.",
        achievements="Chi tiết nội bộ: biên bản họp chi bộ số 7.",
        nominee_email="cong.khai@example.vn",
        nominee_birth_year=1961,
        nominee_position="Trưởng ban công tác Mặt trận",
    )
    attachments.add_attachment(
        db_session,
        nomination,
        world.users["sec_k1"],
        filename="minh-chung-bi-mat.png",
        data=PNG,
        store=files.LocalStore(tmp_path / "evidence"),
        max_bytes=1000,
    )
    world.act(nomination, "sec_k1", "submit")
    world.act(nomination, "rev_c1", "approve")
    publish(world, nomination)
    return nomination


def test_the_page_shows_the_published_names_to_anyone(web, world, published):
    page = page_of(web, world)
    assert page.status_code == 200
    seen = text_of(page.text)
    assert "Nguyễn Thị Công Khai" in seen
    assert world.units["K1"].name in seen  # the nominee's unit
    assert "Cá nhân" in seen  # the kind
    assert "Hiến đất làm đường" in seen  # the deed
    assert "Vận động 40 hộ hiến đất mở đường liên thôn." in seen  # the achievements' summary
    assert f"Do {world.units['D1'].name} xét công nhận (cấp huyện)" in seen  # who, which level
    ends_on = comments.published(world.session, world.campaign, on=services.today())[0][0].ends_on
    assert f"Ý kiến gửi đến hết ngày {ends_on:%d/%m/%Y}." in seen
    assert world.campaign.name in seen
    assert '<meta name="robots" content="noindex">' in page.text
    assert page.headers["X-Robots-Tag"] == "noindex"
    assert page.headers["Cache-Control"] == "no-store"


def test_the_page_leaks_nothing_private(web, world, published, db_session):
    comments.add_comment(
        db_session,
        world.campaign,
        published.id,
        name="Người góp ý khác",
        contact="0987 654 321",
        text="Ý kiến riêng gửi cán bộ thẩm định.",
        address="198.51.100.9",
        on=services.today(),
    )
    page = page_of(web, world).text
    for private in (
        "cong.khai@example.vn",
        "1961",
        "Trưởng ban công tác Mặt trận",
        "minh-chung",
        "/attachments",
        f"/nominations/{published.id}",
        "Chi tiết nội bộ",  # the full achievements stay with the reviewers
        "Người góp ý khác",
        "0987 654 321",
        "Ý kiến riêng",
        "198.51.100.9",
        world.users["sec_k1"].full_name,
        world.users["rev_d1"].full_name,
        "@example.org",
    ):
        assert private not in page, private


def test_only_names_open_today_are_shown(web, world, published, db_session):
    not_published = waiting_at_district(world, "Chưa Công Bố")
    reopened = waiting_at_district(world, "Đã Rút Công Bố")
    publish(world, reopened)
    comments.reopen(db_session, world.users["rev_d1"], reopened, reason="Xác minh lại ý kiến")
    ended = waiting_at_district(world, "Đã Hết Hạn")
    publish(world, ended, on=services.today() - dt.timedelta(days=40))
    withdrawn = waiting_at_district(world, "Đã Rút Hồ Sơ")
    publish(world, withdrawn)
    world.act(withdrawn, "sec_k1", "withdraw")
    returned = waiting_at_district(world, "Trả Lại Sau Công Bố")
    publish(world, returned)
    world.act(returned, "rev_d1", "return")
    resubmitted = waiting_at_district(world, "Nộp Lại Sau Công Bố")
    publish(world, resubmitted)
    world.act(resubmitted, "rev_d1", "return")
    world.act(resubmitted, "sec_k1", "resubmit")  # back at D1: its old publication counts no more
    page = page_of(web, world).text
    assert "Nguyễn Thị Công Khai" in page
    for name in (
        not_published,
        reopened,
        ended,
        withdrawn,
        returned,
        resubmitted,
    ):
        assert name.nominee_name not in page, name.nominee_name
    assert len(re.findall(r'class="card public-name"', page)) == 1


def test_a_page_without_names_says_so_and_an_unknown_campaign_is_a_friendly_404(web, world):
    empty = page_of(web, world)
    assert empty.status_code == 200
    assert "Hôm nay không có tên nào của đợt này đang được lấy ý kiến." in empty.text
    for url in ("/public/campaigns/999999", "/public/campaigns/abc", "/public/campaigns/0"):
        missing = web.get(url)
        assert missing.status_code == 404, url
        assert missing.mimetype == "text/html"
        assert "Không tìm thấy" in missing.text
        assert "/login" not in missing.text
        assert 'href="/"' not in missing.text


def test_the_page_has_no_logged_in_menu_even_for_a_reviewer(web, world, published):
    web.login("rev_d1")
    page = page_of(web, world).text
    assert "Nguyễn Thị Công Khai" in page
    assert world.users["rev_d1"].full_name not in page
    assert 'href="/queue"' not in page
    assert 'href="/nominations"' not in page
    assert 'href="/"' not in page
    assert "/logout" not in page
    assert "Tiếng Việt" in page
    assert "English" in page
    english = page_of(web, world, query_string={"lang": "en"}).text
    assert "Comments may be sent until the end of" in english


def _comment(web, world, nomination, address=ADDRESS, **fields):
    data = {
        "nomination_id": nomination.id,
        "name": "Trần Văn Dân",
        "contact": "0912 345 678",
        "text": "Gia đình bà hiến đất thật, tôi là hàng xóm xin xác nhận.",
        **fields,
    }
    return web.post(
        f"/public/campaigns/{world.campaign.id}/comments",
        data,
        token_from=f"/public/campaigns/{world.campaign.id}",
        environ_base={"REMOTE_ADDR": address},
    )


def _stored(db_session):
    return db_session.scalars(select(PublicComment).order_by(PublicComment.id)).all()


def test_a_comment_is_stored_with_the_address_and_time_then_thanked(web, world, published):
    before = dt.datetime.now(dt.UTC)
    answer = _comment(web, world, published, name="  Trần Văn Dân  ")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/public/campaigns/{world.campaign.id}")
    (stored,) = _stored(web.session)
    assert (stored.nomination_id, stored.name, stored.contact, stored.address) == (
        published.id,
        "Trần Văn Dân",
        "0912 345 678",
        ADDRESS,
    )
    assert stored.text == "Gia đình bà hiến đất thật, tôi là hàng xóm xin xác nhận."
    assert before <= stored.at <= dt.datetime.now(dt.UTC)
    thanked = web.get(answer.headers["Location"]).text
    assert "Cảm ơn. Ý kiến của bạn đã được gửi đến cán bộ xét duyệt." in thanked
    assert "xin xác nhận" not in thanked  # the comment itself is not shown back


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Vui lòng nhập trường này."),
        ({"contact": "   "}, "Vui lòng nhập trường này."),
        ({"text": ""}, "Vui lòng nhập trường này."),
        ({"name": "A" * (comments.NAME_MAX + 1)}, f"Tối đa {comments.NAME_MAX} ký tự."),
        ({"contact": "9" * (comments.CONTACT_MAX + 1)}, f"Tối đa {comments.CONTACT_MAX} ký tự."),
        ({"text": "ý" * (comments.TEXT_MAX + 1)}, f"Tối đa {comments.TEXT_MAX} ký tự."),
        ({"text": "Có ký tự \x00 lạ"}, "Có ký tự không được phép."),
    ],
)
def test_a_bad_comment_is_refused_with_a_message(web, world, published, fields, message):
    answer = _comment(web, world, published, **fields)
    assert answer.status_code == 422
    assert message in answer.text
    assert "<details open>" in answer.text  # the form it was about stays open, with the message
    assert _stored(web.session) == []


def test_text_sent_back_on_a_refused_form_is_shown_escaped(web, world, published):
    answer = _comment(web, world, published, name="", text='<script>alert("x")</script>')
    assert answer.status_code == 422
    assert '<script>alert("x")</script>' not in answer.text
    assert "&lt;script&gt;alert(" in answer.text


def test_a_comment_on_a_name_not_open_is_refused(web, world, published):
    closed = waiting_at_district(world, "Chưa Công Bố")
    answer = _comment(web, world, closed)
    assert answer.status_code == 404
    assert "Tên này không (hoặc không còn) được lấy ý kiến." in answer.text
    assert _comment(web, world, published, nomination_id="abc").status_code == 422
    assert _stored(web.session) == []


def test_comments_are_throttled_per_address(web, app, world, published, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_COMMENT_LIMIT", "2 per hour")
    for _ in range(2):
        assert _comment(web, world, published).status_code == 303
    refused = _comment(web, world, published)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "Có nhiều ý kiến được gửi từ địa chỉ của bạn" in refused.text
    assert "/login" not in refused.text
    # Another address is served; the refused one stored nothing.
    assert _comment(web, world, published, address="203.0.113.5").status_code == 303
    counted = web.session.scalar(select(func.count()).select_from(PublicComment))
    assert counted == 3


def test_comments_and_failed_logins_count_in_separate_buckets(web, world, published):
    for _ in range(5):
        assert web.post("/login", {"username": "nobody", "password": "x"}).status_code == 401
    assert _comment(web, world, published).status_code == 303
