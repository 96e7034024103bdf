"""The dashboard on 100k, 1M and 10M synthetic events: cold starts, slider reruns and peak memory (AppTest).

Ours: the page as users get it, querying the events in place (:mod:`geodata.store.dataset`), from a CSV (first
start: validated and copied to the cache; later starts: the copy) and from a GeoParquet folder written by
``kcm export --partition month``. At 10M: a folder of ten GeoParquet files in our schema.
Baseline: today's whole-frame page (``dashboard/app.py`` and ``dashboard/cache.py`` as of :data:`BASELINE`, which
load every event into one GeoDataFrame and filter it), run in the same way on the same files.
Each measurement runs in its own process (fresh caches; peak memory is that process's ``VmHWM``). Data lives in
``.bench/`` (git-ignored) and is generated on first use.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".bench"
BASELINE = "f93499c"  # main before the dataset store: the whole-frame page
BASELINE_SIZES = (100_000, 1_000_000)  # the whole-frame page at 10M needs ~10 GB; not run
# The store before the fast first start from a CSV (issue 11): its first start is run beside ours.
STORE_BASELINE = "3e4ccca"
CHUNK = 1_000_000

_CHILD = r"""
import time
T0 = time.perf_counter()
import json, os, statistics, sys, datetime as dt
sys.path[:0] = {paths!r}
os.environ["KCM_EVENTS"] = sys.argv[1]
os.environ["KCM_TILES"] = "none"
from streamlit import config
from streamlit.testing.v1 import AppTest
config.set_option("runner.magicEnabled", False)  # as the server runs (dashboard/.streamlit/config.toml)

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

at = AppTest.from_file({app!r}, default_timeout=900)
at.run()
cold = time.perf_counter() - T0
assert not at.exception, [e.value for e in at.exception]
first, last = at.slider(key="window").value

def rerun(window):
    at.slider(key="window").set_value(window)
    t = time.perf_counter()
    at.run()
    took = time.perf_counter() - t
    assert not at.exception, [e.value for e in at.exception]
    return took, at.session_state["shown"]["n_events"]

results = {{"cold": cold, "runs": {{}}}}
middle = first + (last - first) / 2
for label, days in (("1 month", 30), ("12 months", 365), ("full range", None)):
    runs = []
    for shift in (0, 1, 2):
        if days is None:
            window = (first + dt.timedelta(days=shift), last - dt.timedelta(days=shift))
        else:
            start = middle - dt.timedelta(days=days // 2) + dt.timedelta(days=shift)
            window = (start, min(start + dt.timedelta(days=days), last))
        runs.append(rerun(window))
    results["runs"][label] = {{"seconds": statistics.median(r[0] for r in runs), "events": runs[0][1]}}
try:  # a move of the control day alone (the window stays): a day step, or one step of playback
    day_box = at.date_input(key="as_of")
except KeyError:
    day_box = None
if day_box is not None:
    end = at.slider(key="window").value[1]
    steps = []
    for back in (1, 2, 3):
        at.date_input(key="as_of").set_value(end - dt.timedelta(days=back))
        t = time.perf_counter()
        at.run()
        steps.append(time.perf_counter() - t)
        assert not at.exception, [e.value for e in at.exception]
        assert at.session_state["shown"]["as_of"] == str(end - dt.timedelta(days=back))
    results["day"] = statistics.median(steps)
results["peak_mb"] = peak_mb()
print(json.dumps(results))
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, timeout=3600, env=env
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench step failed ({args}):\n{proc.stderr[-3000:]}")
    return proc.stdout


def _make(n: int) -> dict[str, Path]:
    """Write the synthetic events of size ``n`` once: CSV, GeoParquet file, partitioned folder (ten files at 10M)."""
    folder = DATA / f"events-{n}"
    done = folder / ".done"
    if done.exists():
        return _paths(folder, n)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from pathlib import Path\n"
        "from tests.synthetic import make_events\n"
        "from geodata.events import save_events\n"
        "from geodata.store.writers import save_geoparquet, write_partitioned\n"
        "n, out = int(sys.argv[1]), Path(sys.argv[2])\n"
        "if n <= 1_000_000:\n"
        "    events = make_events(n, seed=11)\n"
        "    save_events(events, out / 'events.csv')\n"
        "    save_events(events, out / 'events.parquet')\n"
        "    write_partitioned([events], out / 'by-month', by='month')\n"
        "else:\n"
        "    (out / 'parts').mkdir()\n"
        f"    for k in range(n // {CHUNK}):\n"
        f"        chunk = make_events({CHUNK}, seed=100 + k, first_id=1 + k * {CHUNK})\n"
        "        save_geoparquet(chunk, out / 'parts' / f'part-{k:02d}.parquet')\n"
    )
    _run(code, str(n), str(folder))
    done.touch()
    return _paths(folder, n)


