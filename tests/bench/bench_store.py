"""The page's questions to a dataset at 1M and 10M events: the in-memory filter columns against scanning the files.

Ours: :class:`~geodata.store.dataset.EventDataset` as the page opens it (the filter and count columns held in
memory, :mod:`geodata.store.memory`). Baseline: the same class with ``in_memory=False``, which runs every query as
SQL on the GeoParquet files (the way before). Both answer the same questions in the same process, alternately
(so that a busy machine slows both alike): the queries of one page run (``dashboard/app.py``'s compute section:
count and extent, grid or rows, the table's 2,000 rows, the control state of the window's last day, the latest
changes, per-day counts, the changes table), for a 1-month, a 12-month and the full window. Median of 5.
Data: the bench folders of ``bench_dashboard`` (month partitions at 1M, ten files at 10M). The page holds the
table up to :data:`geodata.store.memory.MAX_ROWS` (12M) events; the cap is lifted here so that any size is measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.bench.bench_dashboard import ROOT, _make

_CHILD = r"""
import json, os, statistics, sys, time, datetime as dt
sys.path.insert(0, {root!r})
from pathlib import Path
from geodata.filters import EventFilter
from geodata.settings import get_settings
from geodata.store.dataset import MOVEMENTS, EventDataset, dataset_files
import geodata.store.memory as memory
memory.MAX_ROWS = 50_000_000  # measured at any size, whatever the page's cap

COLUMNS = ("event_id", "event_date", "event_type", "place", "controller_before", "controller_after", "summary",
           "source", "source_url", "status")

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

paths = dataset_files(Path(sys.argv[1]))
opened, memory, sets = {{}}, {{}}, {{}}
for name, flag in (("files", False), ("memory", True)):
    before = rss_mb()
    t = time.perf_counter()
    ds = EventDataset(paths, name, in_memory=flag)
    ds.summary
    opened[name] = time.perf_counter() - t
    memory[name] = rss_mb() - before
    sets[name] = ds
threshold = get_settings().aggregate_threshold
first, last = sets["memory"].summary.first, sets["memory"].summary.last
middle = first + (last - first) / 2

def page(ds, flt):
    n, extent = ds.extent(flt)
    if n > threshold:
        ds.frame(flt, extra=MOVEMENTS)
        ds.grid(flt, extent=extent)
        ds.frame(flt, limit=2000, columns=COLUMNS)
    else:
        ds.frame(flt)
    ds.control_as_of(flt.date_to)
    ds.latest_changes(flt)
    ds.day_counts(flt)
    ds.changes(flt, limit=2000, columns=COLUMNS)
    return n

results = {{"open": opened, "memory_mb": memory, "runs": {{}}}}
for label, days in (("1 month", 30), ("12 months", 365), ("full range", None)):
    times = {{"files": [], "memory": []}}
    for shift in range(5):
        if days is None:
            flt = EventFilter(date_from=first + dt.timedelta(days=shift), date_to=last - dt.timedelta(days=shift))
        else:
            start = middle - dt.timedelta(days=days // 2 - shift)
            flt = EventFilter(date_from=start, date_to=min(start + dt.timedelta(days=days), last))
        counts = set()
        for name in ("files", "memory") if shift % 2 else ("memory", "files"):
            t = time.perf_counter()
            counts.add(page(sets[name], flt))
            times[name].append(time.perf_counter() - t)
        assert len(counts) == 1, counts
    results["runs"][label] = {{k: statistics.median(v) for k, v in times.items()}}
print(json.dumps(results))
"""


def _measure(folder: Path) -> dict:
    code = _CHILD.format(root=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, cwd=ROOT, timeout=3600
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench_store failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run() -> str:
    """Time one page's queries both ways at 1M and 10M events and return the Markdown section."""
    rows = []
    for n in (1_000_000, 10_000_000):
        res = _measure(_make(n)["folder"])
        for label in ("1 month", "12 months", "full range"):
            files, memory = res["runs"][label]["files"], res["runs"][label]["memory"]
            rows.append(f"| {n:,} | {label} | {files:.3f} s | {memory:.3f} s | {files / memory:.1f}× |")
        rows.append(
            f"| {n:,} | opening (read + summary) | {res['open']['files']:.2f} s | {res['open']['memory']:.2f} s "
            f"| {res['open']['files'] / res['open']['memory']:.1f}× |"
        )
        rows.append(
            f"| {n:,} | memory taken by the open dataset | {res['memory_mb']['files']:,.0f} MB "
            f"| {res['memory_mb']['memory']:,.0f} MB | |"
        )
    return "\n".join(
        [
            "## One page's queries: in-memory filter columns against file scans (`bench_store`)",
            "",
            "The queries of one run of the map page (count and extent, grid cells or rows, the table's 2,000 rows, "
            "the control state of the window's last day, the latest changes per place, per-day counts, the "
            "changes table), on the `bench_dashboard` folders. Ours holds the filter and count columns in memory "
            "(`geodata.store.memory`) and reads from the files only the rows shown; the baseline "
            "(`in_memory=False`) runs every query as SQL on the files, as before. Both run in one process, "
            "alternately, median of 5 windows each. The page holds the memory table up to 12M events (`MAX_ROWS`).",
            "",
            "| events | window | baseline: SQL on the files | ours: in memory | baseline / ours |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
