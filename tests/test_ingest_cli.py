"""Tests of ``kcm ingest`` through geodata.cli.main: JSON out, bad files, progress, --append."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from geodata.cli import main
from tests.conftest import SEED_DIR

SEED = SEED_DIR / "000_0d09db86305241cb.txt"
EN_ARTICLE = (
    "KIRKUK, Iraq (Oct 16, 2017)\n\nIraqi forces took control of Kirkuk on Monday, pushing Peshmerga fighters out. "
    "Federal Police units secured Kirkuk airport early on Monday.\n"
)


@pytest.fixture
def en_file(tmp_path: Path) -> Path:
    path = tmp_path / "en_kirkuk.txt"
    path.write_text(EN_ARTICLE, encoding="utf-8")
    return path


def test_one_file_prints_the_object_itself(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(SEED)]) == 0
    out, err = capsys.readouterr()
    obj = json.loads(out)
    assert list(obj) == ["published", "places", "dates", "events"]
    assert obj["published"] == "2017-11-30"
    days = {(e["event_type"], e["place_id"], e["event_date"]) for e in obj["events"]}
    assert ("withdrawal", "kcm:k1-air-base", "2017-10-13") in days
    assert ("political", "kcm:kurdistan-region", "2017-09-25") in days
    assert "[" not in err  # no progress bar for one file


def test_indented_json(capsys: pytest.CaptureFixture[str], en_file: Path) -> None:
    assert main(["ingest", str(en_file), "--json", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("{\n  ")
    obj = json.loads(out)
    assert {(e["place_id"], e["event_date"]) for e in obj["events"]} >= {
        ("geonames:94787", "2017-10-16"),
        ("kcm:kirkuk-airport", "2017-10-16"),
    }


def test_published_option_overrides_the_dateline(capsys: pytest.CaptureFixture[str], en_file: Path) -> None:
    assert main(["ingest", str(en_file), "--published", "2017-10-20"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["published"] == "2017-10-20"
    assert {e["event_date"] for e in obj["events"]} == {"2017-10-16"}  # Monday before Friday 20 Oct


def test_many_files_one_line_each_with_progress_and_bad_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, en_file: Path
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
    code = main(["ingest", str(empty), str(SEED), str(binary), str(en_file)])
    out, err = capsys.readouterr()
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [Path(o["file"]).name for o in lines] == [SEED.name, en_file.name]
    assert (
        "kcm ingest: " in err and "empty.txt: the file is empty" in err and "image.txt: a binary file" in err
    )
    assert "Traceback" not in err
    assert "4/4" in err  # the progress bar reached the end


def test_workers_give_the_same_output_in_the_same_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, en_file: Path
) -> None:
    """``--workers 2`` spreads the extraction over processes: stdout and the error lines are those of one process."""
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    files = [str(p) for p in (SEED, empty, en_file, *sorted(SEED_DIR.glob("*.txt"))[1:4], SEED)]
    outputs = []
    for workers in ("1", "2"):
        code = main(["ingest", "--workers", workers, *files])
        out, err = capsys.readouterr()
        errors = [line for line in err.replace("\r", "\n").splitlines() if line.startswith("kcm ingest:")]
        outputs.append((code, out, errors))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 1 and len(outputs[0][1].splitlines()) == len(files) - 1


def test_default_workers_are_the_idle_cores_from_200_files_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from geodata.ingest import PARALLEL_FILES, default_workers

    cores = len(os.sched_getaffinity(0))
    monkeypatch.setattr(os, "getloadavg", lambda: (0.3, 0.0, 0.0))
    assert default_workers(PARALLEL_FILES - 1) == 1
    assert default_workers(PARALLEL_FILES) == cores
    monkeypatch.setattr(os, "getloadavg", lambda: (cores + 3.5, 0.0, 0.0))
    assert default_workers(10_000) == 1  # every core is busy: more processes would only compete


def test_cp1256_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "cp1256.txt"
    path.write_bytes(SEED.read_text(encoding="utf-8").encode("cp1256", errors="replace"))
    assert main(["ingest", str(path)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert "kcm:k1-air-base" in {p["place_id"] for p in obj["places"]}


def test_article_without_a_date_warns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "nodate.txt"
    path.write_text("انتشرت قوات أمريكية في كركوك.", encoding="utf-8")
    assert main(["ingest", str(path)]) == 0
    out, err = capsys.readouterr()
    obj = json.loads(out)
    assert obj["published"] is None and obj["events"][0]["event_date"] is None
    assert "no publication date" in err


@pytest.fixture
def events_copy(tmp_path: Path, events_csv: Path) -> Path:
    target = tmp_path / "events.csv"
    if events_csv.exists():
        shutil.copy(events_csv, target)
    return target


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_append_records_the_source(capsys: pytest.CaptureFixture[str], events_copy: Path) -> None:
    before = _rows(events_copy) if events_copy.exists() else []
    assert main(["ingest", str(SEED), "--append", str(events_copy)]) == 0
    err = capsys.readouterr().err
    after = _rows(events_copy)
    added = after[len(before) :]
    assert added and f"appended {len(added)} event(s)" in err
    assert after[: len(before)] == before  # nothing else touched
    for row in added:
        assert row["source"] == SEED.name
        assert row["source_date"] == "2017-11-30" and row["source_lang"] == "ar"
        assert row["event_id"].startswith("kcm-") and row["event_date"] and row["place_as_written"]
        assert row["status"] == "reported"
    assert {r["event_id"] for r in added}.isdisjoint({r["event_id"] for r in before})
    assert "without a date" in err  # the undated candidates were left out, and said so
    assert any(r["place_as_written"] == "كي-1" and r["event_date"] == "2017-10-13" for r in added)


def test_append_twice_skips_the_repeats_and_says_so(
    capsys: pytest.CaptureFixture[str], events_copy: Path
) -> None:
    assert main(["ingest", str(SEED), "--append", str(events_copy)]) == 0
    first = capsys.readouterr().err
    once = events_copy.read_bytes()
    added = _rows(events_copy)[-int(first.split("appended ")[1].split(" ")[0]) :]
    assert main(["ingest", str(SEED), "--append", str(events_copy)]) == 0
    err = capsys.readouterr().err
    assert events_copy.read_bytes() == once  # nothing saved twice
    ids = ", ".join(r["event_id"] for r in added)
    assert f"{len(added)} candidate(s) already in {events_copy}: {ids}" in err
    assert "appended" not in err


def test_duplicates_message_names_each_saved_event_once(tmp_path: Path) -> None:
    from geodata.ingest import duplicates_message

    repeated = [(0, "kcm-0063"), (2, "kcm-0064"), (3, "kcm-0063")]
    assert duplicates_message(repeated, tmp_path / "events.csv") == (
        f"3 candidate(s) already in {tmp_path / 'events.csv'}: kcm-0063, kcm-0064 (not saved again)"
    )


def test_two_ingests_of_the_same_article_at_once_save_it_once(events_copy: Path) -> None:
    """Two real ``kcm ingest --append`` processes, started together, append the same candidates: one copy lands."""
    before = _rows(events_copy)
    run_cli = "import sys; from geodata.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", run_cli, "ingest", str(SEED), "--append", str(events_copy)]
    procs = [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in (1, 2)
    ]
    errs = [p.communicate(timeout=240)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    added = _rows(events_copy)[len(before) :]
    ids = ", ".join(r["event_id"] for r in added)
    assert added and sum(f"appended {len(added)} event(s)" in e for e in errs) == 1, errs
    assert sum(f"{len(added)} candidate(s) already in {events_copy}: {ids}" in e for e in errs) == 1, errs
    keys = [(r["place_id"], r["event_type"], r["event_date"], r["source"]) for r in added]
    assert len(keys) == len(set(keys))


def test_existing_events_of_a_missing_file(tmp_path: Path) -> None:
    from geodata.ingest import existing_events

    assert existing_events(tmp_path / "none.csv") is None


def test_append_min_confidence(capsys: pytest.CaptureFixture[str], events_copy: Path) -> None:
    before = len(_rows(events_copy)) if events_copy.exists() else 0
    assert main(["ingest", str(SEED), "--append", str(events_copy), "--min-confidence", "0.99"]) == 0
    after = len(_rows(events_copy))
    assert after - before <= 1
    assert "below confidence 0.99" in capsys.readouterr().err


def test_append_to_an_invalid_events_file_fails_cleanly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "events.csv"
    bad.write_text("not,an,events,file\n1,2,3,4\n", encoding="utf-8")
    original = bad.read_bytes()
    assert main(["ingest", str(SEED), "--append", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "events.csv" in err and "Traceback" not in err
    assert bad.read_bytes() == original  # no half-written file


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["ingest", str(tmp_path / "nope.txt")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.txt" in err


def test_bad_lang_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ingest", str(SEED), "--lang", "fr"])
    assert info.value.code == 2
