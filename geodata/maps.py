"""Map builder: events, control state and changes in, a layered ``folium.Map`` out (the only module importing folium).

The builder never creates one folium object per event. Each layer is one ``FeatureGroup`` (togglable in the
layer control) filled by one script from compact arrays; the strings in those arrays are HTML-escaped here,
in Python, before they reach the page. Above ``aggregate_threshold`` events, the events layer becomes grid-cell
counts computed on the server, and the movements layer becomes counts per (origin, destination) pair.
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import folium
import numpy as np
import orjson
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.map import Layer
from folium.template import Template

from geodata import i18n
from geodata.errors import InputError
from geodata.grid import grid_origin_and_cell
from geodata.overlays import areas_payload, base_payload, fronts_payload
from geodata.settings import get_settings
from geodata.vocab import (
    ACTORS,
    CONTESTED_COLOR,
    EVENT_TYPE_LABELS,
    EVENT_TYPES,
    JOINT_COLORS,
    OKABE_ITO,
    STATUS_LABELS,
    UNKNOWN_COLOR,
    actor_label,
    controller_color,
)

logger = logging.getLogger(__name__)

LAYERS: tuple[str, ...] = ("control", "events", "movements", "changes", "areas", "fronts")
LANGS: tuple[str, ...] = i18n.LANGS
DEFAULT_CENTER: tuple[float, float] = (35.47, 44.39)  # Kirkuk (lat, lon)
DEFAULT_TILES = None  # offline-safe: the packaged outlines are the base map; tiles only when asked for
# Leaflet is served by our own server (Streamlit static serving of dashboard/static at /app/static). The URL is
# relative to st_folium's iframe (/component/<name>/index.html), so it also works under a base URL path.
STATIC_DIR = Path(__file__).resolve().parent.parent / "dashboard" / "static"
STATIC_URL = "../../app/static"
LEAFLET_VERSION = "1.9.4"
_COORD_DIGITS = 5  # about 1 m: plenty for a screen, and short in the page
_MAX_MOVEMENT_PAIRS = 500
_CHANGES_LISTED = 5  # changes listed per place in the changes layer's tooltip
_PRECISIONS: tuple[str, ...] = ("day", "week", "month")
# The catalogue's labels that the layers script looks up by a short name (popup rows).
_SCRIPT_LABELS: dict[str, str] = {
    "date": "col_event_date",
    "type": "col_event_type",
    "place": "col_place",
    "as_written": "col_place_as_written",
    "controller": "popup_controller",
    "summary": "col_summary",
    "source": "col_source",
    "status": "col_status",
    "precision": "precision",
}


def escape_text(value: object) -> str:
    """Escape a data string for HTML, attributes and JavaScript template literals.

    Besides ``& < > " '``, backticks and ``$`` are turned into character references, so that the text is
    inert even if a caller puts it into a template literal (which is what ``folium.Tooltip`` does).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    text = html.escape(str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;")


def safe_url(value: object) -> str | None:
    """Return ``value`` if it is an absolute http(s) URL with a host, else None (never a ``javascript:`` link)."""
    if not isinstance(value, str) or not value.strip():
        return None
    url = value.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return url


@dataclass(frozen=True)
class _Strings:
    """String table: every distinct escaped string is sent once and referenced by index."""

    table: list[str]
    index: dict[str, int]

    @classmethod
    def new(cls) -> _Strings:
        return cls(table=[""], index={"": 0})

    def add(self, raw: object) -> int:
        return self.add_html(escape_text(raw))

    def add_html(self, markup: str) -> int:
        """Add markup the builder made itself (from escaped parts)."""
        found = self.index.get(markup)
        if found is None:
            found = len(self.table)
            self.table.append(markup)
            self.index[markup] = found
        return found


def _column(df: pd.DataFrame, name: str) -> list[Any]:
    """Return a column as a list of Python objects with missing values as ``None`` (absent column: all None)."""
    if name not in df.columns:
        return [None] * len(df)
    col = df[name]
    values = col.astype(object).tolist()
    mask = col.isna().to_numpy()
    return [None if m else v for v, m in zip(values, mask, strict=True)]


def _first_column(df: pd.DataFrame, names: Sequence[str]) -> str | None:
    return next((n for n in names if n in df.columns), None)


def _iso(value: object) -> str:
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp | date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _iso_column(df: pd.DataFrame, name: str) -> list[str]:
    if name not in df.columns:
        return [""] * len(df)
    col = df[name]
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.dt.strftime("%Y-%m-%d").fillna("").tolist()
    return [_iso(v) for v in _column(df, name)]


def _coords(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return (lat, lon) arrays of the event places: the latitude/longitude columns, else the geometry's end point."""
    if "latitude" in df.columns and "longitude" in df.columns:
        lat = pd.to_numeric(df["latitude"], errors="coerce").to_numpy(dtype=float)
        lon = pd.to_numeric(df["longitude"], errors="coerce").to_numpy(dtype=float)
        return lat, lon
    if "geometry" in df.columns:
        end = shapely.get_point(np.asarray(df["geometry"].array), -1)
        point = np.where(shapely.is_missing(end), np.asarray(df["geometry"].array), end)
        return shapely.get_y(point), shapely.get_x(point)
    raise InputError("events frame has neither latitude/longitude columns nor a geometry column")


def _round(values: np.ndarray) -> list[float]:
    return np.round(values.astype(float), _COORD_DIGITS).tolist()


def _type_codes(df: pd.DataFrame) -> np.ndarray:
    """Return the index of each event's type in ``EVENT_TYPES`` (unknown types: len(EVENT_TYPES))."""
    if "event_type" not in df.columns:
        return np.full(len(df), len(EVENT_TYPES), dtype=np.int64)
    cat = pd.Categorical(df["event_type"], categories=[*EVENT_TYPES])
    codes = np.asarray(cat.codes, dtype=np.int64)
    codes[codes < 0] = len(EVENT_TYPES)
    return codes


def _controller_text(code: object, lang: str) -> str:
    if code is None or code == "":
        return ""
    return actor_label(str(code), lang)


def _indexed(values: pd.Series | np.ndarray, strings: _Strings, display: Any = None) -> np.ndarray:
    """Return each value's index in the string table; escaping and ``display`` run once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    shown = [strings.add(display(u) if display else u) for u in uniques.tolist()]
    table = np.asarray([*shown, 0], dtype=np.int64)  # code -1 (missing) -> the empty string
    return table[codes]


def _vocab_label(labels: dict[str, Any], lang: str) -> Any:
    def label(code: object) -> object:
        entry = labels.get(str(code))
        return code if entry is None else (entry.ar if lang == "ar" else entry.en)

    return label


def _event_payload(df: pd.DataFrame, strings: _Strings, lang: str) -> dict[str, Any]:
    """Events as arrays: coordinates, type codes and per-event string indices for the popup and tooltip."""
    lat, lon = _coords(df)
    empty = pd.Series([None] * len(df), index=df.index, dtype=object)

    def col(name: str) -> pd.Series:
        return df[name] if name in df.columns else empty

    dates = np.asarray(_iso_column(df, "event_date"), dtype=object)
    ends = np.asarray(_iso_column(df, "date_end"), dtype=object)
    span = (ends != "") & (ends != dates)
    days = np.where(span, dates + " – " + ends, dates)
    precision = {code: i18n.text(f"precision_{code}", lang) for code in _PRECISIONS}
    status = col("status").astype(object)
    columns = [
        _indexed(days, strings),
        _indexed(col("date_precision"), strings, lambda c: precision.get(str(c), c)),
        _indexed(col("event_type"), strings, _vocab_label(EVENT_TYPE_LABELS, lang)),
        _indexed(col("place"), strings),
        _indexed(col("place_ar"), strings),
        _indexed(col("place_as_written"), strings),
        _indexed(col("controller_before"), strings, lambda c: _controller_text(c, lang)),
        _indexed(col("controller_after"), strings, lambda c: _controller_text(c, lang)),
        _indexed(col("summary"), strings),
        _indexed(col("source"), strings),
        _indexed(col("source_url"), strings, safe_url),
        _indexed(status, strings, _vocab_label(STATUS_LABELS, lang)),
        _indexed(col("event_id"), strings),
        (status == "disputed").to_numpy(dtype=np.int64),
    ]
    records = np.column_stack(columns).tolist() if len(df) else []
    return {"lat": _round(lat), "lon": _round(lon), "k": _type_codes(df).tolist(), "r": records}


def _grid(df: pd.DataFrame) -> dict[str, Any]:
    """Count events per square grid cell; the cell size adapts to the extent so that at most 64x64 cells exist."""
    lat, lon = _coords(df)
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    if lat.size == 0:
        return {"cell": 0, "lat": [], "lon": [], "n": []}
    lat0, lon0, cell = grid_origin_and_cell(
        float(lat.min()), float(lat.max()), float(lon.min()), float(lon.max())
    )
    iy = ((lat - lat0) / cell).astype(np.int64)
    ix = ((lon - lon0) / cell).astype(np.int64)
    nx = int(ix.max()) + 1
    counts = np.bincount(iy * nx + ix)
    keys = np.flatnonzero(counts)
    return {
        "cell": cell,
        "lat": _round(lat0 + (keys // nx) * cell),
        "lon": _round(lon0 + (keys % nx) * cell),
        "n": counts[keys].tolist(),
    }


def _cell_tips(grid: dict[str, Any], strings: _Strings, lang: str) -> dict[str, Any]:
    """Return ``grid`` with each cell's tooltip ("12 events in this cell", in its plural form) as a string index."""
    tips = {n: strings.add_html(i18n.text("map_cell", lang, n=int(n))) for n in dict.fromkeys(grid["n"])}
    return {**grid, "tip": [tips[n] for n in grid["n"]]}


def _grid_extent(grid: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Return (lat, lon) of the corners of every counted cell, for fitting the view."""
    lat, lon = np.asarray(grid["lat"], dtype=float), np.asarray(grid["lon"], dtype=float)
    return np.concatenate([lat, lat + grid["cell"]]), np.concatenate([lon, lon + grid["cell"]])


def _movement_rows(df: pd.DataFrame) -> pd.DataFrame:
    if "origin_place_id" not in df.columns or "geometry" not in df.columns:
        return df.iloc[0:0]
    has_origin = df["origin_place_id"].notna().to_numpy()
    if not has_origin.any():
        return df.iloc[0:0]
    rows = df[has_origin]
    geoms = np.asarray(rows["geometry"].array)
    lines = shapely.get_type_id(geoms) == 1  # LineString
    return rows[lines]


def _line_ends(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    geoms = np.asarray(rows["geometry"].array)
    start, end = shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)
    return shapely.get_y(start), shapely.get_x(start), shapely.get_y(end), shapely.get_x(end)


def _movement_pairs(rows: pd.DataFrame, strings: _Strings, lang: str) -> dict[str, Any]:
    """Aggregate movements to counts per (origin, destination) pair, the busiest first."""
    lat0, lon0, lat1, lon1 = _line_ends(rows)
    pairs = pd.DataFrame(
        {
            "o": rows["origin_place_id"].astype(str).to_numpy(),
            "d": rows["place_id"].astype(str).to_numpy() if "place_id" in rows.columns else "",
            "lat0": lat0,
            "lon0": lon0,
            "lat1": lat1,
            "lon1": lon1,
            "name": rows["place"].astype(object).to_numpy() if "place" in rows.columns else None,
        }
    )
    grouped = pairs.groupby(["o", "d"], sort=False, observed=True).agg(
        n=("lat0", "size"), lat0=("lat0", "first"), lon0=("lon0", "first"), lat1=("lat1", "first"),
        lon1=("lon1", "first"), name=("name", "first"),
    )  # fmt: skip
    grouped = grouped.sort_values("n", ascending=False).head(_MAX_MOVEMENT_PAIRS)
    tips = [
        strings.add_html(
            i18n.text(
                "map_movement_pair", lang, n=int(n), origin=escape_text(o), place=escape_text(name or d)
            )
        )
        for (o, d), n, name in zip(grouped.index, grouped["n"], grouped["name"], strict=True)
    ]
    return {
        "lat0": _round(grouped["lat0"].to_numpy()),
        "lon0": _round(grouped["lon0"].to_numpy()),
        "lat1": _round(grouped["lat1"].to_numpy()),
        "lon1": _round(grouped["lon1"].to_numpy()),
        "n": grouped["n"].astype(int).tolist(),
        "tip": tips,
    }


def _place_names(place: object, place_ar: object) -> str:
    parts = [escape_text(p) for p in (place, place_ar) if p]
    return " / ".join(f'<span dir="auto">{p}</span>' for p in parts)


def _control_payload(control: pd.DataFrame, strings: _Strings, lang: str) -> dict[str, Any]:
    """Places with their controller colour, contested flag, and prebuilt (escaped) tooltip/popup markup."""
    lat = pd.to_numeric(control[_first_column(control, ("lat", "latitude")) or "lat"], errors="coerce")
    lon = pd.to_numeric(control[_first_column(control, ("lon", "longitude")) or "lon"], errors="coerce")
    ok = (lat.notna() & lon.notna()).to_numpy()
    control = control[ok]
    controllers = _column(control, "controller")
    contested = [bool(v) for v in _column(control, "contested")]
    claims = _column(control, "claims")
    names = [
        _place_names(p, a)
        for p, a in zip(_column(control, "place"), _column(control, "place_ar"), strict=True)
    ]
    since = _iso_column(control, "since")
    event_ids = _column(control, "event_id")
    place_ids = [str(v or "") for v in _column(control, "place_id")]
    labels = [
        strings.add((a if lang == "ar" and a else p) or a or "")
        for p, a in zip(_column(control, "place"), _column(control, "place_ar"), strict=True)
    ]
    colors, tips = [], []
    for i, code in enumerate(controllers):
        if contested[i]:
            claim_codes = (
                claims[i] if isinstance(claims[i], list | tuple) else str(claims[i] or "").split(";")
            )
            holder = f"{i18n.text('contested', lang)}: " + ", ".join(
                escape_text(_controller_text(c, lang)) for c in claim_codes if c
            )
            colors.append(UNKNOWN_COLOR if not code else controller_color(code))
        elif code:
            holder = escape_text(_controller_text(code, lang))
            colors.append(controller_color(code))
        else:
            holder = i18n.text("unknown", lang)
            colors.append(UNKNOWN_COLOR)
        when = f" ({i18n.text('since', lang)} {escape_text(since[i])})" if since[i] else ""
        ref = f"<br><small>{escape_text(event_ids[i])}</small>" if event_ids[i] else ""
        tips.append(strings.add_html(f"<b>{names[i]}</b><br>{holder}{when}{ref}"))
    return {
        "lat": _round(lat[ok].to_numpy()),
        "lon": _round(lon[ok].to_numpy()),
        "c": colors,
        "x": [1 if c else 0 for c in contested],
        "tip": tips,
        "n": labels,
        # Label priority: towns (GeoNames) before curated sites, which often sit beside a town.
        "rank": [0 if pid.startswith("geonames:") else 1 for pid in place_ids],
    }


def _changes_payload(changes: pd.DataFrame, strings: _Strings, lang: str) -> dict[str, Any]:
    """One highlighted ring per place that changed hands, listing its latest changes (bounded at any size)."""
    lat_col = _first_column(changes, ("latitude", "lat"))
    lon_col = _first_column(changes, ("longitude", "lon"))
    if lat_col is None or lon_col is None:
        lat, lon = _coords(changes)
    else:
        lat = pd.to_numeric(changes[lat_col], errors="coerce").to_numpy(dtype=float)
        lon = pd.to_numeric(changes[lon_col], errors="coerce").to_numpy(dtype=float)
    ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    if "place_id" in changes.columns:
        keys = changes["place_id"].astype(str).to_numpy()[ok]
    else:
        keys = np.char.add(np.round(lat[ok], 4).astype(str), np.round(lon[ok], 4).astype(str))
    light = pd.DataFrame({"key": keys, "pos": ok})
    counts = light.groupby("key", sort=False)["pos"].agg(["size", "last"])
    if "n_changes" in changes.columns:  # a dataset query sent only the latest rows, with each place's total
        totals = changes["n_changes"].to_numpy()[ok]
        counts["size"] = pd.Series(totals, index=keys).groupby(level=0, sort=False).max()
    latest = light.groupby("key", sort=False).tail(_CHANGES_LISTED)
    rows = changes.iloc[latest["pos"].to_numpy()]
    date_col = _first_column(rows, ("event_date", "date", "since")) or "event_date"
    days = _iso_column(rows, date_col)
    before, after = _column(rows, "controller_before"), _column(rows, "controller_after")
    summaries, ids = _column(rows, "summary"), _column(rows, "event_id")
    names = [
        _place_names(p, a) for p, a in zip(_column(rows, "place"), _column(rows, "place_ar"), strict=True)
    ]
    lines: dict[str, list[str]] = {}
    title: dict[str, str] = {}
    for i, key in enumerate(latest["key"].tolist()):
        move = f"{escape_text(_controller_text(before[i], lang))} → {escape_text(_controller_text(after[i], lang))}"
        ref = f" <small>{escape_text(ids[i])}</small>" if ids[i] else ""
        lines.setdefault(key, []).append(f"<b>{escape_text(days[i])}</b> {move}{ref}")
        title[key] = names[i]
        if counts.at[key, "size"] == 1 and summaries[i]:
            lines[key].append(escape_text(summaries[i]))
    tips = []
    for key, n in zip(counts.index, counts["size"], strict=True):
        more = f"<br>… {n - _CHANGES_LISTED:,} +" if n > _CHANGES_LISTED else ""
        head = f"<b>{title[key]}</b> · {i18n.text('map_place_changes', lang, n=int(n))}"
        tips.append(strings.add_html(head + "<br>" + "<br>".join(lines[key]) + more))
    last = counts["last"].to_numpy()
    return {"lat": _round(lat[last]), "lon": _round(lon[last]), "tip": tips}


def _both(key: str) -> tuple[str, str]:
    """Return the catalogue's English and Arabic text of ``key``, escaped for HTML (the legend shows both)."""
    return escape_text(i18n.text(key, "en")), escape_text(i18n.text(key, "ar"))


def _legend_row(lang: str, swatch: str, en: str, ar: str, *, shape: str = "kcm-sw") -> str:
    """One legend line: swatch, then the name in the page language next to it, then the other language."""
    names = [f'<td class="kcm-en" dir="ltr">{en}</td>', f'<td class="kcm-ar" dir="rtl" lang="ar">{ar}</td>']
    if lang == "ar":
        names.reverse()
    return f'<tr><td><span class="{shape}" style="{swatch}"></span></td>{"".join(names)}</tr>'


def _legend_html(lang: str, controllers: Iterable[str], types_present: Iterable[str]) -> str:
    rows = []
    for code in controllers:
        en, ar = escape_text(actor_label(code, "en")), escape_text(actor_label(code, "ar"))
        rows.append(_legend_row(lang, f"background:{controller_color(code)}", en, ar))
    rows.append(
        _legend_row(
            lang,
            f"background:#fff;border:2px dashed {CONTESTED_COLOR}",
            *_both("contested"),
            shape="kcm-sw kcm-ring",
        )
    )
    rows.append(_legend_row(lang, f"background:{UNKNOWN_COLOR}", *_both("unknown")))
    rows.append(_legend_row(lang, "background:#bbb;opacity:.55;border:1px solid #666", *_both("legend_area")))
    rows.append(
        _legend_row(
            lang,
            f"background:repeating-linear-gradient(45deg,{CONTESTED_COLOR} 0 3px,#fff 3px 8px)",
            *_both("legend_contested_area"),
        )
    )
    rows.append(
        _legend_row(
            lang, "background:#fff;border:0;border-top:3px dashed #5b0f1f;height:0", *_both("legend_front")
        )
    )
    rows.append(
        _legend_row(
            lang,
            f"background:#fff;border:3px solid {OKABE_ITO['yellow']}",
            *_both("layer_changes"),
            shape="kcm-sw kcm-ring",
        )
    )
    types = []
    for code in types_present:
        label = EVENT_TYPE_LABELS[code]
        types.append(
            _legend_row(
                lang,
                f"background:{label.color}",
                escape_text(label.en),
                escape_text(label.ar),
                shape="kcm-dot",
            )
        )
    type_block = (
        f'<tr><th colspan="3">{i18n.text("legend_event_types", lang)}</th></tr>{"".join(types)}'
        if types
        else ""
    )
    direction = "rtl" if lang == "ar" else "ltr"
    # Folded by default (a <details> element): the legend covers no data until the reader opens it.
    return (
        f'<details class="kcm-legend" dir="{direction}"><summary>{i18n.text("legend_open", lang)}</summary>'
        f'<table><tr><th colspan="3">{i18n.text("legend_title", lang)}</th></tr>'
        f"{''.join(rows)}{type_block}</table></details>"
    )


def _as_of_html(as_of: date | None, window: tuple[date, date] | None, lang: str, note: str) -> str:
    direction = "rtl" if lang == "ar" else "ltr"
    day = as_of.isoformat() if as_of else "—"
    dates = f'<span dir="ltr">{window[0].isoformat()} → {window[1].isoformat()}</span>' if window else ""
    span = f"{i18n.text('asof_window', lang)}: {dates}" if window else ""
    extra = f"<br><small>{note}</small>" if note else ""
    return (
        f'<div class="kcm-asof" dir="{direction}" data-as-of="{day}">'
        f'<div class="kcm-asof-label">{i18n.text("as_of", lang)}</div>'
        f'<div class="kcm-asof-day" dir="ltr">{day}</div><div class="kcm-asof-window">{span}{extra}</div></div>'
    )


_CSS = (
    ".kcm-asof{background:rgba(255,255,255,.93);padding:6px 12px;border:2px solid #222;border-radius:6px;"
    "font:14px/1.3 system-ui,'Noto Sans','Noto Naskh Arabic',sans-serif;color:#111;text-align:center}"
    ".kcm-asof-day{font-size:26px;font-weight:700;letter-spacing:.5px}"
    ".kcm-asof-window{font-size:12px;color:#333}.kcm-asof-window [dir=ltr]{white-space:nowrap;unicode-bidi:isolate}"
    ".kcm-legend{background:rgba(255,255,255,.9);padding:4px 8px;border-radius:6px;max-width:390px;"
    "font:11px/1.35 system-ui,'Noto Sans','Noto Naskh Arabic',sans-serif;color:#111;box-shadow:0 1px 4px rgba(0,0,0,.3)}"
    ".kcm-sw,.kcm-dot{display:inline-block;width:12px;height:12px;margin:0 6px;vertical-align:middle;"
    "border:1px solid #333}.kcm-dot{border-radius:50%}"
    ".kcm-legend table{border-collapse:collapse}.kcm-legend td,.kcm-legend th{padding:1px 3px;vertical-align:middle}"
    ".kcm-legend th{text-align:start;padding-top:3px}.kcm-ar{text-align:right}.kcm-en{text-align:left}.kcm-legend td+td+td{color:#444}"
    ".kcm-ring{border-radius:50%}"
    ".kcm-name{font:600 11px/1.1 system-ui,'Noto Sans','Noto Naskh Arabic',sans-serif;color:#111;white-space:nowrap;"
    "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff;pointer-events:none}"
    ".kcm-name span{position:absolute;left:12px;top:-7px}.kcm-name span[dir=rtl]{left:auto;right:12px}"
    ".kcm-pop{font:13px/1.4 system-ui,'Noto Sans','Noto Naskh Arabic',sans-serif;max-width:320px}"
    ".kcm-pop th{text-align:start;padding-inline-end:6px;vertical-align:top;color:#555;font-weight:600}"
    "details.kcm-legend summary{cursor:pointer;font-weight:600;padding:2px 0}"
    ".kcm-base-label span{position:absolute;transform:translate(-50%,-50%);white-space:nowrap;pointer-events:none;"
    "text-shadow:0 0 2px #fff,0 0 3px #fff}"
    ".kcm-base-country span{font:600 13px/1 system-ui,'Noto Sans','Noto Naskh Arabic',sans-serif;letter-spacing:2px;"
    "text-transform:uppercase;color:#8c8577}"
    ".kcm-base-governorate span{font:italic 11px/1 system-ui,'Noto Sans','Noto Naskh Arabic',sans-serif;color:#6f695e}"
)


class _Verbatim(Element):
    """Script text that is put into the page as it is: never compiled as a Jinja template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        """Return the text unchanged (branca's ``Element`` would compile it as a template first)."""
        return self._text


def _as_rendered(text: str) -> Element:
    """Return ``text`` as the element branca would make of it, without compiling it when that changes nothing.

    branca puts each rendered macro into the page as ``Element(text)``, a Jinja template compiled once more (a
    third of the cost of drawing the map, 30-odd templates per rerun). Text without a Jinja delimiter renders as
    itself, but for the one trailing newline Jinja drops; any other text still goes through Jinja, as before.
    """
    if "{{" in text or "{%" in text or "{#" in text or "\r" in text:
        return Element(text)
    return _Verbatim(text[:-1] if text.endswith("\n") else text)


class _Compiled(MacroElement):
    """A ``MacroElement`` whose rendered macros reach the page through :func:`_as_rendered` (same text)."""

    def render(self, **kwargs: Any) -> None:
        """Render the header, html and script macros into the page (as branca does), then the children."""
        figure = self.get_root()
        for part in ("header", "html", "script"):
            macro = self._template.module.__dict__.get(part)
            if macro is not None:
                getattr(figure, part).add_child(_as_rendered(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class _Map(folium.Map, _Compiled):
    """``folium.Map``, rendered through :class:`_Compiled`."""


class _LayerControl(folium.LayerControl, _Compiled):
    """``folium.LayerControl``, rendered through :class:`_Compiled`."""


class _FitBounds(folium.FitBounds, _Compiled):
    """``folium.FitBounds``, rendered through :class:`_Compiled`."""


class _AddTo(ElementAddToElement, _Compiled):
    """folium's statement that adds a shown layer to its map, rendered through :class:`_Compiled`."""


class _FeatureGroup(folium.FeatureGroup, _Compiled):
    """``folium.FeatureGroup``, rendered through :class:`_Compiled`."""

    def render(self, **kwargs: Any) -> None:
        """Add the layer to its map when shown (as ``folium.map.Layer`` does), then render it."""
        if self.show:
            self.add_child(
                _AddTo(element_name=self.get_name(), element_parent_name=self._parent.get_name()),
                name=self.get_name() + "_add",
            )
        super(Layer, self).render(**kwargs)  # Layer.render would add folium's own statement again


def script_json(data: object) -> str:
    r"""Serialise ``data`` as JSON that is inert in a ``<script>`` element and in any Jinja template.

    ``<`` is written ``\u003c``, so no ``</script>`` or ``<!--`` can end the script; and a ``{`` that would open a
    Jinja delimiter (``{{``, ``{%``, ``{#``) is written ``\u007b``: such pairs only ever occur inside JSON strings
    (an object's ``{`` is followed by ``"`` or ``}``), where the escape decodes to the same text. So source text stays data even if a later step
    (branca, streamlit-folium) treats the script as a template.
    """
    text = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")
    text = _JINJA_OPENERS.sub(r"\\u007b", text)
    return text.replace("<", "\\u003c")


_JINJA_OPENERS = re.compile(r"\{(?=[{%#])")


@cache
def map_script(name: str) -> str:
    """Return the packaged map script ``geodata/js/<name>`` (package data, so it ships in the wheel)."""
    return resources.files("geodata").joinpath("js", name).read_text(encoding="utf-8")


class _DataScript(MacroElement):
    """A map script that receives its data as JSON and is never compiled as a template.

    branca renders a ``MacroElement``'s script macro and then compiles the result *again* as a Jinja template
    (``Element(script(...))``), so any source text inside it would run on the server. Here the script text is
    built in Python (placeholders replaced once, the data last) and handed to the page as a :class:`_Verbatim`
    element; streamlit-folium, which calls the ``script`` macro directly, gets the same text through
    ``{{ this.script_text }}``, rendered once.
    """

    _template = Template("{% macro script(this, kwargs) %}{{ this.script_text }}{% endmacro %}")
    _js_file: str = ""  # a file of geodata/js, read as text: it reaches the page verbatim

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "KcmData"
        self.raw_payload = payload

    def _placeholders(self) -> dict[str, str]:
        return {"__KCM_MAP__": self._parent.get_name()}

    @property
    def script_text(self) -> str:
        """The script with the map's variable names and, last, the JSON data filled in."""
        js = map_script(self._js_file)
        for key, value in self._placeholders().items():
            js = js.replace(key, value)
        data = {k: v for k, v in self.raw_payload.items() if not k.startswith("_")}
        head, _, tail = js.partition("__KCM_PAYLOAD__")
        return head + script_json(data) + tail

    def render(self, **kwargs: Any) -> None:
        """Add the script to the page verbatim (see the class docstring), then render the children."""
        figure = self.get_root()
        figure.script.add_child(_Verbatim(self.script_text), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class _KcmLayers(_DataScript):
    """One script that fills the layer groups from compact arrays and adds the legend and the "as of" box."""

    _js_file = "layers.js"

    def _placeholders(self) -> dict[str, str]:
        names = self.raw_payload["_groups"]
        groups = "{" + ", ".join(f"{key}: {group.get_name()}" for key, group in names.items()) + "}"
        return {**super()._placeholders(), "__KCM_GROUPS__": groups}


def _bounds(frames: Iterable[tuple[np.ndarray, np.ndarray]]) -> list[list[float]] | None:
    lats, lons = [], []
    for lat, lon in frames:
        ok = np.isfinite(lat) & np.isfinite(lon)
        if ok.any():
            lats += [float(lat[ok].min()), float(lat[ok].max())]
            lons += [float(lon[ok].min()), float(lon[ok].max())]
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def build_map(
    events: pd.DataFrame | None,
    control: pd.DataFrame | None = None,
    *,
    as_of: date | None = None,
    changes: pd.DataFrame | None = None,
    window: tuple[date, date] | None = None,
    layers: Iterable[str] = LAYERS,
    lang: str = "en",
    tiles: str | None = DEFAULT_TILES,
    attribution: str | None = None,
    bounds: Sequence[Sequence[float]] | None = None,
    aggregate_threshold: int | None = None,
    grid: dict[str, Any] | None = None,
    areas: pd.DataFrame | None = None,
    fronts: pd.DataFrame | None = None,
    static_url: str = STATIC_URL,
) -> folium.Map:
    """Build the layered map of control as of a day and the events of a window.

    Parameters
    ----------
    events
        The (already filtered) events of the window, as :func:`geodata.events.load_events` gives them.
    control
        The control state as of ``as_of`` (:func:`geodata.control.control_as_of`).
    as_of
        The day of the control state; shown in a box on the map so that a screenshot says which day it is.
    changes
        The control changes in the window (:func:`geodata.control.changes_between`), drawn highlighted.
    window
        The first and last day of the event window, shown under the "as of" day.
    layers
        The layers drawn, among :data:`LAYERS`; each one is a togglable group in the layer control.
    lang
        ``"en"`` or ``"ar"``: the language of labels (the data is shown as written, in both languages).
    tiles
        A folium tile name or URL template; None draws no base map (tests, offline use).
    attribution
        The attribution of a custom tile URL.
    bounds
        ``[[south, west], [north, east]]`` to fit the view to; default: the extent of what is drawn.
    aggregate_threshold
        Above this many events, draw grid-cell counts instead of points; None: the setting.
    grid
        Grid-cell counts already made by a dataset query (:meth:`geodata.store.dataset.EventDataset.grid`), for a
        window too large to load; then ``events`` holds only the window's movements (rows with an origin).
    areas, fronts
        The areas of control and the front lines of the day (:func:`geodata.areas.areas_from_control`,
        :func:`geodata.areas.front_lines`), drawn over the packaged outlines, under the places.
    static_url
        Where the page finds Leaflet (``leaflet/leaflet.js`` and ``.css``): our own server, never a CDN.

    Returns
    -------
    folium.Map
        The map; render it with ``get_root().render()`` or pass it to ``st_folium``.
    """
    if lang not in LANGS:
        raise InputError(f"map language must be one of {', '.join(LANGS)}, got {lang!r}")
    wanted = list(dict.fromkeys(layers))
    unknown = [name for name in wanted if name not in LAYERS]
    if unknown:
        raise InputError(
            f"unknown map layer(s) {', '.join(map(repr, unknown))}; expected some of {', '.join(LAYERS)}"
        )
    threshold = get_settings().aggregate_threshold if aggregate_threshold is None else aggregate_threshold
    events = events if events is not None else pd.DataFrame()
    strings = _Strings.new()
    payload: dict[str, Any] = {
        "css": _CSS,
        "dir": "rtl" if lang == "ar" else "ltr",
        "L": {name: i18n.text(key, lang) for name, key in _SCRIPT_LABELS.items()},
        "types": [EVENT_TYPE_LABELS[t].color for t in EVENT_TYPES] + [UNKNOWN_COLOR],
        "contested": CONTESTED_COLOR,
        "changeColor": OKABE_ITO["yellow"],
        "moveColor": OKABE_ITO["reddish_purple"],
        "aggColor": OKABE_ITO["blue"],
    }
    extents: list[tuple[np.ndarray, np.ndarray]] = []
    note = ""
    n_events = len(events) if grid is None else int(sum(grid["n"]))
    aggregated = grid is not None or n_events > threshold
    if n_events and ("events" in wanted or "movements" in wanted):
        if aggregated:
            if "events" in wanted:
                payload["agg"] = _cell_tips(_grid(events) if grid is None else grid, strings, lang)
            note = i18n.text("map_aggregated", lang, n=n_events)
        else:
            payload["ev"] = _event_payload(events, strings, lang)
            note = i18n.text("map_events", lang, n=n_events)
        extents.append(_coords(events) if grid is None else _grid_extent(grid))
    if n_events and "movements" in wanted:
        moves = _movement_rows(events)
        if len(moves) > threshold or (aggregated and len(moves)):
            payload["mvagg"] = _movement_pairs(moves, strings, lang)
        elif len(moves):
            positions = pd.Index(events.index).get_indexer(moves.index)
            lat0, lon0, lat1, lon1 = _line_ends(moves)
            payload["mv"] = {
                "e": positions.tolist(),
                "lat0": _round(lat0),
                "lon0": _round(lon0),
                "lat1": _round(lat1),
                "lon1": _round(lon1),
            }
            extents.append((lat0, lon0))
    controllers: list[str] = []
    if control is not None and len(control) and "control" in wanted:
        payload["ctl"] = _control_payload(control, strings, lang)
        extents.append(
            (np.asarray(payload["ctl"]["lat"], dtype=float), np.asarray(payload["ctl"]["lon"], dtype=float))
        )
        controllers = sorted({str(c) for c in control["controller"].dropna() if str(c)}, key=_actor_order)
    payload.update(_day_layers(changes, areas, fronts, wanted, strings, lang))
    payload["base"] = base_payload()
    payload["tiles"] = tiles is not None
    types_present = []
    if "ev" in payload:
        present = set(payload["ev"]["k"])
        types_present = [t for i, t in enumerate(EVENT_TYPES) if i in present]
    legend_codes = list(dict.fromkeys([*controllers, *(c for c in ACTORS if c in _LEGEND_DEFAULT)]))
    payload["legend"] = _legend_html(lang, sorted(legend_codes, key=_actor_order), types_present)
    payload["asof"] = _as_of_html(as_of, window, lang, note)
    payload["S"] = strings.table

    fmap = _Map(
        location=list(DEFAULT_CENTER),
        zoom_start=7,
        tiles=tiles,
        attr=attribution,
        control_scale=True,
        prefer_canvas=False,
    )
    use_local_leaflet(fmap, static_url)
    groups = {}
    for name in LAYERS:
        if name in wanted:
            groups[name] = _FeatureGroup(name=i18n.text(f"layer_{name}", lang), show=True).add_to(fmap)
    payload["_groups"] = groups
    _KcmLayers(payload).add_to(fmap)
    _LayerControl(collapsed=True, position="topleft").add_to(fmap)
    fit = [list(b) for b in bounds] if bounds is not None else _bounds(extents)
    if fit is not None:
        fmap.add_child(_FitBounds(fit, padding=(20, 20)))
    return fmap


def _present(frame: pd.DataFrame | None, layer: str, wanted: Sequence[str]) -> bool:
    return frame is not None and len(frame) > 0 and layer in wanted


def _day_layers(
    changes: pd.DataFrame | None,
    areas: pd.DataFrame | None,
    fronts: pd.DataFrame | None,
    wanted: Sequence[str],
    strings: _Strings,
    lang: str,
) -> dict[str, Any]:
    """Payloads of the changes, areas and front-line layers that are wanted and have data."""
    layers: dict[str, Any] = {}
    if _present(changes, "changes", wanted):
        layers["ch"] = _changes_payload(changes, strings, lang)  # type: ignore[arg-type]
    if _present(areas, "areas", wanted):
        layers["areas"] = areas_payload(areas, lang)  # type: ignore[arg-type]
    if _present(fronts, "fronts", wanted):
        layers["fronts"] = fronts_payload(fronts, lang)  # type: ignore[arg-type]
    return layers


def use_local_leaflet(fmap: folium.Map, static_url: str = STATIC_URL) -> folium.Map:
    """Make ``fmap`` load Leaflet from our own server, and nothing else.

    Our layers need Leaflet only, so folium's jQuery, Bootstrap and icon fonts (all from CDNs) are left out.
    """
    fmap.default_js = [("leaflet", f"{static_url}/leaflet/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{static_url}/leaflet/leaflet.css")]
    return fmap


# The legend always explains the main controllers, so colours read the same from day to day.
_LEGEND_DEFAULT: frozenset[str] = frozenset({"krg", "isf", "pmf", "us", "isis"})
_ACTOR_ORDER: dict[str, int] = {code: i for i, code in enumerate([*ACTORS, *JOINT_COLORS])}


def _actor_order(code: str) -> tuple[int, str]:
    return (_ACTOR_ORDER.get(code, len(_ACTOR_ORDER)), code)


# ---------------------------------------------------------------- candidate events of one article (ingest section)


class _KcmCandidates(_DataScript):
    """One script that draws an article's candidate events: a circle each, a dashed line from a movement's origin."""

    _js_file = "candidates.js"


def _finite(value: object) -> float | None:
    """Return ``value`` as a finite float, else None (missing, NaN, infinite or not a number)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def build_candidates_map(
    candidates: Sequence[dict[str, Any]], *, tiles: str | None = DEFAULT_TILES
) -> folium.Map:
    """Build a small map of an article's candidate events: one circle each, a line from the origin of a movement.

    Parameters
    ----------
    candidates
        Mappings with ``lat``, ``lon``, ``event_type``, ``place``, ``event_date`` and optionally ``origin_lat``,
        ``origin_lon``. Every string is escaped, and all of it reaches the page as JSON data (never through a
        template), like the main map's layers.
    tiles
        Folium tiles, or None for none (tests, offline).
    """
    fmap = use_local_leaflet(
        folium.Map(location=list(DEFAULT_CENTER), zoom_start=7, tiles=tiles, control_scale=True)
    )
    data: dict[str, list[Any]] = {key: [] for key in ("lat", "lon", "olat", "olon", "color", "tip")}
    points: list[list[float]] = []
    for row in candidates:
        lat, lon = _finite(row.get("lat")), _finite(row.get("lon"))
        if lat is None or lon is None:
            continue
        kind = row.get("event_type")
        data["color"].append(EVENT_TYPE_LABELS[kind].color if kind in EVENT_TYPE_LABELS else UNKNOWN_COLOR)
        data["tip"].append(
            escape_text(f"{kind or ''} · {row.get('place', '')} · {row.get('event_date') or '?'}")
        )
        o_lat, o_lon = _finite(row.get("origin_lat")), _finite(row.get("origin_lon"))
        if o_lat is None or o_lon is None:
            o_lat = o_lon = None
        for key, value in (("lat", lat), ("lon", lon), ("olat", o_lat), ("olon", o_lon)):
            data[key].append(value)
        points += [[lat, lon]] + ([[o_lat, o_lon]] if o_lat is not None and o_lon is not None else [])
    _KcmCandidates(dict(data)).add_to(fmap)
    if len(points) > 1:
        fmap.fit_bounds(points, padding=(20, 20))
    elif points:
        fmap.location = points[0]
    return fmap
