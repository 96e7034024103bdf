"""`kcm validate`, `kcm control` and `kcm export` through main(argv): exit codes, stdout, stderr, untouched outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from geodata.cli import main
from tests.test_events import MALFORMED, MALFORMED_TABLE


def test_validate_bundled_events(events_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(events_csv)]) == 0
    assert capsys.readouterr().err.strip().endswith(": OK")


@pytest.mark.parametrize("name", sorted(MALFORMED_TABLE))
def test_malformed_files_fail_validate_and_export(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line, column, fragment = MALFORMED_TABLE[name]
    path = MALFORMED / name
    where = f"{path}:{line}:" + (f"{column}:" if column else "")

    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert where in err and fragment in err and "Traceback" not in err

    out = tmp_path / "out.geojson"
    out.write_bytes(b"previous export\n")
    assert main(["export", "--events", str(path), "-o", str(out)]) == 1
    captured = capsys.readouterr()
    assert where in captured.err and "Traceback" not in captured.err
    assert captured.out == ""
    assert out.read_bytes() == b"previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.geojson"]


@pytest.mark.parametrize(
    ("as_of", "place_id", "controllers"),
    [
        ("2017-10-15", "geonames:94787", {"krg"}),
        ("2017-10-17", "geonames:94787", {"isf"}),
        ("2017-10-21", "kcm:altun-kupri", {"isf", "isf+pmf"}),
    ],
)
def test_control_json_must_hold(
    events_csv: Path, as_of: str, place_id: str, controllers: set[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["control", "--as-of", as_of, "--events", str(events_csv), "--json"]) == 0
    records = orjson.loads(capsys.readouterr().out)
    keys = {"place_id", "place", "lat", "lon", "controller", "since", "event_id", "contested"}
    assert all(keys <= set(r) for r in records)
    by_id = {r["place_id"]: r for r in records}
    assert by_id[place_id]["controller"] in controllers
    assert not by_id[place_id]["contested"]


def test_control_table(events_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["control", "--as-of", "2017-10-17", "--events", str(events_csv)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("Kirkuk ") and " isf " in line for line in lines)


def test_control_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["control", "--as-of", "17/10/2017"])
    assert info.value.code == 2
    assert "expected a date as YYYY-MM-DD" in capsys.readouterr().err


def test_export_filtered_to_stdout(events_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["export", "--events", str(events_csv), "--from", "2017-10-16", "--to", "2017-10-17"]
    assert main([*argv, "--type", "control_change", "--actor", "pmf", "-o", "-"]) == 0
    captured = capsys.readouterr()
    doc = orjson.loads(captured.out)
    assert doc["filter"]["from"] == "2017-10-16" and doc["filter"]["types"] == ["control_change"]
    props = [f["properties"] for f in doc["features"]]
    assert props and all(p["event_type"] == "control_change" for p in props)
    assert all("pmf" in (p["controller_after"] or "") + (p["actors"] or "") for p in props)
    assert f"exported {len(props)} event(s) to -" in captured.err


def test_export_by_place_name_in_arabic(
    events_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "kirkuk.csv"
    assert main(["export", "--events", str(events_csv), "--place", "كركوك", "-o", str(out)]) == 0
    rows = out.read_text(encoding="utf-8").splitlines()[1:]
    assert rows and all("geonames:94787" in r for r in rows)


def test_export_unknown_extension(
    events_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--events", str(events_csv), "-o", str(tmp_path / "out.txt")]) == 1
    err = capsys.readouterr().err
    assert "cannot tell the export format" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_export_into_missing_folder(
    events_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--events", str(events_csv), "-o", str(tmp_path / "no" / "out.geojson")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_kcm_entry_point_runs_as_a_process(events_csv: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "geodata", "validate", str(MALFORMED / "duplicate_id.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert ":3:event_id: duplicate event_id" in proc.stderr and "Traceback" not in proc.stderr


def test_export_unknown_type_is_one_clear_line(events_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--events", str(events_csv), "--type", "battle", "-o", "-"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        "kcm export: unknown type 'battle'; expected one of control_change, status, deployment, withdrawal, clash, "
        "displacement, political"
    ]
