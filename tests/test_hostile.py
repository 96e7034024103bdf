"""The hostile-input corpus (issue 13): every row of tests/data/hostile/README.md through the real command line.

Each input gives a result or a located error: exit code as the table says, no traceback, every stderr line naming
the file, an existing output left as it was on an error and no temp file behind, formula cells neutralised in CSV
exports. Binary, huge and GeoParquet inputs are made here from the table's recipes. The URL parameters of the
dashboard are checked under AppTest.
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT, as_shown

HOSTILE = DATA / "hostile"
README = HOSTILE / "README.md"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
OUT_SUFFIX = {"export-csv": ".csv", "export-acled": ".csv", "export-geojson": ".geojson"}


@dataclass(frozen=True)
class Case:
    """One row of the corpus table: run ``command`` on ``name``; expect ``exit`` and every ``expected`` fragment."""

    name: str
    command: str
    exit: int
    expected: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.name}-{self.command}"


def _unescape(fragment: str) -> str:
    fragment = fragment.replace("\\|", "|")
    return re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), fragment)


def read_table(readme: Path = README) -> list[Case]:
    """Parse the file tables of the corpus README (rows ``| `name` | what | `command` | exit | `fragments` |``)."""
    cases = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `") or line.count("|") < 6:
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) != 5 or not cells[3].isdigit():
            continue
        expected = tuple(_unescape(f) for f in re.findall(r"`([^`]+)`", cells[4]))
        cases.append(Case(cells[0].strip("`"), cells[2].strip("`"), int(cells[3]), expected))
    return cases


CASES = read_table()


# ---------------------------------------------------------------- recipes of the generated files


def _baseline_rows() -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO((HOSTILE / "csv_ok_baseline.csv").read_text(encoding="utf-8"))))
    return rows[0], rows[1:]


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    return buf.getvalue().encode("utf-8")


def _huge_field(path: Path) -> None:
    header, rows = _baseline_rows()
    rows[0][header.index("notes")] = "x" * 140_000
    path.write_bytes(_csv(header, rows))


def _ten_thousand_columns(path: Path) -> None:
    header, rows = _baseline_rows()
    extra = [f"c{i:05d}" for i in range(10_000 - len(header))]
    path.write_bytes(_csv(header + extra, [rows[0] + [""] * len(extra)]))


def _frame():
    from geodata.events import load_events

    return load_events(HOSTILE / "csv_ok_baseline.csv")


def _wrong_crs(path: Path) -> None:
    _frame().to_crs(3857).to_parquet(path)


def _no_geometry(path: Path) -> None:
    import pandas as pd

    pd.DataFrame(_frame().drop(columns="geometry")).to_parquet(path)


def _not_points(path: Path) -> None:
    import shapely

    frame = _frame()
    frame["geometry"] = [shapely.box(44, 35, 45, 36), shapely.LineString([(44, 35), (45, 36)])]
    frame.to_parquet(path)


def _wrong_types(path: Path) -> None:
    frame = _frame()
    frame["latitude"] = frame["latitude"].astype(str) + "x"
    frame["event_date"] = [1, 2]
    frame.to_parquet(path)


def _latitude_inf(path: Path) -> None:
    frame = _frame()
    frame.loc[1, "latitude"] = float("inf")
    frame.to_parquet(path)


def _valid_parquet(path: Path) -> bytes:
    from geodata.events import save_events

    save_events(_frame(), path)
    return path.read_bytes()


def _corrupted(path: Path) -> None:
    raw = _valid_parquet(path)
    mid = len(raw) // 2
    path.write_bytes(raw[:mid] + bytes(64) + raw[mid + 64 :])


def _truncated(path: Path) -> None:
    path.write_bytes(_valid_parquet(path)[:-20])


def _binary(path: Path) -> None:
    path.write_bytes(random.Random(13).randbytes(4096) + b"\x00\x00")


def _five_mb_line(path: Path) -> None:
    unit = "the forces of the army and the fighters ; " * 5 + "Kirkuk "  # about 250 characters
    path.write_text((unit * (5_000_000 // len(unit) + 1))[:5_000_000], encoding="utf-8")


RECIPES: dict[str, Callable[[Path], None]] = {
    "gen_huge_field.csv": _huge_field,
    "gen_ten_thousand_columns.csv": _ten_thousand_columns,
    "gen_wrong_crs.parquet": _wrong_crs,
    "gen_no_geometry.parquet": _no_geometry,
    "gen_not_points.parquet": _not_points,
    "gen_wrong_types.parquet": _wrong_types,
    "gen_latitude_inf.parquet": _latitude_inf,
    "gen_corrupted.parquet": _corrupted,
    "gen_truncated.parquet": _truncated,
    "gen_zero_bytes.parquet": lambda path: path.write_bytes(b""),
    "gen_binary.txt": _binary,
    "gen_five_mb_line.txt": _five_mb_line,
}


def _input(name: str, tmp_path: Path) -> Path:
    if name.startswith("/"):
        if not Path(name).exists():
            pytest.skip(f"{name} does not exist on this system")
        return Path(name)
    if name.startswith("gen_"):
        path = tmp_path / "in" / name
        path.parent.mkdir()
        RECIPES[name](path)
        return path
    return HOSTILE / name


# ---------------------------------------------------------------- the commands


def _argv(command: str, path: Path, out: Path) -> list[str]:
    if command == "validate":
        return ["validate", str(path)]
    if command in OUT_SUFFIX:
        fmt = ["--format", "acled"] if command == "export-acled" else []
        return ["export", "--events", str(path), *fmt, "-o", str(out)]
    if command == "control":
        return ["control", "--as-of", "2017-10-20", "--events", str(path), "--json"]
    if command == "ingest":
        return ["ingest", "--published", "2017-10-20", str(path)]
    if command == "ingest-out":
        return ["ingest", str(path), "--out", str(out)]
    raise AssertionError(f"unknown command in the corpus table: {command}")


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "geodata", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=600,
        env=dict(os.environ, KCM_TILES="none"),
    )


def _assert_neutralised(text: str) -> None:
    """No text cell of a CSV export may start like a formula (numbers such as -2.5 may)."""
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.startswith(FORMULA_PREFIXES):
                float(cell)  # raises for a text cell a spreadsheet would run


def _assert_located(stderr: str, path: Path, command: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "an error must say what is wrong"
    if command == "ingest-out":
        return  # the per-article reasons are in _errors.jsonl (checked by the fragments)
    for line in lines:
        assert str(path) in line, f"stderr line does not name the file: {line!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_row(case: Case, tmp_path: Path) -> None:
    path = _input(case.name, tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / ("dataset" if case.command == "ingest-out" else f"out{OUT_SUFFIX.get(case.command, '')}")
    if case.command in OUT_SUFFIX:
        out.write_bytes(b"previous export\n")

    result = _run(_argv(case.command, path, out))

    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == case.exit, (result.returncode, result.stderr[-3000:])
    written = out.read_text(encoding="utf-8") if out.is_file() else ""
    errors = out / "_errors.jsonl"
    seen = (
        result.stderr
        + result.stdout
        + written
        + (errors.read_text(encoding="utf-8") if errors.exists() else "")
    )
    for fragment in case.expected:
        fragment = fragment.replace("FILE", str(path))
        assert fragment in seen, f"{fragment!r} not in the output:\n{seen[-3000:]}"
    if any("{{7*191}}" in f for f in case.expected):
        assert "1337" not in result.stdout + written  # never evaluated
    if case.exit:
        _assert_located(result.stderr, path, case.command)
    if case.command in OUT_SUFFIX:
        assert sorted(p.name for p in out_dir.iterdir()) == [out.name], "a temp file was left behind"
        if case.exit:
            assert out.read_bytes() == b"previous export\n", "a failed export touched its target"
        elif OUT_SUFFIX[case.command] == ".csv":
            _assert_neutralised(written)


def test_every_committed_file_has_a_row_and_every_row_an_input() -> None:
    named = {c.name for c in CASES}
    committed = {p.name for p in HOSTILE.iterdir() if p.name != "README.md"}
    assert committed <= named, f"files without a row in the table: {sorted(committed - named)}"
    generated = {n for n in named if n.startswith("gen_")}
    assert generated == set(RECIPES), "every generated file has exactly one recipe"
    assert named <= committed | generated | {n for n in named if n.startswith("/")}
    assert len(CASES) >= 45
    assert {c.command for c in CASES} >= {"validate", "export-csv", "export-geojson", "ingest", "ingest-out"}


def test_the_corpus_stays_small() -> None:
    assert sum(p.stat().st_size for p in HOSTILE.iterdir()) < 200_000


def test_read_table_reads_escaped_pipes_and_unicode_escapes(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "| `a.csv` | `+cmd\\|x` | `validate` | 1 | `FILE:2: x` `\\u202eevil` `a\\|b` |\n| `b` | no exit | x | y | z |\n",
        encoding="utf-8",
    )
    assert read_table(readme) == [Case("a.csv", "validate", 1, ("FILE:2: x", "\u202eevil", "a|b"))]


# ---------------------------------------------------------------- URL parameters (AppTest)

URL_CASES: list[tuple[dict[str, str], int | None, tuple[str, ...]]] = [
    # (parameters, events shown (None: the whole data), values that a warning must echo as typed)
    ({"from": "0001-01-01", "to": "9999-12-31"}, None, ()),
    ({"from": "2017-99-99", "asof": "{{7*191}}"}, None, ("2017-99-99", "{{7*191}}")),
    ({"type": "bogus,<script>alert(1)</script>"}, None, ("type: unknown bogus, <script>alert(1)</script>",)),
    ({"q": "<script>alert(1)</script>" + "x" * 100_000}, 0, ()),
    (
        {
            "place": "x" * 50_000,
            "actor": "'\"><img src=x onerror=alert(1)>",
            "gov": "\u202eevil",
            "status": "nope",
        },
        None,
        (
            "actor: unknown '\"><img src=x onerror=alert(1)>",
            "gov: unknown \u202eevil",
            "status: unknown nope",
        ),
    ),
    ({"layers": "", "lang": "<b>ar</b>"}, None, ("<b>ar</b>",)),
]


@pytest.mark.parametrize(
    ("params", "n_shown", "echoed"), URL_CASES, ids=[str(i) for i in range(len(URL_CASES))]
)
def test_url_parameters(
    params: dict[str, str], n_shown: int | None, echoed: tuple[str, ...], events_file: Path
) -> None:
    from markdown_it import MarkdownIt
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    shown = at.session_state["shown"]
    assert shown["n_events"] == (62 if n_shown is None else n_shown)
    warnings = [w.value for w in at.warning]
    markdown = MarkdownIt("gfm-like")
    for source in warnings:
        html = markdown.render(source)
        assert "<script" not in html and "<img" not in html and "<b>" not in html, html
    for value in echoed:
        assert any(value in as_shown(w) for w in warnings), (value, warnings)
    if not echoed:
        assert not warnings, warnings
    assert at.title[0].value == "Kirkuk Control Map"
