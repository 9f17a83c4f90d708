"""Where evidence, minutes and list files live: one store per area, chosen by STORAGE_URL.

`store(area)` is the one factory the pages and the tasks call (areas in workflow.files):

- STORAGE_URL unset: folders of this node — evidence in ATTACHMENTS_DIR (instance/attachments),
  lists in LISTS_DIR (instance/lists), minutes in MINUTES_DIR (instance/minutes). One machine
  only: another node cannot read them.
- `database`: the application's database, in the caller's transaction; every node reads them.
- `s3://bucket/prefix`: objects "<prefix>/<area>/<key>" in S3-compatible storage, at
  S3_ENDPOINT_URL (unset: AWS itself), with the standard AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION; every node reads them.

`flask --app web storage-migrate --to URL` copies every stored file the database names from the
current store to another (idempotent, with --dry-run).
"""

import os
import threading
from pathlib import Path

import click
from flask import current_app

from web.database import db
from workflow import files, storage_copy


def init_app(app):
    """Refuse a STORAGE_URL that names no store, at start rather than at the first upload."""
    try:
        files.parse_url(app.config.get("STORAGE_URL"))
    except ValueError as error:
        raise RuntimeError(str(error)) from None
    app.cli.add_command(storage_migrate)


def folder(config, instance_path, area):
    """The local folder of an area on this node."""
    if area == files.EVIDENCE:
        return Path(config.get("ATTACHMENTS_DIR") or Path(instance_path) / "attachments")
    if area == files.LISTS:
        return Path(config.get("LISTS_DIR") or Path(instance_path) / "lists")
    return Path(config.get("MINUTES_DIR") or Path(instance_path) / "minutes")


def store(area, url=None):
    """The store of `area` (evidence, lists or minutes) on STORAGE_URL, or on `url`."""
    app = current_app
    if url is None:
        url = app.config.get("STORAGE_URL")
    kind, *where = files.parse_url(url)
    if kind == "database":
        return files.DatabaseStore(lambda: db.session, prefix=f"{area}/")
    if kind == "s3":
        from workflow.s3 import S3Store

        bucket, prefix = where
        return S3Store(_s3_client(app), bucket, f"{prefix}{area}/")
    return files.LocalStore(folder(app.config, app.instance_path, area))


_s3_lock = threading.Lock()


def _s3_client(app):
    """One boto3 client per process (they are thread-safe; making one costs tens of ms). A
    process forked from this one (a gunicorn or Celery worker) makes its own."""
    key = ("s3_client", os.getpid(), app.config.get("S3_ENDPOINT_URL"))
    client = app.extensions.get(key)
    if client is None:
        with _s3_lock:
            client = app.extensions.get(key)
            if client is None:
                client = app.extensions[key] = _new_s3_client(app.config)
    return client


def _new_s3_client(config):
    import boto3
    from botocore.config import Config

    endpoint = config.get("S3_ENDPOINT_URL") or None
    settings = Config(
        # Fail fast when the store is unreachable: an upload is refused, not left hanging.
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        # S3-compatible servers (MinIO, Ceph, …) at their own address expect the bucket in the
        # path; AWS itself picks the style.
        s3={"addressing_style": "path" if endpoint else "auto"},
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=settings)


@click.command("storage-migrate")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="Where to copy the files: 'database', 's3://bucket/prefix' or 'local' (this node's "
    "folders).",
)
@click.option(
    "--from",
    "source",
    default=None,
    metavar="URL",
    help="Where the files are now (default: STORAGE_URL).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be copied; copy nothing.")
def storage_migrate(target, source, dry_run):
    """Copy every evidence, minutes and list file the database names to another store.

    Files already there with the same size and checksum are left alone, so it can run again
    (after nodes were switched over, it copies what they wrote meanwhile). Each copy is read
    back and compared with the recorded checksum. Nothing is deleted from the source.
    """
    source = current_app.config.get("STORAGE_URL") if source is None else source
    try:
        source_kind, target_kind = files.parse_url(source), files.parse_url(target)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    if source_kind == target_kind:
        raise click.BadParameter("the source and the target are the same store", param_hint="--to")
    session = db.session
    stores = {area: (store(area, source), store(area, target)) for area in files.AREAS}
    report = storage_copy.copy_all(session, stores, dry_run=dry_run, echo=click.echo)
    verb = "would copy" if dry_run else "copied"
    click.echo(
        f"{report.copied} file(s) {verb}, {report.present} already there, "
        f"{len(report.missing)} missing from the source, {len(report.failed)} failed"
    )
    for item in report.missing:
        click.echo(f"missing from the source: {item}", err=True)
    for item in report.failed:
        click.echo(f"failed: {item}", err=True)
    if report.missing or report.failed:
        click.get_current_context().exit(1)
