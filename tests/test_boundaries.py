"""Architecture boundaries: geodata never imports Streamlit; only the map builder imports folium."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GEODATA = sorted((ROOT / "geodata").glob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", GEODATA, ids=lambda p: p.name)
def test_geodata_never_imports_streamlit(path: Path) -> None:
    assert not {"streamlit", "streamlit_folium"} & _imports(path), f"{path.name} imports streamlit"


@pytest.mark.parametrize("path", GEODATA, ids=lambda p: p.name)
def test_only_the_map_builder_imports_folium(path: Path) -> None:
    if path.name == "maps.py":
        return
    assert "folium" not in _imports(path), f"{path.name} imports folium"


def test_import_geodata_is_cheap() -> None:
    """`import geodata` must not pull in geopandas or streamlit (the CLI and geocoder start fast)."""
    import subprocess
    import sys

    code = "import sys, geodata; print(sorted(m for m in ('geopandas','streamlit','folium') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
