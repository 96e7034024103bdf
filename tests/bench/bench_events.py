"""Loading 1M synthetic events: ``load_events`` (validated, typed) against a bare pandas/geopandas read.

The baseline does no validation, no normalisation and no categoricals, so it is a floor rather than a rival: the
ratio says what validating every cell costs. For GeoParquet the cell-by-cell reader (every cell rendered as text
and checked as in a CSV; the way before the typed reader) is timed too, on the same file.

Then the first start's own step from a CSV, ``validated_copy`` (validate, then write the GeoParquet copy): today's
code against the store as of :data:`COPY_BASELINE` (checked out with ``git archive``), each in a new process on
the same file, alternately, with the CPU time of the step (all threads) and its wall time.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

import geodata.store.loader as loader_module
from geodata.events import load_events, save_events
from tests.synthetic import make_events

N = 1_000_000
ROOT = Path(__file__).resolve().parents[2]
COPY_BASELINE = "3e4ccca"  # the store before the fast first start from a CSV
COPY_RUNS = 3
_COPY = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
os.environ["KCM_CACHE"] = sys.argv[3]
from pathlib import Path
import geopandas, pandas, pyarrow, pyarrow.csv, pyarrow.parquet  # imports are not the step
from geodata.store.cache import validated_copy
from geodata.store.schema import _gazetteer
gazetteer = _gazetteer()
cpu, wall = time.process_time(), time.perf_counter()
validated_copy(Path(sys.argv[2]), gazetteer=gazetteer)
print(json.dumps({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}))
"""


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
        copy_rows = _copy_rows(csv_path, Path(tmp))
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
            "",
            "**First start from a CSV** (`validated_copy`: validate every cell, then write the GeoParquet copy; "
            f"the same {N:,}-event CSV, a new process per run, imports not counted, median of {COPY_RUNS} runs "
            f"taken alternately). Baseline: the store as of commit `{COPY_BASELINE}`, which built the events "
            "GeoDataFrame and wrote it with geopandas. *CPU* is the process's CPU time over all threads (Arrow "
            "parses the CSV on both cores), the fairer figure on a shared machine.",
            "",
            "| way | CPU time | wall time |",
            "|---|---|---|",
            *copy_rows,
        ]
    )


def _copy_step(code_root: Path, csv_path: Path, cache: Path) -> dict[str, float]:
    """Run ``validated_copy`` once in a new process with the ``geodata`` found in ``code_root``."""
    proc = subprocess.run(
        [sys.executable, "-c", _COPY, str(code_root), str(csv_path), str(cache)],
        capture_output=True,
        text=True,
        cwd=code_root,
        timeout=1800,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"validated_copy failed in {code_root}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _copy_rows(csv_path: Path, tmp: Path) -> list[str]:
    """Time today's ``validated_copy`` and the baseline's, alternately, each with an empty cache."""
    baseline = tmp / "baseline"
    baseline.mkdir()
    archive = subprocess.run(
        ["git", "archive", COPY_BASELINE, "geodata"], capture_output=True, cwd=ROOT, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
    runs: dict[str, list[dict[str, float]]] = {"ours": [], "baseline": []}
    for k in range(COPY_RUNS):
        for way, code_root in (("ours", ROOT), ("baseline", baseline)):
            runs[way].append(_copy_step(code_root, csv_path, tmp / f"cache-{way}-{k}"))
    cpu = {way: statistics.median(r["cpu"] for r in found) for way, found in runs.items()}
    wall = {way: statistics.median(r["wall"] for r in found) for way, found in runs.items()}
    return [
        f"| ours | {cpu['ours']:.2f} s | {wall['ours']:.2f} s |",
        f"| baseline (`{COPY_BASELINE}`) | {cpu['baseline']:.2f} s | {wall['baseline']:.2f} s |",
        f"| baseline / ours | **{cpu['baseline'] / cpu['ours']:.1f}×** | "
        f"**{wall['baseline'] / wall['ours']:.1f}×** |",
    ]
