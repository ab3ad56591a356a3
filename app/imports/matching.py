"""Matching the exercise names of an imported file to the catalogue.

The rules, in order; the first that finds an exercise wins:
1. The name, normalized, is a system exercise's name or an alias of one (`exercise_aliases`,
   which DBAs extend), or one of the user's own exercises. Normalized: accents dropped,
   case folded, `&` read as `and`, every other run of punctuation and spaces one space
   ("Push-Up", "push up" and "PUSH  UP" are one name).
2. A name ending in an equipment suffix, "Bench Press (Barbell)", is tried as "Barbell Bench
   Press" (the suffix in front) against the same names.
3. Then as the name without its suffix, "Leg Press", against system exercise names only (an
   alias without its equipment could name another exercise's variant).
A name none of these finds becomes one of the user's custom exercises, named as the file
writes it; the same name (normalized) always gets the same custom exercise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from uuid import UUID

import msgspec

_SUFFIX = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")
_PUNCTUATION = re.compile(r"[^0-9a-z]+")


class CatalogueName(msgspec.Struct):
    """A name an exercise answers to (internal: queries/imports/catalogue.sql)."""

    exercise_id: UUID
    name: str
    source: str  # system, alias or custom


def normalized(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _PUNCTUATION.sub(" ", plain.replace("&", " and ")).strip()


class Matcher:
    def __init__(self, names: Iterable[CatalogueName]) -> None:
        self.any: dict[str, UUID] = {}
        self.system: dict[str, UUID] = {}
        for entry in sorted(names, key=lambda n: ("system", "alias", "custom").index(n.source)):
            key = normalized(entry.name)
            self.any.setdefault(key, entry.exercise_id)
            if entry.source == "system":
                self.system.setdefault(key, entry.exercise_id)

    def find(self, name: str) -> UUID | None:
        found = self.any.get(normalized(name))
        if found is not None:
            return found
        suffixed = _SUFFIX.match(name)
        if suffixed is None:
            return None
        base, equipment = suffixed.groups()
        found = self.any.get(normalized(f"{equipment} {base}"))
        return found if found is not None else self.system.get(normalized(base))
