"""The one place where the web UI tells the mail side that outbox rows were committed.

The Celery dispatch task is being built separately; until it is wired here, rows simply wait
in the outbox table (status "pending") for the dispatcher's periodic sweep.
"""

from flask import current_app

HOOK = "commend.outbox_written"


def outbox_written():
    """Call after a commit that wrote outbox rows; runs the hook the mail side registered."""
    hook = current_app.extensions.get(HOOK)
    if hook is not None:
        hook()
