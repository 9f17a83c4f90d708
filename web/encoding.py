"""JSON answers encoded by orjson: the same JSON as Flask's encoder (keys sorted, dates through
Flask's `default`), several times faster on a page of 50 nominations, and UTF-8 as it is
rather than \\u escapes."""

import json

import orjson
from flask.json.provider import DefaultJSONProvider

# Dates, times and dataclasses go through Flask's `default`, as they did before; int keys
# become strings, as in the json module.
OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


class JSONProvider(DefaultJSONProvider):
    def dumps(self, obj, **kwargs):
        if kwargs:  # asked for the json module's options (indent, …)
            return super().dumps(obj, **kwargs)
        return self._encode(obj).decode()

    def response(self, *args, **kwargs):
        if self._app.debug:  # indented, for people reading it
            return super().response(*args, **kwargs)
        return self._app.response_class(
            self._encode(self._prepare_response_obj(args, kwargs)), mimetype=self.mimetype
        )

    def _encode(self, obj):
        try:
            return orjson.dumps(obj, default=self.default, option=OPTIONS)
        except TypeError:
            # What orjson refuses and the json module writes: a lone surrogate ("\ud800"), an
            # integer beyond 64 bits.
            return json.dumps(obj, default=self.default, sort_keys=True).encode()
