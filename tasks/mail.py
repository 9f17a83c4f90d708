"""Mail backends (SMTP, or .eml files) and the building of one message, standard library only.

`SMTP_URL` chooses SMTP:

- `smtp://host:port` — plain SMTP (a local relay);
- `smtp://user:password@host:587?starttls=1` — STARTTLS, then login (user and password are
  URL-decoded; login happens whenever a user is given, and only over TLS unless `starttls=0`
  is said explicitly);
- `smtps://user:password@host:465` — TLS from the first byte.

Unset, every message is written as one `.eml` file under `instance/mail/` (or `MAIL_DIR`).
"""

import hashlib
import os
import smtplib
import socket
import ssl
import tempfile
from contextlib import contextmanager
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

TRUE = ("1", "true", "yes", "on")


class MailConfigError(ValueError):
    pass


def message_id(key, mail_from):
    """The Message-ID of the outbox row `key`: the same for every retry of that row."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "commend.local"
    return f"<{digest}@{domain}>"


def build(*, key, mail_from, to, subject, text, html, language, date):
    """The message, text and HTML alternatives, UTF-8.

    Built with the email package's classic API: several times cheaper than EmailMessage's
    content manager, which matters where every action's notices are built. Its Header class
    writes a Vietnamese subject as RFC 2047 encoded words that keep every space.
    """
    message = MIMEMultipart("alternative")
    message["Subject"] = Header(subject, "utf-8")
    name, address = parseaddr(mail_from)
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = to
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id(key, mail_from)
    # Tells mail servers and vacation responders not to answer a machine.
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = language
    message.attach(MIMEText(text, "plain", "utf-8"))
    message.attach(MIMEText(html, "html", "utf-8"))
    return message


class FileBackend:
    """One .eml file per message; a resend of the same row overwrites its file."""

    def __init__(self, directory):
        self.directory = Path(directory)

    def answers(self):
        return True

    @contextmanager
    def session(self):
        yield self.send

    def send(self, message):
        self.directory.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").partition("@")[0]
        target = self.directory / f"{name}.eml"
        # Write then rename: the debug page never shows half a message.
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(message.as_bytes())
        os.replace(temporary, target)
        return target


def is_unreachable(error):
    """Did `error` come from not reaching the mail server (rather than its refusing a message)?"""
    return isinstance(
        error,
        (
            ConnectionError,
            TimeoutError,
            smtplib.SMTPConnectError,
            smtplib.SMTPServerDisconnected,
            socket.gaierror,
        ),
    )


@cache
def tls_context():
    """The TLS settings for every connection to the mail server, made once per process: making
    them reads the system's certificates, which cost more than sending a notice."""
    return ssl.create_default_context()


class SMTPBackend:
    def __init__(self, url, *, timeout=8):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailConfigError(f"SMTP_URL must be smtp://host:port or smtps://…, not {url!r}")
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        if not f"{self.username or ''}{self.password}".isascii():
            raise MailConfigError(
                "SMTP_URL: smtplib logs in with ASCII user names and passwords only"
            )
        self.starttls = query.get("starttls", "").lower() in TRUE
        self.timeout = timeout
        cleartext_on_purpose = query.get("starttls", "").lower() in ("0", "false", "no", "off")
        if self.username and not (self.implicit_tls or self.starttls or cleartext_on_purpose):
            raise MailConfigError(
                "SMTP_URL gives a login without TLS; add ?starttls=1, use smtps://, "
                "or say ?starttls=0 to send the password in the clear on purpose"
            )

    def _connect(self):
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=tls_context()
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                client.starttls(context=tls_context())
        except BaseException:
            client.close()
            raise
        return client

    @contextmanager
    def session(self):
        """One connection for a batch of messages: yields send(message). The connection opens
        with the first message; a server that hangs up is reconnected to with the next."""
        client = None

        def send(message):
            nonlocal client
            if client is None:
                client = self._connect()
                if self.username:
                    client.login(self.username, self.password)
            try:
                client.send_message(message)
            except smtplib.SMTPServerDisconnected:
                client.close()
                client = None
                raise

        try:
            yield send
        finally:
            if client is not None:
                try:
                    client.quit()
                except (OSError, smtplib.SMTPException):
                    client.close()

    def send(self, message):
        with self.session() as send:
            send(message)

    def answers(self):
        """Does the server answer (connect, greeting, NOOP)? Sends nothing."""
        try:
            with self._connect() as client:
                return client.noop()[0] == 250
        except (OSError, smtplib.SMTPException):
            return False


def mail_dir(config, instance_path):
    return Path(config.get("MAIL_DIR") or Path(instance_path) / "mail")


def backend_for(config, instance_path):
    if config.get("SMTP_URL"):
        return SMTPBackend(config["SMTP_URL"], timeout=config["SMTP_TIMEOUT_SECONDS"])
    return FileBackend(mail_dir(config, instance_path))
