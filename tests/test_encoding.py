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
