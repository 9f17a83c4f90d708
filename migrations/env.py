"""Alembic environment: the app's engine and the workflow's metadata."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
options = current_app.extensions["migrate"].configure_args


def run_migrations_offline():
    context.configure(
        url=database.engine.url.render_as_string(hide_password=False),
        target_metadata=database.metadata,
        literal_binds=True,
        **options,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def skip_empty_revisions(context, revision, directives):
        # `flask db migrate` with no model change writes nothing instead of an empty file.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    # Tests pass the connection their transaction lives on; otherwise use the app's engine.
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, skip_empty_revisions)
        return
    with database.engine.connect() as connection:
        _run(connection, skip_empty_revisions)


def _run(connection, process_revision_directives):
    context.configure(
        connection=connection,
        target_metadata=database.metadata,
        process_revision_directives=process_revision_directives,
        **options,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
