"""Email: queued in the caller's transaction, rendered and sent by the background worker.

    from app.mail import queue_email

    async with db.transaction():
        ...  # the change that warrants the message
        await queue_email(db.conn, to=user.email, template="password_reset",
                          values={"display_name": user.display_name, "link": link})

A template is a pair of files in app/mail/templates/: `<name>.txt` (the plain-text body,
whose first line is `Subject: ...`) and `<name>.html` (the HTML body), with `$placeholders`
(`string.Template`). Every placeholder needs a value: a missing one raises KeyError here, in
the request, not later in the worker. Values are inserted escaped into the HTML body.

Nothing is sent from the request: the job row commits with the caller's transaction (a
rolled-back request sends nothing), and a worker sends it over SMTP_URL, retrying with
backoff; without SMTP_URL outside production, it writes an .eml file to
$KINETRIA_HOME/mailbox/ instead. Delivery is at least once: a worker killed after the SMTP
server accepted a message, before it recorded the job done, sends it again.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from app.mail.render import render
from app.worker import defer

__all__ = ["queue_email"]


async def queue_email(
    conn: AsyncConnection[Any], *, to: str, template: str, values: dict[str, str]
) -> None:
    """Queue the message `template` with `values` to `to`, in the transaction `conn` is in
    (or at once when `conn` is in autocommit mode and outside a transaction)."""
    from app.mail.jobs import send_email

    render(template, values)  # an unknown template or a missing value fails here
    await defer(conn, send_email, to=to, template=template, values=dict(values))
