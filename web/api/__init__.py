"""The JSON API, /api/v1."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from web.api import routes  # noqa: E402, F401, I001 (registers the views on the blueprint)
from web.api import background  # noqa: E402, F401 (the lists and outbox views)
from web.api import decisions  # noqa: E402, F401 (committees, meetings, quotas, comments)
from web.api import reorganisation  # noqa: E402, F401 (merge, dissolve, move, rename units)
from web.api import register  # noqa: E402, F401 (the register, units' own settings)
