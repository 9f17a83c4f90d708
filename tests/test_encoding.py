"""JSON answers are written by orjson (web/encoding.py): the JSON Flask's own encoder writes."""

import datetime as dt
import json
from decimal import Decimal

from flask.json.provider import DefaultJSONProvider

VALUES = [
    {"b": 1, "a": [1.5, None, True, "Nguyễn Thị Hằng"]},
    {10: "mười", 2: "hai"},  # int keys, written as strings, as before
    {"day": dt.date(2026, 12, 3), "at": dt.datetime(2026, 12, 3, 7, 5, tzinfo=dt.UTC)},
    {"amount": Decimal("1.50")},
    "\ud800",  # a lone surrogate, which orjson refuses
    2**70,  # beyond 64 bits, which orjson refuses
]


def test_answers_are_the_json_flask_writes(app):
    flask_json = DefaultJSONProvider(app)
    for value in VALUES:
        ours = app.json.dumps(value)
        assert json.loads(ours) == json.loads(flask_json.dumps(value)), value
        with app.test_request_context():
            answer = app.json.response(value)
        assert answer.mimetype == "application/json"
        assert json.loads(answer.get_data()) == json.loads(ours)


def test_keys_are_sorted_and_text_is_utf8(app):
    with app.test_request_context():
        body = app.json.response({"b": "Đợt", "a": 1}).get_data()
    assert body == '{"a":1,"b":"Đợt"}'.encode()


def test_a_part_encoded_beforehand_is_written_as_the_rest_would_be(app):
    """A page's rows are encoded at once (`encoded`): their datetimes as `isoformat()` writes
    them, a naive one as UTC, and the part sits in the answer as the values would."""
    from web.encoding import encoded

    aware = dt.datetime(2026, 12, 3, 7, 5, 1, 250, tzinfo=dt.UTC)
    rows = [
        {"b": "Nguyễn Thị Hằng", "a": aware, "c": dt.datetime(2026, 12, 3, 7, 5)},
        {"b": "\ud800", "a": aware.astimezone(dt.timezone(dt.timedelta(hours=7)))},
    ]
    expected = [
        {"a": aware.isoformat(), "b": "Nguyễn Thị Hằng", "c": "2026-12-03T07:05:00+00:00"},
        {"a": "2026-12-03T14:05:01.000250+07:00", "b": "\ud800"},
    ]
    for part in (rows[:1], rows):  # orjson's, then the json module's (a lone surrogate)
        answer = {"items": encoded(part), "total": 2}
        wanted = {"items": expected[: len(part)], "total": 2}
        assert json.loads(app.json.dumps(answer)) == wanted
        assert json.loads(app.json.dumps(answer, indent=2)) == wanted
        with app.test_request_context():
            assert json.loads(app.json.response(answer).get_data()) == wanted
    with app.test_request_context():
        body = app.json.response({"b": encoded([{"y": 1, "x": "Đợt"}]), "a": 1}).get_data()
    assert body == '{"a":1,"b":[{"x":"Đợt","y":1}]}'.encode()
