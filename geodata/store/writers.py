"""GeoParquet writers of the store: one file, or a folder of hive-style partitions, always atomically.

Files written here carry the schema marker :data:`SCHEMA_KEY` in their Parquet metadata: the dataset reader
queries such files in place (after checking them once), and makes a validated copy of any other file first.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from geodata.errors import ExportError
from geodata.vocab import EVENT_COLUMNS

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

SCHEMA_KEY = b"kcm_schema"
SCHEMA_VALUE = b"events/1"
# Small row groups let a date predicate skip most of a file by its min/max statistics.
ROW_GROUP_ROWS = 65_536
PARTITIONS: dict[str, str] = {"month": "%Y-%m", "year": "%Y"}


def _arrow_table(gdf: gpd.GeoDataFrame) -> object:
    """Convert events to an Arrow table with GeoParquet ("geo") and our schema metadata."""
    from geopandas.io.arrow import _geopandas_to_arrow

    columns = [c for c in EVENT_COLUMNS if c in gdf.columns] + ["geometry"]
    table = _geopandas_to_arrow(gdf[columns], index=False)
    return table.replace_schema_metadata({**(table.schema.metadata or {}), SCHEMA_KEY: SCHEMA_VALUE})


def _write_file(gdf: gpd.GeoDataFrame, path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(_arrow_table(gdf), path, row_group_size=ROW_GROUP_ROWS, compression="zstd")


def save_geoparquet(gdf: gpd.GeoDataFrame, path: str | os.PathLike[str]) -> Path:
    """Write events (as :func:`~geodata.events.load_events` gives them) to one GeoParquet file, atomically."""
    from geodata.events import atomic_path

    target = Path(path)
    with atomic_path(target) as tmp:
        _write_file(gdf, tmp)
    return target


def partition_labels(dates: pd.Series, by: str) -> pd.Series:
    """Return each event's partition value (``2017-10`` for ``month``) from its ``event_date``."""
    if by not in PARTITIONS:
        raise ExportError(f"unknown partitioning {by!r}; expected one of {', '.join(PARTITIONS)}")
    return dates.dt.strftime(PARTITIONS[by]).fillna("none")


def write_partitioned(
    frames: Iterable[gpd.GeoDataFrame], folder: str | os.PathLike[str], *, by: str = "month"
) -> int:
    """Write events as a folder of GeoParquet files in hive-style partitions (``month=2017-10/part-0.parquet``).

    ``frames`` are date-sorted chunks (one frame, or chunks streamed from a dataset); each chunk adds one file to
    each partition it touches. The folder is built beside ``folder`` and renamed into place only when complete;
    an existing ``folder`` must be empty or a dataset written by this function (it is then replaced).

    Returns
    -------
    int
        The number of events written.
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise ExportError(f"cannot write a partitioned dataset to {target}: it is a file, not a folder")
    if not target.parent.is_dir():
        raise ExportError(f"cannot write {target}: the folder {target.parent} does not exist")
    if target.is_dir() and any(target.iterdir()) and not _is_partitioned(target, by):
        raise ExportError(
            f"{target} is not empty and is not a dataset partitioned by {by}: refusing to replace it"
        )
    build = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    total = 0
    try:
        for k, frame in enumerate(frames):
            labels = partition_labels(frame["event_date"], by)
            for value, rows in frame.groupby(labels.to_numpy(), sort=True):
                part = build / f"{by}={value}"
                part.mkdir(exist_ok=True)
                _write_file(rows, part / f"part-{k:05d}.parquet")
            total += len(frame)
        os.chmod(build, 0o755)
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(build, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(build, target)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return total


def _is_partitioned(folder: Path, by: str) -> bool:
    """Whether every entry of ``folder`` is a ``by=...`` partition folder."""
    return all(entry.is_dir() and entry.name.startswith(f"{by}=") for entry in folder.iterdir())
