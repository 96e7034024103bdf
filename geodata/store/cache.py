"""Validated once: GeoParquet copies of valid events files, and stamps for GeoParquet files already checked.

Also kept here: the in-memory columns of a dataset (:mod:`geodata.store.memory`) as an Arrow file, mapped at a
later start instead of decoded from the GeoParquet files again.

A copy is keyed by the source's size, modification time and content hash (xxh3-128), and by the rules it was
checked against (:data:`RULES_VERSION`, the gazetteer's content, the distance limit). Copies and stamps are
written atomically; a file that fails validation gets neither, and its problems are raised as usual.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from geodata.errors import CacheError
from geodata.settings import get_settings

if TYPE_CHECKING:
    from geodata.gazetteer import Gazetteer

log = logging.getLogger(__name__)

# Bump when a validation rule or the stored schema changes: every copy and stamp then counts as stale.
RULES_VERSION = "1"
_BLOCK = 1 << 22
_ADVICE = "free some space there, or set KCM_CACHE to a writable folder with room for the copy"


def content_digest(path: Path) -> str:
    """Return the xxh3-128 hex digest of a file's bytes, remembered while the file's inode record is unchanged.

    Hashing is fast when the file is in memory, but a later start on a cold disk spent seconds reading a big CSV
    again only to hash it. The digest is kept in the cache folder with the file's size, modification time, inode
    and change time (``st_ctime``, which any write or rename sets and no tool can set back); while all four are
    the same the bytes are too, and the kept digest is returned without reading them.
    """
    info = path.stat()
    signature = f"{info.st_size}:{info.st_mtime_ns}:{info.st_ino}:{info.st_ctime_ns}"
    memo = get_settings().cache_dir / "digests" / f"{_text_digest(str(path.resolve()))[:32]}.txt"
    kept = _read_memo(memo)
    if kept is not None and kept[0] == signature:
        return kept[1]
    digest = _file_digest(path)
    _write_memo(memo, signature, digest)
    return digest


def _file_digest(path: Path) -> str:
    """Return the xxh3-128 hex digest of a file's bytes (several GB/s when they are in memory)."""
    import xxhash

    h = xxhash.xxh3_128()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def _read_memo(memo: Path) -> tuple[str, str] | None:
    """Return the (signature, digest) kept in ``memo``, or None when there is none or it is unreadable."""
    try:
        signature, digest = memo.read_text(encoding="ascii").split()
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return signature, digest


def _write_memo(memo: Path, signature: str, digest: str) -> None:
    """Keep a file's digest with its signature (temp + rename); a folder that cannot be written is only logged."""
    tmp = memo.with_name(f".{memo.name}.{os.getpid()}.tmp")
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(f"{signature} {digest}\n", encoding="ascii")
        os.replace(tmp, memo)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log.warning("%s: cannot keep the file digest (%s); it is computed again next time", memo, exc)


