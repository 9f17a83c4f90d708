"""CLI commands for the periodic jobs, for setups without `celery beat` (cron, the demo)."""

import datetime as dt

import click
from flask import current_app

from tasks.lists import AUDIT_LISTS
from tasks.outbox import DIGESTS, SWEEP


def init_app(app):
    for command in (outbox_sweep, deadline_digests, audit_lists):
        app.cli.add_command(command)


@click.command("outbox-sweep")
def outbox_sweep():
    """Queue (or, without a broker, send now) every notice and list still waiting."""
    queued = current_app.extensions["celery"].tasks[SWEEP].apply().get()
    click.echo(f"{queued} waiting item(s) handed to the workers")


@click.command("deadline-digests")
@click.option("--on", "day", help="the day to write the digests for (YYYY-MM-DD); default today")
def deadline_digests(day):
    """Write today's review-deadline digests (one per reviewer per day; rerunning adds none)."""
    if day:
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            message = f"{day!r} is not a date like 2026-11-21"
            raise click.BadParameter(message, param_hint="--on") from None
    written = current_app.extensions["celery"].tasks[DIGESTS].apply(args=(day,)).get()
    click.echo(f"{written} digest(s) written")


@click.command("audit-lists")
def audit_lists():
    """Check every done list's files against their checksums (exit 1 when one fails)."""
    found = current_app.extensions["celery"].tasks[AUDIT_LISTS].apply().get()
    click.echo(
        f"{found['checked']} list(s) checked, {len(found['failed'])} with missing or altered files"
    )
    for list_id in found["failed"]:
        click.echo(f"list {list_id}: its files are missing or altered", err=True)
    if found["failed"]:
        click.get_current_context().exit(1)
