"""The in-memory columns (geodata.store.memory) answer every query exactly as the SQL on the files does."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.filters import EventFilter
from geodata.store.dataset import MOVEMENTS, EventDataset, dataset_files
from geodata.store.writers import save_geoparquet, write_partitioned
from tests.synthetic import make_events


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[EventDataset, EventDataset]:
    """The same events (several files, movements, spans, withdrawn rows) opened both ways."""
    events = make_events(6_000, seed=5)
    rng = np.random.default_rng(5)
    moving = rng.random(len(events)) < 0.1
    events.loc[moving, "origin_place_id"] = events["place_id"].iloc[::-1].to_numpy()[moving]
    events["origin_place_id"] = events["origin_place_id"].astype(object)
    out = tmp_path_factory.mktemp("memory")
    write_partitioned([events.iloc[:3_000]], out / "events", by="month")
    save_geoparquet(events.iloc[3_000:].reset_index(drop=True), out / "events" / "aa-later.parquet")
    files = dataset_files(out / "events")
    return EventDataset(files, "mem", in_memory=True), EventDataset(files, "files", in_memory=False)


FILTERS = [
    EventFilter(),
    EventFilter(date_from=date(2018, 3, 1), date_to=date(2018, 3, 1)),
    EventFilter(date_from=date(2018, 3, 2), date_to=date(2018, 4, 30)),
    EventFilter(date_from=date(2016, 1, 1), date_to=date(2016, 12, 31)),  # before every event
    EventFilter(date_from=date(2019, 6, 1)),
    EventFilter(date_to=date(2017, 2, 1)),
    EventFilter(types=("control_change", "status"), date_from=date(2017, 5, 1), date_to=date(2018, 5, 1)),
    EventFilter(actors=("pmf",)),
    EventFilter(statuses=("withdrawn",)),
    EventFilter(statuses=("disputed", "confirmed"), date_from=date(2018, 1, 1), date_to=date(2018, 12, 31)),
    EventFilter(admin1s=("kirkuk",)),
    EventFilter(places=("Kirkuk",), date_from=date(2017, 6, 1), date_to=date(2019, 1, 1)),
    EventFilter(text="synthetic", date_from=date(2018, 1, 1), date_to=date(2018, 2, 1)),  # free text: files
]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: str(f.to_dict()))
def test_counts_extent_grid_days_match_the_files(pair, flt: EventFilter) -> None:
    mem, files = pair
    assert mem.count(flt) == files.count(flt)
    assert mem.extent(flt) == files.extent(flt)
    assert mem.grid(flt) == files.grid(flt)
    keys = ["day", "event_type"]  # the order within a day is not specified
    _same(mem.day_counts(flt).sort_values(keys), files.day_counts(flt).sort_values(keys))
    assert mem.count_changes(flt) == files.count_changes(flt)


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: str(f.to_dict()))
def test_rows_match_the_files(pair, flt: EventFilter) -> None:
    mem, files = pair
    for limit in (None, 1, 7, 500):
        _same(mem.frame(flt, limit=limit), files.frame(flt, limit=limit))
        _same(mem.changes(flt, limit=limit), files.changes(flt, limit=limit))
    _same(mem.frame(flt, extra=MOVEMENTS), files.frame(flt, extra=MOVEMENTS))
    for k in (1, 5):
        _same(mem.latest_changes(flt, per_place=k), files.latest_changes(flt, per_place=k))


def test_control_state_matches_the_files(pair) -> None:
    mem, files = pair
    day = date(2016, 12, 25)
    while day <= date(2020, 1, 10):
        _same(mem.control_as_of(day), files.control_as_of(day))
        day += timedelta(days=37)


def test_summary_and_duplicates_match_the_files(pair) -> None:
    mem, files = pair
    assert mem.summary == files.summary
    assert mem.duplicate_ids() == files.duplicate_ids() == []
    assert 0 < len(mem.frame(extra=MOVEMENTS)) < mem.count()  # the fixture has movements to find


def test_large_datasets_stay_on_the_files(pair, monkeypatch: pytest.MonkeyPatch) -> None:
    from geodata.store import memory

    monkeypatch.setattr(memory, "MAX_ROWS", 10)
    mem, _ = pair
    assert memory.load_slim(mem.files, 6_000) is None
    assert EventDataset(mem.files, "big")._slim is None


def test_memory_table_is_in_page_order(pair) -> None:
    """The files are not in date order one after the other; the columns are read (and kept) sorted by date."""
    mem, _ = pair
    assert mem._slim.order is None  # sorted once when read: a later start maps them in page order
    table = mem._slim.rows(np.arange(len(mem._slim.stamps)))
    assert table.equals(mem._slim.table)
    order = pd.DataFrame(
        {
            "d": table.column("event_date").to_pandas(),
            "f": table.column("filename").to_pandas().astype(str),
            "r": table.column("file_row_number").to_numpy(),
        }
    )
    assert order.equals(order.sort_values(["d", "f", "r"]).reset_index(drop=True))
    assert len({Path(f) for f in order["f"]}) == len(mem.files)
    assert not order["f"].is_monotonic_increasing  # the files' rows interleave: the sort was needed


def test_memory_rows_are_the_files_rows(pair) -> None:
    mem, files = pair
    columns = ("place_id", "latitude", "longitude", "filename", "file_row_number")
    table = mem._slim.table
    held = set(zip(*(table.column(c).to_pylist() for c in columns), strict=True))
    read = files._query(f"SELECT {', '.join(columns)} FROM {files._scan}").fetchall()
    assert held == set(read)


@pytest.mark.parametrize("threshold", [0, 100_000])
@pytest.mark.parametrize("flt", FILTERS[:4] + FILTERS[6:8], ids=lambda f: str(f.to_dict()))
def test_window_view_matches_the_files_and_the_single_queries(pair, flt: EventFilter, threshold: int) -> None:
    """The page's per-filter answers (cached by the dashboard) are those of the single queries, either way."""
    from geodata.store.window import window_view

    files = pair[1]
    columns = ("event_id", "event_date", "place", "controller_after", "status")
    got = [window_view(s, flt, aggregate_threshold=threshold, limit=50, columns=columns) for s in pair]
    for view in got:
        assert view.n_events == files.count(flt)
        assert view.aggregated == (view.n_events > threshold)
        assert view.n_changes == files.count_changes(flt)
        assert view.grid == (files.grid(flt) if view.aggregated else None)
        assert (view.per_day is None) == (view.n_events == 0)
    a, b = got
    for name in ("filtered", "table", "changes", "changes_table"):
        _same(getattr(a, name), getattr(b, name))
    if a.aggregated:
        _same(a.table, files.frame(flt, limit=50, columns=columns))
        _same(a.filtered, files.frame(flt, extra=MOVEMENTS))
    if a.n_changes:
        _same(a.changes_table, files.changes(flt, limit=50, columns=columns))


