"""Public views: a campaign's names open for comment today, and the comment form's answer."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from web.database import db
from web.forms import show_invalid
from web.public import bp
from web.public.forms import CommentForm
from web.throttle import client_address, comment_throttle
from workflow import comments, services
from workflow.errors import Invalid, NotFound

LIMITS = {"name": comments.NAME_MAX, "contact": comments.CONTACT_MAX, "text": comments.TEXT_MAX}


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id):
    found = comments.public_campaign(db.session, campaign_id)
    return _render(found)


@bp.post("/campaigns/<int:campaign_id>/comments")
def comment(campaign_id):
    found = comments.public_campaign(db.session, campaign_id)
    form = CommentForm()
    if not form.validate():
        return _render(found, form, 422)
    comment_throttle.take()
    try:
        comments.add_comment(
            db.session,
            found,
            form.nomination_id.data,
            name=form.name.data,
            contact=form.contact.data,
            text=form.text.data,
            address=client_address(),
            on=services.today(),
        )
    except Invalid as error:
        db.session.rollback()
        show_invalid(form, error)
        return _render(found, form, 422)
    except NotFound:
        db.session.rollback()
        form.form_errors.append(_("This name is not open for comment, or no longer."))
        return _render(found, form, 404)
    db.session.commit()
    flash(_("Thank you. Your comment has been sent to the reviewers."), "success")
    return redirect(url_for("public.campaign", campaign_id=found.id), code=303)


def _render(campaign, posted=None, status=200):
    """The page; `posted` is a refused form, shown again beside the name it was about."""
    names = comments.published(db.session, campaign, on=services.today())
    about = posted.nomination_id.data if posted is not None else None
    shown = {nomination.id for _publication, nomination in names}
    by_unit = {}  # the deciding units, in the order the names come (by unit)
    for publication, nomination in names:
        by_unit.setdefault(publication.unit, []).append((publication, nomination))
    return render_template(
        "public/campaign.html",
        campaign=campaign,
        sections=list(by_unit.items()),
        posted=posted if about in shown else None,
        lost=posted if posted is not None and about not in shown else None,
        blank=CommentForm(formdata=None),
        limits=LIMITS,
    ), status