def _text_digest(*parts: str) -> str:
    import xxhash

    return xxhash.xxh3_128("\x1f".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def rules_digest() -> str:
    """Digest of what a validation result depends on besides the data: rules version, gazetteer, limits."""
    settings = get_settings()
    gazetteer = settings.gazetteer_path
    gaz = content_digest(gazetteer) if gazetteer.is_file() else "no-gazetteer"
    return _text_digest(RULES_VERSION, gaz, repr(settings.override_km))


def _folder(name: str) -> Path:
    folder = get_settings().cache_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cache_path(folder: str, name: str, source: Path) -> Path:
    """Return a file path in a cache sub-folder, made if missing, or a located :class:`CacheError`."""
    try:
        return _folder(folder) / name
    except OSError as exc:
        raise CacheError(
            f"{source}: cannot use the cache folder {get_settings().cache_dir}: {exc}; {_ADVICE}"
        ) from exc


def stamp_key(digests: list[str]) -> str:
    """Key of a validation stamp: the content digests of the files checked together, and the rules."""
    return _text_digest(rules_digest(), *sorted(digests))


def is_stamped(key: str) -> bool:
    """Whether files with this :func:`stamp_key` were found valid before."""
    return (get_settings().cache_dir / "valid" / key).exists()


def stamp(key: str) -> None:
    """Record that the files of ``key`` are valid (an empty file, created atomically)."""
    target = _folder("valid") / key
    tmp = target.with_name(f".{key}.{os.getpid()}.tmp")
    tmp.touch()
    os.replace(tmp, target)


def validated_copy(source: Path, *, gazetteer: Gazetteer | None = None) -> Path:
    """Return a validated GeoParquet copy of an events file (CSV, or GeoParquet not written by us).

    The first call validates ``source`` with the reader and rules of :func:`~geodata.events.load_events`
    (raising :class:`~geodata.errors.EventValidationError` with every problem, and writing nothing) and saves
    the events as GeoParquet in the cache folder (a CSV's columns are built straight from its checked cells,
    :func:`~geodata.store.loader.checked_table`); later calls find the copy by the source's size, modification time
    and content hash. Older copies of the same source are removed when a new one is written. A copy is only
    ever written after validation, so it is trusted as it is.
    """
    from geodata.store.writers import save_geoparquet, save_table

    resolved = source.resolve()
    info = resolved.stat()
    digest = content_digest(resolved)
    owner = _text_digest(str(resolved))[:16]
    key = _text_digest(str(info.st_size), str(info.st_mtime_ns), digest, rules_digest())[:32]
    target = _cache_path("copies", f"{owner}-{key}.parquet", source)
    if target.is_file():
        log.info("%s: using the validated copy %s", source, target)
        return target
    from geodata.store.loader import checked_table, load_events

    # a CSV goes straight from its checked cells to Arrow, with no GeoDataFrame in between
    if source.suffix.lower() != ".parquet":
        stored = checked_table(source, gazetteer=gazetteer)
        write: Callable[[], Any] = lambda: save_table(stored, target)  # noqa: E731
    else:
        events = load_events(source, gazetteer=gazetteer)
        write = lambda: save_geoparquet(events, target)  # noqa: E731
    try:
        write()
    except (OSError, pa.ArrowException) as exc:  # both writers leave no partial file behind
        raise CacheError(
            f"{source}: cannot write its validated copy to {target.parent}: {exc}; {_ADVICE}"
        ) from exc
    for old in target.parent.glob(f"{owner}-*.parquet"):
        if old != target:
            old.unlink(missing_ok=True)
    log.info("%s: validated; copy saved as %s", source, target)
    return target


def slim_copy(files: Sequence[Path], version: str, read: Callable[[], Any]) -> Any:
    """Return the in-memory columns of ``files``: mapped from the kept Arrow file, else ``read()`` and kept.

    The file is keyed by the files' paths, sizes and modification times and by ``version``; a newer one replaces
    the older ones of the same files. Keeping is only a speed-up: a folder that cannot be written, or a kept file
    that cannot be read, is logged and the columns are read from the files.
    """
    names = [str(f) for f in files]  # as given: the kept ``filename`` column holds them so
    stats = [Path(f).stat() for f in names]
    owner = _text_digest(*names)[:16]
    key = _text_digest(version, *(f"{s.st_size}:{s.st_mtime_ns}" for s in stats))[:32]
    target = get_settings().cache_dir / "slim" / f"{owner}-{key}.arrow"
    if target.is_file():
        try:
            return pa.ipc.open_file(pa.memory_map(str(target))).read_all()
        except (OSError, pa.ArrowException) as exc:
            log.warning("%s: cannot read the kept columns (%s); reading the files", target, exc)
    table = read()
    if table is not None:
        _keep_slim(table, target, owner)
    return table


def _keep_slim(table: Any, target: Path, owner: str) -> None:
    """Write ``table`` to ``target`` as an Arrow file (temp + rename) and remove older ones of the same files."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        options = pa.ipc.IpcWriteOptions(unify_dictionaries=True)
        with (
            pa.OSFile(str(tmp), "wb") as sink,
            pa.ipc.new_file(sink, table.schema, options=options) as writer,
        ):
            writer.write_table(table)
        os.replace(tmp, target)
    except (OSError, pa.ArrowException) as exc:
        tmp.unlink(missing_ok=True)
        log.warning(
            "%s: cannot keep the in-memory columns (%s); they are read from the files next time", target, exc
        )
        return
    for old in target.parent.glob(f"{owner}-*.arrow"):
        if old != target:
            old.unlink(missing_ok=True)
