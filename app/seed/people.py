"""Who the seeded users are and when they train: names, time zones (with the share who enter
pounds), usual times of day, and the notes they leave on a session. Pure data."""

from __future__ import annotations

from typing import Final

FIRST_NAMES: Final = (
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Ben", "Camille", "Carlos", "Chen", "Chloé",
    "Dara", "David", "Elena", "Emma", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines",
    "Isaac", "Jana", "João", "Kai", "Kenji", "Lara", "Leo", "Lina", "Lucas", "Maya",
    "Mei", "Mia", "Noah", "Nora", "Olivia", "Omar", "Priya", "Rafael", "Rosa", "Sam",
    "Sara", "Sofia", "Tariq", "Theo", "Yara", "Yusuf", "Zoe", "Zoltán",
)  # fmt: skip
LAST_NAMES: Final = (
    "Adeyemi", "Andersen", "Bauer", "Chen", "Costa", "Dubois", "Fischer", "García", "Haddad",
    "Ivanova", "Jensen", "Kim", "Kowalski", "Lambert", "López", "Martin", "Müller", "Nakamura",
    "Novak", "O'Brien", "Okafor", "Patel", "Rossi", "Santos", "Schmidt", "Silva", "Singh",
    "Smith", "Tanaka", "Varga", "Walker", "Wang", "Weber", "Yilmaz",
)  # fmt: skip

# (IANA zone, weight, share of users there who enter pounds)
ZONES: Final = (
    ("America/New_York", 14, 0.8),
    ("America/Chicago", 8, 0.8),
    ("America/Denver", 3, 0.8),
    ("America/Los_Angeles", 10, 0.8),
    ("America/Toronto", 4, 0.4),
    ("America/Sao_Paulo", 5, 0.0),
    ("America/Mexico_City", 3, 0.1),
    ("Europe/London", 8, 0.15),
    ("Europe/Paris", 8, 0.0),
    ("Europe/Berlin", 8, 0.0),
    ("Europe/Madrid", 4, 0.0),
    ("Europe/Warsaw", 3, 0.0),
    ("Africa/Lagos", 2, 0.0),
    ("Africa/Johannesburg", 2, 0.0),
    ("Asia/Kolkata", 4, 0.0),
    ("Asia/Singapore", 2, 0.0),
    ("Asia/Tokyo", 4, 0.0),
    ("Australia/Sydney", 4, 0.0),
    ("UTC", 2, 0.0),
)

# Usual training times: (weight, earliest start minute of the local day, latest start minute).
# The late slot runs past midnight regularly.
SLOTS: Final = (
    (22, 6 * 60, 8 * 60),
    (10, 11 * 60 + 45, 13 * 60),
    (48, 17 * 60, 20 * 60 + 30),
    (12, 21 * 60, 22 * 60 + 30),
    (8, 22 * 60 + 30, 23 * 60 + 40),
)

SESSION_NOTES: Final = (
    "Felt strong today.",
    "Short on time.",
    "Gym was packed, swapped the order.",
    "Slept badly.",
    "New shoes!",
    "Back from holiday.",
    "Knee a bit sore, went lighter.",
    "Great pump.",
)
