"""A real HTTP receiver on loopback for the webhook tests: it records every request it gets
(headers and body) and answers what the test scripts (a status per request, by default
204), in a thread of its own; it can be stopped and started again on the same port, to be
a receiver that is down for a while."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    path: str = ""

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int
    received: list[Received] = field(default_factory=list)
    # the status of each answer, in turn; when exhausted, `default`
    script: list[int] = field(default_factory=list)
    default: int = 204
    extra_headers: dict[str, str] = field(default_factory=dict)
    on_request: Callable[[Received], None] | None = None
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                got = Received(
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length).decode(),
                    self.path,
                )
                with receiver._lock:
                    receiver.received.append(got)
                    status = receiver.script.pop(0) if receiver.script else receiver.default
                if receiver.on_request is not None:
                    receiver.on_request(got)
                self.send_response(status)
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def message_ids(self) -> list[str]:
        with self._lock:
            return [r.message_id for r in self.received]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def receiver_running(**options: Any) -> Iterator[Receiver]:
    receiver = Receiver(free_port(), **options)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
