"""Forms of the meeting pages: open a meeting, cast a ballot, close in the app or on paper."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, NumberRange

from web.forms import ConfirmedForm, Form, length, optional, options, required
from workflow.models import MEETING_MODES

MODES = {
    "app": _l("In the app: each member casts a secret ballot"),
    "paper": _l("On paper: the chair enters the counts and attaches the scanned minutes"),
}
CHOICES = {"agree": _l("Agree"), "disagree": _l("Disagree")}


class OpenMeetingForm(Form):
    campaign_id = SelectField(_l("Campaign"), coerce=int, validate_choice=True)
    held_on = DateField(_l("Meeting day"), validators=[InputRequired(_l("A date, please."))])
    closes_on = DateField(_l("Voting closes on"), validators=[optional()])
    place = StringField(_l("Place"), validators=[required(), length(200)])
    mode = RadioField(
        _l("How the vote is recorded"),
        choices=options((mode, MODES[mode]) for mode in MEETING_MODES),
        default="app",
        validators=[required()],
    )
    nomination_ids = SelectMultipleField(
        _l("Nominations on the agenda"),
        coerce=int,
        validators=[InputRequired(_l("Tick at least one nomination."))],
    )


def ballot_form(agenda, formdata=None):
    """A ballot: agree or disagree for every nomination of the agenda (`vote_<id>`)."""

    class BallotForm(ConfirmedForm):
        pass

    for nomination in agenda:
        setattr(
            BallotForm,
            f"vote_{nomination.id}",
            RadioField(
                nomination.nominee_name,
                choices=options(CHOICES.items()),
                validators=[InputRequired(_l("Choose agree or disagree."))],
            ),
        )
    form = BallotForm(formdata=formdata)
    form.choices = lambda: {
        str(nomination.id): form[f"vote_{nomination.id}"].data for nomination in agenda
    }
    return form


class CloseForm(ConfirmedForm):
    """Closing an app meeting: a confirmation step first."""

    version = HiddenField(validators=[required()])


def paper_form(agenda, size, needs_scan, formdata=None):
    """Closing a paper meeting: who was present, the agree count of every nomination, the
    scanned minutes, and the chair's confirmation that the counts match them."""

    counts = [NumberRange(0, size, message=_l("A number from %(min)s to %(max)s, please."))]

    class PaperForm(Form):
        version = HiddenField(validators=[required()])
        present = IntegerField(
            _l("Members present"), validators=[InputRequired(_l("A number, please.")), *counts]
        )
        scan = FileField(
            _l("Scanned minutes (PDF)"),
            validators=[FileRequired(_l("Attach the scanned minutes."))]
            if needs_scan
            else [optional()],
        )
        checked = BooleanField(
            _l("I have checked these counts against the signed minutes; closing cannot be undone."),
            validators=[InputRequired(_l("Confirm that the counts are checked."))],
        )

    for nomination in agenda:
        setattr(
            PaperForm,
            f"agree_{nomination.id}",
            IntegerField(
                nomination.nominee_name,
                validators=[InputRequired(_l("A number, please.")), *counts],
            ),
        )
    form = PaperForm(formdata=formdata)
    form.agree = lambda: {
        str(nomination.id): form[f"agree_{nomination.id}"].data for nomination in agenda
    }
    return form
