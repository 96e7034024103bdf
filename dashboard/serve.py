"""Start ``streamlit run dashboard/app.py`` with the shipped server settings and the data layer warmed up.

Streamlit reads ``.streamlit/config.toml`` only from the home and the current folder, so the shipped settings
(``dashboard/.streamlit/config.toml``: localhost only, XSRF on, upload limit, no run-on-save, short errors) are
passed here as command-line flags; they apply wherever the server is started from. Flags given by the caller win,
and ``KCM_ADDRESS`` sets the listening address. Streamlit imports the page only when the first browser connects;
a background thread meanwhile imports the heavy modules and loads the events into the page's ``st.cache_resource``.
Usage: ``python -m dashboard.serve [streamlit run options]``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import tomllib
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
CONFIG = Path(__file__).resolve().parent / ".streamlit" / "config.toml"
logger = logging.getLogger(__name__)


def config_flags(path: Path = CONFIG) -> dict[str, str]:
    """Return the shipped settings as ``{"server.address": "127.0.0.1", ...}`` (values as command-line text)."""
    with path.open("rb") as fh:
        sections = tomllib.load(fh)
    flags: dict[str, str] = {}
    for section, options in sections.items():
        for name, value in options.items():
            flags[f"{section}.{name}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return flags


def server_args(argv: Sequence[str], env: dict[str, str] | None = None) -> list[str]:
    """Return ``streamlit run`` options: the shipped settings, then ``KCM_ADDRESS``, then ``argv`` (which wins)."""
    env = dict(os.environ) if env is None else env
    flags = config_flags()
    if env.get("KCM_ADDRESS"):
        flags["server.address"] = env["KCM_ADDRESS"]
    given = {arg.split("=", 1)[0][2:] for arg in argv if arg.startswith("--")}
    args = [part for key, value in flags.items() if key not in given for part in (f"--{key}", value)]
    return [*args, *argv]


def warm_up() -> None:
    """Import the page's heavy modules and load the events file and its latest control state into the caches.

    The caches are called outside a page run, which Streamlit reports as "missing ScriptRunContext"; that is
    expected here, so the warning is silenced for the warm-up only.
    """
    context_log = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    quiet = _NoContextWarning()
    # A filter, not a level: Streamlit resets the level when it sets up its loggers.
    context_log.addFilter(quiet)
    try:
        # Not streamlit_folium itself: a component is registered only when it is imported during a page run,
        # so importing it here would leave it unserved (404). Its heavy dependency, folium.plugins, is fine.
        import altair  # noqa: F401
        import folium.plugins  # noqa: F401

        from dashboard import cache
        from geodata.export import to_geojson_bytes  # noqa: F401
        from geodata.maps import build_map  # noqa: F401
        from geodata.settings import get_settings

        path = get_settings().events_path
        dataset = cache.load_dataset(str(path), cache.file_version(path))
        cache.control_on(dataset.path, dataset.version, dataset.last)
    except Exception:  # the page reports load errors itself; warming up must never stop the server
        logger.exception("warm-up of the dashboard failed; the page will load the data itself")
    finally:
        context_log.removeFilter(quiet)


class _NoContextWarning(logging.Filter):
    """Drop Streamlit's "missing ScriptRunContext" warning, which a cache call outside a page run always gives."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "ScriptRunContext" not in record.getMessage()


def main(argv: Sequence[str] | None = None) -> int:
    """Warm up in the background and run the Streamlit server on the page with the shipped settings."""
    from streamlit.web import cli

    threading.Thread(target=warm_up, name="kcm-warm-up", daemon=True).start()
    args = ["run", str(APP), *server_args(sys.argv[1:] if argv is None else argv)]
    return int(cli.main(args=args, prog_name="streamlit", standalone_mode=False) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
