"""A reviewing unit's own settings: who signs its documents, and the key its lists are signed
with (one of the keys the server's settings allow it; see workflow/signing.py)."""

from workflow import policy
from workflow.errors import RETIRED_UNIT, Forbidden, Invalid
from workflow.fields import clean_text
from workflow.levels import REVIEW_LEVELS
from workflow.models import SIGNER_TITLES, UnitSettings

SIGNER_NAME_MAX = 200


def settings_of(session, unit):
    """The unit's settings, or None while nobody has set them."""
    return session.get(UnitSettings, unit.id)


def signatory(session, unit):
    """(title, name) of who signs the unit's documents: the secretary (BÍ THƯ) by default, and
    no name until one is set."""
    settings = settings_of(session, unit)
    if settings is None:
        return "secretary", None
    return settings.signer_title, settings.signer_name


def update_settings(session, actor, unit, *, signer_title, signer_name, signing_key, keys):
    """Set the unit's settings; `keys` are the names of the signing keys the server's settings
    allow this unit (signing.keys_for). Returns the settings."""
    if not policy.can_keep_unit_settings(actor, unit):
        raise Forbidden("only administrators of the unit or above keep its settings")
    if unit.level not in REVIEW_LEVELS:
        raise Invalid("unit_code", "a list is issued by a commune, district or province unit")
    if unit.retired:
        raise Invalid("unit_code", RETIRED_UNIT)
    if signer_title not in SIGNER_TITLES:
        raise Invalid("signer_title", f"must be one of {', '.join(SIGNER_TITLES)}")
    if signer_name is not None:
        try:
            signer_name = clean_text(signer_name, min_length=0, max_length=SIGNER_NAME_MAX)
        except ValueError as error:
            raise Invalid("signer_name", str(error)) from None
    if signing_key is not None and signing_key not in keys:
        raise Invalid("signing_key", "no signing key of that name is configured for this unit")
    settings = settings_of(session, unit) or UnitSettings(unit_id=unit.id)
    settings.signer_title = signer_title
    settings.signer_name = signer_name or None
    settings.signing_key = signing_key
    settings.updated_by_id = actor.id
    session.add(settings)
    session.flush()
    return settings
