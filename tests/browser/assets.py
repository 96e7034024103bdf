"""Local copies of the map's CDN files (from npm, installed at test time) and the Playwright route that serves them."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ASSETS = Path(__file__).resolve().parent / ".assets"
NODE_MODULES = ASSETS / "node_modules"
# Exactly what the map's default_js/default_css ask for (geodata.maps keeps Leaflet only; see
# test_every_map_asset_is_served_locally).
NPM_PACKAGES: tuple[str, ...] = ("leaflet@1.9.3",)
LOCAL_HOSTS: frozenset[str] = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def _package_dir(spec: str) -> Path:
    name = spec.rsplit("@", 1)[0] if spec.count("@") > (1 if spec.startswith("@") else 0) else spec
    return NODE_MODULES / name


def install_assets(npm: str, *, timeout: float = 300) -> Path:
    """Install the npm packages into the ignored ``.assets`` directory (once) and return ``node_modules``."""
    if all(_package_dir(spec).is_dir() for spec in NPM_PACKAGES):
        return NODE_MODULES
    ASSETS.mkdir(parents=True, exist_ok=True)
    cmd = [npm, "install", "--prefix", str(ASSETS), "--no-audit", "--no-fund", "--no-save", *NPM_PACKAGES]
    subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
    return NODE_MODULES


def local_asset(url: str, node_modules: Path = NODE_MODULES) -> Path | None:
    """Map a CDN URL that folium uses to the file in ``node_modules`` (None when there is no such file)."""
    parts = urlsplit(url)
    path = parts.path
    candidate: Path | None = None
    if parts.netloc == "cdn.jsdelivr.net" and path.startswith("/npm/"):
        rest = path[len("/npm/") :]
        scope = ""
        if rest.startswith("@"):
            scope, rest = rest.split("/", 1)
            scope += "/"
        name_version, _, inner = rest.partition("/")
        candidate = node_modules / (scope + name_version.split("@", 1)[0]) / inner
    if candidate is not None and candidate.is_file():
        return candidate
    return None


def offline_router(node_modules: Path = NODE_MODULES) -> Callable[[Any], None]:
    """Return a Playwright route handler: localhost passes, CDN files come from disk, anything else is a quick 404."""
    return lambda route: _route_offline(route, node_modules)


def _route_offline(route: Any, node_modules: Path) -> None:
    url = route.request.url
    host = urlsplit(url).hostname or ""
    if host in LOCAL_HOSTS or url.startswith(("data:", "blob:", "about:", "file:")):
        route.continue_()
        return
    found = local_asset(url, node_modules)
    if found is None:
        route.fulfill(status=404, body="offline test: not served")
    else:
        route.fulfill(path=str(found))


def find_tool(name: str) -> str | None:
    """Return the path of an executable on PATH, or None."""
    return shutil.which(name)
