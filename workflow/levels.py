"""The levels of the organisation tree and the review state each reviewing level owns."""

PROVINCE, DISTRICT, COMMUNE, CELL = "province", "district", "commune", "cell"

# Highest first: a child's level always comes later in this tuple than its parent's.
UNIT_LEVELS = (PROVINCE, DISTRICT, COMMUNE, CELL)
REVIEW_LEVELS = (COMMUNE, DISTRICT, PROVINCE)  # lowest first: the order a nomination climbs

REVIEW_STATE = {level: f"{level}_review" for level in REVIEW_LEVELS}
LEVEL_OF_REVIEW_STATE = {state: level for level, state in REVIEW_STATE.items()}


def rank(level):
    """Height of a level: province 3, district 2, commune 1, cell 0."""
    return len(UNIT_LEVELS) - 1 - UNIT_LEVELS.index(level)
