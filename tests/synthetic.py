"""Synthetic event frames for benchmarks and property tests, shaped exactly like ``load_events`` output.

Points fall in Iraq's bounding box, dates in 2017-2019 (sorted), and every row has an 80-character Arabic note,
as in the measurements of PERF.md. Nothing here reads the gazetteer or an events file.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.events import DATA_CATEGORY_COLUMNS, VOCAB_COLUMNS
from geodata.settings import CRS
from geodata.vocab import CONTROLLERS, EVENT_COLUMNS, GEO_PRECISIONS

IRAQ_BBOX = (38.8, 29.1, 48.6, 37.4)  # lon_min, lat_min, lon_max, lat_max
_START = np.datetime64("2017-01-01", "D")
_DAYS = int((np.datetime64("2019-12-31", "D") - _START).astype(np.int64)) + 1
_ARABIC_WORDS = (
    "انسحبت",
    "قوات",
    "البيشمركة",
    "من",
    "مدينة",
    "كركوك",
    "ودخلت",
    "القوات",
    "العراقية",
    "والحشد",
    "الشعبي",
    "إلى",
    "المحافظة",
    "بعد",
    "اشتباكات",
    "قرب",
    "قاعدة",
    "كي",
    "وان",
    "الجوية",
)
_PLACES = (
    ("geonames:94787", "Kirkuk", "كركوك", "Kirkuk"),
    ("geonames:95446", "Erbil", "أربيل", "Erbil"),
    ("geonames:90026", "Tuz Khurmatu", "طوز خورماتو", "Salah ad-Din"),
    ("kcm:k1-air-base", "K-1 Air Base", "قاعدة كي 1", "Kirkuk"),
    ("geonames:448149", "Sinjar", "سنجار", "Nineveh"),
    ("geonames:94591", "Khanaqin", "خانقين", "Diyala"),
)
_ACTOR_SETS = ("isf", "krg", "pmf", "isf;pmf", "krg;us", "us", "isis", "civilians")


def arabic_notes(n: int, rng: np.random.Generator, *, length: int = 80) -> np.ndarray:
    """Return ``n`` Arabic notes of exactly ``length`` characters (random word sequences)."""
    pool = []
    for _ in range(min(n, 512)):
        words = rng.choice(np.array(_ARABIC_WORDS, dtype=object), size=20)
        pool.append(" ".join(words)[:length].ljust(length, "ـ"))
    return np.array(pool, dtype=object)[rng.integers(0, len(pool), size=n)]


def make_events(n: int, seed: int = 0, *, first_id: int = 1) -> gpd.GeoDataFrame:
    """Return ``n`` synthetic events with the columns, dtypes and order of :func:`geodata.events.load_events`.

    Ids run ``syn-<first_id>`` onwards, so that chunks made with different ``first_id`` form one dataset.
    """
    rng = np.random.default_rng(seed)
    lon = np.round(rng.uniform(IRAQ_BBOX[0], IRAQ_BBOX[2], n), 6)
    lat = np.round(rng.uniform(IRAQ_BBOX[1], IRAQ_BBOX[3], n), 6)
    days = np.sort(rng.integers(0, _DAYS, n))
    event_date = (_START + days).astype("datetime64[ns]")
    spans = np.where(rng.random(n) < 0.05, rng.integers(1, 4, n), -1)
    date_end = np.where(spans > 0, event_date + spans.astype("timedelta64[D]"), np.datetime64("NaT"))
    place = rng.integers(0, len(_PLACES), n)
    types = np.array(VOCAB_COLUMNS["event_type"], dtype=object)[
        rng.integers(0, len(VOCAB_COLUMNS["event_type"]), n)
    ]
    is_control = np.isin(types, ["control_change", "status"])
    controllers = np.array([*sorted(CONTROLLERS), "isf+pmf"], dtype=object)
    before = np.where(is_control, controllers[rng.integers(0, len(controllers), n)], None)
    after = np.where(is_control, controllers[rng.integers(0, len(controllers), n)], None)

    def pick(values: tuple[str, ...], size: int) -> np.ndarray:
        return np.array(values, dtype=object)[rng.integers(0, len(values), size)]

    data = {
        "event_id": np.char.add("syn-", np.arange(first_id, first_id + n).astype(str)).astype(object),
        "event_date": event_date,
        "date_precision": pick(VOCAB_COLUMNS["date_precision"], n),
        "date_end": date_end,
        "event_type": types,
        "place_id": np.array([p[0] for p in _PLACES], dtype=object)[place],
        "place": np.array([p[1] for p in _PLACES], dtype=object)[place],
        "place_ar": np.array([p[2] for p in _PLACES], dtype=object)[place],
        "place_as_written": np.array([p[2] for p in _PLACES], dtype=object)[place],
        "latitude": lat,
        "longitude": lon,
        "coord_override": np.ones(n, dtype=bool),
        "geo_precision": pick(tuple(str(g) for g in GEO_PRECISIONS), n).astype(int),
        "admin1": np.array([p[3] for p in _PLACES], dtype=object)[place],
        "origin_place_id": np.full(n, None, dtype=object),
        "controller_before": before,
        "controller_after": after,
        "control_mode": np.where(is_control, pick(VOCAB_COLUMNS["control_mode"], n), None),
        "actors": pick(_ACTOR_SETS, n),
        "summary": np.full(n, "Synthetic event for benchmarks.", dtype=object),
        "source": np.full(n, "synthetic", dtype=object),
        "source_url": np.full(n, None, dtype=object),
        "source_date": event_date,
        "source_lang": np.full(n, "ar", dtype=object),
        "status": pick(("reported", "confirmed", "disputed"), n),
        "notes": arabic_notes(n, rng),
        "updated_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]"),
        "update_reason": np.full(n, None, dtype=object),
    }
    frame = pd.DataFrame(data)
    for name, vocab in VOCAB_COLUMNS.items():
        frame[name] = pd.Categorical(frame[name], categories=list(vocab))
    for name in DATA_CATEGORY_COLUMNS:
        frame[name] = frame[name].astype("category")
    frame["geo_precision"] = pd.Categorical(frame["geo_precision"], categories=list(GEO_PRECISIONS))
    for name in (
        "event_id",
        "place_id",
        "place",
        "place_ar",
        "place_as_written",
        "origin_place_id",
        "summary",
    ):
        frame[name] = frame[name].astype("str")
    for name in ("source", "source_url", "notes", "update_reason"):
        frame[name] = frame[name].astype("str")
    frame = frame[list(EVENT_COLUMNS)]
    gdf = gpd.GeoDataFrame(frame, geometry=shapely.points(lon, lat), crs=CRS)
    gdf.attrs["kcm_max_span_days"] = 3
    return gdf
