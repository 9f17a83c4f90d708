"""The words people read for states, outcomes, levels and kinds: one name each, in Vietnamese
and in English, used alike by the pages, the e-mails, the list files (PDF, XLSX, CSV) and the
API's labels. Nothing else spells these words; `tests/test_saying_what_happens.py` checks the
surfaces.
"""

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

# A nomination's state, as a badge, a filter choice, an e-mail's "new state", an API label.
STATES = {
    "draft": {"vi": "Bản nháp", "en": "Draft"},
    "commune_review": {"vi": "Cấp xã đang xem xét", "en": "Under review at commune level"},
    "district_review": {"vi": "Cấp huyện đang xem xét", "en": "Under review at district level"},
    "province_review": {"vi": "Cấp tỉnh đang xem xét", "en": "Under review at province level"},
    "returned": {"vi": "Trả lại để bổ sung", "en": "Returned for revision"},
    "commended": {"vi": "Được công nhận", "en": "Recognised"},
    "rejected": {"vi": "Không được chấp thuận", "en": "Not accepted"},
    "withdrawn": {"vi": "Đã rút hồ sơ", "en": "Withdrawn"},
}

# A level standing alone (a table's row, a choice) and inside a sentence ("công nhận cấp xã").
LEVELS = {
    "commune": {"vi": "Cấp xã", "en": "Commune"},
    "district": {"vi": "Cấp huyện", "en": "District"},
    "province": {"vi": "Cấp tỉnh", "en": "Province"},
    "cell": {"vi": "Chi bộ", "en": "Party cell"},
}
LEVELS_IN_TEXT = {
    "commune": {"vi": "cấp xã", "en": "commune level"},
    "district": {"vi": "cấp huyện", "en": "district level"},
    "province": {"vi": "cấp tỉnh", "en": "province level"},
    "cell": {"vi": "chi bộ", "en": "party cell"},
}
# A unit named by its level inside a sentence ("a commune cannot sit under a party cell").
UNITS_IN_TEXT = {
    "commune": {"vi": "đơn vị cấp xã", "en": "commune"},
    "district": {"vi": "đơn vị cấp huyện", "en": "district"},
    "province": {"vi": "đơn vị cấp tỉnh", "en": "province"},
    "cell": {"vi": "chi bộ", "en": "party cell"},
}

KINDS = {
    "individual": {"vi": "Cá nhân", "en": "Individual"},
    "collective": {"vi": "Tập thể", "en": "Collective"},
}
KINDS_IN_TEXT = {
    "individual": {"vi": "cá nhân", "en": "individual"},
    "collective": {"vi": "tập thể", "en": "collective"},
}
KINDS_PLURAL = {
    "individual": {"vi": "Cá nhân", "en": "Individuals"},
    "collective": {"vi": "Tập thể", "en": "Collectives"},
}

# The buttons. "approve" says where it leads (see `approve_button`); its plain name is used only
# where no single nomination is meant.
ACTIONS = {
    "submit": {"vi": "Gửi đề nghị", "en": "Submit"},
    "approve": {"vi": "Đồng ý", "en": "Approve"},
    "recognize": {"vi": "Công nhận ở cấp này", "en": "Recognise at this level"},
    "return": {"vi": "Trả lại để bổ sung", "en": "Return for revision"},
    "resubmit": {"vi": "Gửi lại", "en": "Resubmit"},
    "reject": {"vi": "Không chấp thuận", "en": "Reject"},
    "withdraw": {"vi": "Rút hồ sơ", "en": "Withdraw"},
}
FORWARD = {"vi": "Chuyển lên {unit}", "en": "Forward to {unit}"}
RECOGNISE = {"vi": "Công nhận {level}", "en": "Recognise at {level}"}

# What someone did, in the timeline ("Nguyễn Văn A (Đảng ủy xã Tiên Lương) chuyển lên cấp
# huyện") and in the notices' names.
DONE = {
    "create": {"vi": "tạo bản nháp", "en": "created the draft"},
    "submit": {"vi": "gửi đề nghị", "en": "submitted it"},
    "resubmit": {"vi": "gửi lại", "en": "resubmitted it"},
    "return": {"vi": "trả lại để bổ sung", "en": "returned it for revision"},
    "reject": {"vi": "không chấp thuận", "en": "did not accept it"},
    "withdraw": {"vi": "rút hồ sơ", "en": "withdrew it"},
}
FORWARDED = {"vi": "chuyển lên {level}", "en": "forwarded it to {level}"}
RECOGNISED = {"vi": "công nhận {level}", "en": "recognised it at {level}"}
NOTICES = {
    "submitted": {"vi": "Gửi đề nghị", "en": "Submitted"},
    "resubmitted": {"vi": "Gửi lại", "en": "Resubmitted"},
    "forwarded": {"vi": "Chuyển lên cấp trên", "en": "Forwarded"},
    "returned": STATES["returned"],
    "rejected": STATES["rejected"],
    "commended": STATES["commended"],
    "withdrawn": STATES["withdrawn"],
}

TABLES = {
    "states": STATES,
    "levels": LEVELS,
    "levels_in_text": LEVELS_IN_TEXT,
    "units_in_text": UNITS_IN_TEXT,
    "kinds": KINDS,
    "kinds_in_text": KINDS_IN_TEXT,
    "kinds_plural": KINDS_PLURAL,
    "actions": ACTIONS,
    "done": DONE,
    "notices": NOTICES,
}


def language_of(language):
    """`language` if we speak it, else Vietnamese."""
    language = str(language or "")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def name(table, key, language):
    """The name of `key` in `table` ("states", "levels", …) in `language`; the key itself when
    the table has no such word."""
    entry = TABLES[table].get(key)
    return entry[language_of(language)] if entry else key


def names(table, language):
    """A whole table in one language: {key: name}."""
    language = language_of(language)
    return {key: entry[language] for key, entry in TABLES[table].items()}


def approve_button(language, *, recognises, level=None, unit=None):
    """What the approve button says: "Công nhận cấp xã" where the click recognises at `level`,
    else "Chuyển lên Huyện ủy Cẩm Khê", naming the unit that reviews next."""
    language = language_of(language)
    if recognises:
        return RECOGNISE[language].format(level=name("levels_in_text", level, language))
    return FORWARD[language].format(unit=unit)


def done(action, to_state, actor_level, language):
    """What a history entry says someone did: approving either forwarded the nomination to the
    level of `to_state` or recognised it at the actor's level; recognising did the latter."""
    language = language_of(language)
    if action in ("approve", "recognize") and to_state == "commended":
        return RECOGNISED[language].format(level=name("levels_in_text", actor_level, language))
    if action == "approve":
        level = to_state.removesuffix("_review")
        return FORWARDED[language].format(level=name("levels_in_text", level, language))
    return name("done", action, language)


def outcome(action, to_state, actor_level, language):
    """The same as `done`, as a sentence's start: "Chuyển lên cấp huyện"."""
    text = done(action, to_state, actor_level, language)
    return text[:1].upper() + text[1:]
