"""Counts and extremes of a column over a run of rows, from per-block totals made once.

A window of dates is one run of rows in page order (:mod:`geodata.store.memory`). At ten million events a full-range
window is ten million rows, and counting them per grid cell or per day, or finding their extent, reads every one
of them on each slider move. Here the rows are cut into blocks of :data:`BLOCK` rows once; a run is then answered
from the whole blocks it covers (a difference of running totals, or the extremes of a few hundred blocks) and the
rows of the two partial blocks at its ends. The answers are exact: the same integers and the same floats.
"""

from __future__ import annotations

import numpy as np

BLOCK = 1 << 16  # rows per block: 153 blocks at 10M events
# Above this many distinct keys the running totals would take more memory than they save time (per block, an
# int32 per key): the caller then counts the run's rows directly.
MAX_KEYS = 1 << 15


def _whole(start: int, stop: int, block: int) -> tuple[int, int]:
    """Return the first and the end block of those lying wholly inside ``start:stop`` (empty when none)."""
    first = -(-start // block)
    return first, max(first, stop // block)


class BlockCounts:
    """How often each key ``0..size-1`` occurs in any run of ``keys``; keys outside that range are not counted."""

    def __init__(self, keys: np.ndarray, size: int, block: int | None = None) -> None:
        self.keys = keys
        self.size = size
        self.block = block = block or BLOCK
        blocks = len(keys) // block
        totals = np.zeros(
            (blocks + 1, size), dtype=np.int32
        )  # fewer than 2**31 rows: int32 holds every total
        for b in range(blocks):
            totals[b + 1] = self._count(keys[b * block : (b + 1) * block])
        np.cumsum(totals, axis=0, out=totals)
        self.totals = totals

    def _count(self, keys: np.ndarray) -> np.ndarray:
        counts = np.bincount(keys, minlength=self.size)
        return counts[: self.size]

    def count(self, start: int, stop: int) -> np.ndarray:
        """Return the count of each key among ``keys[start:stop]`` (int64, length ``size``)."""
        first, end = _whole(start, stop, self.block)
        if first >= end:
            return self._count(self.keys[start:stop]).astype(np.int64)
        out = self.totals[end].astype(np.int64) - self.totals[first]
        out += self._count(self.keys[start : first * self.block])
        out += self._count(self.keys[end * self.block : stop])
        return out


class BlockExtremes:
    """The smallest and largest of ``values`` over any run of rows, ignoring rows where ``valid`` is false."""

    def __init__(self, values: np.ndarray, valid: np.ndarray, block: int | None = None) -> None:
        self.values = values
        self.valid = valid
        self.block = block = block or BLOCK
        blocks = len(values) // block
        whole = values[: blocks * block].reshape(blocks, block)
        keep = valid[: blocks * block].reshape(blocks, block)
        self.lows = np.where(keep, whole, np.inf).min(axis=1, initial=np.inf)
        self.highs = np.where(keep, whole, -np.inf).max(axis=1, initial=-np.inf)

    def extremes(self, start: int, stop: int) -> tuple[float, float]:
        """Return (min, max) of the valid values in ``start:stop``; (inf, -inf) when there are none."""
        first, end = _whole(start, stop, self.block)
        if first >= end:
            parts = [(start, stop)]
            low, high = np.inf, -np.inf
        else:
            parts = [(start, first * self.block), (end * self.block, stop)]
            low, high = float(self.lows[first:end].min()), float(self.highs[first:end].max())
        for a, b in parts:
            found = self.values[a:b][self.valid[a:b]]
            if len(found):
                low, high = min(low, float(found.min())), max(high, float(found.max()))
        return low, high
