"""Password hashing (Argon2id) and the password policy.

Hashing is CPU- and memory-heavy by design, so it runs in worker threads, at most a few at
a time (each hash holds `memory_cost` KiB while it runs). One `Passwords` object is built
per app at startup, with the dummy hash that logins for unknown emails are checked against,
so they take as long as logins with a wrong password.
"""

from __future__ import annotations

import base64
import os
import unicodedata
from typing import Any

import anyio.to_thread
from anyio import CapacityLimiter
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Litestar
from litestar.datastructures import State

from app.core.config import Settings
from app.core.errors import Unprocessable

MIN_LENGTH = 10
MAX_BYTES = 1024

# OWASP's Password Storage Cheat Sheet asks for at least m=19 MiB, t=2, p=1 (or an
# equivalent trade-off). We use RFC 9106's second recommended option (argon2-cffi's
# defaults): m=64 MiB, t=3, p=4, well above that floor.
TIME_COST = 3
MEMORY_COST_KIB = 65_536
PARALLELISM = 4


def default_hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=TIME_COST,
        memory_cost=MEMORY_COST_KIB,
        parallelism=PARALLELISM,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def minimal_hasher() -> PasswordHasher:
    """Argon2id with the smallest parameters it accepts (t=1, m=8 KiB, p=1): microseconds
    instead of a fifth of a second of CPU. For the test suite's own apps only
    (`Settings.password_hash_minimal`, which no environment variable sets); the hashes
    it makes are real Argon2id hashes that production logins verify and upgrade."""
    return PasswordHasher(
        time_cost=1, memory_cost=8, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
    )


def normalize(password: str) -> str:
    """NFKC, as NIST SP 800-63B suggests, so the same password typed on two keyboards that
    compose characters differently is the same password."""
    return unicodedata.normalize("NFKC", password)


def make_dummy_hash(hasher: PasswordHasher) -> str:
    """An Argon2id hash with `hasher`'s parameters of no known password: a random salt and a
    random digest. Checking a password against it costs exactly one hash computation and
    fails (a match would be a 256-bit preimage), so it needs no hashing to make."""

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii").rstrip("=")

    return (
        f"$argon2id$v=19$m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
        f"${b64(os.urandom(hasher.salt_len))}${b64(os.urandom(hasher.hash_len))}"
    )


class Passwords:
    """Hashes and verifies passwords off the event loop."""

    def __init__(self, hasher: PasswordHasher, concurrency: int | None = None) -> None:
        self.hasher = hasher
        self.dummy_hash = make_dummy_hash(hasher)
        self.limiter = CapacityLimiter(concurrency or max(1, os.cpu_count() or 1))

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(
            self.hasher.hash, normalize(password), limiter=self.limiter
        )

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches `password_hash`. With no hash (no such user) or an
        unreadable one, the dummy hash is checked instead, so it takes as long, and fails."""
        usable = password_hash is not None and password_hash.startswith("$argon2")
        target = password_hash if usable and password_hash else self.dummy_hash
        matches = await anyio.to_thread.run_sync(
            self._verify, target, normalize(password), limiter=self.limiter
        )
        return matches and usable

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether a (verified) hash was made with other parameters than ours."""
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


def on_startup(app: Litestar) -> None:
    """Give the app its `Passwords` (with its own dummy hash)."""
    settings: Settings = app.state.settings
    hasher = minimal_hasher() if settings.password_hash_minimal else default_hasher()
    app.state.passwords = Passwords(hasher)


def provide_passwords(state: State) -> Passwords:
    passwords: Passwords = state.passwords
    return passwords


def check_policy(password: str, *, email: str, field: str = "password") -> None:
    """Raise 422 `weak_password` naming every rule `password` breaks.

    The rules follow NIST SP 800-63B and OWASP ASVS: a minimum length, a maximum that still
    allows long passphrases, no composition rules, and not the account's own email.
    """
    problems: list[dict[str, Any]] = []
    normalized = normalize(password)
    if len(normalized) < MIN_LENGTH:
        problems.append(
            {"field": field, "message": f"must be at least {MIN_LENGTH} characters long"}
        )
    if len(normalized.encode("utf-8")) > MAX_BYTES:
        problems.append({"field": field, "message": f"must be at most {MAX_BYTES} bytes (UTF-8)"})
    if normalized.strip() == "":
        problems.append({"field": field, "message": "must not be only spaces"})
    elif normalized.strip().casefold() == email.casefold():
        problems.append({"field": field, "message": "must not be your email address"})
    if problems:
        raise Unprocessable(
            "weak_password", "The password does not meet the policy", details=problems
        )
