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
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

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
_SENTENCE_WINDOW = 512


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
    """Return the sentence around ``start:end``.

    The break before is searched backwards a window at a time: a scan from the text's start for every name made
    long texts quadratic.
    """
    left, pos = 0, start
    while pos > 0:
        lo = max(0, pos - _SENTENCE_WINDOW)
        breaks = [m.end() for m in _BREAK_RE.finditer(text, lo, pos)]
        if breaks:
            left = breaks[-1]
            break
        pos = lo
    right = _BREAK_RE.search(text, end)
    return left, right.start() if right else len(text)


def _between(places: Sequence[PlaceMention], starts: list[int], lo: int, hi: int) -> Sequence[PlaceMention]:
    """Return the places (in text order, ``starts`` their starts) that start in ``[lo, hi)``, by bisection."""
    return places[bisect_left(starts, lo) : bisect_left(starts, hi)]


def _paragraph_of(text: str, start: int) -> tuple[int, int]:
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", start)
    return left, right if right >= 0 else len(text)


def _precision(anchor: PlaceMention) -> int:
    """Near a town: 2; inside a governorate or region: 3."""
    return PRECISION_REGION if anchor.kind in _REGIONS else PRECISION_NEAR


def _attached(
    text: str, d: DesignatedName, known: Sequence[PlaceMention], starts: list[int]
) -> PlaceMention | None:
    """Return the known place right after ``d``, joined only by locator words ("in the Tal Afar district")."""
    first_after = bisect_left(starts, d.end)
    if first_after < len(known) and _gap_is_locator(text[d.end : known[first_after].start]):
        return known[first_after]
    return None


def _anchor(
    text: str, d: DesignatedName, known: Sequence[PlaceMention], starts: list[int], main: PlaceMention | None
) -> tuple[PlaceMention, int] | None:
    """Return the known place that encloses ``d`` and the ``geo_precision`` it gives (see the module doc).

    ``known`` is in text order and ``starts`` are its starts: each question is a bisection, not a scan.
    """
    attached = _attached(text, d, known, starts)
    if attached is not None:
        return attached, _precision(attached)
    s_lo, s_hi = _sentence_of(text, d.start, d.end)
    in_sentence = [p for p in _between(known, starts, s_lo, s_hi + 1) if p.end <= s_hi]
    if in_sentence:
        best = min(in_sentence, key=lambda p: min(abs(p.start - d.end), abs(d.start - p.end)))
        return best, _precision(best)
    p_lo, _ = _paragraph_of(text, d.start)
    before = [p for p in _between(known, starts, p_lo, d.start + 1) if p.end <= d.start]
    if before:
        return before[-1], PRECISION_REGION
    return (main, PRECISION_REGION) if main is not None else None


def _eponym(d: DesignatedName) -> tuple[PlaceMention, int] | None:
    """Return the known place a feature is named after («مطار أربيل», «جبل سنجار», "Hawijah Pocket"), at 2."""
    if d.kind not in _EPONYM_KINDS:
        return None
    found = _eponym_place(d.name)
    return (_mention_at(d, found), PRECISION_NEAR) if found is not None else None


_Found = tuple[
    str, str, str, float, float, str, float, str
]  # id, name, Arabic name, lat, lon, admin1, score, kind


def _mention_at(d: DesignatedName, found: _Found) -> PlaceMention:
    """Return the gazetteer place ``found`` as a mention at the designated name's span."""
    from geodata.extract import PlaceMention

    place_id, name, name_ar, lat, lon, admin1, score, kind = found
    return PlaceMention(d.name, d.start, d.end, place_id, name, name_ar, lat, lon, admin1, score, kind=kind)


def _iraqi_match(name: str, accept: Callable[[Any], bool]) -> _Found | None:
    """Geocode a name as written; return the match when it is unambiguous, Iraqi and ``accept`` takes it."""
    from geodata.gazetteer import load_gazetteer
    from geodata.geocode import geocode

    m = geocode(name, lang="ar" if not name.isascii() else "en")
    if m is None or m.ambiguous or not accept(m):
        return None
    if load_gazetteer().get(m.place_id).country != "IQ":
        return None  # the Havana oil field is not named after Havana, Cuba
    return (m.place_id, m.name, m.name_ar, m.lat, m.lon, m.admin1, m.score, m.kind)


@lru_cache(maxsize=4096)
def _eponym_place(name: str) -> _Found | None:
    """Return the place a feature is named after: exact or compact, never a fuzzy guess (cached: names repeat)."""
    return _iraqi_match(name, lambda m: m.score >= EPONYM_MIN_SCORE and m.kind not in _NEVER_ANCHORS)


# Settlements whose misspelt name after a designator («بلدة طوزخوماتو», "the town of Khanaquin") is the gazetteer's.
_SETTLEMENT_KINDS = frozenset({"town", "city", "village", "district", "subdistrict"})
MISSPELT_MIN_CHARS = 7  # letters of the name (no spaces): shorter names are too close to other words


