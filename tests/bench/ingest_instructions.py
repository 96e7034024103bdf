"""Instructions, not seconds: news-length ``kcm ingest`` of today's code against :data:`bench_ingest.BASELINE`.

Usage: ``python -m tests.bench.ingest_instructions [FILES]`` (needs valgrind; about five minutes; not part of
``make bench``). On a shared machine CPU time varies by 15 % from run to run; the number of instructions a process
executes (valgrind ``cachegrind``, ``I refs``) does not. Each version ingests the 50 warm-up files and then FILES
(default 100) of the benchmark's news-length files, once with all of them and once with only the first; the
difference is the instructions of the others, so start-up, imports and the warm-up cancel out.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bench.bench_ingest import (
    BASELINE,
    NEWS_SEED,
    ROOT,
    RUNNER,
    _baseline_tree,
    _listing,
    _news_files,
)

_REFS_RE = re.compile(r"I\s+refs:\s+([\d,]+)")


def _instructions(root: Path, listing: Path, warm: Path, out: Path, options: tuple[str, ...]) -> int:
    """Instructions executed by one ``kcm ingest`` process of the code under ``root`` (warm-up included)."""
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        str(RUNNER),
        str(root),
        str(out),
        str(listing),
        str(warm),
        "--",
        *options,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    found = _REFS_RE.search(done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output: {done.stderr[-500:]}")
    return int(found.group(1).replace(",", ""))


def main(count: int = 100) -> str:
    """Return a line with the instructions of ``count - 1`` news-length files, before and now, and the ratio."""
    with tempfile.TemporaryDirectory(prefix="kcm-bench-instr-") as tmp:
        folder = Path(tmp)
        (folder / "news").mkdir()
        _news_files(folder / "news", random.Random(NEWS_SEED))
        files = sorted(str(p) for p in (folder / "news").glob("*.txt"))
        warm = _listing(folder, "warm", files[:50])
        measured = files[100 : 100 + count]
        many, one = _listing(folder, "many", measured), _listing(folder, "one", measured[:1])
        base = _baseline_tree(folder / "base")
        per_version = {}
        for name, root, options in (("before", base, ()), ("now", ROOT, ("--workers", "1"))):
            out = folder / f"{name}.jsonl"
            total = _instructions(root, many, warm, out, options)
            per_version[name] = total - _instructions(root, one, warm, out, options)
    before, now = per_version["before"], per_version["now"]
    return (
        f"{count - 1} news-length files: {before / 1e9:.3f} G instructions before (commit {BASELINE[:7]}), "
        f"{now / 1e9:.3f} G now: {before / now:.2f}×"
    )


if __name__ == "__main__":
    print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
