"""Loading 1M synthetic events: ``load_events`` (validated, typed) against a bare pandas/geopandas read.

The baseline does no validation, no normalisation and no categoricals, so it is a floor rather than a rival: the
ratio says what validating every cell costs. For GeoParquet the cell-by-cell reader (every cell rendered as text
and checked as in a CSV; the way before the typed reader) is timed too, on the same file.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

import geodata.store.loader as loader_module
from geodata.events import load_events, save_events
from tests.synthetic import make_events

N = 1_000_000


def _timed(func: object) -> float:
    t0 = time.perf_counter()
    func()  # type: ignore[operator]
    return time.perf_counter() - t0


def _naive_csv(path: Path) -> gpd.GeoDataFrame:
    frame = pd.read_csv(path, parse_dates=["event_date"])
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]), crs=4326
    )


def _cell_by_cell(path: Path) -> gpd.GeoDataFrame:
    typed = loader_module._read_parquet_typed
    loader_module._read_parquet_typed = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        return load_events(path)
    finally:
        loader_module._read_parquet_typed = typed


def run() -> str:
    """Time both ways on CSV and GeoParquet copies of the same synthetic events."""
    with tempfile.TemporaryDirectory(prefix="kcm-bench-") as tmp:
        csv_path = save_events(make_events(N, seed=11), Path(tmp) / "events.csv")
        parquet_path = save_events(load_events(csv_path), Path(tmp) / "events.parquet")
        rows = []
        for label, path, naive in (
            ("CSV", csv_path, lambda: _naive_csv(csv_path)),
            ("GeoParquet", parquet_path, lambda: gpd.read_parquet(parquet_path)),
        ):
            ours = _timed(lambda p=path: load_events(p))
            base = _timed(naive)
            size = path.stat().st_size / 1e6
            rows.append(f"| {label} ({size:.0f} MB) | {ours:.2f} s | {base:.2f} s | {ours / base:.1f}× |")
        cells = _timed(lambda: _cell_by_cell(parquet_path))
        rows.append(
            f"| GeoParquet, cell by cell (the former reader) | {cells:.2f} s | {base:.2f} s | {cells / base:.1f}× |"
        )
    return "\n".join(
        [
            "## Loading events (`bench_events`)",
            "",
            f"{N:,} synthetic events (`tests/synthetic.py`), saved with `save_events`. *Ours* is `load_events`: it "
            "validates every cell (vocabularies, dates, ids, gazetteer ids, distances), normalises the text and "
            "builds typed columns and geometries. The baseline only parses (`pd.read_csv` + `points_from_xy`, "
            "or `gpd.read_parquet`). GeoParquet is validated column by column on its typed Arrow columns (text once "
            "per distinct value), with exactly the rules and messages of the CSV path; the last row is the former "
            "cell-by-cell reader on the same file.",
            "",
            "| file | ours: `load_events` | baseline: bare read | ours / baseline |",
            "|---|---|---|---|",
            *rows,
        ]
    )
