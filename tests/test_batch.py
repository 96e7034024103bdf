"""Tests of batch ingestion (``kcm ingest PATH... --out DATASET``): in-process, LocalCluster, separate processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geodata.batch import batches, ingest_corpus
from geodata.candidates import ERRORS, MANIFEST, read_manifest
from geodata.cli import main
from geodata.corpus import Article
from geodata.errors import BatchError, InputError
from geodata.extract import extract_article, read_article
from tests.conftest import DATA, SEED_DIR

ARTICLES = DATA / "articles"
KEY = ["candidate_id", "article_id", "event_type", "event_date", "place_id", "confidence", "evidence_start"]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder of the evaluation articles (nested), the seed, and a JSONL archive with good and bad lines."""
    root = tmp_path / "corpus"
    shutil.copytree(ARTICLES, root / "wire" / "2017")
    shutil.copy(SEED_DIR / "000_0d09db86305241cb.txt", root / "seed.txt")
    (root / "wire" / "notes.md").write_text(
        "not an article: only *.txt are read from folders", encoding="utf-8"
    )
    lines = [
        {
            "id": "en-1",
            "text": (ARTICLES / "en_01_kirkuk_takeover.txt").read_text("utf-8"),
            "url": "https://x.org/1",
        },
        {
            "id": 2,
            "text": (ARTICLES / "ar_04_kirkuk_takeover.txt").read_text("utf-8"),
            "published": "2017-10-17",
        },
    ]
    with (tmp_path / "archive.jsonl").open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return root


def _bad_files(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)


def _frame(dataset: Path) -> pd.DataFrame:
    frame = gpd.read_parquet(dataset)
    return frame.sort_values("candidate_id").reset_index(drop=True)


