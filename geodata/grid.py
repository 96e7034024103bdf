"""The square grid that counts events when a window holds too many to draw: one rule for frames and datasets."""

from __future__ import annotations

import math

import numpy as np

MAX_CELLS_PER_AXIS = 64
_NICE_STEPS = (1, 2, 2.5, 5, 10)


def grid_origin_and_cell(
    lat_min: float, lat_max: float, lon_min: float, lon_max: float
) -> tuple[float, float, float]:
    """Return ``(lat0, lon0, cell)``: the grid's south-west corner and a round cell size (degrees).

    The cell size adapts to the extent, so that at most :data:`MAX_CELLS_PER_AXIS` cells lie along the longer
    side; the corner is snapped to a multiple of the cell. An event at (lat, lon) falls in cell
    ``(floor((lat - lat0) / cell), floor((lon - lon0) / cell))``.
    """
    span = max(lat_max - lat_min, lon_max - lon_min, 1e-6)
    raw = span / MAX_CELLS_PER_AXIS
    step = 10 ** math.floor(math.log10(raw))
    cell = next(m * step for m in _NICE_STEPS if m * step >= raw)
    return math.floor(lat_min / cell) * cell, math.floor(lon_min / cell) * cell, cell


def cell_index(values: np.ndarray, origin: float, cell: float) -> np.ndarray:
    """Return ``floor((values - origin) / cell)`` as int64: the SQL's float operations, done in place (fewer copies)."""
    work = np.subtract(values, origin)
    np.divide(work, cell, out=work)
    np.floor(work, out=work)
    return work.astype(np.int64)
