"""Batch ingestion benchmark: ``ingest_corpus`` in-process, on 1 and on 2 Dask workers, against naive baselines.

The corpus is a JSONL archive of synthetic wire items (1-3 kB of Arabic each): sentences of the seed and the
Arabic evaluation articles shuffled under a dateline, with 10 % never-seen words (the generator of
``bench_ingest``), a pool of distinct articles repeated under distinct ids. ``KCM_BENCH_BATCH_N`` sets the number
of articles (default 3000 for a quick run; BENCHMARKS.md reports a run with 100000).

Measured, in one run on the same corpus: wall time and MB/s of each mode (the in-process run is the baseline of
the overhead; one worker the baseline of the scaling), the peak resident memory of each worker process, the
start-up of the LocalCluster, and a naive distribution (one Dask task per article) on a slice.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import tempfile
import time
from itertools import islice
from pathlib import Path

import orjson

from geodata.batch import extract_batch, ingest_corpus, local_cluster
from geodata.corpus import Article
from tests.bench.bench_ingest import _articles, _shuffled

N_DEFAULT = 3000
POOL = 2000
NAIVE_SLICE = 600


def _corpus(path: Path, n: int) -> tuple[int, int]:
    """Write ``n`` synthetic articles as JSONL; return (articles, bytes of text)."""
    rng = random.Random(12)
    sources = _articles()
    pool = [_shuffled(sources, rng.randint(1000, 3000), rng) for _ in range(min(POOL, n))]
    size = 0
    with path.open("wb") as fh:
        for k in range(n):
            text = pool[k % len(pool)]
            size += len(text.encode())
            fh.write(orjson.dumps({"id": f"wire-{k:07d}", "text": text}) + b"\n")
    return n, size


def _peak_rss_mb() -> float:
    """Peak resident memory of this process (run on each worker through ``client.run``)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _one_article(article: Article) -> int:
    return extract_batch([article]).table.num_rows


def _on_cluster(corpus: Path, out: Path, workers: int) -> dict[str, float]:
    t0 = time.perf_counter()
    with local_cluster(workers) as (cluster, client):
        client.run(extract_batch, [])  # import geodata on every worker: part of start-up, not of the work
        startup = time.perf_counter() - t0
        summary = ingest_corpus([corpus], out, scheduler=cluster.scheduler_address)
        rss = list(client.run(_peak_rss_mb).values())
    return {
        "seconds": summary.seconds,
        "mb_s": summary.mb_per_s,
        "candidates": summary.candidates,
        "startup": startup,
        "rss": max(rss),
        "cluster_compute": summary.cluster_seconds or 0.0,
    }


def _naive(corpus: Path, workers: int) -> float:
    """Articles per second with one Dask task per article (no batching), on a slice of the corpus."""
    with corpus.open("rb") as fh:
        records = [orjson.loads(line) for line in islice(fh, NAIVE_SLICE)]
    articles = [Article(r["id"], r["id"], r["text"]) for r in records]
    with local_cluster(workers) as (_, client):
        client.run(extract_batch, [])
        t0 = time.perf_counter()
        client.gather(client.map(_one_article, articles))
        return len(articles) / (time.perf_counter() - t0)


def run() -> str:
    """Measure and return the Markdown section for BENCHMARKS.md."""
    n = int(os.environ.get("KCM_BENCH_BATCH_N", N_DEFAULT))
    tmp = Path(tempfile.mkdtemp(prefix="kcm-bench-batch-"))
    try:
        corpus = tmp / "corpus.jsonl"
        articles, size = _corpus(corpus, n)
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        local = ingest_corpus([corpus], tmp / "local")
        local_rss = _peak_rss_mb()
        one = _on_cluster(corpus, tmp / "one", 1)
        two = _on_cluster(corpus, tmp / "two", 2)
        naive_rate = _naive(corpus, 2)
        took = time.perf_counter() - t0
        load_after = os.getloadavg()[0]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    same = local.candidates == one["candidates"] == two["candidates"]
    rate_two = articles / two["seconds"]
    rows = [
        f"| in-process (baseline) | {local.seconds:.0f} s | {local.mb_per_s:.3f} MB/s | "
        f"{articles / local.seconds:.0f} | 1.00 | {local_rss:.0f} MB (the whole process) |",
        f"| LocalCluster, 1 worker | {one['seconds']:.0f} s | {one['mb_s']:.3f} MB/s | "
        f"{articles / one['seconds']:.0f} | {local.seconds / one['seconds']:.2f} | {one['rss']:.0f} MB |",
        f"| LocalCluster, 2 workers | {two['seconds']:.0f} s | {two['mb_s']:.3f} MB/s | {rate_two:.0f} | "
        f"{local.seconds / two['seconds']:.2f} | {two['rss']:.0f} MB (the larger of the two) |",
    ]
    return "\n".join(
        [
            "## Batch ingestion on Dask (`kcm ingest PATH --out DATASET [--workers N]`)",
            "",
            f"{articles:,} synthetic Arabic wire items ({size / 1e6:.0f} MB, mean {size / articles / 1000:.1f} kB) "
            f"from one JSONL archive; batches of 1 MB per task and per GeoParquet part; the same "
            f"{local.candidates:,} candidates in every mode: {'yes' if same else 'NO'}.",
            "",
            "| mode | wall time | throughput | articles/s | speed vs in-process | peak memory per worker |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"- **Scaling 1 → 2 workers: {one['seconds'] / two['seconds']:.2f}×** "
            f"(load average {load:.1f} before, {load_after:.1f} after, on 2 cores shared with other work).",
            f"- **Overhead of Dask with 1 worker against the in-process run: "
            f"{(one['seconds'] / local.seconds - 1) * 100:+.0f} %** of wall time; the scheduler's task stream "
            f"logged {one['cluster_compute']:.0f} s of compute. LocalCluster start-up (not in the times above): "
            f"{one['startup']:.1f} s for 1 worker, {two['startup']:.1f} s for 2.",
            f"- Naive distribution, one Dask task per article (2 workers, first {min(NAIVE_SLICE, articles)} articles): "
            f"{naive_rate:.0f} articles/s, against {rate_two:.0f} articles/s batched: "
            f"**{rate_two / naive_rate:.1f}×** for batching.",
            f"- Took {took:.0f} s in all.",
        ]
    )


if __name__ == "__main__":
    print(run())
