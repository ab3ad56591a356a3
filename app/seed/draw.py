"""Draws from a user's own random generator: the same seed and user number give the same
draws, in any run and on any platform."""

from __future__ import annotations

import random
from collections.abc import Sequence


def user_rng(seed: int, index: int) -> random.Random:
    # A string seed is hashed with SHA-512: stable across runs, platforms and Python versions.
    return random.Random(f"kinetria-seed:{seed}:{index}")


def randint(rng: random.Random, low: int, high: int) -> int:
    """`rng.randint(low, high)`, several times faster (the generator's hot path)."""
    return low + int(rng.random() * (high - low + 1))


def weighted(rng: random.Random, weights: Sequence[int]) -> int:
    """An index drawn with the given integer weights."""
    pick = rng.random() * sum(weights)
    for index, weight in enumerate(weights):
        pick -= weight
        if pick < 0:
            return index
    return len(weights) - 1


def rest(rng: random.Random, rest_s: int, index: int, first: int, spread: float) -> int:
    """The rest before set `index` of an exercise: the plan's rest, 0.8 to `spread` times as
    long, or `first` before the first set (no draw then)."""
    return round(rest_s * rng.uniform(0.8, spread)) if index else first
