"""Property tests (hypothesis) for the readers of outside input (issue 13): any bytes give a result or a located error.

The events reader (``geodata.events.validate_file`` / ``load_events``, the store's CSV path) and ``kcm ingest``
(``decode_article`` + ``extract_article`` in-process, and a few runs of the real command) get arbitrary bytes and
arbitrary CSV-shaped or article-shaped text. Nothing may raise but the project's own errors, every problem names
the file (and a line that exists), and what is extracted points into the text.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.errors import ArticleError, EventValidationError, GeodataError
from geodata.events import load_events, validate_file
from geodata.extract import decode_article, extract_article
from geodata.store import csv_reader
from geodata.vocab import EVENT_COLUMNS
from tests.test_hostile import _run as run_kcm

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Cells that are valid somewhere, cells that are hostile anywhere.
GOOD_CELLS: dict[str, list[str]] = {
    "event_id": ["kcm-0001", "kcm-0002", "kcm-0003"],
    "event_date": ["2017-10-16", "2017-09-25", "2017-10-20"],
    "date_precision": ["day", "week", "month"],
    "event_type": ["control_change", "status", "clash"],
    "place_id": ["geonames:94787", "geonames:390188", "kcm:k1-air-base"],
    "controller_before": ["krg", "isf", ""],
    "controller_after": ["isf", "krg", "isf+pmf"],
    "actors": ["isf", "krg;isf", "pmf"],
    "summary": ["Federal forces took the city.", "سيطرت القوات العراقية على كركوك"],
    "source": ["test", "DW Arabic"],
    "status": ["reported", "confirmed", "disputed"],
    "latitude": ["", "35.46806", "3.5e1"],
    "longitude": ["", "44.39222", "4.4E+01"],
}
HOSTILE_CELLS = [
    "",
    '"',
    '"x"y',
    "a,b",
    "line\nbreak",
    "\r",
    "\x00",
    '=HYPERLINK("http://evil.example")',
    "NaN",
    "-inf",
    "1e308",
    "2017-02-30",
    "0000-01-01",
    "\u202ekcm-0001",
    "\u200b",
    "{{7*191}}",
    "<script>alert(1)</script>",
    "x" * 300,
]


def _cell(column: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(GOOD_CELLS.get(column, [""])),
        st.sampled_from(HOSTILE_CELLS),
        st.text(max_size=12),
    )


@st.composite
def csv_shaped(draw: st.DrawFn) -> bytes:
    """A CSV-like file: a header of event columns (some missing, repeated or unknown) and rows of mixed cells."""
    header = draw(
        st.lists(st.sampled_from([*EVENT_COLUMNS, "colour", "", "event_id"]), min_size=1, max_size=30)
    )
    if draw(st.booleans()):
        header = list(EVENT_COLUMNS)
    n = draw(st.integers(0, 6))
    rows = [[draw(_cell(name)) for name in header] for _ in range(n)]
    for row in rows:
        if row and draw(st.integers(0, 9)) == 0:
            row.pop()  # a ragged row
    buf = io.StringIO()
    csv.writer(buf, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))).writerows([header, *rows])
    text = buf.getvalue()
    if draw(st.booleans()):  # cut anywhere: an unterminated quote, half a row
        text = text[: draw(st.integers(0, len(text)))]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1256", "utf-16"]))
    return text.encode(encoding, errors="replace")


@contextmanager
def _file(data: bytes, suffix: str = ".csv") -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="kcm-hyp-") as folder:
        path = Path(folder) / f"events{suffix}"
        path.write_bytes(data)
        yield path


def _check_events_file(path: Path, data: bytes) -> list:
    """Validate and load ``path``: a result, or problems that name the file and a line that exists."""
    problems = validate_file(path)
    lines = data.count(b"\n") + data.count(b"\r") + 2
    for problem in problems:
        assert problem.file == str(path)
        assert problem.message
        assert problem.line is None or 1 <= problem.line <= lines, (problem, lines)
        assert str(problem).startswith(str(path))
    try:
        frame = load_events(path)
    except EventValidationError as exc:
        assert problems, "load_events refused a file that validate_file passed"
        assert [str(p) for p in exc.problems] == [str(p) for p in problems]
    else:
        assert not problems, "load_events accepted a file that validate_file refused"
        assert list(frame.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    return problems


@FAST
@given(st.binary(max_size=600))
def test_any_bytes_into_the_events_reader(data: bytes) -> None:
    with _file(data) as path:
        _check_events_file(path, data)


@FAST
@given(csv_shaped())
def test_csv_shaped_input_into_the_events_reader(data: bytes) -> None:
    with _file(data) as path:
        _check_events_file(path, data)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_shaped())
def test_the_fast_and_the_line_reader_agree(data: bytes) -> None:
    """A file over the fast path's threshold gives the same problems through the line-tracking reader."""
    text = data.decode("utf-8", "replace")
    first_line, _, body = text.partition("\n")
    if not body:
        body = first_line + "\n"
    big = (first_line + "\n" + body * (csv_reader.FAST_PATH_MIN_CHARS // max(1, len(body)) + 1)).encode()
    with _file(big) as path:
        fast = [str(p) for p in validate_file(path)]
        saved = csv_reader.FAST_PATH_MIN_CHARS
        csv_reader.FAST_PATH_MIN_CHARS = 10**12  # every file through the line reader
        try:
            slow = [str(p) for p in validate_file(path)]
        finally:
            csv_reader.FAST_PATH_MIN_CHARS = saved
    assert fast == slow


@FEW
@given(st.binary(min_size=1, max_size=400))
def test_any_bytes_into_kcm_validate(data: bytes) -> None:
    with _file(data) as path:
        result = _kcm("validate", str(path))
    assert result.returncode in (0, 1)
    assert "Traceback" not in result.stderr
    assert all(line.startswith(str(path)) for line in result.stderr.splitlines() if line.strip())


# ---------------------------------------------------------------- articles

ARTICLE_TOKENS = [
    "كركوك",
    "Kirkuk",
    "الحويجة",
    "Tuz Khurmatu",
    "16 أكتوبر 2017",
    "October 16, 2017",
    "أمس",
    "yesterday",
    "سيطرت القوات العراقية على",
    "federal forces took",
    "withdrew from",
    "انسحبت البيشمركة من",
    "و",
    "and",
    ".",
    "،",
    ";",
    "\n",
    "\n\n",
    "\u202e",
    "\u200f",
    "{{7*191}}",
    "<script>",
    "K-1",
    "كي-1",
    "Oct.",
    "U.S.",
]


@st.composite
def article_shaped(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(ARTICLE_TOKENS), st.text(max_size=8)), max_size=60))
    return " ".join(parts)