def _misspelt(d: DesignatedName) -> PlaceMention | None:
    """Return the gazetteer settlement a designated name is one edit away from, else None.

    The designator says a settlement follows, so a one-edit spelling of a known Iraqi settlement is that
    settlement (the geocoder's bounded fuzzy match), not a village of its own.
    """
    if d.kind not in _SETTLEMENT_KINDS or len(d.name.replace(" ", "")) < MISSPELT_MIN_CHARS:
        return None
    found = _misspelt_place(d.name)
    return _mention_at(d, found) if found is not None else None


@lru_cache(maxsize=4096)
def _misspelt_place(name: str) -> _Found | None:
    """Return a one-edit misspelling's Iraqi settlement (cached: names repeat).

    A name as written that is still here was refused as a far homonym: it stays refused.
    """
    return _iraqi_match(name, lambda m: m.kind in _SETTLEMENT_KINDS and m.score < EPONYM_MIN_SCORE)


def _main_place(known: Sequence[PlaceMention]) -> PlaceMention | None:
    """Return the article's most named place (the first of equals)."""
    if not known:
        return None
    counts = Counter(p.place_id for p in known)
    top = max(counts.values())
    return next(p for p in known if counts[p.place_id] == top)


def _overlaps(d: DesignatedName, places: Sequence[PlaceMention], starts: list[int], longest: int) -> bool:
    """Whether a place (in text order; ``longest`` the longest mention) overlaps ``d``."""
    return any(d.start < p.end for p in _between(places, starts, d.start - longest, d.end))


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
    starts = [p.start for p in out]
    drop: set[int] = set()
    for d in designated:
        if d.kind not in _HOMONYM_KINDS:
            continue
        lo = bisect_left(starts, d.start)
        same = [k for k in range(lo, bisect_right(starts, d.start)) if k not in drop and out[k].end == d.end]
        if not same:
            continue
        after = (
            out[k]
            for k in range(bisect_left(starts, d.end), len(out))
            if k not in drop and out[k].kind not in _NEVER_ANCHORS
        )
        first = next(after, None)
        if first is not None and _gap_is_locator(text[d.end : first.start]):
            near = first
        else:
            near = _nearest_in_sentence(text, d, out, same[0])
        if near is not None and _far_from(out[same[0]], near):
            drop.add(same[0])
    return [p for k, p in enumerate(out) if k not in drop]


_NEIGHBOUR_CHARS = 120  # how far in its sentence a known place may be to say where a village is


def _nearest_in_sentence(
    text: str, d: DesignatedName, places: Sequence[PlaceMention], own: int
) -> PlaceMention | None:
    """Return the closest other known place of the village's sentence, within reach, else None.

    "Entered Rabia, after seizing the villages of As-Saudiyah and Mahmudiyah": Rabia. Countries, regions and
    government seats say nothing of where a village is.
    """
    from geodata.extract import _GOVERNMENT_SEATS

    lo, hi = _sentence_of(text, d.start, d.end)
    near = [
        p
        for k, p in enumerate(places)
        if k != own
        and lo <= p.start
        and p.end <= hi
        and p.kind not in _NEVER_ANCHORS | _REGIONS
        and p.place_id not in _GOVERNMENT_SEATS
        and min(abs(p.start - d.end), abs(d.start - p.end)) <= _NEIGHBOUR_CHARS
    ]
    return min(near, key=lambda p: min(abs(p.start - d.end), abs(d.start - p.end)), default=None)


def place_unresolved(text: str, places: Sequence[PlaceMention]) -> Placed:
    """Add to ``places`` (gazetteer mentions, in text order) the designated names the gazetteer lacks.

    Returns the merged places in text order and the names dropped because no known place encloses them.
    """
    from geodata.extract import PlaceMention

    designated = find_designated(text)
    places = _without_homonyms(text, designated, places)
    starts = [p.start for p in places]
    longest = max((p.end - p.start for p in places), default=0)
    found = [d for d in designated if not _overlaps(d, places, starts, longest)]
    if not found:
        return Placed(tuple(places), ())
    from geodata.extract import _dateline_places

    dateline = _dateline_places(text, places)  # where the reporter is, not where the village is
    known = [p for k, p in enumerate(places) if p.kind not in _NEVER_ANCHORS and k not in dateline]
    known_starts = [p.start for p in known]
    main = _main_place(known)
    added: list[PlaceMention] = []
    dropped: list[str] = []
    for d in found:
        same = _misspelt(d)
        if same is not None:
            attached = _attached(text, d, known, known_starts) or _nearest_in_sentence(text, d, known, -1)
            if attached is None or not _far_from(same, attached):
                added.append(
                    same
                )  # «بلدة طوزخوماتو» is Tuz Khurmatu; "Mahmoudiya in the Tal Afar district" is not
                continue
        eponym = _eponym(d)
        anchored = eponym or _anchor(text, d, known, known_starts, main)
        if anchored is None:
            dropped.append(d.name)
            continue
        near, precision = anchored
        arabic = not d.name.isascii()
        start, name = d.start, d.name
        if eponym is not None and d.head >= 0:
            # a feature named after a known place («مصفى كركوك»): its name is the designator and the place's
            start = d.head
            name = text[start : d.end]
        added.append(
            PlaceMention(
                name,
                start,
                d.end,
                UNRESOLVED_PREFIX + "-".join(nm.fold(name).split()),
                name,
                name if arabic else "",
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
