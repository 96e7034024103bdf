"""The offline browser: a Playwright route that lets the app's own origin through and refuses everything else.

Nothing is mirrored: a file the page needs must come from our server (TESTING.md). Refused URLs are recorded, so a
test can say which outside request the page tried.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

LOCAL_HOSTS: frozenset[str] = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
INLINE_SCHEMES: tuple[str, ...] = ("data:", "blob:", "about:")


def is_local(url: str) -> bool:
    """Return whether ``url`` is served by this machine (or is inline data)."""
    if url.startswith(INLINE_SCHEMES):
        return True
    parts = urlsplit(url)
    return parts.scheme in {"http", "https", "ws", "wss"} and (parts.hostname or "") in LOCAL_HOSTS


def offline_router(refused: list[str]) -> Callable[[Any], None]:
    """Return a route handler: local requests continue, any other one is aborted and appended to ``refused``."""

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if is_local(url):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort("internetdisconnected")

    return route


def find_tool(name: str) -> str | None:
    """Return the path of an executable on PATH, or None."""
    return shutil.which(name)
