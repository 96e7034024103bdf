"""The dashboard at 1k, 100k and 1M synthetic events: slider reruns (AppTest), bytes sent to the browser, cold start.

Ours: the page as users get it (server-side aggregation above the threshold, one compact script per map).
Naive: ``folium.GeoJson`` of the filtered frame with a tooltip and a popup, serialised the way ``st_folium`` does.
Each size runs in its own subprocess (fresh caches, own memory); the events are written as GeoParquet first.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = (1_000, 100_000, 1_000_000)
NAIVE_SIZES = (1_000, 100_000)  # naive at 1M: ~10x the 100k time and memory (PERF.md: ~210 s); not run

_CHILD = r"""
import time
T0 = time.perf_counter()
import json, os, statistics, sys, datetime as dt
sys.path.insert(0, {root!r})
n, path, naive = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
os.environ["KCM_EVENTS"] = path
os.environ["KCM_TILES"] = "none"
import streamlit_folium
from streamlit.testing.v1 import AppTest

sent = []
_original = streamlit_folium._component_func

def _counting(**kwargs):
    size = sum(len(str(kwargs.get(k) or "").encode()) for k in ("script", "header", "html", "feature_group"))
    size += sum(len(u) for u in (kwargs.get("css_links") or []) + (kwargs.get("js_links") or []))
    sent.append(size)
    return _original(**kwargs)

streamlit_folium._component_func = _counting
T_IMPORTS = time.perf_counter() - T0
at = AppTest.from_file({app!r}, default_timeout=600)
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
    return took, sent[-1], at.session_state["shown"]["n_events"]

results = {{"cold": cold, "imports": T_IMPORTS}}
month_start = first + (last - first) / 2
windows = {{"1 month": (month_start, month_start + dt.timedelta(days=30)), "full range": (first, last)}}
for label, window in windows.items():
    runs = []
    for shift in (0, 1, 2):
        start = window[0] + dt.timedelta(days=shift) if label == "1 month" else window[0]
        end = window[1] + dt.timedelta(days=shift) if label == "1 month" else window[1] - dt.timedelta(days=shift)
        runs.append(rerun((start, min(end, last))))
    results[label] = {{
        "seconds": statistics.median(r[0] for r in runs),
        "bytes": statistics.median(r[1] for r in runs),
        "events": runs[0][2],
    }}

# The map alone, ours against the naive folium.GeoJson, on the same filtered frames.
import folium
from geodata.events import load_events
from geodata.filters import EventFilter, apply_filter
from geodata.maps import build_map
from streamlit_folium import _get_map_string, _get_header, _get_html
events = load_events(path)

def serialise(fmap):
    fmap.get_root().render()
    return len((_get_html(fmap) + _get_header(fmap) + _get_map_string(fmap)).encode())

for label, window in windows.items():
    frame = apply_filter(events, EventFilter(date_from=window[0], date_to=window[1]))
    t = time.perf_counter()
    ours = serialise(build_map(frame, tiles=None))
    results[label]["map_ours_s"] = time.perf_counter() - t
    results[label]["map_ours_bytes"] = ours
    if naive:
        plain = frame.drop(columns=["latitude", "longitude"]).copy()
        for c in plain.columns:
            if c != "geometry" and str(plain[c].dtype).startswith(("datetime", "category")):
                plain[c] = plain[c].astype(str)
        fields = ["event_id", "event_date", "event_type", "place", "summary", "source", "status"]
        t = time.perf_counter()
        fmap = folium.Map(location=[35.47, 44.39], zoom_start=7, tiles=None)
        folium.GeoJson(plain, tooltip=folium.GeoJsonTooltip(fields), popup=folium.GeoJsonPopup(fields)).add_to(fmap)
        results[label]["map_naive_bytes"] = serialise(fmap)
        results[label]["map_naive_s"] = time.perf_counter() - t
print(json.dumps(results))
"""


def _write_parquet(n: int, folder: Path) -> Path:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.synthetic import make_events\nfrom geodata.events import save_events\n"
        "save_events(make_events(int(sys.argv[1]), seed=11), sys.argv[2])\n"
    )
    out = folder / f"events-{n}.parquet"
    subprocess.run([sys.executable, "-c", code, str(n), str(out)], check=True, cwd=ROOT)
    return out


def _measure(n: int, path: Path, *, naive: bool) -> dict:
    code = _CHILD.format(root=str(ROOT), app=str(ROOT / "dashboard" / "app.py"))
    proc = subprocess.run(
        [sys.executable, "-c", code, str(n), str(path), "1" if naive else "0"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=3600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dashboard bench at n={n} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.2f} MB" if n_bytes >= 1e5 else f"{n_bytes / 1e3:.0f} kB"


def run() -> str:
    """Measure the dashboard at each size and return the Markdown section."""
    rows, maps, colds = [], [], []
    with tempfile.TemporaryDirectory(prefix="kcm-bench-dash-") as tmp:
        for n in SIZES:
            path = _write_parquet(n, Path(tmp))
            res = _measure(n, path, naive=n in NAIVE_SIZES)
            colds.append(f"| {n:,} | {res['cold']:.2f} s | {res['imports']:.2f} s |")
            for label in ("1 month", "full range"):
                r = res[label]
                rows.append(
                    f"| {n:,} | {label} | {r['events']:,} | {r['seconds']:.3f} s | {_mb(r['bytes'])} |"
                )
                if "map_naive_s" in r:
                    naive = f"{r['map_naive_s']:.2f} s, {_mb(r['map_naive_bytes'])}"
                    ratio = f"{r['map_naive_s'] / r['map_ours_s']:.0f}× faster, {r['map_naive_bytes'] / r['map_ours_bytes']:.0f}× smaller"
                else:
                    naive, ratio = "not run (PERF.md: ~210 s, ~690 MB at 1M)", "—"
                maps.append(
                    f"| {n:,} | {label} | {r['map_ours_s']:.3f} s, {_mb(r['map_ours_bytes'])} | {naive} | {ratio} |"
                )
    return "\n".join(
        [
            "## Dashboard (`bench_dashboard`)",
            "",
            "Synthetic events (tests/synthetic.py) stored as GeoParquet; the page is driven by AppTest (no browser).",
            "A rerun is the server time after moving the window slider (median of 3 moves); bytes are what `st_folium`",
            "sends to the browser for the map (script + header + html + asset links). Targets: ≤ 0.3 s at 100k;",
            "≤ 0.5 s and ≤ 2 MB at 1M; cold start at 1M ≤ 5 s.",
            "",
            "| events in store | window | events in window | slider rerun | map bytes sent |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "Map alone (build + serialise as `st_folium` does), ours against the naive `folium.GeoJson` of the filtered"
            " frame with tooltip and popup:",
            "",
            "| events in store | window | ours | naive | ratio |",
            "|---|---|---|---|---|",
            *maps,
            "",
            "Cold start (new process: imports, load of the GeoParquet file, first run of the page):",
            "",
            "| events | cold start | of which imports |",
            "|---|---|---|",
            *colds,
        ]
    )
