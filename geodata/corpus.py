"""Corpus reading: article files, folders of ``*.txt`` and JSONL archives in, one :class:`Article` at a time out.

The reader never decodes article bytes itself: decoding (and its errors: empty, binary, undecodable) happens
where the article is extracted, through :func:`geodata.extract.decode_article`, so a worker of a cluster does it
and the client only ships bytes. A JSONL line that cannot be used (bad JSON, no ``id`` or ``text``, a bad date)
becomes a :class:`BadArticle` naming the file and line, and the rest of the corpus goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson

JSONL_SUFFIXES: tuple[str, ...] = (".jsonl", ".ndjson")
LANG_CHOICES: tuple[str, ...] = ("ar", "en", "auto")


@dataclass(frozen=True, slots=True)
class Article:
    """One article to extract: its id, where it came from, and its raw bytes (a file) or its text (JSONL).

    ``source`` is what an accepted event cites: the URL when the archive gives one, else the file path (for a
    JSONL article, ``FILE#ID``).
    """

    article_id: str
    source: str
    data: bytes | str
    published: date | None = None
    lang: str | None = None
    url: str | None = None

    @property
    def size(self) -> int:
        """Size in bytes (UTF-8 for text), for batching and MB/s."""
        return len(self.data) if isinstance(self.data, bytes) else len(self.data.encode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class BadArticle:
    """An article that cannot even be handed to the extractor; ``where`` names the file (and line)."""

    article_id: str
    where: str
    reason: str


def corpus_files(paths: Sequence[Path]) -> list[Path]:
    """Expand the command-line paths: a folder gives its ``*.txt`` files (recursively, sorted), a file itself.

    A path that does not exist is kept: reading it fails as that one article's error, and the rest go on.
    """
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*.txt") if p.is_file()))
        else:
            out.append(path)
    return out


def is_jsonl(path: Path) -> bool:
    """Tell whether a corpus file is a JSONL archive (by its extension)."""
    return path.suffix.lower() in JSONL_SUFFIXES


def count_articles(files: Sequence[Path]) -> tuple[int, int]:
    """Return (articles, bytes) of the corpus without parsing it: a JSONL file counts its non-blank lines."""
    articles = size = 0
    for path in files:
        if not path.is_file():
            articles += 1  # counted as the one error it will give
            continue
        size += path.stat().st_size
        if is_jsonl(path):
            with path.open("rb") as fh:
                articles += sum(1 for line in fh if line.strip())
        else:
            articles += 1
    return articles, size


def read_corpus(files: Iterable[Path]) -> Iterator[Article | BadArticle]:
    """Yield the articles of the corpus files in order (a JSONL file line by line, streamed)."""
    for path in files:
        if is_jsonl(path):
            yield from _jsonl_articles(path)
        else:
            yield _file_article(path)


def _file_article(path: Path) -> Article | BadArticle:
    # the id is the absolute path, so that a rerun from another folder still knows the article
    key, name = str(path.absolute()), str(path)
    from geodata.store.csv_reader import read_regular_file

    try:
        data = read_regular_file(path)  # /dev/zero or a FIFO would be read forever
    except OSError as exc:
        return BadArticle(key, name, f"{name}: cannot read the file ({exc.strerror or exc})")
    return Article(article_id=key, source=name, data=data)


def _jsonl_articles(path: Path) -> Iterator[Article | BadArticle]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield BadArticle(
            str(path.absolute()), str(path), f"{path}: cannot read the file ({exc.strerror or exc})"
        )
        return
    with fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield _jsonl_article(line, path, number)


def _jsonl_article(line: bytes, path: Path, number: int) -> Article | BadArticle:
    """Parse one JSONL line into an article, or say what is wrong with it (naming file, line and field)."""
    where = f"{path}:{number}"
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return BadArticle(where, where, f"{where}: not a JSON object ({exc})")
    if not isinstance(record, dict):
        return BadArticle(where, where, f"{where}: expected a JSON object, got {type(record).__name__}")
    raw_id = record.get("id")
    if not isinstance(raw_id, str | int) or isinstance(raw_id, bool) or not str(raw_id).strip():
        return BadArticle(
            where, where, f"{where}: field 'id' must be a non-empty string or number, got {raw_id!r}"
        )
    article_id = str(raw_id).strip()
    problem = _record_problem(record)
    if problem:
        return BadArticle(article_id, where, f"{where}: {problem}")
    url = record.get("url") or None
    lang = record.get("lang") or None
    return Article(
        article_id=article_id,
        source=url or f"{path}#{article_id}",
        data=record["text"],
        published=date.fromisoformat(record["published"]) if record.get("published") else None,
        lang=None if lang == "auto" else lang,
        url=url,
    )


def _record_problem(record: dict[str, object]) -> str | None:
    """Return what is wrong with a JSONL record's fields (``text``, ``published``, ``lang``, ``url``), or None."""
    text = record.get("text")
    if not isinstance(text, str):
        return f"field 'text' must be a string, got {type(text).__name__}"
    if not text.strip():
        return "field 'text' is empty"
    published = record.get("published")
    if published not in (None, "") and not _is_iso_date(published):
        return f"field 'published' must be a date as YYYY-MM-DD, got {published!r}"
    lang = record.get("lang")
    if lang not in (None, "", *LANG_CHOICES):
        return f"field 'lang' must be one of {', '.join(LANG_CHOICES)}, got {lang!r}"
    url = record.get("url")
    if url is not None and not isinstance(url, str):
        return f"field 'url' must be a string, got {type(url).__name__}"
    return None


def _is_iso_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
