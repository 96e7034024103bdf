"""Red-team findings in the store's readers and writers (issue 13): each gives a located error or a right result."""

from __future__ import annotations

import csv
import io
import os
import threading
import time
from pathlib import Path

import pytest

from geodata import cli
from geodata.errors import EventValidationError, InputError
from geodata.events import append_events, load_events, save_events, update_event, validate_file
from geodata.export import write_events
from geodata.settings import get_settings
from geodata.store import csv_reader
from geodata.store.dataset import open_dataset
from geodata.store.rules import MAX_PROBLEMS
from geodata.store.writers import STALE_TEMP_S, _locked
from geodata.vocab import EVENT_COLUMNS


def _rows(events_csv: Path) -> tuple[list[str], list[list[str]]]:
    with open(events_csv, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])
    return path


def _large(events_csv: Path, tmp_path: Path, name: str, first: list[str] | None = None) -> Path:
    """A copy of the seed repeated to more than the fast reader's threshold, ids made unique."""
    header, rows = _rows(events_csv)
    k = header.index("event_id")
    out: list[list[str]] = [first] if first else []
    n = 0
    while sum(len(",".join(r)) for r in out) < 300_000:
        for row in rows:
            n += 1
            out.append([f"kcm-{n:06d}" if i == k else v for i, v in enumerate(row)])
    return _write(tmp_path / name, header, out)


# ---------------------------------------------------------------- the two CSV readers agree


def test_broken_quoting_is_refused_by_both_readers(events_csv: Path, tmp_path: Path) -> None:
    header, rows = _rows(events_csv)
    small = tmp_path / "small.csv"
    text = _write(small, header, rows).read_text(encoding="utf-8")
    text = text.replace(",Hawija,", ',"Hawija"xyz,', 1)
    assert '"Hawija"xyz' in text
    small.write_text(text, encoding="utf-8")
    large = _large(events_csv, tmp_path, "large.csv")
    large_text = large.read_text(encoding="utf-8").replace(",Hawija,", ',"Hawija"xyz,', 1)
    large.write_text(large_text, encoding="utf-8")
    assert large.stat().st_size >= csv_reader.FAST_PATH_MIN_CHARS
    for path in (small, large):
        problems = validate_file(path)
        assert any("malformed CSV" in p.message for p in problems), path
        assert all(p.value != "Hawijaxyz" for p in problems)


def test_a_field_over_the_csv_limit_is_a_located_error_in_both_readers(
    events_csv: Path, tmp_path: Path
) -> None:
    header, rows = _rows(events_csv)
    long_row = list(rows[0])
    long_row[header.index("notes")] = "x" * 140_000
    for path in (
        _write(tmp_path / "small.csv", header, [long_row]),
        _large(events_csv, tmp_path, "large.csv", first=long_row),
    ):
        problems = validate_file(path)
        assert [(p.line, "field larger than field limit" in p.message) for p in problems][:1] == [(2, True)]
    # the header line itself too long: no crash, a located error
    huge_header = tmp_path / "huge_header.csv"
    huge_header.write_text("x" * 140_000 + "\n" + "a\n" * 200_000, encoding="utf-8")
    assert validate_file(huge_header)[0].line == 1


def test_a_problem_flood_is_capped(events_csv: Path, tmp_path: Path) -> None:
    header, rows = _rows(events_csv)
    path = tmp_path / "flood.csv"
    body = "\n".join(",".join(["x"] * (len(header) + 1)) for _ in range(20_000))
    path.write_text(",".join(header) + "\n" + body + "\n", encoding="utf-8")
    problems = validate_file(path)
    assert len(problems) <= MAX_PROBLEMS + 2
    assert "stopped reading" in problems[-1].message or "more problem" in problems[-1].message
    bad_dates = [list(r) for r in rows] * 40
    k = header.index("event_date")
    ids = header.index("event_id")
    for n, row in enumerate(bad_dates):
        row[k], row[ids] = "17-10-2017", f"kcm-{n:05d}"
    problems = validate_file(_write(tmp_path / "dates.csv", header, bad_dates))
    assert len(problems) == MAX_PROBLEMS + 1 and "more problem(s)" in problems[-1].message


# ---------------------------------------------------------------- days beyond pandas' nanosecond range


