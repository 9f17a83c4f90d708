"""Flask CLI commands: imports, the demo, and the workflow diagram."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from web.database import db
from workflow import demo, files, imports, machine, policy
from workflow.models import Campaign, User


def init_app(app):
    for command in (import_units, import_users, seed_demo, workflow_diagram):
        app.cli.add_command(command)


def _run_import(kind, path, username):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path}: not UTF-8 text (byte {error.start})") from None
    session = db.session
    actor = _actor(session, username)
    _schema, function = imports.IMPORTS[kind]
    try:
        created, updated = function(session, actor, text)
    except imports.ImportError_ as error:
        session.rollback()
        raise click.ClickException(f"{path}, {error}; nothing was imported") from None
    session.commit()
    click.echo(f"{path}: {created} created, {updated} updated")


def _actor(session, username):
    """The operator at this shell, or with --as, that administrator and only their subtree."""
    if username is None:
        return policy.OPERATOR
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not policy.can_administer(user, user.unit):
        raise click.ClickException(f"--as {username}: no active administrator of that name")
    return user


AS_OPTION = click.option(
    "--as",
    "username",
    metavar="USERNAME",
    help="Import as this administrator: only inside their subtree (default: the whole tree).",
)


@click.command("import-units")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@AS_OPTION
def import_units(path, username):
    """Create or update units from a units.csv file (all or nothing)."""
    _run_import("units", path, username)


@click.command("import-users")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@AS_OPTION
def import_users(path, username):
    """Create or update users from a users.csv file (all or nothing)."""
    _run_import("users", path, username)


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo province, its users, nominations in every state and committee decisions."""
    store = files.LocalStore(current_app.config["ATTACHMENTS_DIR"])
    loaded = demo.seed(db.session, store=store)
    db.session.commit()
    if loaded:
        click.echo(f"Demo loaded; every demo user's password is {demo.DEMO_PASSWORD!r}.")
        campaign_id = db.session.scalar(
            select(Campaign.id).where(Campaign.name == demo.DECISIONS_CAMPAIGN)
        )
        if campaign_id is not None:
            base = current_app.config["BASE_URL"].rstrip("/")
            click.echo(f"Names open for public comment: {base}/public/campaigns/{campaign_id}")
    else:
        click.echo("Demo already loaded; nothing changed.")


@click.command("workflow-diagram")
def workflow_diagram():
    """Print the workflow as a Mermaid state diagram."""
    click.echo(machine.mermaid())
