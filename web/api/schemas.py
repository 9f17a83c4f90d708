"""Request bodies and query strings of the JSON API, validated with the shared field rules."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from workflow import options, reports, services
from workflow.fields import Email, Id, IsoDate, QueryId, Text, Year
from workflow.levels import REVIEW_LEVELS
from workflow.machine import STATES
from workflow.models import GENDERS, KINDS

Kind = Literal[KINDS]
Gender = Literal[GENDERS]
Level = Literal[REVIEW_LEVELS]
State = Literal[tuple(STATES)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenRequest(Body):
    username: Text(60)
    password: Text(200, secret=True)


class ReviewDeadlines(Body):
    commune: IsoDate | None = None
    district: IsoDate | None = None
    province: IsoDate | None = None


class CampaignCreate(Body):
    name: Text(200)
    year: Year
    unit_code: Text(40)
    submission_deadline: IsoDate
    review_deadlines: ReviewDeadlines = ReviewDeadlines()
    # {level: {"reviews", "decision", "quorum_at_least", "pass_more_than", "comment_days"}},
    # laid over the options of the unit's latest campaign (workflow/options.py).
    options: dict | None = None

    @model_validator(mode="after")
    def _deadlines_in_order(self):
        # Checked here too so that a field error answers before the unit is looked up.
        services.check_deadlines(self.submission_deadline, self.review_deadlines.model_dump())
        options.normalise(self.options)
        return self


class CampaignAmend(Body):
    """PATCH /campaigns/{id}: an amendment of a running campaign, with its reason."""

    version: StrictInt
    reason: Text(2000)
    options: dict | None = None
    submission_deadline: IsoDate | None = None
    review_deadlines: ReviewDeadlines | None = None

    @model_validator(mode="after")
    def _options_are_options(self):
        options.normalise(self.options)
        return self


class QuotaSet(Body):
    collective: StrictInt | None
    individual: StrictInt | None
    reason: Text(2000) | None = None


class CommitteeSet(Body):
    size: StrictInt
    members: list[Text(60)] = Field(default_factory=list, max_length=200)


class MeetingOpen(Body):
    campaign_id: Id
    held_on: IsoDate
    closes_on: IsoDate | None = None
    place: Text(200)
    mode: Literal["app", "paper"]
    nomination_ids: list[Id] = Field(min_length=1, max_length=500)


class Ballot(Body):
    votes: dict[str, Literal["agree", "disagree"]] = Field(min_length=1, max_length=500)


class MeetingClose(Body):
    version: StrictInt | None = None
    present: StrictInt | None = None
    agree: dict[str, StrictInt] | None = None


class Reopen(Body):
    comment: Text(2000)


class DayOffAdd(Body):
    day: IsoDate
    name: Text(200)


class NominationFields(Body):
    kind: Kind
    nominee_name: Text(200)
    title: Text(300)
    field: Text(200)
    summary: Text(5000)
    achievements: Text(20000)
    target_level: Level
    nominee_birth_year: Year | None = None
    nominee_position: Text(200) | None = None
    nominee_email: Email | None = None
    nominee_gender: Gender | None = None
    nominee_ethnicity: Text(50) | None = None
    nominee_workplace: Text(200) | None = None

    @model_validator(mode="after")
    def _individual_fields_for_individuals(self):
        # A collective has no gender, birth year, …: a 422 naming the field, before any lookup.
        services.check_individual_fields(self.kind, self.model_dump())
        return self


class NominationCreate(NominationFields):
    campaign_id: Id


class NominationPatch(Body):
    version: StrictInt
    kind: Kind = None
    nominee_name: Text(200) = None
    title: Text(300) = None
    field: Text(200) = None
    summary: Text(5000) = None
    achievements: Text(20000) = None
    target_level: Level = None
    nominee_birth_year: Year | None = None
    nominee_position: Text(200) | None = None
    nominee_email: Email | None = None
    nominee_gender: Gender | None = None
    nominee_ethnicity: Text(50) | None = None
    nominee_workplace: Text(200) | None = None


class ActionRequest(Body):
    version: StrictInt
    comment: Text(5000, min_length=0) | None = None


class Page(BaseModel):
    """Query strings arrive as text, so these fields are parsed, not strict."""

    model_config = ConfigDict(extra="ignore")

    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(20, ge=1, le=100)


class NominationQuery(Page):
    after: QueryId | None = None  # keyset: the last id of the page before (lists, newest first)
    state: State | None = None
    campaign_id: QueryId | None = None
    unit_code: Text(40) | None = None
    q: Text(200) | None = None


class SummaryQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    campaign_id: QueryId | None = None
    unit_code: Text(40) | None = None
    # States as they stood when that day ended; units placed as they stand today or stood then.
    as_of: IsoDate | None = None
    by: Literal[reports.BY] = "today"
