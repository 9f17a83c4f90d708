"""Accounts: argon2id password hashes and hashed, expiring, revocable API tokens."""

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import joinedload
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from workflow.models import ApiToken, BrowserSession, CommitteeMember, User, utcnow

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
# The 30,000 passwords most often found in leaks (zxcvbn's list; "matkhau" and "anhyeuem"
# among them): the first ones an attacker tries.
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])

_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def use_hash_profile(name):
    """Choose the argon2id cost profile for new hashes (verification reads it from the hash)."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(getattr(profiles, name))


def hash_password(password):
    return _hasher.hash(password)


def check_password(user, password):
    """True if `password` is the user's; unknown users cost the same time as known ones."""
    stored = user.password_hash if user is not None else None
    try:
        if stored is None:
            _hasher.verify(_DUMMY_HASH, password)
            return False
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _hasher.hash("not a password")


def password_problem(password, *, username=None):
    """Why `password` may not become someone's password, or None.

    The one rule of the set-password page, the administration pages and the imports.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"at most {MAX_PASSWORD_LENGTH} characters"
    folded = password.casefold()
    if folded in COMMON_PASSWORDS:
        return "one of the commonest passwords"
    if username and folded == username.casefold():
        return "the same as the username"
    return None


def replace_password(session, user, password):
    """Store a new password: every session and API token opened with the old one ends."""
    user.password_hash = hash_password(password)
    user.needs_password = False
    end_sessions(session, user)
    return user


def end_sessions(session, user):
    """End every browser session of `user` and revoke every API token they hold."""
    if user.id is None:
        return  # an account not stored yet has opened nothing
    now = utcnow()
    user.session_version += 1  # and every set-password link sent before now dies
    session.execute(
        update(BrowserSession)
        .where(BrowserSession.user_id == user.id, BrowserSession.expires_at > now)
        .values(expires_at=now)
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()


def open_browser_session(session, user, *, hours):
    """A new browser session for `user`: the key for its cookie (only the digest is stored)."""
    key = secrets.token_urlsafe(32)
    expires_at = utcnow() + dt.timedelta(hours=hours)
    session.add(BrowserSession(user=user, key_hash=_digest(key), expires_at=expires_at))
    session.flush()
    return key


def user_for_browser_session(session, key, user_id):
    """The active user whose live browser session `key` is, or None; one query."""
    row = session.scalar(
        select(BrowserSession)
        .where(
            BrowserSession.key_hash == _digest(key),
            BrowserSession.user_id == user_id,
            BrowserSession.expires_at > utcnow(),
        )
        .options(joinedload(BrowserSession.user).joinedload(User.unit))
    )
    return row.user if row is not None and row.user.active else None


def end_browser_session(session, key):
    """Logout: the session whose cookie carries `key` ends now, wherever a copy of it is."""
    session.execute(
        update(BrowserSession)
        .where(BrowserSession.key_hash == _digest(key), BrowserSession.expires_at > utcnow())
        .values(expires_at=utcnow())
    )


def purge_ended_sessions(session, *, before):
    """Forget browser sessions that ended before `before` (nothing can use them any more)."""
    return session.execute(
        delete(BrowserSession).where(BrowserSession.expires_at < before)
    ).rowcount


def assign(session, user, *, role, unit):
    """Give `user` a role and a unit; a change of either changes what they may see and do, so
    their sessions and API tokens end, and a seat on another unit's committee is given up
    (members vote only in their own unit). The one rule of the admin pages and the imports."""
    if (user.role, user.unit_id) == (role, unit.id):
        return False
    user.role, user.unit = role, unit
    if user.id is not None:
        session.execute(
            delete(CommitteeMember).where(
                CommitteeMember.user_id == user.id, CommitteeMember.unit_id != unit.id
            )
        )
    end_sessions(session, user)
    return True


def authenticate(session, username, password):
    user = session.scalar(select(User).where(User.username == username))
    if check_password(user, password) and user.active:
        return user
    return None


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session, user, *, hours):
    """A new bearer token for `user`; only its digest is stored."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + dt.timedelta(hours=hours)
    session.add(ApiToken(user=user, token_hash=_digest(token), expires_at=expires_at))
    session.flush()
    return token, expires_at


# Built once: every API call runs it.
_LIVE_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
        User.active,
    )
    .options(joinedload(User.unit))
)


def user_for_token(session, token):
    """The active user a live token belongs to, or None: one query."""
    return session.scalar(_LIVE_TOKEN, {"token_hash": _digest(token), "now": utcnow()})


def revoke_token(session, token):
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
