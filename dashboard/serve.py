"""Start ``streamlit run dashboard/app.py`` with the data layer warmed up, so that the first page is quick.

Streamlit imports the page only when the first browser connects; then the imports (geopandas, folium, altair) and
the events load cost seconds. Here a background thread does both while the server starts, filling the same
``st.cache_resource`` the page reads. Usage: ``python -m dashboard.serve [streamlit run options]``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Import the page's heavy modules and load the events file and its latest control state into the caches."""
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


def main(argv: Sequence[str] | None = None) -> int:
    """Warm up in the background and run the Streamlit server on the page with ``argv`` as its options."""
    from streamlit.web import cli

    threading.Thread(target=warm_up, name="kcm-warm-up", daemon=True).start()
    args = ["run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    return int(cli.main(args=args, prog_name="streamlit", standalone_mode=False) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