def _paths(folder: Path, n: int) -> dict[str, Path]:
    if n > CHUNK:
        return {"folder": folder / "parts"}
    return {"csv": folder / "events.csv", "parquet": folder / "events.parquet", "folder": folder / "by-month"}


def _measure(path: Path, *, baseline: Path | None, cache: Path) -> dict:
    app_root = baseline if baseline is not None else ROOT
    code = _CHILD.format(paths=[str(app_root), str(ROOT)], app=str(app_root / "dashboard" / "app.py"))
    env = {**__import__("os").environ, "KCM_CACHE": str(cache)}
    return json.loads(_run(code, str(path), env=env).strip().splitlines()[-1])


def _baseline_app(tmp: Path) -> Path:
    """Check out the whole-frame page (app.py, cache.py) beside today's other dashboard modules."""
    target = tmp / "baseline"
    shutil.copytree(ROOT / "dashboard", target / "dashboard")
    for name in ("app.py", "cache.py"):
        text = subprocess.run(
            ["git", "show", f"{BASELINE}:dashboard/{name}"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout
        (target / "dashboard" / name).write_text(text, encoding="utf-8")
    return target


def _store_baseline(tmp: Path) -> Path:
    """Check out ``geodata`` and ``dashboard`` as of :data:`STORE_BASELINE` (the first start before issue 11's)."""
    target = tmp / "store-baseline"
    target.mkdir()
    archive = subprocess.run(
        ["git", "archive", STORE_BASELINE, "geodata", "dashboard"], capture_output=True, cwd=ROOT, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def _row(n: int, source: str, way: str, res: dict, cold_label: str = "") -> str:
    runs = res["runs"]
    cells = " | ".join(f"{runs[k]['seconds']:.3f} s" for k in ("1 month", "12 months", "full range"))
    day = f"{res['day']:.3f} s" if res.get("day") is not None else "–"
    return (
        f"| {n:,} | {source} | {way} | {res['cold']:.2f} s{cold_label} | {cells} | {day} "
        f"| {res['peak_mb']:,.0f} MB |"
    )


def _ratio(n: int, source: str, base: dict, ours: dict) -> str:
    """One line comparing the whole-frame page with ours (later start from the folder): above 1, ours is faster."""
    parts = [
        f"{label} rerun {base['runs'][label]['seconds'] / ours['runs'][label]['seconds']:.1f}"
        for label in ("1 month", "12 months", "full range")
    ]
    if base.get("day") and ours.get("day"):
        parts.append(f"day step rerun {base['day'] / ours['day']:.1f}")
    return (
        f"- {n:,} events, baseline from {source} / ours from the folder: cold start "
        f"{base['cold'] / ours['cold']:.1f}, {', '.join(parts)}, peak memory {base['peak_mb'] / ours['peak_mb']:.1f}."
    )


def _sizes() -> tuple[int, ...]:
    """The sizes to run: all three, or those ``KCM_BENCH_SIZES`` lists (e.g. ``100000,1000000``)."""
    given = __import__("os").environ.get("KCM_BENCH_SIZES", "")
    return tuple(int(v) for v in given.split(",") if v.strip()) or (100_000, 1_000_000, 10_000_000)


def run() -> str:
    """Measure ours and the baseline at each size and return the Markdown section."""
    rows: list[str] = []
    ratios: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kcm-bench-dash-") as tmp_name:
        tmp = Path(tmp_name)
        baseline = _baseline_app(tmp)
        store_baseline = _store_baseline(tmp)
        for n in _sizes():
            paths = _make(n)
            if "csv" in paths:
                cache = tmp / f"cache-{n}"
                first = _measure(paths["csv"], baseline=None, cache=cache)
                old = _measure(paths["csv"], baseline=store_baseline, cache=tmp / f"cache-store-{n}")
                later = _measure(paths["csv"], baseline=None, cache=cache)
                rows.append(_row(n, "CSV", "ours, first start (validate + copy)", first))
                rows.append(
                    _row(n, "CSV", f"store of `{STORE_BASELINE}`, first start (validate + copy)", old)
                )
                rows.append(_row(n, "CSV", "ours, later start (copy)", later))
                ratios.append(
                    f"- {n:,} events from CSV, first start: store of `{STORE_BASELINE}` / ours "
                    f"{old['cold'] / first['cold']:.1f} ({old['cold']:.2f} s / {first['cold']:.2f} s)."
                )
            cache = tmp / f"cache-folder-{n}"
            label = "10 GeoParquet files" if n > CHUNK else "GeoParquet, `kcm export --partition month`"
            first = _measure(paths["folder"], baseline=None, cache=cache)
            later = _measure(paths["folder"], baseline=None, cache=cache)
            rows.append(_row(n, label, "ours, first start (checked once)", first))
            rows.append(_row(n, label, "ours, later start", later))
            if n in BASELINE_SIZES:
                for source, path in (("CSV", paths["csv"]), ("GeoParquet file", paths["parquet"])):
                    base = _measure(path, baseline=baseline, cache=tmp / "unused")
                    rows.append(_row(n, source, "baseline: whole frame", base))
                    ratios.append(_ratio(n, source, base, later))
    return "\n".join(
        [
            "## Dashboard on a dataset (`bench_dashboard`)",
            "",
            "Synthetic events (`tests/synthetic.py`); the page is driven by AppTest (no browser), each line in a new "
            "process. *Cold start*: process start, imports, opening the events and the first run of the page. "
            "*Reruns*: server time after moving the window slider to a 1-month, 12-month or full-range window "
            "(median of 3 moves); *day step*: after moving only the control day, the window staying the full range "
            "(median of 3 moves). AppTest runs the page with `runner.magicEnabled = false`, as the server does "
            "(`dashboard/.streamlit/config.toml`). *Peak*: the process's peak resident memory (`VmHWM`). Ours queries the events in "
            "place with DuckDB; the baseline is the whole-frame page of commit "
            f"`{BASELINE}` (every event in one GeoDataFrame), on the same files. The first start from a CSV is "
            f"also run with the store of commit `{STORE_BASELINE}` (validation through pandas and a GeoDataFrame, "
            "before issue 11's fast first start), right after ours.",
            "",
            "Targets (issue 11): 1M first cold start from CSV ≤ 8 s; later cold starts ≤ 4 s; 1M reruns ≤ 0.3 s; "
            "10M cold start ≤ 10 s, reruns ≤ 0.5 s, peak ≤ 4 GB.",
            "",
            "| events | source | way | cold start | rerun 1 month | rerun 12 months | rerun full range "
            "| rerun day step | peak memory |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Ratios, baseline time (or memory) divided by ours: above 1, ours is faster (or smaller).",
            "",
            *ratios,
        ]
    )