def test_grid_twice_on_one_selection_is_the_same(pair) -> None:
    """The extent and the grid share a selection's coordinates: asking again (kept) gives the same cells."""
    mem, files = pair
    flt = EventFilter(date_from=date(2017, 3, 1), date_to=date(2019, 3, 1))
    n, extent = mem.extent(flt)
    first = mem.grid(flt, extent=extent)
    assert mem.grid(flt, extent=extent) == first == files.grid(flt)
    assert mem.extent(flt) == (n, extent)


def test_kept_columns_are_mapped_at_a_later_open_and_answer_the_same(
    pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later open maps the columns kept in the cache folder; its answers are those of the files."""
    monkeypatch.setenv("KCM_CACHE", str(tmp_path / "cache"))
    files = pair[1]
    first = EventDataset(files.files, "first")
    kept = list((tmp_path / "cache" / "slim").glob("*.arrow"))
    assert len(kept) == 1
    later = EventDataset(files.files, "later")
    assert later._slim is not None and later._slim.table.num_rows == first._slim.table.num_rows
    assert Path(later._slim.table.column("filename").chunk(0).dictionary[0].as_py()) == sorted(files.files)[0]
    for flt in FILTERS:
        assert later.extent(flt) == files.extent(flt)
        assert later.grid(flt) == files.grid(flt)
        _same(later.frame(flt, limit=40), files.frame(flt, limit=40))
        _same(later.latest_changes(flt), files.latest_changes(flt))


def test_an_unreadable_kept_copy_is_read_again_from_the_files(
    pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KCM_CACHE", str(tmp_path / "cache"))
    files = pair[1]
    EventDataset(files.files, "first")
    (kept,) = (tmp_path / "cache" / "slim").glob("*.arrow")
    kept.write_bytes(b"not an arrow file")
    again = EventDataset(files.files, "again")
    assert again.count(FILTERS[2]) == files.count(FILTERS[2])
    assert again._slim is not None


def test_a_changed_file_is_not_answered_from_the_kept_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KCM_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "events.parquet"
    save_geoparquet(make_events(300, seed=1), path)
    assert EventDataset([path], "one").count() == 300
    save_geoparquet(make_events(200, seed=2), path)
    assert EventDataset([path], "two").count() == 200
    assert len(list((tmp_path / "cache" / "slim").glob("*.arrow"))) == 1  # the older copy is removed


def test_block_counts_and_extremes_match_the_rows() -> None:
    """Per-block totals answer any run exactly as counting its rows does (runs inside, across and on blocks)."""
    from geodata.store.blocks import BlockCounts, BlockExtremes

    rng = np.random.default_rng(3)
    keys = rng.integers(0, 12, 1_000).astype(np.int32)  # 11: outside the counted keys
    values = rng.normal(size=1_000)
    valid = rng.random(1_000) < 0.7
    counts, extremes = BlockCounts(keys, 11, block=64), BlockExtremes(values, valid, block=64)
    for start, stop in [(0, 1_000), (0, 64), (5, 60), (63, 129), (64, 128), (100, 900), (999, 1_000), (7, 7)]:
        assert counts.count(start, stop).tolist() == np.bincount(keys[start:stop], minlength=12)[:11].tolist()
        inside = values[start:stop][valid[start:stop]]
        want = (inside.min(), inside.max()) if len(inside) else (np.inf, -np.inf)
        assert extremes.extremes(start, stop) == want


def test_per_block_answers_match_the_files_and_follow_filter_and_window_changes(
    pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With small blocks every long window takes the per-block path; its answers are those of the files.

    Filters and windows alternate on one dataset, so an answer kept for another filter or window (the passing
    rows, the per-block totals, the one grid kept) would show up as a difference.
    """
    from geodata.store import blocks

    monkeypatch.setattr(blocks, "BLOCK", 32)
    files = pair[1]
    mem = EventDataset(files.files, "blocks", in_memory=True)
    windows = [
        (None, None),
        (date(2017, 3, 1), date(2019, 3, 1)),
        (date(2018, 1, 10), date(2018, 9, 1)),
        (date(2017, 1, 2), None),
    ]
    values = [EventFilter(), EventFilter(statuses=("disputed",)), EventFilter(actors=("pmf",)), EventFilter()]
    steps = list(zip(windows, values, strict=True))
    for (low, high), base in [*steps, *reversed(steps)]:
        for flt in (
            EventFilter(date_from=low, date_to=high, statuses=base.statuses, actors=base.actors),
            EventFilter(date_from=low, date_to=high),
        ):
            assert mem.extent(flt) == files.extent(flt)
            assert mem.grid(flt) == files.grid(flt)
            keys = ["day", "event_type"]
            _same(mem.day_counts(flt).sort_values(keys), files.day_counts(flt).sort_values(keys))
            _same(mem.latest_changes(flt), files.latest_changes(flt))
    assert any(s.long_run() for s in mem._slim._selections.values())  # the per-block path was taken


def test_per_block_extent_counts_the_rows_whose_span_reaches_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The few rows before a long window whose span reaches into it are in its extent and grid (not only the run)."""
    from geodata.store import blocks

    monkeypatch.setattr(blocks, "BLOCK", 32)
    events = make_events(2_000, seed=9)
    start = pd.Timestamp("2018-01-01")
    early = int(np.searchsorted(events["event_date"].to_numpy(), start.to_datetime64())) - 1
    events.loc[early, "date_end"] = start + pd.Timedelta(days=1)  # a span reaching one day into the window
    events.loc[early, ["latitude", "longitude"]] = (37.9, 49.5)  # north-east of every other event
    path = tmp_path / "events.parquet"
    save_geoparquet(events, path)
    mem, files = EventDataset([path], "mem"), EventDataset([path], "files", in_memory=False)
    flt = EventFilter(date_from=start.date(), date_to=date(2019, 12, 31))
    assert mem._selection(flt).long_run() and len(mem._selection(flt).head) >= 1
    assert mem.extent(flt) == files.extent(flt)
    assert mem.extent(flt)[1][1] == 37.9 and mem.extent(flt)[1][3] == 49.5
    assert mem.grid(flt) == files.grid(flt)


@pytest.mark.parametrize("join_rows", [0, 10**9])  # taken from each chunk, and joined first
def test_rows_taken_per_chunk_are_arrows_take(pair, join_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    from geodata.store import memory

    monkeypatch.setattr(memory, "_JOIN_ROWS", join_rows)

    one = pair[0]._slim
    chunked = pa.Table.from_batches(one.table.to_batches(max_chunksize=700))  # as many files' rows are
    slim = memory.SlimTable(chunked, one.order, one.stamps)
    assert slim.table.column(0).num_chunks > 1
    rng = np.random.default_rng(11)
    n = slim.table.num_rows
    for positions in (np.zeros(0, np.int32), np.arange(n, dtype=np.int32)[::-1], rng.permutation(n)[:500]):
        for columns in (None, ["event_date", "place_id", "latitude", "controller_after"]):
            at = positions if slim.order is None else slim.order[positions]
            table = slim.table if columns is None else slim.table.select(columns)
            expected = table.take(pa.array(at, type=pa.int64()))
            got = slim.rows(positions, columns)
            assert got.schema == expected.schema
            assert got.to_pylist() == expected.to_pylist()
