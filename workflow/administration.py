"""Administration: the unit tree, user accounts, campaign deadlines and closures."""

import re
import secrets

from sqlalchemy import select

from workflow import accounts, lists, policy, routing
from workflow.errors import RETIRED_UNIT, Conflict, Forbidden, Invalid, NotFound
from workflow.fields import clean_text
from workflow.imports import CODE_PATTERN, REVIEWING_LEVELS_FOR_ROLE, wrong_level
from workflow.levels import REVIEW_LEVELS, UNIT_LEVELS, rank
from workflow.models import (
    ROLES,
    CampaignClosure,
    OutboxMessage,
    Unit,
    User,
)


def _text(field, value, max_length):
    """The API's and the imports' text rule, as a domain error on `field`."""
    try:
        return clean_text(value or "", min_length=1, max_length=max_length)
    except ValueError as error:
        raise Invalid(field, str(error)) from None


def _require_admin(actor, unit):
    if not policy.can_administer(actor, unit):
        raise Forbidden("only an administrator of this unit or above may do this")


def _require_live(unit, field):
    """Nothing new is placed in, moved to or asked of a unit that was merged or dissolved."""
    if unit.retired:
        raise Invalid(field, RETIRED_UNIT)


def _check_level_under(level, parent, field):
    if level not in UNIT_LEVELS:
        raise Invalid("level", "not a unit level")
    if parent is None:
        raise Invalid(field, "every unit but a province needs a parent")
    if rank(level) >= rank(parent.level):
        raise Invalid(field, f"a {level} cannot sit under a {parent.level}")


def add_unit(session, actor, parent, *, code, name, level):
    """A new unit below `parent`, which must lie in the actor's subtree."""
    _require_admin(actor, parent)
    _require_live(parent, "parent_code")
    code = _text("code", code, 40)
    if not re.match(CODE_PATTERN, code):
        raise Invalid("code", "may hold only letters, digits, '.', '_' and '-'")
    name = _text("name", name, 200)
    _check_level_under(level, parent, "level")
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Conflict(f"a unit with code {code} already exists")
    unit = Unit(code=code, name=name, level=level, parent=parent, path=f"{parent.path}{code}/")
    session.add(unit)
    session.flush()
    return unit


def rename_unit(session, actor, unit, *, name):
    _require_admin(actor, unit)
    _require_live(unit, "name")
    unit.name = _text("name", name, 200)
    session.flush()
    return unit


def move_unit(session, actor, unit, new_parent):
    """Hang `unit` and its whole subtree under `new_parent`, keeping every path consistent."""
    _require_admin(actor, unit)
    _require_admin(actor, new_parent)
    if unit.id == actor.unit_id:
        raise Forbidden("an administrator cannot move their own unit")
    _require_live(unit, "code")
    _require_live(new_parent, "parent_code")
    if unit.contains(new_parent):
        raise Invalid("parent_code", "a unit cannot move under itself or its own subtree")
    _check_level_under(unit.level, new_parent, "parent_code")
    old_prefix, new_prefix = unit.path, f"{new_parent.path}{unit.code}/"
    if len(new_prefix) - len(old_prefix) + _deepest_path(session, unit) > 400:
        raise Invalid("parent_code", "the tree would become too deep")
    members = session.scalars(select(Unit).where(policy.subtree(unit))).all()
    new_paths = {member.id: new_prefix + member.path[len(old_prefix) :] for member in members}
    stranded = routing.stranded_reviews(session, new_paths)
    if stranded:
        raise Conflict(routing.stranded_message(stranded, unit.code))
    for member in members:
        member.path = new_paths[member.id]
    unit.parent = new_parent
    session.flush()
    return unit


def _deepest_path(session, unit):
    return max(len(path) for path in session.scalars(select(Unit.path).where(policy.subtree(unit))))


def _check_role_unit(role, unit):
    if role not in ROLES:
        raise Invalid("role", "not a role")
    if unit.level not in REVIEWING_LEVELS_FOR_ROLE[role]:
        raise Invalid("unit_code", wrong_level(role))


def create_user(session, actor, unit, *, username, full_name, email, role, password=None):
    """A new account in `unit`; without a password it waits for a set-password link."""
    _require_admin(actor, unit)
    _require_live(unit, "unit_code")
    username = _text("username", username, 60)
    _check_role_unit(role, unit)
    if password:
        _check_password(password, username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"the username {username} is taken")
    user = User(
        username=username,
        full_name=_text("full_name", full_name, 200),
        email=_text("email", email, 254),
        role=role,
        unit=unit,
        language="vi",
        active=True,
        needs_password=not password,
    )
    if password:
        user.password_hash = accounts.hash_password(password)
    session.add(user)
    session.flush()
    return user


