"""Batch ingestion: a corpus of articles in, a resumable candidates dataset out, in-process or on Dask distributed.

One extraction code path in every mode: :func:`extract_batch` (``decode_article`` + ``extract_article`` over a
batch of articles) runs in this process, on the workers of a ``LocalCluster`` (``workers=N``), or on an
existing cluster (``scheduler=ADDRESS``). The client reads the corpus, ships batches of about 1 MB, and writes
each finished batch as one GeoParquet part, then commits it in the manifest (:mod:`geodata.candidates`):
so the same candidate rows come out whatever the mode, a rerun skips the done articles, and a run killed midway
loses nothing it had committed.
"""

from __future__ import annotations

import logging
import sys
import time
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import islice
from pathlib import Path
from typing import IO, Any

import orjson
import pyarrow as pa

from geodata.candidates import (
    ERRORS,
    LOCK,
    Manifest,
    candidate_rows,
    open_dataset_dir,
    rows_table,
    write_empty_part,
    write_errors,
    write_part,
)
from geodata.corpus import Article, BadArticle, corpus_files, count_articles, read_corpus
from geodata.errors import BatchError, GeodataError, InputError
from geodata.extract import decode_article, extract_article

log = logging.getLogger(__name__)

BATCH_BYTES = 1_000_000  # about a second of extraction: task overhead stays small, progress stays lively
BATCH_ARTICLES = 500
MIN_BATCH_BYTES = 20_000
CONNECT_TIMEOUT = "15s"  # how long to wait for --scheduler ADDRESS


@dataclass(frozen=True)
class BatchResult:
    """What one batch gave: its candidate rows, the ids extracted, the errors, and what it cost where it ran."""

    table: pa.Table
    articles: tuple[str, ...]
    errors: tuple[dict[str, str], ...]
    size: int
    seconds: float
    worker: str
    unplaced: int = 0  # names of places the gazetteer lacks, dropped for want of a known place near them


def _text(article: Article) -> str:
    """Decode an article's bytes (or check its JSONL text) exactly as ``kcm ingest FILE`` and the page do."""
    data = article.data
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(f"{article.source}: the text is not valid Unicode ({exc.reason})") from exc
    return decode_article(data, article.source)


def extract_batch(articles: Sequence[Article | BadArticle]) -> BatchResult:
    """Extract the candidate events of a batch of articles; an article that fails becomes an error, the rest go on.

    This is the task shipped to Dask workers (and called directly in-process).
    """
    import os
    import socket

    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    done: list[str] = []
    errors: list[dict[str, str]] = []
    size = 0
    unplaced = 0
    for article in articles:
        if isinstance(article, BadArticle):
            errors.append(
                {"article_id": article.article_id, "source": article.where, "reason": article.reason}
            )
            continue
        size += article.size
        try:
            extraction = extract_article(_text(article), published=article.published, lang=article.lang)
        except GeodataError as exc:
            errors.append({"article_id": article.article_id, "source": article.source, "reason": str(exc)})
            continue
        except Exception as exc:  # a bug on one article must not stop an archive of a million
            log.exception("%s: extraction failed", article.source)
            reason = f"{article.source}: extraction failed ({type(exc).__name__}: {exc})"
            errors.append({"article_id": article.article_id, "source": article.source, "reason": reason})
            continue
        unplaced += len(extraction.unplaced)
        rows.extend(
            candidate_rows(extraction, article_id=article.article_id, source=article.source, url=article.url)
        )
        done.append(article.article_id)
    return BatchResult(
        table=rows_table(rows),
        articles=tuple(done),
        errors=tuple(errors),
        size=size,
        seconds=time.perf_counter() - start,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        unplaced=unplaced,
    )


# ---------------------------------------------------------------- the run