def test_days_beyond_the_nanosecond_range(events_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import orjson

    def control(day: str) -> list[dict]:
        assert cli.main(["control", "--events", str(events_csv), "--as-of", day, "--json"]) == 0
        return orjson.loads(capsys.readouterr().out)

    latest, first = control("2100-12-31"), control("1900-01-01")
    assert control("9999-12-31") == latest
    assert control("1677-09-21") == first
    assert latest != first
    out = io.BytesIO()
    dataset = open_dataset(events_csv)
    from datetime import date

    from geodata.export import write_dataset
    from geodata.filters import EventFilter

    assert write_dataset(dataset, out, fmt="csv", event_filter=EventFilter(date_to=date(9999, 12, 31))) == 62
    wide = EventFilter(date_from=date(1, 1, 1), date_to=date(9999, 12, 31))
    assert dataset.count(wide) == 62


# ---------------------------------------------------------------- ids that look alike


@pytest.mark.parametrize("odd", ["\u200d", "\ufeff", "\u202e", "\u2011", "\u00a0"])
def test_ids_with_invisible_bidi_or_lookalike_characters_are_refused(
    events_csv: Path, tmp_path: Path, odd: str
) -> None:
    header, rows = _rows(events_csv)
    k = header.index("event_id")
    rows[1][k] = rows[0][k].replace("-", odd) if odd == "\u2011" else rows[0][k][:4] + odd + rows[0][k][4:]
    problems = validate_file(_write(tmp_path / "ids.csv", header, rows))
    assert [(p.line, p.column) for p in problems] == [(3, "event_id")]
    assert "invisible or bidi" in problems[0].message
    # the typed GeoParquet reader applies the same rule
    frame = load_events(events_csv)
    frame.loc[1, "event_id"] = rows[1][k]
    parquet = save_events(frame, tmp_path / "ids.parquet")
    assert [(p.line, p.column) for p in validate_file(parquet)] == [(3, "event_id")]


# ---------------------------------------------------------------- symlinks, special files, temp files


def _new_row() -> dict[str, str]:
    return {
        "event_id": "",
        "date_precision": "day",
        "event_date": "2017-10-18",
        "event_type": "deployment",
        "place_id": "geonames:94787",
        "summary": "A row appended through a symlink.",
        "source": "test",
        "status": "reported",
        "actors": "isf",
    }


def test_append_and_export_through_a_symlink_write_the_target(events_csv: Path, tmp_path: Path) -> None:
    real = tmp_path / "data" / "events.csv"
    real.parent.mkdir()
    real.write_bytes(events_csv.read_bytes())
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    result = append_events([_new_row()], link)
    assert link.is_symlink() and link.resolve() == real
    assert result.ids[0] in real.read_text(encoding="utf-8")
    assert (real.parent / "events.csv.lock").exists() and not (tmp_path / "link.csv.lock").exists()

    out_real = tmp_path / "data" / "out.geojson"
    out_real.write_text("old", encoding="utf-8")
    out_link = tmp_path / "out.geojson"
    out_link.symlink_to(out_real)
    write_events(load_events(real), out_link)
    assert out_link.is_symlink() and out_real.read_text(encoding="utf-8").startswith(
        '{"type":"FeatureCollection"'
    )


def test_two_paths_to_one_file_share_one_lock(tmp_path: Path) -> None:
    real = tmp_path / "events.csv"
    real.write_text(",".join(EVENT_COLUMNS) + "\n", encoding="utf-8")
    link = tmp_path / "other-name.csv"
    link.symlink_to(real)
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def hold() -> None:
        with _locked(real):
            inside.set()
            release.wait(5)
            order.append("first released")

    holder = threading.Thread(target=hold)
    holder.start()
    inside.wait(5)
    threading.Timer(0.3, release.set).start()
    with _locked(link):
        order.append("second acquired")
    holder.join()
    assert order == ["first released", "second acquired"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_special_files_are_refused_not_read_forever(tmp_path: Path) -> None:
    fifo = tmp_path / "events.csv"
    os.mkfifo(fifo)
    started = time.monotonic()
    problems = validate_file(fifo)
    assert time.monotonic() - started < 5
    assert [p.message for p in problems] == [
        "cannot read the file: not a regular file (a device, pipe or socket)"
    ]
    with pytest.raises(InputError, match="not a regular file"):
        open_dataset(fifo)
    if Path("/dev/zero").exists():
        assert "not a regular file" in validate_file(Path("/dev/zero"))[0].message
        assert cli.main(["validate", "/dev/zero"]) == 1


def test_stale_temp_files_are_swept(events_csv: Path, tmp_path: Path) -> None:
    target = tmp_path / "events.csv"
    stale = tmp_path / ".events.abc123.tmp.csv"
    fresh = tmp_path / ".events.def456.tmp.csv"
    for leftover in (stale, fresh):
        leftover.write_text("half-written", encoding="utf-8")
    old = time.time() - STALE_TEMP_S - 60
    os.utime(stale, (old, old))
    save_events(load_events(events_csv), target)
    assert not stale.exists()
    assert fresh.exists()  # it may belong to a writer still running


# ---------------------------------------------------------------- update: history first


def test_update_writes_the_history_before_the_table(
    events_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geodata.events import read_history
    from geodata.store import writers

    path = tmp_path / "events.csv"
    path.write_bytes(events_csv.read_bytes())
    before = {row["event_id"]: row for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))}

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers, "_write_table", crash)  # the process dies while writing the table
    with pytest.raises(OSError):
        update_event(path, "kcm-0001", {"summary": "Corrected."}, reason="typo")
    history = read_history(path)
    assert [h["summary"] for h in history] == [before["kcm-0001"]["summary"]]  # the version is not lost


