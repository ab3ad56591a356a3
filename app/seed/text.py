"""Values written the way COPY's text format reads them, and the UUIDv7 ids of the rows."""

from __future__ import annotations

import random
from datetime import date
from typing import Final

NULL: Final = "\\N"  # NULL in COPY's text format
DAY: Final = 86_400
EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
LB_IN_KG_NANOS: Final = 453_592_370  # 1 lb = 0.45359237 kg exactly, in 1e-9 kg


class CopyText:
    """Formats values the way COPY's text format reads them, with caches for the few
    thousand distinct timestamps-per-day and weights a run uses."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._kg: dict[int, str] = {}
        self._lb: dict[int, str] = {}

    def ts(self, t: int) -> str:
        """An epoch second as a UTC timestamptz."""
        day, sec = divmod(t, DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = date.fromordinal(EPOCH_ORDINAL + day).isoformat()
        return f"{prefix} {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}+00"

    def kg(self, centikg: int) -> str:
        """A weight given in 1/100 kg, as the shortest exact decimal."""
        text = self._kg.get(centikg)
        if text is None:
            text = self._kg[centikg] = decimal(centikg, 2)
        return text

    def lb_in_kg(self, half_lb: int) -> str:
        """A weight given in 1/2 lb, converted exactly to kilograms."""
        text = self._lb.get(half_lb)
        if text is None:
            text = self._lb[half_lb] = decimal(half_lb * (LB_IN_KG_NANOS // 2), 9)
        return text


def decimal(value: int, scale: int) -> str:
    """`value / 10**scale` written exactly, without trailing zeros."""
    whole, frac = divmod(value, 10**scale)
    if not frac:
        return str(whole)
    return f"{whole}.{frac:0{scale}d}".rstrip("0")


def escaped(value: str) -> str:
    """A free-text value escaped for COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def uuid7(ms: int, rng: random.Random) -> str:
    """A UUIDv7 for the instant `ms` (epoch milliseconds) with 74 bits from `rng`, as 32 hex
    digits (PostgreSQL reads a uuid without hyphens)."""
    rand = rng.getrandbits(74)
    value = (
        (ms << 80)
        | (0x7 << 76)
        | ((rand >> 62) << 64)
        | (0b10 << 62)
        | (rand & 0x3FFF_FFFF_FFFF_FFFF)
    )
    return f"{value:032x}"


# An RPE in half points (index 2..20) as COPY text: "1", "1.5", ... "10".
RPE_TEXT: Final = tuple(decimal(halves * 5, 1) for halves in range(21))
