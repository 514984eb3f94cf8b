"""Weighted random draws for the demo generator."""

from __future__ import annotations

import random
from bisect import bisect_right
from typing import Any, TypeVar

T = TypeVar("T")


def choose(rng: random.Random, pairs: tuple[tuple[T, float], ...]) -> T:
    """One value of (value, probability) pairs, tried in order: one rng draw."""
    x = rng.random()
    for value, p in pairs:
        x -= p
        if x < 0:
            return value
    return pairs[-1][0]


class Picker:
    """Weighted choice by bisection over cumulative weights (cheaper than random.choices per call)."""

    def __init__(self, items: list[Any], weights: list[float]) -> None:
        self.items, self.cum, acc = items, [], 0.0
        for w in weights:
            acc += w
            self.cum.append(acc)
        self.total = acc

    def __call__(self, rng: random.Random) -> Any:
        return self.items[min(bisect_right(self.cum, rng.random() * self.total), len(self.items) - 1)]