def test_a_validation_error_of_a_folder_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "nothing"
    folder.mkdir()
    with pytest.raises(InputError, match=r"no \.parquet files"):
        open_dataset(folder)
    with pytest.raises(EventValidationError):
        bad = tmp_path / "bad.csv"
        bad.write_text("event_id\nkcm-1\n", encoding="utf-8")
        open_dataset(bad)


_FULL_CACHE = """
import resource, signal, sys
from geodata.cli import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
sys.exit(main(["export", "--events", sys.argv[1], "-o", sys.argv[2]]))
"""


def test_a_full_cache_disk_is_one_located_line_and_leaves_no_partial_copy(tmp_path: Path) -> None:
    """The validated copy of a CSV cannot be written (disk full): one line naming the file and the cache folder."""
    import shutil
    import subprocess
    import sys

    source = tmp_path / "events.csv"
    shutil.copyfile(Path(__file__).resolve().parents[1] / "events.csv", source)
    cache = tmp_path / "cache"
    done = subprocess.run(
        [sys.executable, "-c", _FULL_CACHE, str(source), str(tmp_path / "out.geojson")],
        capture_output=True,
        text=True,
        env={**os.environ, "KCM_CACHE": str(cache)},
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert f"{source}: cannot write its validated copy to {cache / 'copies'}" in done.stderr
    assert "KCM_CACHE" in done.stderr
    assert not (tmp_path / "out.geojson").exists()
    assert [p.name for p in (cache / "copies").iterdir()] == []


def test_remove_older_than_takes_only_old_matching_files(tmp_path: Path) -> None:
    """The sweep behind stale temp files and day-old upload copies: age and pattern both decide."""
    from geodata.store.writers import remove_older_than

    old, new, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.txt"
    for f in (old, new, other):
        f.write_text("x")
    day_ago = time.time() - 2 * 86400
    os.utime(old, (day_ago, day_ago))
    os.utime(other, (day_ago, day_ago))
    (tmp_path / "d.csv").mkdir()  # a folder is never removed
    assert remove_older_than(tmp_path, "*.csv", 86400) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.csv", "c.txt", "d.csv"]


def test_a_file_digest_is_kept_while_its_inode_record_is_unchanged(tmp_path: Path) -> None:
    """A later start need not read a big CSV again to hash it; any write to the file is seen."""
    from geodata.store import cache as store_cache

    path = tmp_path / "events.csv"
    path.write_bytes(b"a,b\n1,2\n")
    first = store_cache.content_digest(path)
    assert first == store_cache._file_digest(path)
    # the kept digest is what a later call returns while size, times and inode are the same
    memo = get_settings().cache_dir / "digests" / f"{store_cache._text_digest(str(path.resolve()))[:32]}.txt"
    signature = memo.read_text(encoding="ascii").split()[0]
    memo.write_text(f"{signature} kept\n", encoding="ascii")
    assert store_cache.content_digest(path) == "kept"
    # other bytes of the same size, the modification time set back: the change time still moves, and it is seen
    stat = path.stat()
    time.sleep(0.01)
    path.write_bytes(b"a,b\n3,4\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert store_cache.content_digest(path) == store_cache._file_digest(path) != first
    # an unreadable memo is recomputed, not trusted
    memo.write_text("garbage", encoding="ascii")
    assert store_cache.content_digest(path) == store_cache._file_digest(path)
