"""Flask CLI commands: imports, the demo, and the workflow diagram."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from web.database import db
from web.storage import store
from workflow import demo, files, imports, machine, policy, reorganisation
from workflow.errors import DomainError
from workflow.models import Campaign, Unit, User


def init_app(app):
    commands = (import_units, import_users, seed_demo, reorganise, reorganise_demo)
    for command in (*commands, workflow_diagram):
        app.cli.add_command(command)


def _read(path):
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path}: not UTF-8 text (byte {error.start})") from None


def _run_import(kind, path, username):
    text = _read(path)
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
    """Load the demo provinces, their users, nominations in every state and committee
    decisions."""
    loaded = demo.seed(db.session, store=store(files.EVIDENCE))
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


@click.command("reorganise")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--reason", required=True, help="Why (e.g. the resolution), kept with the record.")
@click.option("--apply", "apply_", is_flag=True, help="Apply it; without this, a dry run.")
@click.option(
    "--as",
    "username",
    metavar="USERNAME",
    help="Act as this administrator: only inside their subtree (default: the whole tree).",
)
def reorganise(path, reason, apply_, username):
    """Merge, dissolve, move and rename units from an old_code,new_code CSV file."""
    text = _read(path)
    session = db.session
    actor = _actor(session, username)
    try:
        if apply_:
            report = reorganisation.apply_csv(session, actor, text, reason=reason)
        else:
            errors, report = reorganisation.preview_csv(session, actor, text, reason=reason)
            if errors:
                lines = "\n".join(f"  {error}" for error in errors)
                raise click.ClickException(f"{path}: nothing would change:\n{lines}")
    except imports.ImportError_ as error:
        session.rollback()
        raise click.ClickException(f"{path}, {error}; nothing was changed") from None
    except DomainError as error:
        session.rollback()
        raise click.ClickException(f"{path}: {error}; nothing was changed") from None
    if apply_:
        session.commit()
    else:
        session.rollback()
    _echo_report(report)


def _echo_report(report):
    verb = "would change" if report["dry_run"] else "changed"
    click.echo(
        f"{len(report['units'])} units, {len(report['accounts'])} accounts, "
        f"{len(report['campaigns'])} campaigns and {len(report['nominations'])} nominations "
        f"{verb}" + ("" if report["dry_run"] else f" (reorganisation {report['id']})")
    )
    for unit in report["units"]:
        click.echo(f"  unit {unit['code']}: {', '.join(unit['changes'])}")
    for account in report["accounts"]:
        click.echo(
            f"  account {account['username']}: {account['change']}, "
            f"{account['unit_from']} → {account['unit_to']}"
        )
    for campaign in report["campaigns"]:
        click.echo(f"  campaign {campaign['id']}: {campaign['unit_from']} → {campaign['unit_to']}")
    for item in report["nominations"]:
        before = item["pending_from"] or item["returned_by_from"] or item["cell_from"]
        after = item["pending_to"] or item["returned_by_to"] or item["cell_to"]
        click.echo(f"  nomination {item['id']} ({item['state_to']}): {before} → {after}")


@click.command("reorganise-demo")
@with_appcontext
def reorganise_demo():
    """Replay the 2025 reorganisation on the demo's district tree, as its administrator."""
    if db.session.scalar(select(Unit.id).where(Unit.code == "PT-CK")) is None:
        raise click.ClickException("load the demo first: flask --app web seed-demo")
    report = demo.reorganise(db.session)
    if report is None:
        click.echo("The demo was reorganised already; nothing changed.")
        return
    db.session.commit()
    _echo_report(report)
