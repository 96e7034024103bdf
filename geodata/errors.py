"""Exception hierarchy of the data layer: small, specific, and naming the input."""

from __future__ import annotations

from dataclasses import dataclass


class GeodataError(Exception):
    """Base class of every error raised on purpose by :mod:`geodata`."""


class PlaceNotFound(GeodataError, LookupError):
    """A place id or name is not in the gazetteer."""


class GazetteerError(GeodataError, ValueError):
    """The packaged gazetteer or a curated places file is malformed."""


class InputError(GeodataError, ValueError):
    """A user-supplied value (a name, a date, an option) cannot be used."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, located as precisely as the input allows.

    ``line`` is 1-based and counts the header as line 1; ``column`` is a column name.
    """

    file: str
    line: int | None
    column: str | None
    message: str
    value: object = None

    def __str__(self) -> str:
        where = _printable(self.file)
        if self.line is not None:
            where += f":{self.line}"
        if self.column is not None:
            where += f":{_printable(self.column)}"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" ({self.value!r})"
        return text


def _printable(name: str) -> str:
    """Quote a file or column name with control, bidi or line-breaking characters, so a message stays one line."""
    return name if name.isprintable() else repr(name)


class EventValidationError(GeodataError, ValueError):
    """An events file or row failed validation; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:50])
        more = len(self.problems) - 50
        if more > 0:
            shown += f"\n... and {more} more problem(s)"
        super().__init__(shown)


class ExportError(GeodataError, ValueError):
    """An export was asked for with an unknown format or an unusable target."""


class CacheError(GeodataError, OSError):
    """The cache folder (``KCM_CACHE``) cannot hold a validated copy: not writable, or the disk is full."""


class ArticleError(GeodataError, ValueError):
    """An article file cannot be read as text (empty, binary, undecodable)."""


class BatchError(GeodataError, RuntimeError):
    """A batch ingestion run could not go on (its cluster failed); what it committed is kept."""
