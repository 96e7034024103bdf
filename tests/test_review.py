"""Tests of geodata.review: filters pushed down to the dataset, paging, the map, accepting into the events file."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from geodata.batch import ingest_corpus
from geodata.candidates import open_dataset_dir
from geodata.errors import InputError
from geodata.review import (
    CandidateFilter,
    accept_candidates,
    find_datasets,
    open_candidates,
    query,
    review_map,
)
from tests.conftest import DATA, SEED_DIR
from tests.synthetic_candidates import make_candidates, write_candidates


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_candidates(tmp_path_factory.mktemp("syn") / "ds", make_candidates(3000, seed=3), parts=5)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset extracted from the seed and the evaluation articles."""
    root = tmp_path_factory.mktemp("real")
    shutil.copytree(DATA / "articles", root / "corpus")
    shutil.copy(SEED_DIR / "000_0d09db86305241cb.txt", root / "corpus" / "seed.txt")
    ingest_corpus([root / "corpus"], root / "ds")
    return root / "ds"


@pytest.fixture
def events_file(tmp_path: Path, events_csv: Path) -> Path:
    target = tmp_path / "events.csv"
    shutil.copy(events_csv, target)
    return target


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


FILTERS = [
    CandidateFilter(),
    CandidateFilter(min_confidence=0.7),
    CandidateFilter(types=("clash", "control_change")),
    CandidateFilter(places=("geonames:94787",), min_confidence=0.4),
    CandidateFilter(date_from=date(2018, 1, 1), date_to=date(2018, 3, 31)),
    CandidateFilter(date_from=date(2018, 1, 1), undated=False),
    CandidateFilter(
        types=("status",), places=("kcm:k1-air-base", "geonames:95446"), date_to=date(2017, 6, 30)
    ),
]


def _naive(frame: pd.DataFrame, flt: CandidateFilter) -> pd.DataFrame:
    keep = frame["confidence"] >= flt.min_confidence
    if flt.types:
        keep &= frame["event_type"].isin(flt.types)
    if flt.places:
        keep &= frame["place_id"].isin(flt.places)
    day = pd.to_datetime(frame["event_date"])
    in_window = day.notna()
    if flt.date_from:
        in_window &= day >= pd.Timestamp(flt.date_from)
    if flt.date_to:
        in_window &= day <= pd.Timestamp(flt.date_to)
    return frame[keep & (in_window | (day.isna() if flt.undated else False))]


@pytest.mark.parametrize("flt", FILTERS, ids=range(len(FILTERS)))
def test_filters_match_a_naive_pandas_filter(synthetic: Path, flt: CandidateFilter) -> None:
    whole = make_candidates(3000, seed=3).to_pandas()
    want = _naive(whole, flt)  # pages follow the corpus order
    result = query(open_candidates(synthetic), flt, page_size=50)
    assert result.matches == len(want) and len(result.points) == len(want)
    assert result.page["candidate_id"].tolist() == want["candidate_id"].head(50).tolist()