@dataclass
class BatchSummary:
    """What a run did; :meth:`text` is the end summary printed by ``kcm ingest --out``."""

    dataset: Path
    mode: str
    total: int = 0
    articles: int = 0
    skipped: int = 0
    candidates: int = 0
    errors: int = 0
    earlier_errors: int = 0
    size: int = 0
    seconds: float = 0.0
    compute_seconds: float = 0.0
    cluster_seconds: float | None = None
    workers: set[str] = field(default_factory=set)
    unplaced: int = 0

    @property
    def failed(self) -> int:
        """Articles of the corpus in error: in this run, or recorded by an earlier one."""
        return self.errors + self.earlier_errors

    @property
    def mb_per_s(self) -> float:
        """Article megabytes extracted per second of wall time."""
        return self.size / 1e6 / self.seconds if self.seconds > 0 else 0.0

    def text(self) -> str:
        """Return the end summary: articles, candidates, errors, MB/s, where the work ran."""
        lines = [
            f"{self.articles} article(s) extracted, {self.candidates} candidate(s), {self.errors} error(s); "
            f"{self.size / 1e6:.2f} MB in {self.seconds:.1f} s: {self.mb_per_s:.2f} MB/s",
            f"ran {self.mode}; compute time {self.compute_seconds:.1f} s in {len(self.workers)} process(es)",
        ]
        if self.cluster_seconds is not None:
            lines.append(
                f"the scheduler's task stream logged {self.cluster_seconds:.1f} s of compute for extract_batch"
            )
        if self.skipped:
            lines.append(
                f"{self.skipped} article(s) skipped: done by an earlier run ({self.earlier_errors} in error)"
            )
        if self.unplaced:
            lines.append(
                f"{self.unplaced} name(s) of places not in the gazetteer dropped: no known place in the article "
                "to put them near"
            )
        if self.failed:
            lines.append(f"failed articles and reasons: {self.dataset / ERRORS}")
        lines.append(f"dataset: {self.dataset}")
        return "\n".join(lines)


class _Progress:
    """A one-line progress bar on stderr, redrawn at most five times a second and once at the end."""

    width = 24

    def __init__(self, stream: IO[str] | None, total: int) -> None:
        self.stream = stream
        self.total = total
        self.drawn = 0.0

    def update(self, summary: BatchSummary, *, final: bool = False) -> None:
        if self.stream is None:
            return
        now = time.perf_counter()
        if not final and now - self.drawn < 0.2:
            return
        self.drawn = now
        done = summary.articles + summary.errors + summary.skipped
        filled = self.width * done // max(1, self.total)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} articles · "
            f"{summary.candidates} candidates · {summary.errors} errors · {summary.mb_per_s:.2f} MB/s "
        )
        if final:
            self.stream.write("\n")
        self.stream.flush()


def _todo(
    files: Sequence[Path], manifest: Manifest, summary: BatchSummary, defaults: tuple[date | None, str | None]
) -> Iterator[Article | BadArticle]:
    """Yield the corpus minus the done articles; a repeated id in the corpus is an error, not a silent skip."""
    published, lang = defaults
    seen: set[str] = set()
    for item in read_corpus(files):
        key = item.article_id
        if key in manifest.done:
            summary.skipped += 1
            summary.earlier_errors += manifest.done[key] is not None
            continue
        if key in seen:
            where = item.where if isinstance(item, BadArticle) else item.source
            yield BadArticle(
                key, where, f"{where}: article id {key!r} repeats an earlier article of the corpus"
            )
            continue
        seen.add(key)
        if isinstance(item, Article) and (item.published is None or item.lang is None):
            item = replace(item, published=item.published or published, lang=item.lang or lang)
        yield item


