"""The deadline order is one domain rule, whichever door a campaign comes in by."""

import datetime as dt

import pytest

from workflow import services
from workflow.errors import Invalid


def test_the_rule():
    day = dt.date(2027, 5, 1)
    services.check_deadlines(day, {"commune": None, "district": day, "province": None})
    with pytest.raises(Invalid) as refused:
        services.check_deadlines(day, {"commune": day + dt.timedelta(days=9), "district": day})
    assert refused.value.field == "review_deadlines.district"


def test_the_admin_pages_refuse_deadlines_out_of_order(web, world, db_session):
    web.login("adm_p")
    opened = web.post(
        "/admin/campaigns",
        {
            "name": "Đợt ngược",
            "year": "2027",
            "unit_code": "P",
            "submission_deadline": "2027-05-01",
            "commune_review_deadline": "2027-04-01",
        },
        token_from="/admin/campaigns",
    )
    assert opened.status_code == 422
    assert "Hạn này sớm hơn hạn liền trước." in opened.text
    url = f"/admin/campaigns/{world.campaign.id}"
    changed = web.post(
        url,
        {
            "submission_deadline": "2027-05-15",
            "district_review_deadline": "2027-05-10",
            "reason": "Lùi hạn theo đề nghị của các huyện",
            "version": str(world.campaign.version),
        },
        token_from=url,
    )
    assert changed.status_code == 422
    assert "Hạn này sớm hơn hạn liền trước." in changed.text
    db_session.refresh(world.campaign)
    assert world.campaign.district_review_deadline != dt.date(2027, 5, 10)
