"""Accounts: argon2id password hashes and hashed, expiring, revocable API tokens."""

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from workflow.models import ApiToken, User, utcnow

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
    # Browser sessions carry the session version they were opened with.
    user.session_version += 1
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.flush()


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


def user_for_token(session, token):
    """The active user a live token belongs to, or None."""
    row = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == _digest(token))
        .options(joinedload(ApiToken.user).joinedload(User.unit))
    )
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row.user if row.user.active else None


def revoke_token(session, token):
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
