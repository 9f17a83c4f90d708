"""One throttle for both doors: the login page and POST /api/v1/auth/token.

Failed attempts are counted three ways, each with its own limit:

- per (username, address): the strict limit, which stops guessing at one account from one place;
- per username alone: looser, so that guessing from many addresses is slowed too, while a
  stranger cannot lock a real user out for long (the user's own address has its own bucket);
- per address: trying many usernames from one place.

A successful login empties its (username, address) bucket. The counters live in Redis when
`RATELIMIT_STORAGE_URI` (or `REDIS_URL`) is set, so every web worker shares them, and fall back
to this process's memory while that Redis cannot be reached.
"""

import logging
import math
import time

from flask import current_app, request
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

# (setting, the parts of the key); the settings hold "N per M minutes" strings.
LIMITS = (
    ("LOGIN_LIMIT_PER_USERNAME_AND_ADDRESS", ("username", "address")),
    ("LOGIN_LIMIT_PER_USERNAME", ("username",)),
    ("LOGIN_LIMIT_PER_ADDRESS", ("address",)),
)
DEFAULTS = {
    "LOGIN_LIMIT_PER_USERNAME_AND_ADDRESS": "5 per 15 minutes",
    "LOGIN_LIMIT_PER_USERNAME": "20 per 15 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
}


class LoginThrottle:
    def init_app(self, app):
        for setting, value in DEFAULTS.items():
            app.config.setdefault(setting, value)
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        app.extensions["login_throttle"] = _Counters(storage)

    @property
    def _counters(self):
        return current_app.extensions["login_throttle"]

    def check(self, username):
        """429 with Retry-After while `username` must wait (from this address): both doors ask."""
        wait = self.retry_after(username)
        if wait:
            raise TooManyRequests(
                f"too many failed logins; try again in {wait} seconds", retry_after=wait
            )

    def retry_after(self, username):
        """Seconds to wait before `username` may try again from this address; 0 when it may."""
        wait = 0.0
        for item, identifiers in self._limits(username):
            stats = self._counters.call("get_window_stats", item, *identifiers)
            if stats is not None and stats.remaining <= 0:
                wait = max(wait, stats.reset_time - time.time())
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, username):
        for item, identifiers in self._limits(username):
            self._counters.call("hit", item, *identifiers)

    def succeeded(self, username):
        item, identifiers = next(iter(self._limits(username)))
        self._counters.call("clear", item, *identifiers)

    def reset(self):
        """Forget every counter (tests)."""
        self._counters.reset()

    def _limits(self, username):
        parts = {"username": _username_key(username), "address": client_address()}
        for setting, key in LIMITS:
            item = parse(current_app.config[setting])
            yield item, ("login", setting, *(parts[name] for name in key))


class _Counters:
    """The moving-window counters, on the configured storage or, while it fails, in memory."""

    def __init__(self, storage):
        self.storage = storage
        self.primary = MovingWindowRateLimiter(storage)
        self.fallback = MovingWindowRateLimiter(MemoryStorage())

    def call(self, name, *args):
        try:
            return getattr(self.primary, name)(*args)
        except Exception:  # Redis unreachable: count here rather than refuse every login
            log.warning("login throttle storage failed; counting in memory", exc_info=True)
            return getattr(self.fallback, name)(*args)

    def reset(self):
        self.storage.reset()
        self.fallback.storage.reset()


def _username_key(username):
    return (username or "").strip().casefold()[:60]


def client_address():
    """The client's address: the peer's, or X-Forwarded-For's as far as TRUSTED_PROXIES goes
    (werkzeug's ProxyFix, installed by create_app, has already rewritten it)."""
    return request.remote_addr or "unknown"


login_throttle = LoginThrottle()
