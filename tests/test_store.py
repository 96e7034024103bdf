"""The dataset store: queries in place agree with the whole-frame path; copies, stamps, partitions and errors."""

from __future__ import annotations

import dataclasses
import io
import os
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from geodata import cli
from geodata.control import changes_between, control_as_of
from geodata.errors import EventValidationError, InputError
from geodata.events import load_events, save_events
from geodata.export import write_dataset, write_events
from geodata.filters import EventFilter, apply_filter
from geodata.maps import _grid
from geodata.store import cache as store_cache
from geodata.store.dataset import open_dataset
from geodata.store.writers import save_geoparquet, write_partitioned
from tests.synthetic import make_events


@pytest.fixture(scope="module")
def seed(events_csv: Path) -> pd.DataFrame:
    return load_events(events_csv)


@pytest.fixture(scope="module")
def folder(seed: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("store") / "events"
    write_partitioned([seed], out, by="month")
    return out


@pytest.fixture(scope="module")
def dataset(folder: Path):
    return open_dataset(folder)


FILTERS = [
    EventFilter(),
    EventFilter(date_from=date(2017, 10, 16), date_to=date(2017, 10, 16)),
    EventFilter(date_from=date(2017, 10, 20), date_to=date(2017, 11, 5)),  # spans reaching into the window
    EventFilter(types=("control_change", "status")),
    EventFilter(actors=("pmf",)),
    EventFilter(actors=("krg",), date_from=date(2017, 10, 1), date_to=date(2017, 10, 31)),
    EventFilter(places=("Kirkuk",)),
    EventFilter(places=("كركوك",)),
    EventFilter(places=("geonames:90026",)),
    EventFilter(admin1s=("kirkuk",)),
    EventFilter(statuses=("disputed",)),
    EventFilter(statuses=("withdrawn",)),
    EventFilter(text="peshmerga"),
    EventFilter(text="K-1", types=("withdrawal",)),
    EventFilter(text="no such words anywhere"),
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: str(f.to_dict()))
def test_queries_select_what_the_frame_path_selects(seed, dataset, flt: EventFilter) -> None:
    expected = apply_filter(seed, flt)
    got = dataset.frame(flt)
    assert got["event_id"].tolist() == expected["event_id"].tolist()
    assert dataset.count(flt) == len(expected)
    limited = dataset.frame(flt, limit=3)
    assert limited["event_id"].tolist() == expected["event_id"].tolist()[:3]


def test_rows_come_back_typed_as_load_events_gives_them(seed, dataset) -> None:
    pd.testing.assert_frame_equal(dataset.frame(), seed.reset_index(drop=True), check_like=False)
    assert dataset.frame().crs == seed.crs


def test_control_state_from_latest_rows_matches_the_frame_path(seed, dataset) -> None:
    first = seed["event_date"].min().date() - timedelta(days=1)
    last = seed["event_date"].max().date() + timedelta(days=1)
    day = first
    while day <= last:
        expected = control_as_of(seed, day)
        pd.testing.assert_frame_equal(dataset.control_as_of(day), expected, obj=f"control on {day}")
        day += timedelta(days=3)


@pytest.mark.parametrize("flt", FILTERS[:6], ids=lambda f: str(f.to_dict()))
def test_changes_match_the_frame_path(seed, dataset, flt: EventFilter) -> None:
    start = flt.date_from or seed["event_date"].min().date()
    end = flt.date_to or seed["event_date"].max().date()
    window = dataclasses.replace(flt, date_from=start, date_to=end)
    expected = apply_filter(changes_between(seed, start, end), dataclasses.replace(window, types=()))
    assert dataset.changes(window)["event_id"].tolist() == expected["event_id"].tolist()
    assert dataset.count_changes(window) == len(expected)
    counts = expected.groupby("place_id", observed=True).size()
    for k in (1, 2):
        latest = dataset.latest_changes(window, per_place=k)
        assert dict(zip(latest["place_id"], latest["n_changes"], strict=False)) == counts.to_dict()
        wanted = expected.groupby("place_id", observed=True).tail(k)["event_id"]
        assert latest["event_id"].tolist() == wanted.tolist()


def test_grid_counts_match_the_map_builder(tmp_path: Path) -> None:
    events = make_events(20_000, seed=3)
    path = save_geoparquet(events, tmp_path / "syn.parquet")
    dataset = open_dataset(path)
    flt = EventFilter(date_from=date(2018, 1, 1), date_to=date(2018, 6, 30), types=("clash", "status"))
    expected = _grid(apply_filter(events, flt))
    got = dataset.grid(flt)
    assert got == expected
    assert sum(got["n"]) == dataset.count(flt)


def test_day_counts_add_up(seed, dataset) -> None:
    flt = EventFilter(date_from=date(2017, 10, 1), date_to=date(2017, 10, 31))
    per_day = dataset.day_counts(flt)
    assert per_day["count"].sum() == len(apply_filter(seed, flt))


@pytest.mark.parametrize("fmt", ["geojson", "csv", "acled"])
def test_exports_stream_from_the_dataset_byte_for_byte(seed, dataset, fmt: str) -> None:
    flt = EventFilter(date_from=date(2017, 10, 10), date_to=date(2017, 10, 31))
    ours, theirs = io.BytesIO(), io.BytesIO()
    assert write_dataset(dataset, ours, fmt=fmt, event_filter=flt) == len(apply_filter(seed, flt))
    write_events(apply_filter(seed, flt), theirs, fmt=fmt, event_filter=flt)
    assert ours.getvalue() == theirs.getvalue()


def test_streamed_export_of_nothing_is_still_a_valid_file(dataset) -> None:
    out = io.BytesIO()
    assert write_dataset(dataset, out, fmt="geojson", event_filter=EventFilter(text="nothing like this")) == 0
    assert out.getvalue().startswith(b'{"type":"FeatureCollection"') and out.getvalue().endswith(b"[]}\n")


# ---------------------------------------------------------------- kcm export --partition


def test_partitioned_export_round_trip(events_csv: Path, seed, tmp_path: Path, capsys) -> None:
    out = tmp_path / "by-month"
    assert cli.main(["export", "--events", str(events_csv), "--partition", "month", "-o", str(out)]) == 0
    months = sorted(p.name for p in out.iterdir())
    assert months == [f"month={m}" for m in sorted(seed["event_date"].dt.strftime("%Y-%m").unique())]
    pd.testing.assert_frame_equal(open_dataset(out).frame(), seed)
    # the folder is an --events source like any other, for every command
    assert cli.main(["control", "--events", str(out), "--as-of", "2017-10-17", "--json"]) == 0
    assert (
        cli.main(["export", "--events", str(out), "--to", "2017-10-16", "-o", str(tmp_path / "a.csv")]) == 0
    )
    # exporting again replaces the dataset; a partial selection keeps only its months
    flt = ["--from", "2017-10-01", "--to", "2017-10-31"]
    assert (
        cli.main(["export", "--events", str(events_csv), *flt, "--partition", "month", "-o", str(out)]) == 0
    )
    assert sorted(p.name for p in out.iterdir()) == ["month=2017-10"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder left behind


def test_partitioned_export_refuses_a_folder_of_other_files(events_csv: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert cli.main(["export", "--events", str(events_csv), "--partition", "month", "-o", str(out)]) == 1
    assert "refusing to replace it" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"


# ---------------------------------------------------------------- validated copies of CSV files


def _copies() -> list[Path]:
    folder = Path(os.environ["KCM_CACHE"]) / "copies"
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def test_csv_is_validated_once_then_read_from_its_copy(
    seed, events_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KCM_CACHE", str(tmp_path / "cache"))
    csv_path = tmp_path / "events.csv"
    csv_path.write_bytes(events_csv.read_bytes())
    first = open_dataset(csv_path)
    assert len(_copies()) == 1
    pd.testing.assert_frame_equal(first.frame(), seed)

    import geodata.store.loader

    def refuse(*args, **kwargs):
        raise AssertionError("the CSV was read again")

    monkeypatch.setattr(geodata.store.loader, "load_events", refuse)
    assert open_dataset(csv_path).files == first.files  # reused: not validated again
    monkeypatch.undo()
    monkeypatch.setenv("KCM_CACHE", str(tmp_path / "cache"))

    # a changed CSV gets a new copy (and the old one goes)
    text = csv_path.read_text(encoding="utf-8").replace("kcm-0001,", "kcm-9001,", 1)
    csv_path.write_text(text, encoding="utf-8")
    changed = open_dataset(csv_path)
    assert changed.files != first.files and len(_copies()) == 1
    assert "kcm-9001" in changed.frame()["event_id"].tolist()


def test_invalid_csv_is_reported_and_not_cached(events_csv: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KCM_CACHE", str(tmp_path / "cache"))
    bad = tmp_path / "bad.csv"
    lines = events_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    line = next(i for i, text in enumerate(lines) if ",control_change," in text)
    lines[line] = lines[line].replace(",control_change,", ",conquest,", 1)
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(EventValidationError) as caught:
        open_dataset(bad)
    where = f"{bad}:{line + 1}:event_type: unknown event_type"
    assert any(str(p).startswith(where) for p in caught.value.problems)
    assert _copies() == []


# ---------------------------------------------------------------- folders: checked once, errors located


def test_foreign_parquet_file_is_copied_but_foreign_folder_is_refused(seed, tmp_path: Path) -> None:
    plain = save_events(seed, tmp_path / "plain.parquet")  # geopandas' writer: no schema marker
    pd.testing.assert_frame_equal(open_dataset(plain).frame(), seed)
    folder = tmp_path / "mixed"
    folder.mkdir()
    save_events(seed, folder / "a.parquet")
    with pytest.raises(InputError, match="not a GeoParquet file of our events schema"):
        open_dataset(folder)


def test_duplicate_ids_across_files_are_refused(seed, tmp_path: Path) -> None:
    folder = tmp_path / "twice"
    folder.mkdir()
    save_geoparquet(seed, folder / "a.parquet")
    save_geoparquet(seed.iloc[:2], folder / "b.parquet")
    with pytest.raises(EventValidationError, match="duplicate event_id: 2 rows across the files"):
        open_dataset(folder)


def test_invalid_file_in_a_folder_is_located_and_never_stamped(seed, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KCM_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "bad"
    folder.mkdir()
    broken = seed.copy()
    broken["latitude"] = broken["latitude"].astype(float)
    broken.loc[4, "latitude"] = 95.0
    save_geoparquet(broken, folder / "a.parquet")
    for _ in range(2):  # the second open checks again: nothing was remembered
        with pytest.raises(EventValidationError, match=r"a\.parquet:6:latitude: latitude out of range"):
            open_dataset(folder)
    assert not list((tmp_path / "cache").rglob("valid/*"))


def test_a_valid_folder_is_checked_once(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_dataset(folder)
    import geodata.store.loader

    monkeypatch.setattr(geodata.store.loader, "validate_file", lambda *a, **k: pytest.fail("validated again"))
    open_dataset(folder)
    assert store_cache.is_stamped(
        store_cache.stamp_key([store_cache.content_digest(folder / "month=2017-10" / "part-00000.parquet")])
    )


def test_ids_coordinates_and_geometry_are_written_without_a_dictionary(tmp_path: Path) -> None:
    """Nearly every value differs: a dictionary costs time and space there; the repeating columns keep theirs."""
    import pyarrow.parquet as pq

    path = save_geoparquet(make_events(2_000, seed=3), tmp_path / "events.parquet")
    meta = pq.ParquetFile(path).metadata
    names = meta.schema.to_arrow_schema().names
    encodings = {names[i]: meta.row_group(0).column(i).encodings for i in range(meta.num_columns)}
    for name in ("event_id", "latitude", "longitude", "geometry"):
        assert not any("DICTIONARY" in e for e in encodings[name]), (name, encodings[name])
    for name in ("place_id", "event_type", "notes"):
        assert any("DICTIONARY" in e for e in encodings[name]), (name, encodings[name])
    assert pq.read_table(path).num_rows == 2_000
