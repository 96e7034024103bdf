"""Bulk review benchmark: one rerun of the Review page on 1M candidates, against loading the dataset whole.

Ours (what a rerun of ``dashboard/pages/2_Review.py`` computes): :func:`geodata.review.query` (the filter pushed
down to the Parquet parts, coordinates of every match, one page of full rows) plus the map
(:func:`geodata.review.review_map`: grid counts on the server above the threshold) rendered to HTML.
Naive: ``geopandas.read_parquet`` of the whole dataset, a pandas filter and sort, and the same map.
``KCM_BENCH_REVIEW_N`` sets the size (default 1,000,000). Times are wall seconds, best of three.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import geopandas as gpd

from geodata.maps import build_map
from geodata.review import CandidateFilter, open_candidates, query, review_map
from geodata.settings import get_settings
from tests.synthetic_candidates import make_candidates, write_candidates

N_DEFAULT = 1_000_000
TARGET_S = 1.0
PART_ROWS = 5_000  # about what one 1 MB batch of articles gives
FILTERS = {
    "confidence ≥ 0.5 (the default view)": CandidateFilter(min_confidence=0.5, undated=False),
    "clash + control change, confidence ≥ 0.7": CandidateFilter(
        min_confidence=0.7, types=("clash", "control_change")
    ),
    "Kirkuk, one month": CandidateFilter(
        places=("geonames:94787",), date_from=date(2017, 10, 1), date_to=date(2017, 10, 31), undated=False
    ),
}


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _naive(dataset: Path, flt: CandidateFilter, threshold: int) -> int:
    frame = gpd.read_parquet(dataset)
    keep = frame["confidence"] >= flt.min_confidence
    if flt.types:
        keep &= frame["event_type"].isin(flt.types)
    if flt.places:
        keep &= frame["place_id"].isin(flt.places)
    day = frame["event_date"]
    keep &= day.notna()
    if flt.date_from:
        keep &= day >= flt.date_from
    if flt.date_to:
        keep &= day <= flt.date_to
    chosen = frame[keep.to_numpy(dtype=bool)].sort_values(
        ["confidence", "candidate_id"], ascending=[False, True]
    )
    html = (
        build_map(chosen, layers=("events",), tiles=None, aggregate_threshold=threshold).get_root().render()
    )
    return len(html)


def run() -> str:
    """Measure and return the Markdown section for BENCHMARKS.md."""
    n = int(os.environ.get("KCM_BENCH_REVIEW_N", N_DEFAULT))
    threshold = get_settings().aggregate_threshold
    tmp = Path(tempfile.mkdtemp(prefix="kcm-bench-review-"))
    try:
        dataset = write_candidates(
            tmp / "candidates", make_candidates(n, seed=1), parts=max(1, n // PART_ROWS)
        )
        size = sum(p.stat().st_size for p in dataset.glob("part-*.parquet")) / 1e6
        t0 = time.perf_counter()
        candidates = open_candidates(dataset)
        opened = time.perf_counter() - t0
        rows = []
        worst = 0.0
        for label, flt in FILTERS.items():
            result = query(candidates, flt)

            def rerun(flt: CandidateFilter = flt) -> int:
                found = query(candidates, flt)
                fmap = review_map(found, candidates.places, tiles=None, threshold=threshold)
                return len(fmap.get_root().render())

            html = rerun()
            ours = _best(rerun)
            naive = _best(lambda flt=flt: _naive(dataset, flt, threshold), repeat=1)
            worst = max(worst, ours)
            rows.append(
                f"| {label} | {result.matches:,} | **{ours:.2f} s** | {html / 1e6:.2f} MB | {naive:.1f} s | "
                f"**{naive / ours:.0f}×** |"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    verdict = "meets" if worst <= TARGET_S else "MISSES"
    return "\n".join(
        [
            "## Bulk review of a candidates dataset (Review page)",
            "",
            f"{n:,} candidates in {max(1, n // PART_ROWS)} GeoParquet parts ({size:.0f} MB). Target: a rerun (filter, "
            f"page of 200 rows, map with grid counts above {threshold:,} matches, HTML) ≤ {TARGET_S:g} s. "
            f"Result: {verdict} it (worst {worst:.2f} s). Opening the dataset (types, places, dates; cached "
            f"by the page): {opened:.2f} s.",
            "",
            "| filter | matches | rerun, ours (best of 3) | map HTML | naive: read all + pandas | ratio |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )


if __name__ == "__main__":
    print(run())
