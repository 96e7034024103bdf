"""Run the benchmarks and write their sections into BENCHMARKS.md.

Usage: ``python -m tests.bench [NAME ...]``, where NAME is a module ``tests/bench/bench_NAME.py``.
Each module has ``run() -> str`` that returns a Markdown section. Only the sections run are replaced.
"""

from __future__ import annotations

import importlib
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "BENCHMARKS.md"
HEADER = """# Benchmarks

Produced by `make bench` (`python -m tests.bench [NAME ...]`). Every figure is measured against a naive baseline in the
same run, on the same data; trust the ratios more than the absolute times (the machine has 2 cores and is noisy).
Do not edit by hand: the sections between the markers are rewritten by the runner.
"""


def _available() -> list[str]:
    here = Path(__file__).parent
    return sorted(p.stem.removeprefix("bench_") for p in here.glob("bench_*.py"))


def _replace_section(text: str, name: str, body: str) -> str:
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _m: block, text)
    return text.rstrip() + "\n\n" + block + "\n"


def _write_section(name: str, body: str) -> None:
    """Replace one section of BENCHMARKS.md, re-reading the file so that concurrent runs keep each other's sections."""
    text = OUT.read_text(encoding="utf-8") if OUT.exists() else HEADER
    fd, tmp = tempfile.mkstemp(dir=ROOT, prefix=".BENCHMARKS.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(_replace_section(text, name, body))
    os.replace(tmp, OUT)


def main(argv: list[str]) -> int:
    """Run the named benchmarks (default: all) and update BENCHMARKS.md atomically."""
    names = argv or _available()
    unknown = sorted(set(names) - set(_available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(_available())}", file=sys.stderr)
        return 2
    for name in names:
        print(f"== bench {name}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        body = importlib.import_module(f"tests.bench.bench_{name}").run()
        stamp = (
            f"\n\n_Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; took {time.perf_counter() - t0:.0f} s._"
        )
        print(body + stamp, flush=True)
        _write_section(name, body + stamp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
