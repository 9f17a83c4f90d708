"""The list of .eml files, newest first, and one message with its text and HTML parts."""

import re
from email import policy
from email.parser import BytesParser

from flask import abort, current_app, render_template

from tasks.mail import mail_dir
from web.devmail import bp

FILE_NAME = re.compile(r"^[0-9a-f]{40}\.eml$")


def _read(path):
    with path.open("rb") as stream:
        return BytesParser(policy=policy.default).parse(stream)


@bp.get("/")
def index():
    directory = mail_dir(current_app.config, current_app.instance_path)
    paths = sorted(directory.glob("*.eml"), key=lambda path: path.stat().st_mtime, reverse=True)
    messages = []
    for path in paths[:500]:
        message = _read(path)
        messages.append(
            {
                "name": path.name,
                "subject": message["Subject"],
                "to": message["To"],
                "date": message["Date"],
            }
        )
    return render_template("devmail/index.html", messages=messages, directory=directory)


@bp.get("/<name>")
def show(name):
    if not FILE_NAME.match(name):
        abort(404)
    path = mail_dir(current_app.config, current_app.instance_path) / name
    if not path.is_file():
        abort(404)
    message = _read(path)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return render_template(
        "devmail/show.html",
        message=message,
        text=text.get_content() if text else "",
        html=html.get_content() if html else "",
    )
