"""One ``kcm ingest FILE...`` call of the code under a given root, timed: the worker of ``bench_ingest``.

Usage: ``python tests/bench/ingest_run.py ROOT OUT LIST [WARM] [-- OPTION...]``. ROOT is a source tree (this checkout, or today's
baseline code unpacked from git by the benchmark); its ``geodata`` is imported, not the installed one, so that two
versions run side by side in one benchmark, each in its own process. LIST holds the article paths, one a line;
stdout goes to OUT (the JSON lines, compared byte for byte) and stderr is dropped. With WARM (a second list),
those files are ingested first and not timed (gazetteer, indexes, imports). The OPTIONs go to ``kcm ingest``
(``--workers 1``). Prints one JSON object: ``{"cpu": seconds, "wall": seconds, "code": exit code,
"children_cpu": seconds}``, the last the CPU time of the worker processes the call started and ended.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import time
from pathlib import Path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ingest(files: list[str], out: Path, options: list[str]) -> dict[str, float]:
    from geodata.cli import main

    with out.open("wb") as fh:
        stdout = io.TextIOWrapper(fh, encoding="utf-8")
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
            cpu, wall, children = time.process_time(), time.perf_counter(), _children_cpu()
            code = main(["ingest", *options, *files])
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            stdout.flush()
    return {"cpu": cpu, "wall": wall, "code": code, "children_cpu": _children_cpu() - children}


def run(
    root: Path, out: Path, listing: Path, warm: Path | None = None, options: list[str] | None = None
) -> dict[str, float]:
    """Ingest the files named in ``listing`` with the ``geodata`` of ``root``; return the CPU and wall seconds."""
    sys.path.insert(0, str(root))
    if warm is not None:
        _ingest(warm.read_text(encoding="utf-8").splitlines(), out, options or [])
    return _ingest(listing.read_text(encoding="utf-8").splitlines(), out, options or [])


if __name__ == "__main__":
    given, options = sys.argv[1:], []
    if "--" in given:
        given, options = given[: given.index("--")], given[given.index("--") + 1 :]
    print(json.dumps(run(*(Path(a) for a in given), options=options)))