def _check_extraction(text: str) -> None:
    """Extract from ``text``: a result whose spans point into the text, or one of the project's errors."""
    try:
        extraction = extract_article(text, published=date(2017, 10, 20))
    except GeodataError as exc:
        assert str(exc)
        return
    for place in extraction.places:
        assert 0 <= place.start < place.end <= len(text)
        assert text[place.start : place.end] == place.mention
    for found in extraction.dates:
        assert 0 <= found.start < found.end <= len(text)
    for event in extraction.events:
        assert 0 <= event.start <= event.end <= len(text)
    orjson.dumps(extraction.to_dict(full=True))  # what kcm ingest prints is JSON


@FAST
@given(st.text(max_size=400))
def test_any_text_into_extract_article(text: str) -> None:
    _check_extraction(text)


@FAST
@given(article_shaped())
def test_article_shaped_text_into_extract_article(text: str) -> None:
    _check_extraction(text)


@FAST
@given(st.binary(max_size=400))
def test_any_bytes_into_decode_article(data: bytes) -> None:
    try:
        text = decode_article(data, "upload.txt")
    except ArticleError as exc:
        assert str(exc).startswith("upload.txt: ")
        return
    assert text.strip()
    _check_extraction(text)


def test_a_long_run_without_a_full_stop_is_cut_into_sentences() -> None:
    """A 5 MB line once made one sentence, and the per-sentence rules cost quadratic time (hours)."""
    from geodata.extract import MAX_SENTENCE_CHARS, split_sentences

    unit = "federal forces took Kirkuk on 16 October 2017 ; "
    text = unit * 2_000
    dates = [(m.start(), m.end()) for m in re.finditer("16 October 2017", text)]
    spans = split_sentences(text, dates)
    assert len(spans) > 40
    assert all(end - start <= MAX_SENTENCE_CHARS for start, end in spans)
    assert " ".join(text[a:b] for a, b in spans) == text.strip()  # cut at spaces only, nothing lost
    assert all(not text[a:b].startswith("October") for a, b in spans)  # no cut inside a protected date


def _kcm(*argv: str) -> subprocess.CompletedProcess[str]:
    return run_kcm(list(argv))


@FEW
@given(st.one_of(st.binary(min_size=1, max_size=400), article_shaped().map(lambda t: t.encode("utf-8"))))
def test_any_bytes_into_kcm_ingest(data: bytes) -> None:
    with _file(data, suffix=".txt") as path:
        result = _kcm("ingest", "--published", "2017-10-20", str(path))
    assert "Traceback" not in result.stderr
    if result.returncode == 1:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith(f"kcm ingest: {path}: "), lines
    else:
        assert result.returncode == 0, result.stderr
        assert set(orjson.loads(result.stdout)) == {"published", "places", "dates", "events"}


@pytest.mark.parametrize("data", [b"", b"\x00" * 10, b"\xff\xfe\x00\xd8", "\u202e{{7*191}}".encode()])
def test_edge_bytes_into_kcm_ingest_through_the_batch_path(data: bytes, tmp_path: Path) -> None:
    """The batch path (``--out``) reads the same bytes; a bad article is a located line in _errors.jsonl."""
    article = tmp_path / "a.txt"
    article.write_bytes(data)
    result = _kcm("ingest", str(article), "--out", str(tmp_path / "dataset"))
    assert "Traceback" not in result.stderr
    errors = tmp_path / "dataset" / "_errors.jsonl"
    if result.returncode == 1:
        reasons = [orjson.loads(line)["reason"] for line in errors.read_text(encoding="utf-8").splitlines()]
        assert reasons and all(r.startswith(f"{article}: ") for r in reasons), reasons
    else:
        assert result.returncode == 0, result.stderr
