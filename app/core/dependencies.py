"""What a router gives its handlers besides the connection and the caller: the settings and
the password hasher the app was built with, each a named dependency read from the app's
state, and the annotations a handler (or `resource.calling`) declares them with."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from app.core.config import Settings
from app.core.passwords import Passwords, provide_passwords


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


SETTINGS = {"settings": Provide(provide_settings, sync_to_thread=False)}
PASSWORDS = {"passwords": Provide(provide_passwords, sync_to_thread=False)}

# the handler parameters that receive them (`calling(needs=...)`): the settings; the
# password hasher with the settings its checks go with (the login throttle)
NEEDS_SETTINGS: dict[str, Any] = {"settings": NamedDependency[Settings]}
NEEDS_PASSWORDS: dict[str, Any] = {
    "passwords": NamedDependency[Passwords],
    "settings": NamedDependency[Settings],
}
