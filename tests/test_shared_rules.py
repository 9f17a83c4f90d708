"""Rules kept in one place and shared: the pages, the API, the imports and the tasks use them."""

import ast
import datetime as dt
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

import web.pages
from web import problems
from workflow import administration, errors, policy, queries, services
from workflow.fields import Text, describe

WEB = Path(__file__).resolve().parent.parent / "web"


def test_visible_campaigns_are_the_subtree_and_above_newest_first(world, db_session):
    today = services.today()

    def open_campaign(code, year):
        return services.create_campaign(
            db_session,
            world.users["adm_p"],
            world.units[code],
            name=f"Đợt {code}",
            year=year,
            submission_deadline=today + dt.timedelta(days=30),
            review_deadlines={},
        )

    in_d1, in_d2 = open_campaign("D1", today.year + 1), open_campaign("D2", today.year + 1)
    province = world.campaign
    assert queries.visible_campaigns(db_session, world.users["rev_c1"]) == [in_d1, province]
    assert queries.visible_campaigns(db_session, world.users["sec_k4"]) == [in_d2, province]
    assert queries.visible_campaigns(db_session, world.users["adm_p"]) == [in_d2, in_d1, province]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.NotFound("x"), 404),
        (errors.Forbidden("x"), 403),
        (errors.Conflict("x"), 409),
        (errors.StaleVersion("x"), 409),
        (errors.NotAllowedNow("x"), 409),
        (errors.DeadlinePassed("x"), 409),
        (errors.Invalid("field", "x"), 422),
    ],
)
def test_pages_and_api_answer_a_domain_error_with_one_status(error, status):
    assert problems.status_of(error) == status
    assert not hasattr(web.pages, "STATUS_OF")  # the pages read the API's table


@pytest.mark.parametrize("name", ["", "   ", "Xã\x00một", "x" * 201])
def test_administration_cleans_text_as_the_api_does(world, db_session, name):
    with pytest.raises(ValidationError) as api:
        TypeAdapter(Text(200)).validate_python(name)
    with pytest.raises(errors.Invalid) as page:
        administration.rename_unit(db_session, world.users["adm_p"], world.units["C1"], name=name)
    assert (page.value.field, page.value.message) == (
        "name",
        describe(api.value.errors(include_url=False)[0])[1],
    )


def _imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_the_web_serves_list_files_without_importing_the_tasks():
    # The app factory binds Celery, and the debug mail viewer reads the mail task's folder;
    # every other page and API view reaches background work through workflow/ only.
    allowed = {WEB / "__init__.py", WEB / "devmail" / "routes.py"}
    importers = sorted(
        str(path.relative_to(WEB))
        for path in WEB.rglob("*.py")
        if path not in allowed
        and any(name.split(".")[0] == "tasks" for name in _imported_modules(path))
    )
    assert importers == []


def test_an_address_names_its_mailbox_whichever_way_its_domain_is_written(world):
    # A reviewer kept with the domain as typed, a nominee with its ASCII form (or the reverse).
    reviewer = world.users["rev_c1"]
    reviewer.email = "An.Nguyen@bưuđiện.vn"
    nomination = world.nominate(
        cell="K1", target="commune", nominee_email="an.nguyen+khen@xn--buin-1ua66gr30m.vn"
    )
    assert policy.is_own(reviewer, nomination)
    assert policy.mailbox("an@bưuđiện.vn") == policy.mailbox("AN@XN--BUIN-1UA66GR30M.VN")
    assert policy.mailbox("an@a..b") == "an@a..b"  # no domain anyone reaches: as written