def _check_password(password, username):
    problem = accounts.password_problem(password, username=username)
    if problem:
        raise Invalid("password", problem)


def change_user(session, actor, user, *, role, unit):
    """Give `user` another role or unit; both ends must lie in the actor's subtree. The change
    ends the person's sessions and API tokens (accounts.assign, as the imports do)."""
    _require_admin(actor, user.unit)
    _require_admin(actor, unit)
    if unit.id != user.unit_id:
        _require_live(unit, "unit_code")
    _check_role_unit(role, unit)
    if user.id == actor.id and (role, unit.id) != (user.role, user.unit_id):
        raise Forbidden("administrators cannot change their own role or unit")
    accounts.assign(session, user, role=role, unit=unit)
    session.flush()
    return user


def set_active(session, actor, user, *, active):
    """Enable or disable an account; disabling ends its sessions and its API tokens."""
    _require_admin(actor, user.unit)
    if user.id == actor.id:
        raise Forbidden("administrators cannot disable themselves")
    if user.active != active:
        user.active = active
        accounts.end_sessions(session, user)
    return user


def set_password(session, user, password):
    """A new password ends every session and revokes every API token opened with the old one."""
    _check_password(password, user.username)
    return accounts.replace_password(session, user, password)


def queue_password_link(session, actor, user, *, link):
    """Write the set-password notice to the outbox; the mail worker sends it after commit."""
    _require_admin(actor, user.unit)
    if not user.active:
        raise Conflict("the account is disabled")
    message = OutboxMessage(
        # Each request is its own notice, even two in the same second (a double click).
        key=f"set_password-{user.id}-{user.session_version}-{secrets.token_hex(8)}",
        notice="set_password",
        recipient_user_id=user.id,
        recipient_email=user.email,
        language=user.language,
        context={"username": user.username, "full_name": user.full_name, "link": link},
    )
    session.add(message)
    session.flush()
    return message


def queue_missing_password_links(session, actor, make_link):
    """A set-password notice for each active account in the actor's subtree still without a
    password and never sent one; returns how many were queued."""
    waiting = session.scalars(
        select(User)
        .join(Unit, User.unit_id == Unit.id)
        .where(
            User.needs_password.is_(True),
            User.active.is_(True),
            policy.subtree(actor.unit),
            ~select(OutboxMessage.id)
            .where(
                OutboxMessage.recipient_user_id == User.id,
                OutboxMessage.notice == "set_password",
            )
            .exists(),
        )
    ).all()
    for user in waiting:
        queue_password_link(session, actor, user, link=make_link(user))
    return len(waiting)


def get_user(session, actor, user_id):
    user = session.get(User, user_id)
    if user is None or not policy.can_see_unit(actor, user.unit):
        raise NotFound(f"user {user_id} not found")
    return user


def close_level(session, actor, campaign, unit, *, on):
    """Record that `unit` has closed its review of `campaign` at its own level, and ask in the
    same transaction for the unit's final list (None for a unit above the campaign's, which
    recognises nothing in it). Closing is the confirmation a new number needs. Returns
    (closure, list)."""
    _require_admin(actor, unit)
    _require_live(unit, "unit_code")
    if unit.level not in REVIEW_LEVELS:
        raise Invalid("unit_code", "only a reviewing unit closes a level")
    if not (campaign.unit.contains(unit) or unit.contains(campaign.unit)):
        raise Invalid("unit_code", "the unit takes no part in this campaign")
    if closure_of(session, campaign, unit) is not None:
        raise Conflict("this level is already closed")
    closure = CampaignClosure(campaign_id=campaign.id, unit=unit, closed_by_id=actor.id)
    session.add(closure)
    session.flush()
    final_list = None
    if lists.takes_part(campaign, unit):
        final_list, _outcome = lists.request_list(
            session, actor, campaign, unit, on=on, confirm=True
        )
    return closure, final_list


def closure_of(session, campaign, unit):
    return session.scalar(
        select(CampaignClosure).where(
            CampaignClosure.campaign_id == campaign.id, CampaignClosure.unit_id == unit.id
        )
    )


def closures(session, campaign):
    return session.scalars(
        select(CampaignClosure)
        .where(CampaignClosure.campaign_id == campaign.id)
        .order_by(CampaignClosure.closed_at)
    ).all()