def test_in_process_dataset_reads_as_epsg4326_with_every_field(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    summary = ingest_corpus([corpus, tmp_path / "archive.jsonl"], out)
    assert summary.failed == 0 and summary.articles == 21  # 18 files + seed + 2 JSONL lines
    frame = gpd.read_parquet(out)
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == summary.candidates > 50
    assert (frame.geometry.x == frame["longitude"]).all() and (frame.geometry.y == frame["latitude"]).all()
    assert frame["candidate_id"].is_unique
    for name in (
        "article_id",
        "source",
        "published",
        "confidence",
        "evidence_start",
        "evidence_end",
        "sentence",
    ):
        assert name in frame.columns
    url_rows = frame[frame["article_id"] == "en-1"]
    assert set(url_rows["source"]) == {"https://x.org/1"} and set(url_rows["source_url"]) == {
        "https://x.org/1"
    }
    dated = frame[frame["article_id"] == "2"]
    assert set(dated["published"].astype(str)) == {"2017-10-17"}
    # evidence offsets index the sentence in the article text
    seed_rows = frame[frame["source"].str.endswith("seed.txt")]
    text = read_article(corpus / "seed.txt")
    for row in seed_rows.itertuples():
        assert text[row.evidence_start : row.evidence_end] == row.sentence


def test_same_candidates_as_extract_article(corpus: Path, tmp_path: Path) -> None:
    ingest_corpus([corpus], tmp_path / "ds")
    frame = _frame(tmp_path / "ds")
    for path in sorted(corpus.rglob("*.txt")):
        extraction = extract_article(read_article(path))
        # a place the gazetteer lacks is stored at the known place it is near (``gazetteer_id``, issue 9)
        want = [(e.event_type, e.place.gazetteer_id, e.event_date, e.confidence) for e in extraction.events]
        rows = frame[frame["article_id"] == str(path.absolute())]
        got = [
            (r.event_type, r.place_id, None if pd.isna(r.event_date) else r.event_date, r.confidence)
            for r in rows.sort_values(
                "candidate_id", key=lambda s: s.str.rsplit(":", n=1).str[1].astype(int)
            ).itertuples()
        ]
        assert got == want, path.name


def test_bad_articles_go_to_the_errors_file_and_the_rest_goes_on(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _bad_files(corpus / "bad")
    archive = tmp_path / "archive.jsonl"
    with archive.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "x", "text": "   "}\n{"id": "y", "text": 5}\n[1, 2]\nnot json\n')
        fh.write('{"id": "z", "text": "كركوك", "published": "17/10/2017"}\n{"id": "en-1", "text": "again"}\n')
    out = tmp_path / "ds"
    code = main(["ingest", str(corpus), str(archive), str(tmp_path / "missing.txt"), "--out", str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert "21 article(s) extracted" in err and "9 error(s)" in err and str(out / ERRORS) in err
    errors = [json.loads(line) for line in (out / ERRORS).read_text("utf-8").splitlines()]
    reasons = "\n".join(e["reason"] for e in errors)
    assert len(errors) == 9
    for expected in (
        "empty.txt: the file is empty",
        "binary.txt: a binary file",
        "archive.jsonl:3: field 'text' is empty",
        "archive.jsonl:4: field 'text' must be a string",
        "archive.jsonl:5: expected a JSON object, got list",
        "archive.jsonl:6: not a JSON object",
        "archive.jsonl:7: field 'published' must be a date as YYYY-MM-DD, got '17/10/2017'",
        "article id 'en-1' repeats an earlier article",
        "missing.txt: cannot read the file",
    ):
        assert expected in reasons
    assert len(gpd.read_parquet(out)) > 50  # the good articles were extracted


def test_rerun_skips_done_articles(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    first = ingest_corpus([corpus], out)
    before = _frame(out)
    again = ingest_corpus([corpus], out)
    assert again.articles == 0 and again.skipped == first.articles and again.candidates == 0
    pd.testing.assert_frame_equal(_frame(out), before)
    (corpus / "late.txt").write_text(
        (ARTICLES / "en_02_tuz_khurmatu.txt").read_text("utf-8"), encoding="utf-8"
    )
    late = ingest_corpus([corpus], out)
    assert late.articles == 1 and late.skipped == first.articles
    assert len(_frame(out)) == len(before) + late.candidates


def test_a_run_stopped_midway_keeps_what_it_committed_and_a_rerun_completes(
    corpus: Path, tmp_path: Path
) -> None:
    full = tmp_path / "full"
    ingest_corpus([corpus], full, batch_bytes=5_000)
    out = tmp_path / "ds"
    commits: list[int] = []

    def stop_after_two(summary: object) -> None:
        commits.append(1)
        if len(commits) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_corpus([corpus], out, batch_bytes=5_000, on_commit=stop_after_two)
    kept = read_manifest(out)
    assert 0 < len(kept.done) < 19
    assert len(gpd.read_parquet(out)) == kept.candidates  # what was committed is there, nothing more
    # a kill between a part's rename and its manifest line: an orphan part and a torn last line
    shutil.copy(next(full.glob("part-*.parquet")), out / "part-999999-deadbeef.parquet")
    with (out / MANIFEST).open("ab") as fh:
        fh.write(b'{"part": "part-999999-deadbeef.parquet", "articles": ["/x/')
    rest = ingest_corpus([corpus], out, batch_bytes=5_000)
    assert rest.skipped == len(kept.done) and rest.articles == 19 - len(kept.done)
    assert not (out / "part-999999-deadbeef.parquet").exists()
    pd.testing.assert_frame_equal(_frame(out), _frame(full))


def test_corrupt_manifest_line_is_named(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    ingest_corpus([corpus], out, batch_bytes=5_000)
    lines = (out / MANIFEST).read_bytes().splitlines(keepends=True)
    (out / MANIFEST).write_bytes(lines[0] + b"garbage\n" + b"".join(lines[1:]))
    with pytest.raises(InputError, match=r"_manifest.jsonl:2: corrupt manifest line"):
        ingest_corpus([corpus], out)


def test_one_writer_at_a_time(corpus: Path, tmp_path: Path) -> None:
    from filelock import FileLock

    out = tmp_path / "ds"
    out.mkdir()
    with FileLock(out / "_lock"), pytest.raises(InputError, match="another kcm ingest is writing"):
        ingest_corpus([corpus], out)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --out"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--out", "{tmp}/ds", "--append", "{tmp}/events.csv"], "give one of them"),
        (["--out", "{tmp}/file.txt"], "--out must be a folder"),
        (["--out", "{tmp}/ds", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_bad_options(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    args = [a.format(tmp=tmp_path) for a in argv]
    assert main(["ingest", str(SEED_DIR), *args]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_jsonl_without_out_is_refused(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(tmp_path / "archive.jsonl")]) == 1
    assert "a JSONL archive needs --out DATASET" in capsys.readouterr().err


def test_folder_without_out_prints_one_object_per_file(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(corpus / "wire")]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 18


def test_batches_group_by_bytes_in_order() -> None:
    items = [Article(str(k), str(k), b"x" * 400) for k in range(10)]
    groups = list(batches(items, max_bytes=1000))
    assert [len(g) for g in groups] == [3, 3, 3, 1]
    assert [a.article_id for g in groups for a in g] == [str(k) for k in range(10)]


def test_progress_bar_and_summary(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(corpus), "--out", str(tmp_path / "ds"), "--batch-mb", "0.005"]) == 0
    err = capsys.readouterr().err
    assert "[########################] 19/19 articles" in err
    assert "19 article(s) extracted" in err and " MB/s" in err and "0 error(s)" in err


# ---------------------------------------------------------------- on Dask


@pytest.mark.slow
def test_local_cluster_gives_the_same_candidates(corpus: Path, tmp_path: Path) -> None:
    ingest_corpus([corpus, tmp_path / "archive.jsonl"], tmp_path / "local")
    summary = ingest_corpus(
        [corpus, tmp_path / "archive.jsonl"], tmp_path / "lc", workers=2, batch_bytes=4_000
    )
    assert summary.mode.startswith("on a Dask LocalCluster of 2")
    assert summary.cluster_seconds is not None and summary.cluster_seconds > 0
    assert len(summary.workers) == 2 and str(os.getpid()) not in {
        w.rsplit(":", 1)[1] for w in summary.workers
    }
    pd.testing.assert_frame_equal(_frame(tmp_path / "lc"), _frame(tmp_path / "local"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dask_cli() -> list[str]:
    exe = Path(sys.executable).parent / "dask"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dask"]


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 (random free ports), stopped after."""
    scheduler_file = tmp_path / "scheduler.json"
    port = _free_port()
    common = {"cwd": tmp_path, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen(
            [
                *_dask_cli(),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            **common,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert scheduler_file.exists(), "the dask scheduler did not start"
        address = json.loads(scheduler_file.read_text())["address"]
        for name in ("w1", "w2"):
            procs.append(
                subprocess.Popen(
                    [
                        *_dask_cli(),
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--name",
                        name,
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--no-nanny",
                    ],
                    **common,
                )
            )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            workers = sorted(client.nthreads())
        yield address, workers
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.slow
def test_separate_scheduler_and_workers(
    dask_cluster: tuple[str, list[str]], corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address, workers = dask_cluster
    assert address.startswith("tcp://127.0.0.1:") and len(workers) == 2
    inputs = [str(corpus), str(tmp_path / "archive.jsonl")]
    assert main(["ingest", *inputs, "--out", str(tmp_path / "local")]) == 0
    code = main(
        ["ingest", *inputs, "--out", str(tmp_path / "remote"), "--scheduler", address, "--batch-mb", "0.004"]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"on the Dask cluster at {address} (2 worker(s))" in err
    # the same candidates as in-process (place, date, type and the rest)
    remote = _frame(tmp_path / "remote")
    assert remote.crs.to_epsg() == 4326
    pd.testing.assert_frame_equal(remote, _frame(tmp_path / "local"))
    # the scheduler's task log shows the work and its compute time, done by both worker processes
    from distributed import Client

    with Client(address, timeout="30s") as client:
        stream = client.get_task_stream()
    ours = [r for r in stream if str(r["key"]).startswith("extract_batch")]
    assert len(ours) >= 4
    assert {r["worker"] for r in ours} == set(workers)
    compute = [s for r in ours for s in r["startstops"] if s["action"] == "compute"]
    assert len(compute) == len(ours) and sum(s["stop"] - s["start"] for s in compute) > 0


@pytest.mark.slow
def test_a_killed_process_loses_nothing_committed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for k in range(2):
        shutil.copytree(ARTICLES, corpus / f"copy{k}")
    out = tmp_path / "ds"
    command = [
        sys.executable,
        "-m",
        "geodata",
        "ingest",
        str(corpus),
        "--out",
        str(out),
        "--batch-mb",
        "0.003",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        manifest = out / MANIFEST
        if manifest.exists() and manifest.read_bytes().count(b"\n") >= 2:
            proc.kill()  # SIGKILL: no cleanup of any kind
            break
        time.sleep(0.02)
    proc.wait()
    assert proc.returncode == -9, "the run ended before it could be killed"
    kept = read_manifest(out)
    assert 0 < len(kept.done) < 36
    assert len(gpd.read_parquet(out)) == kept.candidates  # every committed part is whole and readable
    rest = ingest_corpus([corpus], out)
    assert rest.skipped == len(kept.done) and rest.articles == 36 - len(kept.done)
    full = tmp_path / "full"
    ingest_corpus([corpus], full)
    pd.testing.assert_frame_equal(_frame(out), _frame(full))


def test_unreachable_scheduler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("geodata.batch.CONNECT_TIMEOUT", "1s")
    address = f"tcp://127.0.0.1:{_free_port()}"
    assert main(["ingest", str(SEED_DIR), "--out", str(tmp_path / "ds"), "--scheduler", address]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach the Dask scheduler at '{address}'" in err and "Traceback" not in err


def test_a_failing_cluster_stops_the_run_cleanly(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import Client, LocalCluster

    def broken(batch: object) -> None:
        raise MemoryError("worker out of memory")

    monkeypatch.setattr("geodata.batch.extract_batch", broken)
    no_http = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}  # never port 8787, which may be taken
    with (
        LocalCluster(
            n_workers=1, processes=False, dashboard_address=None, scheduler_kwargs=no_http
        ) as cluster,
        Client(cluster),
    ):
        with pytest.raises(
            BatchError, match=r"failed a batch \(MemoryError: worker out of memory\).*run the same command"
        ):
            ingest_corpus([corpus], tmp_path / "ds", scheduler=cluster.scheduler_address)
    assert read_manifest(tmp_path / "ds").done == {}


def test_local_cluster_starts_under_a_page_script_as_main(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside a Streamlit page ``__main__`` is the page script; spawned workers must not re-run it (they did, and
    "Nanny failed to start worker process" after the Review page had run in the same process)."""
    import types

    from geodata.batch import local_cluster

    script = tmp_path / "page.py"
    script.write_text("raise SystemExit('a page script ran in a worker')\n", encoding="utf-8")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    with local_cluster(1) as (_cluster, client):
        assert client.submit(len, "كركوك").result(timeout=60) == 5
        assert sys.modules["__main__"] is not page  # hidden while the cluster lives
    assert sys.modules["__main__"] is page
