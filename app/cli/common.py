"""What every command shares: the database it runs on, its startup errors told in one line,
and the shape of its help."""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import textwrap
import time
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from app.core.config import Settings
from app.core.db import DatabaseUnavailable, wait_for_database

if TYPE_CHECKING:
    from app.core.embedded import EmbeddedPostgres

log = logging.getLogger("kinetria")

ENVIRONMENT = """environment:
  DATABASE_URL      PostgreSQL URL; unset: the embedded database under KINETRIA_HOME
  KINETRIA_HOME     where the embedded database keeps its data (default ./.kinetria)
  KINETRIA_ENV      development (default), test or production
  all settings: README, "Configuration" (also read from .env)"""


class StartupError(Exception):
    """A reason the command cannot start, told in one line."""


@contextmanager
def database(settings: Settings) -> Generator[str]:
    """The configured database's URL, or the embedded one's: started unless another
    kinetria process on the same home runs it; on exit, stopped only when no other process
    uses it and nobody asked to keep it running (`kinetria db url`)."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = embedded_database(settings)
    try:
        yield embedded.url
    finally:
        embedded.stop()


def wait_until_up(settings: Settings, url: str) -> None:
    """Wait for the database, which may still be starting (compose, a restart)."""
    try:
        asyncio.run(wait_for_database(settings, url))
    except DatabaseUnavailable as exc:
        raise StartupError(str(exc)) from None


def embedded_database(settings: Settings) -> EmbeddedPostgres:
    from app.core.embedded import EmbeddedPostgres

    started = time.perf_counter()
    try:
        embedded = EmbeddedPostgres(settings.home)
    except (OSError, RuntimeError, subprocess.SubprocessError, psycopg.Error) as exc:
        raise StartupError(f"the embedded database did not start: {one_line(exc)}") from exc
    log.info(
        "embedded database open",
        extra={"duration_ms": round((time.perf_counter() - started) * 1000)},
    )
    return embedded


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, subprocess.CalledProcessError):
        output = (exc.stderr or exc.output or "").strip() if isinstance(exc.stderr, str) else ""
        text = f"{Path(str(exc.cmd[0])).name} failed" + (f": {output}" if output else "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines[:3]) if lines else type(exc).__name__


def add_command(
    commands: Any, name: str, summary: str, description: str
) -> argparse.ArgumentParser:
    """A (sub)command: `summary` in its parent's list, `description` atop its own help, and
    the environment it reads below."""
    return commands.add_parser(
        name,
        help=summary,
        description=paragraph(description),
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def paragraph(text: str) -> str:
    return textwrap.fill(text, width=78)


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
