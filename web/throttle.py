"""Throttles on shared counters: failed logins at both doors, and the public's comments.

A throttle is a few named limits ("N per M minutes" settings), each counted per a key made of
parts of the request (the username, the client's address). Every throttle counts in the same
storage, shared by every web process of every node: the Redis of `RATELIMIT_STORAGE_URI`, else
of `REDIS_URL`, else the Redis broker (`CELERY_BROKER_URL`), falling back to this process's
memory while that Redis cannot be reached. Without any Redis each process counts alone, which
a server started outside debug and tests says when it starts.

Failed logins, at the login page and POST /api/v1/auth/token alike, are counted three ways:

- per (username, address): the strict limit, which stops guessing at one account from one place;
- per username alone: looser, so that guessing from many addresses is slowed too, while a
  stranger cannot lock a real user out for long (the user's own address has its own bucket);
- per address: trying many usernames from one place.

A successful login empties its (username, address) bucket.

Comments on the public page are counted per address (`PUBLIC_COMMENT_LIMIT`): anyone may write,
nobody may flood the reviewers.
"""

import logging
import math
import os
import time

from flask import current_app, request
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

EXTENSION = "throttle_counters"


class Throttle:
    """Limits counted per key. `limits`: (setting, the parts of the key) pairs; `defaults`: the
    settings' values unless the app's configuration says otherwise. `parts` name the request's
    parts a key is made of: {"username": …, "address": …}."""

    def __init__(self, name, limits, defaults):
        self.name = name
        self.limits = limits
        self.defaults = defaults

    def init_app(self, app):
        for setting, value in self.defaults.items():
            app.config.setdefault(setting, value)
        if EXTENSION not in app.extensions:  # one storage for every throttle of the app
            uri = app.config["RATELIMIT_STORAGE_URI"]
            if uri.startswith("memory") and not (app.debug or app.testing):
                log.warning(
                    "the login and comment throttles count in this process's memory: with "
                    "several web processes or nodes each counts alone; set CELERY_BROKER_URL "
                    "to a Redis (or RATELIMIT_STORAGE_URI) so that they count in one place"
                )
            app.extensions[EXTENSION] = _Counters(storage_from_string(uri))

    @property
    def _counters(self):
        return current_app.extensions[EXTENSION]

    def wait(self, parts):
        """Seconds until every limit has room again for `parts`; 0 when it has now."""
        seconds = 0.0
        for item, identifiers in self._keys(parts):
            stats = self._counters.call("get_window_stats", item, *identifiers)
            if stats is not None and stats.remaining <= 0:
                seconds = max(seconds, stats.reset_time - time.time())
        return math.ceil(seconds) if seconds > 0 else 0

    def check(self, parts, message):
        """429 with Retry-After while some limit is exhausted for `parts`."""
        seconds = self.wait(parts)
        if seconds:
            raise TooManyRequests(message.format(seconds=seconds), retry_after=seconds)

    def hit(self, parts):
        """Count one event in every limit."""
        for item, identifiers in self._keys(parts):
            self._counters.call("hit", item, *identifiers)

    def take(self, parts, message):
        """Count one event if the limits have room for it, else 429 with Retry-After. Counting
        and refusing are one step, so that requests at the same moment cannot all slip in."""
        for item, identifiers in self._keys(parts):
            if not self._counters.call("hit", item, *identifiers):
                seconds = max(self.wait(parts), 1)
                raise TooManyRequests(message.format(seconds=seconds), retry_after=seconds)

    def clear(self, parts):
        """Empty the first (strictest) limit's bucket for `parts`."""
        item, identifiers = next(iter(self._keys(parts)))
        self._counters.call("clear", item, *identifiers)

    def reset(self):
        """Forget every counter of every throttle (tests)."""
        self._counters.reset()

    def _keys(self, parts):
        for setting, key in self.limits:
            item = parse(current_app.config[setting])
            yield item, (self.name, setting, *(parts[name] for name in key))


def throttle_storage(config):
    """Where the counters live: RATELIMIT_STORAGE_URI, else REDIS_URL, else the broker when it
    is a Redis, else this process's memory."""
    configured = config.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL")
    if configured:
        return configured
    broker = config.get("CELERY_BROKER_URL") or ""
    return broker if broker.startswith(("redis://", "rediss://")) else "memory://"


class LoginThrottle:
    """One throttle for both doors: the login page and POST /api/v1/auth/token."""

    def __init__(self):
        self.throttle = Throttle(
            "login",
            (
                ("LOGIN_LIMIT_PER_USERNAME_AND_ADDRESS", ("username", "address")),
                ("LOGIN_LIMIT_PER_USERNAME", ("username",)),
                ("LOGIN_LIMIT_PER_ADDRESS", ("address",)),
            ),
            {
                "LOGIN_LIMIT_PER_USERNAME_AND_ADDRESS": "5 per 15 minutes",
                "LOGIN_LIMIT_PER_USERNAME": "20 per 15 minutes",
                "LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
            },
        )

    def init_app(self, app):
        self.throttle.init_app(app)

    def check(self, username):
        """429 with Retry-After while `username` must wait (from this address): both doors ask."""
        self.throttle.check(
            _login_parts(username), "too many failed logins; try again in {seconds} seconds"
        )

    def retry_after(self, username):
        """Seconds to wait before `username` may try again from this address; 0 when it may."""
        return self.throttle.wait(_login_parts(username))

    def failed(self, username):
        self.throttle.hit(_login_parts(username))

    def succeeded(self, username):
        self.throttle.clear(_login_parts(username))

    def reset(self):
        """Forget every counter, of this throttle and the others (tests)."""
        self.throttle.reset()


def _login_parts(username):
    return {"username": (username or "").strip().casefold()[:60], "address": client_address()}


class CommentThrottle:
    """Comments sent from the public page, per address."""

    def __init__(self):
        self.throttle = Throttle(
            "comment",
            (("PUBLIC_COMMENT_LIMIT", ("address",)),),
            {"PUBLIC_COMMENT_LIMIT": "5 per hour"},
        )

    def init_app(self, app):
        self.throttle.init_app(app)

    def take(self):
        """Count a comment from this address, or 429 with Retry-After once it sent its share."""
        self.throttle.take(
            {"address": client_address()},
            "too many comments from this address; try again in {seconds} seconds",
        )


class _Counters:
    """The moving-window counters, on the configured storage or, while it fails, in memory."""

    def __init__(self, storage):
        self.storage = storage
        self.primary = MovingWindowRateLimiter(storage)
        self.fallback = MovingWindowRateLimiter(MemoryStorage())

    def call(self, name, *args):
        try:
            return getattr(self.primary, name)(*args)
        except Exception:  # Redis unreachable: count here rather than refuse every request
            log.warning("throttle storage failed; counting in memory", exc_info=True)
            return getattr(self.fallback, name)(*args)

    def reset(self):
        self.storage.reset()
        self.fallback.storage.reset()


def client_address():
    """The client's address: the peer's, or X-Forwarded-For's as far as TRUSTED_PROXIES goes
    (werkzeug's ProxyFix, installed by create_app, has already rewritten it)."""
    return request.remote_addr or "unknown"


login_throttle = LoginThrottle()
comment_throttle = CommentThrottle()