def batches(
    items: Iterable[Article | BadArticle], *, max_bytes: int = BATCH_BYTES, max_articles: int = BATCH_ARTICLES
) -> Iterator[list[Article | BadArticle]]:
    """Group articles into batches of at most ``max_bytes`` of text (or ``max_articles``), in corpus order."""
    batch: list[Article | BadArticle] = []
    size = 0
    for item in items:
        batch.append(item)
        size += item.size if isinstance(item, Article) else 0
        if size >= max_bytes or len(batch) >= max_articles:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _batch_size(client: Any, batch_bytes: int, total_bytes: int) -> int:
    """On a cluster, shrink batches so that a small corpus still gives every worker thread a few tasks."""
    if client is None:
        return batch_bytes
    threads = sum(client.nthreads().values()) or 1
    return max(1, min(batch_bytes, max(MIN_BATCH_BYTES, total_bytes // (4 * threads))))


def _in_process(work: Iterable[list[Article | BadArticle]]) -> Iterator[BatchResult]:
    for batch in work:
        yield extract_batch(batch)


def _on_cluster(client: Any, work: Iterable[list[Article | BadArticle]]) -> Iterator[BatchResult]:
    """Submit batches with a bounded number in flight (the corpus is never all in memory), yield as they finish."""
    from distributed import as_completed

    threads = sum(client.nthreads().values()) or 1
    pending = iter(work)
    running = as_completed(
        [client.submit(extract_batch, b, pure=False) for b in islice(pending, 2 * threads + 1)]
    )
    for future in running:
        try:
            result: BatchResult = future.result()
        except Exception as exc:  # a worker died, the scheduler went away: stop; a rerun resumes
            raise BatchError(
                f"the Dask cluster failed a batch ({type(exc).__name__}: {exc}); what was committed is kept, "
                "run the same command again to resume"
            ) from exc
        future.release()
        following = next(pending, None)
        if following is not None:
            running.add(client.submit(extract_batch, following, pure=False))
        yield result


@contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator[tuple[Any, str]]:
    """Yield a Dask client (None in-process) and a description of where the work runs."""
    if scheduler is None and not workers:
        yield None, "in-process"
        return
    from distributed import Client

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from exc
        with client:
            yield client, f"on the Dask cluster at {scheduler} ({len(client.nthreads())} worker(s))"
        return
    with local_cluster(workers) as (_, client):
        yield client, f"on a Dask LocalCluster of {workers} worker process(es)"


@contextmanager
def _importable_main() -> Iterator[None]:
    """While workers start, hide a ``__main__`` that was run from a path and is no importable module.

    Dask starts workers with multiprocessing's *spawn*, which re-runs the parent's main script in each child when
    ``__main__`` has a file but no module spec. Inside a Streamlit page (and AppTest) ``__main__`` is the page
    script, which must not run in a worker (it fails there, and "Nanny failed to start worker process"). Workers
    need nothing from it: tasks are functions of this package.
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None or not getattr(main, "__file__", None):
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


@contextmanager
def local_cluster(workers: int) -> Iterator[tuple[Any, Any]]:
    """Start a Dask ``LocalCluster`` of single-threaded worker processes on 127.0.0.1; yield it and a client."""
    from distributed import Client, LocalCluster

    with (
        _importable_main(),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,  # extraction is pure Python: one thread per process, processes for cores
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # the scheduler's HTTP server (health, metrics) still starts without a dashboard, on 8787 by default:
            # a random port, so that another cluster on this machine is never a conflict
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.CRITICAL,  # task errors come back through their futures
        ) as cluster,
        Client(cluster) as client,
    ):
        yield cluster, client


@contextmanager
def _task_log(client: Any) -> Iterator[Any]:
    """On a cluster, record the scheduler's task stream (it stays on the scheduler, for its dashboard and for us)."""
    if client is None:
        yield None
        return
    from distributed import get_task_stream

    with get_task_stream(client) as stream:
        yield stream


def cluster_compute_seconds(records: Iterable[dict[str, Any]], prefix: str = "extract_batch") -> float:
    """Sum the compute time that the scheduler's task stream logged for our tasks."""
    total = 0.0
    for record in records:
        if str(record.get("key", "")).startswith(prefix):
            total += sum(
                s["stop"] - s["start"] for s in record.get("startstops", ()) if s["action"] == "compute"
            )
    return total


def _commit(dataset: Path, manifest: Manifest, result: BatchResult, summary: BatchSummary) -> None:
    """Write a finished batch's part, then its manifest line (the commit), then its errors."""
    part = write_part(dataset, result.table, manifest.next_sequence) if result.table.num_rows else None
    manifest.commit(part, result.articles, result.errors, result.table.num_rows)
    if result.errors:
        with (dataset / ERRORS).open("ab") as fh:
            fh.writelines(orjson.dumps(e) + b"\n" for e in result.errors)
    summary.articles += len(result.articles)
    summary.errors += len(result.errors)
    summary.candidates += result.table.num_rows
    summary.size += result.size
    summary.compute_seconds += result.seconds
    summary.workers.add(result.worker)
    summary.unplaced += result.unplaced


def ingest_corpus(
    paths: Sequence[Path],
    out: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    published: date | None = None,
    lang: str | None = None,
    progress: IO[str] | None = None,
    batch_bytes: int = BATCH_BYTES,
    on_commit: Callable[[BatchSummary], None] | None = None,
) -> BatchSummary:
    """Extract a corpus into the candidates dataset ``out``; resumable, one writer at a time.

    Parameters
    ----------
    paths
        Article files, folders (their ``*.txt``, recursively) and ``.jsonl`` archives.
    out
        The dataset folder (created if missing; the articles it holds are skipped).
    scheduler
        The address of a Dask scheduler (``tcp://host:8786``) to run on.
    workers
        Without ``scheduler``: start a ``LocalCluster`` of this many worker processes. Neither: in-process.
    published, lang
        Defaults for articles that do not give theirs (``lang`` None: detect it).
    progress
        Where to draw the progress bar (stderr), or None.
    batch_bytes
        Article bytes per task and per part.
    on_commit
        Called after each committed batch (tests stop a run there).

    Raises
    ------
    InputError
        If a path is missing, the dataset is in use or corrupt, the options conflict, or the scheduler is unreachable.
    """
    from filelock import FileLock, Timeout

    if scheduler is not None and workers:
        raise InputError("give --scheduler ADDRESS or --workers N, not both")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    files = corpus_files(paths)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: --out must be a folder (a dataset of GeoParquet parts), not a file")
    out.mkdir(parents=True, exist_ok=True)
    lock = FileLock(out / LOCK, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise InputError(f"{out}: another kcm ingest is writing this dataset (its {LOCK} is held)") from None
    try:
        return _run(files, out, scheduler, workers, (published, lang), progress, batch_bytes, on_commit)
    finally:
        lock.release()


def _run(
    files: Sequence[Path],
    out: Path,
    scheduler: str | None,
    workers: int | None,
    defaults: tuple[date | None, str | None],
    progress: IO[str] | None,
    batch_bytes: int,
    on_commit: Callable[[BatchSummary], None] | None,
) -> BatchSummary:
    manifest = open_dataset_dir(out)
    total, total_bytes = count_articles(files)
    bar = _Progress(progress, total)
    start = time.perf_counter()
    with _client(scheduler, workers) as (client, mode), _task_log(client) as tasks:
        summary = BatchSummary(dataset=out, mode=mode, total=total)
        work = batches(
            _todo(files, manifest, summary, defaults), max_bytes=_batch_size(client, batch_bytes, total_bytes)
        )
        results = _in_process(work) if client is None else _on_cluster(client, work)
        for result in results:
            _commit(out, manifest, result, summary)
            summary.seconds = time.perf_counter() - start
            bar.update(summary)
            if on_commit is not None:
                on_commit(summary)
    if tasks is not None:
        summary.cluster_seconds = cluster_compute_seconds(tasks.data)
    write_empty_part(out, manifest)
    write_errors(out, manifest.errors)
    summary.seconds = time.perf_counter() - start
    bar.update(summary, final=True)
    return summary
