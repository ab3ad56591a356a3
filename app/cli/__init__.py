"""kinetria: serve the Kinetria API and manage its database.

Settings come from environment variables (and `.env`); see the README's configuration
table. Without DATABASE_URL, every command uses the embedded PostgreSQL under KINETRIA_HOME
(default ./.kinetria), sharing it with any other kinetria command using that home."""

from __future__ import annotations

import argparse
import subprocess
import sys

from app.cli.common import ENVIRONMENT, StartupError, one_line
from app.cli.db import DB_ACTIONS, add_db_command, db_command
from app.cli.serve import add_serve_command, add_worker_command, serve, worker
from app.core.config import ConfigError, load_settings
from app.core.logs import configure_logging

__all__ = ["DB_ACTIONS", "db_command", "main", "one_line", "parser"]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="kinetria",
        description=__doc__,
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    root.add_argument("--version", action="version", version=f"kinetria {package_version()}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_serve_command(commands)
    add_worker_command(commands)
    add_db_command(commands)
    return root


def package_version() -> str:
    from importlib.metadata import version

    return version("kinetria")


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"kinetria: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    try:
        if args.command == "serve":
            serve(settings, args)
        elif args.command == "worker":
            worker(settings, args)
        else:
            db_command(settings, args)
    except StartupError as exc:
        print(f"kinetria: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except subprocess.CalledProcessError as exc:
        print(f"kinetria: {one_line(exc)}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
