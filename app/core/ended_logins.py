"""Ended means ended: an access token stops working the moment its login or its account
ends, in every process, without a query per request.

The statements that end logins (log out, end a login, end the other logins on a password
change, a reused refresh token, revoke an API key) or delete an account send a notification
on `CHANNEL` in their own transaction, so PostgreSQL delivers it when they commit, and only
then. Each process keeps one connection LISTENing on it (`DATABASE_LISTEN_URL`, default
`DATABASE_URL`). An API key is known here as a login too: its login id is the first 16
bytes of the key's SHA-256, as a UUID (app/core/security.py).

A process asks the database once whether a login stands (`tokens/login_live`) and
remembers the answer until a notification names that login or its account. While it has
no listening connection (not yet, or lost), it could miss a notification, so it remembers
nothing: every request asks the database, until the connection is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager, suppress
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool

from app.core.db import Db, Queries
from app.core.errors import Unauthorized

log = logging.getLogger("kinetria.ended_logins")

CHANNEL = "kinetria_logins_ended"
LISTENER_NAME = "kinetria-listener"  # application_name of the listening connections
# How long the listening connection may sit silent before it is checked with a query (a
# connection lost without a word, e.g. behind a dead network path, shows up there).
HEARTBEAT_S = 5.0
RETRY_MAX_S = 2.0
_ENDED = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class LoginGate:
    """The logins this process knows to stand, kept true by the notifications."""

    def __init__(self, listen_url: str, *, connect_timeout_s: float, capacity: int = 65_536):
        self._listen_url = listen_url
        self._connect_timeout_s = connect_timeout_s
        self._capacity = capacity
        # user id -> the logins of theirs known to stand (None: tokens naming no login)
        self._standing: OrderedDict[UUID, set[UUID | None]] = OrderedDict()
        self._events = 0  # notifications seen
        self._events_of: dict[UUID, int] = {}  # user id -> _events at their last notification
        self._generation = 0  # moves on whenever everything is forgotten
        self.listening = False
        self._listening = asyncio.Event()

    async def admit(
        self,
        *,
        user_id: UUID,
        login_id: UUID | None,
        pool: AsyncConnectionPool[Any],
        queries: Queries,
        slow_query_ms: float,
        key_id: UUID | None = None,
    ) -> None:
        """Return when the login stands; 401 `invalid_token` when it or the account ended.
        With `key_id`, the login is an API key's (`login_id`: what this gate knows the key
        by), asked about with `api_keys/key_live`."""
        if self.listening:
            standing = self._standing.get(user_id)
            if standing is not None and login_id in standing:
                return
        for _ in range(3):
            generation, seen = self._generation, self._events_of.get(user_id)
            async with pool.connection() as conn:
                db = Db(conn, queries, slow_query_ms)
                if key_id is None:
                    live = await db.scalar("tokens/login_live", user_id=user_id, login_id=login_id)
                else:
                    live = await db.scalar(
                        "api_keys/key_live", user_id=user_id, login_id=login_id, key_id=key_id
                    )
            if not live:
                message = (
                    "The login of this access token has ended"
                    if key_id is None
                    else "The API key has been revoked or has expired"
                )
                raise Unauthorized("invalid_token", message, headers=_ENDED)
            if generation != self._generation or self._events_of.get(user_id) != seen:
                continue  # a notification came while asking: ask again
            if self.listening:
                self._remember(user_id, login_id)
            return
        # the database said "stands" each time: admit, without remembering

    def _remember(self, user_id: UUID, login_id: UUID | None) -> None:
        standing = self._standing.get(user_id)
        if standing is None:
            if len(self._standing) >= self._capacity:
                self._standing.popitem(last=False)  # the longest known
            standing = self._standing[user_id] = set()
        standing.add(login_id)

    def ended(self, payload: str) -> None:
        """A notification: forget the login it names (all the user's when it names none)."""
        self._events += 1
        try:
            event = json.loads(payload)
            user_id = UUID(event["user_id"])
            login_id = UUID(event["login_id"]) if event.get("login_id") else None
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable notification; forgetting every login")
            self._forget_all()
            return
        self._events_of[user_id] = self._events
        if len(self._events_of) > self._capacity:
            self._events_of.clear()  # bounded: the generation tells what was asked before
            self._generation += 1
        if login_id is None:
            self._standing.pop(user_id, None)
        else:
            standing = self._standing.get(user_id)
            if standing is not None:
                standing.discard(login_id)

    def _forget_all(self) -> None:
        self._standing.clear()
        self._events_of.clear()
        self._generation += 1

    def _lost(self) -> None:
        self.listening = False
        self._listening.clear()
        self._forget_all()

    async def listen(self) -> None:
        """Keep a listening connection, reconnecting when it is lost (runs until cancelled)."""
        delay = 0.05
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._listen_url,
                    autocommit=True,
                    connect_timeout=max(1, round(self._connect_timeout_s)),
                    application_name=LISTENER_NAME,
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._forget_all()  # what was remembered before may have ended unheard
                    self.listening = True
                    self._listening.set()
                    log.info("listening for ended logins", extra={"channel": CHANNEL})
                    delay = 0.05
                    while True:
                        async for note in conn.notifies(timeout=HEARTBEAT_S):
                            self.ended(note.payload)
                        await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                self._lost()
                raise
            except (psycopg.Error, OSError) as exc:
                if self.listening:
                    log.warning(
                        "lost the listening connection; asking the database for every token",
                        extra={"error": type(exc).__name__},
                    )
                self._lost()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    @asynccontextmanager
    async def running(self) -> AsyncGenerator[None]:
        """Listen for as long as the block runs; waits (up to the connect timeout) for the
        first connection, so a new process remembers logins from its first request."""
        task = asyncio.create_task(self.listen(), name="ended-logins-listener")
        try:
            try:
                await asyncio.wait_for(self._listening.wait(), self._connect_timeout_s)
            except TimeoutError:
                log.warning("not listening for ended logins yet; asking the database meanwhile")
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
