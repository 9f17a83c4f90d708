"""Flask CLI commands: imports, the demo, and the workflow diagram."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from web.database import db
from workflow import demo, imports, machine


def init_app(app):
    for command in (import_units, import_users, seed_demo, workflow_diagram):
        app.cli.add_command(command)


def _run_import(function, path):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path}: not UTF-8 text (byte {error.start})") from None
    session = db.session
    try:
        created, updated = function(session, text)
    except imports.ImportError_ as error:
        session.rollback()
        raise click.ClickException(f"{path}, {error}; nothing was imported") from None
    session.commit()
    click.echo(f"{path}: {created} created, {updated} updated")


@click.command("import-units")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_units(path):
    """Create or update units from a units.csv file (all or nothing)."""
    _run_import(imports.import_units, path)


@click.command("import-users")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_users(path):
    """Create or update users from a users.csv file (all or nothing)."""
    _run_import(imports.import_users, path)


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo province, its users and nominations in every state."""
    loaded = demo.seed(db.session)
    db.session.commit()
    if loaded:
        click.echo(f"Demo loaded; every demo user's password is {demo.DEMO_PASSWORD!r}.")
    else:
        click.echo("Demo already loaded; nothing changed.")


@click.command("workflow-diagram")
def workflow_diagram():
    """Print the workflow as a Mermaid state diagram."""
    click.echo(machine.mermaid())