def test_pages_cover_every_match_once(synthetic: Path) -> None:
    candidates = open_candidates(synthetic)
    flt = CandidateFilter(min_confidence=0.8)
    first = query(candidates, flt, page_size=100)
    seen = []
    for page in range(-(-first.matches // 100)):
        seen += query(candidates, flt, page_size=100, page=page).page["candidate_id"].tolist()
    assert len(seen) == len(set(seen)) == first.matches


def test_open_describes_the_dataset(synthetic: Path) -> None:
    candidates = open_candidates(synthetic)
    assert candidates.rows == 3000
    assert "clash" in candidates.types and candidates.places["geonames:94787"] == "Kirkuk · كركوك"
    assert date(2017, 1, 1) <= candidates.first < candidates.last <= date(2019, 12, 31)
    assert find_datasets(synthetic) == [synthetic] and find_datasets(synthetic.parent) == [synthetic]


def test_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a candidates dataset"):
        open_candidates(tmp_path)


def test_map_aggregates_above_the_threshold_and_shows_evidence_below(synthetic: Path) -> None:
    candidates = open_candidates(synthetic)
    flt = CandidateFilter(min_confidence=0.5)
    result = query(candidates, flt)
    grid = review_map(result, candidates.places, tiles=None, threshold=100).get_root().render()
    assert '"agg":' in grid and '"ev":' not in grid
    few = CandidateFilter(min_confidence=0.94)
    small = query(candidates, few, page_size=10)
    assert 10 < small.matches <= 100
    points = review_map(small, candidates.places, tiles=None, threshold=100).get_root().render()
    assert '"ev":' in points and small.page["sentence"].iloc[0] in points and "Kirkuk" in points


def test_accept_saves_with_source_and_article_id_and_skips_repeats(
    extracted: Path, events_file: Path
) -> None:
    candidates = open_candidates(extracted)
    result = query(candidates, CandidateFilter(min_confidence=0.5, undated=False), page_size=6)
    ids = result.page["candidate_id"].tolist()
    before = _rows(events_file)
    accepted = accept_candidates(candidates, ids, events_file)
    added = _rows(events_file)[len(before) :]
    assert len(added) == len(accepted.result.ids) > 0
    by_id = result.page.set_index("candidate_id")
    for row in added:
        cid = row["notes"].split("candidate ", 1)[1].split(";", 1)[0]
        assert row["source"] == by_id.loc[cid, "source"]
        assert f"article {by_id.loc[cid, 'article_id']};" in row["notes"]
        assert row["event_date"] == by_id.loc[cid, "event_date"].isoformat()
    again = accept_candidates(candidates, ids, events_file)
    assert again.result.ids == () and len(again.result.repeated) == len(accepted.result.ids)
    assert len(_rows(events_file)) == len(before) + len(added)


def test_undated_candidates_are_left_out_with_a_message(extracted: Path, events_file: Path) -> None:
    candidates = open_candidates(extracted)
    undated = query(candidates, CandidateFilter(date_from=date(2100, 1, 1)), page_size=3).page
    assert len(undated) and undated["event_date"].isna().all()
    accepted = accept_candidates(candidates, undated["candidate_id"].tolist(), events_file)
    assert accepted.result.ids == () and all("no event date" in m for m in accepted.left_out)


def test_read_only_refuses(extracted: Path, events_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KCM_READ_ONLY", "1")
    before = events_file.read_bytes()
    ids = query(open_candidates(extracted), CandidateFilter(), page_size=1).page["candidate_id"].tolist()
    with pytest.raises(InputError, match="read-only"):
        accept_candidates(open_candidates(extracted), ids, events_file)
    assert events_file.read_bytes() == before


def test_unknown_candidate_id(extracted: Path, events_file: Path) -> None:
    with pytest.raises(InputError, match="no candidate"):
        accept_candidates(open_candidates(extracted), ["nope:0"], events_file)


def _evil_dataset(tmp_path: Path, sentence: str) -> Path:
    table = make_candidates(6, seed=9)
    column = table.schema.get_field_index("sentence")
    table = table.set_column(column, "sentence", pa.array([sentence] * 6, pa.string()))
    return write_candidates(tmp_path / "evil", table, parts=1)


def _rendered_map(tmp_path: Path, sentence: str) -> str:
    candidates = open_candidates(_evil_dataset(tmp_path, sentence))
    result = query(candidates, CandidateFilter())
    return review_map(result, candidates.places, tiles=None, threshold=100).get_root().render()


def test_map_escapes_candidate_text(tmp_path: Path) -> None:
    html = _rendered_map(tmp_path, '<img src=x onerror=alert(1)> "quoted" </script>')
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_map_never_evaluates_candidate_text_as_a_template(tmp_path: Path) -> None:
    html = _rendered_map(tmp_path, "{{ 'kcm' ~ 'evaluated' }} {% if true %}kcm-branch{% endif %} {#")
    assert "kcmevaluated" not in html  # never run as a template...
    assert "evaluated&#x27; }}" in html and "% if true %}kcm-branch" in html  # ...but shown as data


def test_older_parts_without_geo_precision_read_as_1(tmp_path: Path) -> None:
    """A dataset written before ``geo_precision`` existed still opens, pages and saves (as precision 1)."""
    from geodata.review import event_rows, read_rows

    table = make_candidates(30).drop_columns(["geo_precision"])
    dataset = tmp_path / "old"
    manifest = open_dataset_dir(dataset)
    import pyarrow.parquet as pq

    name = "part-000000-0123abcd.parquet"
    pq.write_table(table, dataset / name)  # as the code before the column wrote it (less the geometry)
    manifest.commit(name, sorted(set(table["article_id"].to_pylist())), [], table.num_rows)
    candidates = open_candidates(dataset)
    frame = read_rows(candidates, candidates.index.slice(0, 5))
    assert frame["geo_precision"].isna().all() and len(frame) == 5
    rows, _ = event_rows(frame)
    assert rows and {r["geo_precision"] for r in rows} == {"1"}
