"""The worker's email job: render a template, send it over SMTP (or to the dev mailbox)."""

from __future__ import annotations

import logging
import os
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from app.core.config import Environment, Settings
from app.mail.render import render
from app.worker import JobContext, app, backoff, settings_of

log = logging.getLogger("kinetria.mail")

MAILBOX = "mailbox"  # under KINETRIA_HOME, without SMTP_URL outside production


class MailNotSent(Exception):
    """A failure worth another attempt: the server is away, busy or answered 4xx."""


class MailRefused(Exception):
    """A failure another attempt will not fix (a 5xx answer, an address that is not one):
    the job ends failed, and stays in procrastinate_jobs for an operator to see."""


@app.task(
    name="mail.send",
    queue="mail",
    pass_context=True,
    retry=backoff(retry_exceptions={MailNotSent, OSError, TimeoutError}),
)
async def send_email(
    context: JobContext, *, to: str, template: str, values: dict[str, str]
) -> None:
    settings = settings_of(context)
    job_id = context.job.id
    message = build_message(settings, job_id=job_id, to=to, template=template, values=values)
    if settings.smtp_url:
        await send_smtp(settings, message)
        log.info("email sent", extra={"template": template, "job_id": job_id})
    elif settings.env == Environment.PRODUCTION:
        raise MailNotSent("SMTP_URL is not set: the message waits for it (retried)")
    else:
        path = write_to_mailbox(settings.home / MAILBOX, message, job_id=job_id)
        log.info(
            "email written to the local mailbox (no SMTP_URL)",
            extra={"template": template, "job_id": job_id, "path": str(path)},
        )


def build_message(
    settings: Settings, *, job_id: int | None, to: str, template: str, values: dict[str, str]
) -> EmailMessage:
    rendered = render(template, values)
    if "@" not in parseaddr(to)[1] or any(c in to for c in "\r\n"):
        raise MailRefused("the recipient is not an address")
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    # the same id on every attempt of one job: a receiver can tell a retry from a new message
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<kinetria-mail-{job_id}@{domain}>"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


async def send_smtp(settings: Settings, message: EmailMessage) -> None:
    assert settings.smtp_url is not None
    parts = urlsplit(settings.smtp_url)
    starttls = parse_qs(parts.query).get("starttls", ["auto"])[-1]
    implicit_tls = parts.scheme == "smtps"
    client = aiosmtplib.SMTP(
        hostname=parts.hostname,
        port=parts.port or (465 if implicit_tls else 587),
        use_tls=implicit_tls,
        # auto: upgrade when the server offers STARTTLS; required: refuse a server that
        # does not; off: never (a relay on the same host)
        start_tls=None if starttls == "auto" else starttls == "required",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        timeout=settings.smtp_timeout_s,
        tls_context=ssl.create_default_context(),
    )
    try:
        async with client:
            await client.send_message(message)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [error.code for error in exc.recipients]
        if all(400 <= code < 500 for code in codes):
            raise MailNotSent(f"recipient deferred ({codes})") from None
        raise MailRefused(f"recipient refused ({codes})") from None
    except aiosmtplib.SMTPResponseException as exc:
        if 400 <= exc.code < 500:
            raise MailNotSent(f"the SMTP server answered {exc.code}") from None
        raise MailRefused(f"the SMTP server answered {exc.code}") from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        # never the URL: it may carry the password
        raise MailNotSent(f"SMTP: {type(exc).__name__}") from None


def write_to_mailbox(folder: Path, message: EmailMessage, *, job_id: int | None) -> Path:
    """One .eml per message, named after its job: a retry rewrites the same file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job_id:012d}.eml" if job_id is not None else folder / "message.eml"
    partial = path.with_suffix(".eml.partial")
    partial.write_bytes(message.as_bytes())
    os.replace(partial, path)
    return path.resolve()
