"""Places the gazetteer lacks, placed near the known place that encloses them (issue 9).

:func:`geodata.designators.find_designated` finds "the village of Mahmoudiya", «قرية عين عويس». Such a place still
carries events, so it becomes a :class:`~geodata.extract.PlaceMention` of its own (``place_id``
``unresolved:<folded name>``, the name as written) whose coordinate is borrowed from the nearest enclosing known
place the text names, as ACLED does with ``geo_precision``:

0. a feature named after a known place (the airport of «مطار أربيل», "Hawijah Pocket") is near that place: 2;
1. a known place right after the name, joined only by locator words: "in the Tal Afar district", "west of Kirkuk",
   «شمال غربي كركوك», «التابعة إداريا لقضاء سنجار»: ``geo_precision`` 2 (near that place), 3 for a governorate
   or region ("in Kirkuk province");
2. else the nearest known place of the sentence: 2, or 3 when it is a governorate or region;
3. else the latest known place of the paragraph, else the article's most named place: 3 (only the region is known).

Countries and dateline places never anchor (a country says nothing about where a village is, a dateline says
where the reporter is). A name with no anchor is dropped and
reported by name in the extraction's warnings, never silently. A name that the gazetteer knows (any overlap with a
gazetteer mention) keeps its gazetteer place.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from geodata import names as nm
from geodata.designators import DesignatedName, find_designated

if TYPE_CHECKING:
    from geodata.extract import PlaceMention

__all__ = ["UNRESOLVED_PREFIX", "Placed", "place_unresolved"]

UNRESOLVED_PREFIX = "unresolved:"
PRECISION_NEAR = 2  # ACLED: near the named place, or a part of a region
PRECISION_REGION = 3  # ACLED: only a larger region is known
_NEVER_ANCHORS = frozenset({"country", "foreign country"})
_REGIONS = frozenset({"governorate", "region"})
_NEAR_GAP_CHARS = 45
# Features named after a place: the airport, mountain, dam, field or pocket of a town is near that town.
_EPONYM_KINDS = frozenset({"airport", "mountain", "dam", "oil_field", "crossing", "base", "other"})
EPONYM_MIN_SCORE = 0.97  # the name as written or compacted, not a fuzzy guess
# Small places share their names with towns elsewhere: for these, where the text puts them outweighs the gazetteer.
_HOMONYM_KINDS = frozenset({"village", "neighbourhood"})
HOMONYM_KM = 60.0  # a gazetteer place this far from where the text puts it is another place of that name
# Words that may join a name to the place that encloses it ("in the Tal Afar district", «شمال غربي كركوك»).
_LOCATOR_WORDS = frozenset(
    nm.fold(w).replace(" ", "")
    for w in """
    in the of near outside north south east west northeast northwest southeast southwest northern southern eastern
    western central some about km kilometres kilometers miles district province governorate city town area region
    of from
    في قرب بالقرب من شمال جنوب شرق غرب شمالي جنوبي شرقي غربي التابعة التابع اداريا إداريًا ل على بعد كم كيلومتر
    كيلومترات مدينة قضاء محافظة ناحية وسط اطراف أطراف ضواحي ضمن داخل
    """.split()
)
_BREAK_RE = re.compile(r"[.!?؟؛;\n]")


@dataclass(frozen=True, slots=True)
class Placed:
    """The places of an article with the unresolved ones added, and the names dropped for want of an anchor."""

    places: tuple[PlaceMention, ...]
    dropped: tuple[str, ...]


def _gap_is_locator(gap: str) -> bool:
    if len(gap) > _NEAR_GAP_CHARS or _BREAK_RE.search(gap):
        return False
    words = nm.fold(gap).split()
    return all(w in _LOCATOR_WORDS or w.isdigit() for w in words)


def _sentence_of(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in _BREAK_RE.finditer(text, 0, start)), default=0)
    right = _BREAK_RE.search(text, end)
    return left, right.start() if right else len(text)


def _paragraph_of(text: str, start: int) -> tuple[int, int]:
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", start)
    return left, right if right >= 0 else len(text)


def _precision(anchor: PlaceMention) -> int:
    """Near a town: 2; inside a governorate or region: 3."""
    return PRECISION_REGION if anchor.kind in _REGIONS else PRECISION_NEAR


def _anchor(
    text: str, d: DesignatedName, known: Sequence[PlaceMention], main: PlaceMention | None
) -> tuple[PlaceMention, int] | None:
    """Return the known place that encloses ``d`` and the ``geo_precision`` it gives (see the module doc)."""
    after = [p for p in known if p.start >= d.end]
    if after and _gap_is_locator(text[d.end : after[0].start]):
        return after[0], _precision(after[0])
    s_lo, s_hi = _sentence_of(text, d.start, d.end)
    in_sentence = [p for p in known if s_lo <= p.start and p.end <= s_hi]
    if in_sentence:
        best = min(in_sentence, key=lambda p: min(abs(p.start - d.end), abs(d.start - p.end)))
        return best, _precision(best)
    p_lo, _ = _paragraph_of(text, d.start)
    before = [p for p in known if p_lo <= p.start and p.end <= d.start]
    if before:
        return before[-1], PRECISION_REGION
    return (main, PRECISION_REGION) if main is not None else None


def _eponym(d: DesignatedName) -> tuple[PlaceMention, int] | None:
    """Return the known place a feature is named after («مطار أربيل», «جبل سنجار», "Hawijah Pocket"), at 2."""
    if d.kind not in _EPONYM_KINDS:
        return None
    found = _eponym_place(d.name)
    if found is None:
        return None
    from geodata.extract import PlaceMention

    place_id, name, name_ar, lat, lon, admin1, score, kind = found
    return PlaceMention(
        d.name, d.start, d.end, place_id, name, name_ar, lat, lon, admin1, score, kind=kind
    ), PRECISION_NEAR


@lru_cache(maxsize=4096)
def _eponym_place(name: str) -> tuple[str, str, str, float, float, str, float, str] | None:
    """Geocode a feature's name as written: an Iraqi place, exact or compact, unambiguous (cached: names repeat)."""
    from geodata.gazetteer import load_gazetteer
    from geodata.geocode import geocode

    m = geocode(name, lang="ar" if not name.isascii() else "en")
    if m is None or m.ambiguous or m.score < EPONYM_MIN_SCORE or m.kind in _NEVER_ANCHORS:
        return None
    if load_gazetteer().get(m.place_id).country != "IQ":
        return None  # the Havana oil field is not named after Havana, Cuba
    return (m.place_id, m.name, m.name_ar, m.lat, m.lon, m.admin1, m.score, m.kind)


def _main_place(known: Sequence[PlaceMention]) -> PlaceMention | None:
    """Return the article's most named place (the first of equals)."""
    if not known:
        return None
    counts = Counter(p.place_id for p in known)
    top = max(counts.values())
    return next(p for p in known if counts[p.place_id] == top)


def _overlaps(d: DesignatedName, places: Sequence[PlaceMention]) -> bool:
    return any(p.start < d.end and d.start < p.end for p in places)


def _km(a: PlaceMention, b: PlaceMention) -> float:
    lat = math.radians((a.lat + b.lat) / 2)
    dx = (a.lon - b.lon) * math.cos(lat)
    return 111.2 * math.hypot(a.lat - b.lat, dx)


def _far_from(place: PlaceMention, anchor: PlaceMention) -> bool:
    """Whether a gazetteer place is too far from the town the text puts it in to be inside it.

    Governorates are no test: the disputed districts (Makhmur) belong to one in law and another in the gazetteer.
    """
    return anchor.kind not in _REGIONS and _km(place, anchor) > HOMONYM_KM


def _without_homonyms(
    text: str, designated: Sequence[DesignatedName], places: Sequence[PlaceMention]
) -> list[PlaceMention]:
    """Drop a gazetteer reading of a village that the text places far from it.

    "The village of Mahmoudiya in the Tal Afar district" is not Mahmudiyah south of Baghdad: the village becomes
    a place the gazetteer lacks.
    """
    out = list(places)
    for d in designated:
        if d.kind not in _HOMONYM_KINDS:
            continue
        same = [p for p in out if p.start == d.start and p.end == d.end]
        if not same:
            continue
        after = [p for p in out if p.start >= d.end and p.kind not in _NEVER_ANCHORS]
        if after and _gap_is_locator(text[d.end : after[0].start]) and _far_from(same[0], after[0]):
            out.remove(same[0])
    return out


def place_unresolved(text: str, places: Sequence[PlaceMention]) -> Placed:
    """Add to ``places`` (gazetteer mentions, in text order) the designated names the gazetteer lacks.

    Returns the merged places in text order and the names dropped because no known place encloses them.
    """
    from geodata.extract import PlaceMention

    designated = find_designated(text)
    places = _without_homonyms(text, designated, places)
    found = [d for d in designated if not _overlaps(d, places)]
    if not found:
        return Placed(tuple(places), ())
    from geodata.extract import _dateline_places

    dateline = _dateline_places(text, places)  # where the reporter is, not where the village is
    known = [p for k, p in enumerate(places) if p.kind not in _NEVER_ANCHORS and k not in dateline]
    main = _main_place(known)
    added: list[PlaceMention] = []
    dropped: list[str] = []
    for d in found:
        anchored = _eponym(d) or _anchor(text, d, known, main)
        if anchored is None:
            dropped.append(d.name)
            continue
        near, precision = anchored
        arabic = not d.name.isascii()
        added.append(
            PlaceMention(
                d.name,
                d.start,
                d.end,
                UNRESOLVED_PREFIX + "-".join(nm.fold(d.name).split()),
                d.name,
                d.name if arabic else "",
                near.lat,
                near.lon,
                near.admin1,
                0.5,
                False,
                d.kind,
                geo_precision=precision,
                near_place_id=near.place_id,
                near_name=near.name,
            )
        )
    merged = sorted([*places, *added], key=lambda p: p.start)
    return Placed(tuple(merged), tuple(dropped))
