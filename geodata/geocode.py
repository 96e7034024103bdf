"""Geocoding of Arabic and English place names, and geoparsing of running text, against the gazetteer.

A name is looked up at four key levels of :mod:`geodata.names` (exact, compact, phonetic, skeleton), with Arabic
proclitics stripped when the name as written is not found, then by a bounded fuzzy match (one edit, Iraqi places
only, never an adjective or plural of a name). The longest name wins. A name shared by several places comes back
flagged ``ambiguous`` with its alternatives; it is never resolved silently.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rapidfuzz.distance import OSA, Indel

from geodata import names as nm
from geodata.errors import InputError
from geodata.gazetteer import SETTLEMENT_KINDS, Gazetteer, Place, load_gazetteer
from geodata.mention_context import (
    DUAL_HEADS,
    MentionSite,
    arabic_head,
    continues_list,
    governorate_context,
    non_place_reason,
)
from geodata.text import haversine_km

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 200  # no place name is longer; longer input is text, not a name
MAX_NAME_TOKENS = 8
SKELETON_MIN = 5  # skeleton keys shorter than this collide with ordinary words (دقيق ~ داقوق)
RUNNING_SKELETON_MIN = 6  # stricter in running text, where every word is a candidate
FUZZY_MIN = 6  # shortest compact key that may be matched with one edit
FOREIGN_EXACT_BELOW = 9  # a shorter Arabic word matches a foreign name only as written (بأنه is not Baneh)

SCORE_EXACT = 1.0
SCORE_COMPACT = 0.97
SCORE_PHONETIC = 0.94
SCORE_SKELETON = 0.88
SCORE_FUZZY = 0.8
PENALTY_ARTICLE = 0.01  # the name matched without its article (موصل for الموصل)
PENALTY_CLITIC = 0.03  # a proclitic had to be stripped from the query (بكركوك)
PENALTY_DESIGNATOR = 0.01  # a generic word was stripped (مدينة كركوك, Kirkuk city)
AMBIGUOUS_SCORE_CAP = 0.5
SAME_PLACE_KM = 5.0  # two gazetteer entries of one name this close are the same place (GeoNames duplicates)

# Names that GeoNames gives to Iraqi places but that, in Arabic or English text, are ordinary words or personal
# names ("the city", "the neighbourhood", "the flag", "country", "the roles"); keys as produced by names.name_key.
COMMON_WORDS = frozenset(
    # Arabic: ordinary words and personal names (keys, i.e. without hamza, ة as ه, ى as ي). Found by reading the
    # gazetteer's one-word names against an Arabic word list (ayaspell, via the npm package @cspell/dict-ar).
    """
    المدينه مدينه الحي حي العلم علم بلد البلد الدور دور عراق القاسم قاسم الحمزه حمزه الشو كلك شورش خبات ديانا
    الريحانه ريحانه المسيب مسيب الجديده القديمه وان دو بن سن بم قم رس شفا الشفا كفر خبر الخبر باب الباب التل
    حضر امل اشرف بيان سلمان السلمان حرير ثوره الثوره قدس القدس زور الزور سده برز البرز وند جاي عشاق سلط
    مفرق المفرق ساوه خرج الخرج جوار بستان البستان امان الام يلام ديانه بركه طبقه الطبقه هنديه الهنديه
    شاميه الشاميه سلميه السلميه زرقا الزرقا ساري عنه عماره قوم موش حولي باحه الباحه سلوي احمدي الاحمدي
    عباسي العباسي رفاعي الرفاعي رحيمه سويديه السويديه هاشميه الهاشميه محمديه عثمانيه عثمانيي
    ميمونه الميمونه مباركه مالكيه المالكيه الخالص خالص سليماني القريات ازاديه رزكاري الميادين ميادين
    سوسه السوسه رابيه الرابيه بانه اراك ايوان ابيك خوي كلس هجين صبيا عقبه العقبه قريات مبرز المبرز ثقبه
    الثقبه جهرا دسمه ضليل ظليل الضليل الظليل سفيره السفيره رصيفه بريده جده حديثه زاويته رطبه شطره قرنه بحركه
    زبير رياض موصول مشهد تاميم حايل تدمر حماه عمان ركبان سنه بشير فرات سعديه
    """.split()
    # Latin: English words and personal names that GeoNames also lists as place names
    + """
    hit ana al side man sam sali ali ahmad ahmadi ahmedi hamid kasim qasim salman zuhair soma sari rest sham
    pas kom bam ban big cal do dur hai hero kiye koma mus mush pera sina sis sok tall tell une van wan zil salt
    homo ama aba ari rast russ fatih sadr soleimani suleimani sulaimaniy bashir jazeera jazira
    """.split()
)

_KIND_RANK = {
    "foreign country": 7,
    "city": 6,
    "town": 5,
    "base": 4,
    "airport": 4,
    "oil field": 4,
    "dam": 4,
    "crossing": 4,
    "governorate": 3,
    "region": 2,
    "country": 1,
}
# Generic words before or after a name that say which kind of place it is (keys, i.e. folded).
_DESIGNATORS: dict[tuple[str, bool], str] = {
    **{
        (w, True): "settlement"
        for w in ("مدينه", "بلده", "قضا", "ناحيه", "قريه", "مركز", "city of", "town of")
    },
    **{
        (w, False): "settlement"
        for w in ("city", "town", "district", "subdistrict", "sub district", "village")
    },
    **{(w, True): "governorate" for w in ("محافظه", "province of", "governorate of")},
    **{(w, False): "governorate" for w in ("governorate", "province")},
    **{(w, True): "crossing" for w in ("منفذ", "معبر", "منفذ حدود", "معبر حدود")},
    **{(w, False): "crossing" for w in ("crossing", "border crossing", "border")},
    **{(w, True): "base" for w in ("قاعده", "camp")},
    **{(w, False): "base" for w in ("air base", "airbase", "base", "military base")},
    **{(w, True): "airport" for w in ("مطار",)},
    **{(w, False): "airport" for w in ("airport", "international airport")},
    **{(w, True): "oil field" for w in ("حقل",)},
    **{(w, False): "oil field" for w in ("oil field", "oilfield", "field")},
    **{(w, True): "dam" for w in ("سد",)},
    **{(w, False): "dam" for w in ("dam",)},
    # «كردستان العراق», "Kurdistan Region of Iraq": an Iraqi place named with its country (in running text the two
    # are two mentions, as the real-text gold has them)
    **{(w, False): "iraqi" for w in ("العراق", "of iraq")},
}
# The kinds each designator admits: "منفذ فيشخابور" is the crossing at the town, but "سد الموصل" is never the city.
_DESIGNATED_KINDS = {
    "settlement": frozenset({"city", "town"}),
    "crossing": frozenset({"crossing", "town"}),
    "base": frozenset({"base", "airport"}),
    "airport": frozenset({"airport"}),
    "oil field": frozenset({"oil field"}),
    "dam": frozenset({"dam"}),
}
_LEADING_WORDS = ("the ",)
# Word endings that make another word of a name: the nisba adjective, taa marbuta, plurals, case endings.
_ENDINGS = frozenset({"ي", "يه", "يون", "يين", "ين", "ه", "ا", "ات", "i", "is", "s", "a"})

# "Kirkuk Air Base" means the airport (Al-Hurriya) in October 2017 Iraqi statements and K-1 in later coalition
# documents (PLACES.md, Traps). A context date inside a window picks that reading; the other stays an alternative.
_DATED_READINGS: dict[str, tuple[tuple[date, date, str], ...]] = {
    key: (
        (date(2017, 9, 1), date(2017, 12, 31), "kcm:kirkuk-airport"),
        (date(2018, 1, 1), date(2100, 1, 1), "kcm:k1-air-base"),
    )
    for key in ("kirkuk air base", "kirkuk airbase", "قاعده كركوك الجويه", "قاعده كركوك العسكريه")
}


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another place a name could mean."""

    place_id: str
    name: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-able form."""
        return {"place_id": self.place_id, "name": self.name, "score": self.score}


@dataclass(frozen=True, slots=True)
class Match:
    """The place a name resolved to.

    Attributes
    ----------
    query
        The text as given.
    place_id, name, name_ar, lat, lon, admin1, kind
        The chosen place, as in the gazetteer.
    score
        Confidence in 0..1 (1 = a known name as written; capped at 0.5 when ambiguous).
    matched
        The gazetteer name that matched.
    alternatives
        Other places the name could mean, best first.
    ambiguous
        True when the name fits several places and nothing in the context decided between them.
    """

    query: str
    place_id: str
    name: str
    name_ar: str
    lat: float
    lon: float
    admin1: str
    kind: str
    score: float
    matched: str
    alternatives: tuple[Alternative, ...] = ()
    ambiguous: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-able form printed by ``kcm geocode``."""
        return {
            "query": self.query,
            "place_id": self.place_id,
            "name": self.name,
            "name_ar": self.name_ar,
            "lat": self.lat,
            "lon": self.lon,
            "admin1": self.admin1,
            "kind": self.kind,
            "score": self.score,
            "matched": self.matched,
            "alternatives": [a.to_dict() for a in self.alternatives],
            "ambiguous": self.ambiguous,
        }


@dataclass(frozen=True, slots=True)
class Mention:
    """A place name found in running text; ``start``/``end`` index the original text."""

    start: int
    end: int
    text: str
    match: Match


# ---------------------------------------------------------------- the index

_Hit = tuple[int, float, str]  # place index, score, gazetteer name that matched


@dataclass
class _Index:
    places: tuple[Place, ...]
    iraqi: tuple[bool, ...]
    exact: dict[str, dict[int, tuple[float, str]]] = field(default_factory=dict)
    compact: dict[str, dict[int, tuple[float, str]]] = field(default_factory=dict)
    phonetic: dict[str, dict[int, tuple[float, str]]] = field(default_factory=dict)
    skeleton: dict[str, dict[int, tuple[float, str]]] = field(default_factory=dict)
    # first token of a multi-token exact key -> most tokens of such a key
    starts: dict[str, int] = field(default_factory=dict)
    # first tokens of multi-token names of Iraqi places: only these are looked up at the loose levels
    iraqi_starts: set[str] = field(default_factory=set)
    governorate_of: dict[str, int] = field(default_factory=dict)
    # an Iraqi town or city -> the governorate named after it (Kirkuk -> Kirkuk Governorate)
    seat_governorate: dict[int, int] = field(default_factory=dict)
    by_id: dict[str, int] = field(default_factory=dict)
    _deletions: dict[str, set[str]] | None = None
    _light: dict[int, frozenset[str]] = field(default_factory=dict)

    def add(
        self, table: dict[str, dict[int, tuple[float, str]]], key: str, idx: int, score: float, name: str
    ) -> None:
        slot = table.setdefault(key, {})
        old = slot.get(idx)
        if old is None or score > old[0]:
            slot[idx] = (score, name)

    def light_names(self, idx: int) -> frozenset[str]:
        """Return the place's names with only diacritics removed (to match neighbouring places exactly)."""
        names = self._light.get(idx)
        if names is None:
            names = self._light[idx] = frozenset(nm.light_fold(n) for n in self.places[idx].names)
        return names

    def deletions(self) -> dict[str, set[str]]:
        """Single-deletion neighbourhood of the compact keys of Iraqi places (built on first fuzzy lookup)."""
        if self._deletions is None:
            table: dict[str, set[str]] = {}
            for key, slot in self.compact.items():
                if len(key) < FUZZY_MIN - 1 or not any(self.iraqi[i] for i in slot):
                    continue
                table.setdefault(key, set()).add(key)
                for j in range(len(key)):
                    table.setdefault(key[:j] + key[j + 1 :], set()).add(key)
            self._deletions = table
        return self._deletions


@functools.lru_cache(maxsize=4)
def _index_for(gaz: Gazetteer) -> _Index:
    places = tuple(gaz)
    index = _Index(places=places, iraqi=tuple(p.country == "IQ" for p in places))
    for idx, place in enumerate(places):
        index.by_id[place.id] = idx
        if place.kind == "governorate":
            index.governorate_of[place.admin1] = idx
        for name in place.names:
            key = nm.name_key(name)
            if not key:
                continue
            for variant, penalty in ((key, 0.0), (nm.strip_article(key), PENALTY_ARTICLE)):
                if variant in COMMON_WORDS or (penalty and variant == key):
                    continue
                index.add(index.exact, variant, idx, SCORE_EXACT - penalty, name)
                tokens = variant.split(" ")
                if len(tokens) > 1:
                    index.starts[tokens[0]] = max(index.starts.get(tokens[0], 0), len(tokens))
                    if index.iraqi[idx]:
                        index.iraqi_starts.add(tokens[0])
                index.add(index.compact, nm.compact_key(variant), idx, SCORE_COMPACT - penalty, name)
                if index.iraqi[idx]:
                    # loose levels only for Iraq: Abadi (a person) is not Abadeh in Iran
                    index.add(index.phonetic, nm.phonetic_key(variant), idx, SCORE_PHONETIC - penalty, name)
            stripped = nm.strip_article(key)
            if index.iraqi[idx] and stripped not in COMMON_WORDS:
                skel = nm.skeleton_key(stripped)
                if len(skel) >= SKELETON_MIN:
                    index.add(index.skeleton, skel, idx, SCORE_SKELETON, name)
    _find_seats(index)
    return index


def _find_seats(index: _Index) -> None:
    """Map each governorate seat to its governorate.

    A seat is a town of the governorate named as the governorate without its designator ("Kirkuk Governorate").
    """
    for gov, place in enumerate(index.places):
        if place.kind != "governorate":
            continue
        bare = {_split_designator(nm.name_key(n))[0] for n in place.names}
        for idx, town in enumerate(index.places):
            if town.kind in SETTLEMENT_KINDS and town.country == "IQ" and town.admin1 == place.admin1:
                if any(nm.name_key(n) in bare for n in town.names):
                    index.seat_governorate[idx] = gov


def _index(gazetteer: Gazetteer | None) -> _Index:
    return _index_for(gazetteer if gazetteer is not None else load_gazetteer())


# ---------------------------------------------------------------- lookup


def _hits_for_key(
    index: _Index, key: str, *, loose: bool = True, skeleton_min: int = SKELETON_MIN
) -> list[_Hit]:
    """Hits of one key at the strictest level that has any (skeleton keys of at least ``skeleton_min`` letters)."""
    slot = index.exact.get(key)
    if slot:
        return [(i, s, n) for i, (s, n) in slot.items()]
    if not loose:
        return []
    if " " in key or key.isascii() or nm.has_latin(key):
        compact, phonetic = nm.compact_key(key), nm.phonetic_key(key)
        skel = nm.skeleton_key(nm.strip_article(key))
    else:
        # one Arabic word, the hot path of geoparsing: the same keys, computed directly
        compact = phonetic = key
        if "وو" in key or "يي" in key:
            phonetic = nm.phonetic_key(key)
        skel = nm.arabic_skeleton(nm.strip_article(key))
    for table, k in ((index.compact, compact), (index.phonetic, phonetic)):
        slot = table.get(k)
        if slot:
            return [(i, s, n) for i, (s, n) in slot.items()]
    if len(skel) >= skeleton_min:
        slot = index.skeleton.get(skel)
        if slot:
            return [(i, s, n) for i, (s, n) in slot.items()]
    return []


def _lookup(
    index: _Index,
    key: str,
    *,
    arabic_clitics: bool = True,
    loose: bool = True,
    skeleton_min: int = SKELETON_MIN,
) -> list[_Hit]:
    """Hits of a key as written, else with Arabic proclitics stripped (best score per place)."""
    hits = _hits_for_key(index, key, loose=loose, skeleton_min=skeleton_min)
    if hits and max(h[1] for h in hits) >= SCORE_COMPACT:
        return hits
    if arabic_clitics and "\u0600" <= key[:1] <= "\u06ff":
        best: dict[int, _Hit] = {h[0]: h for h in hits}
        for variant in nm.clitic_variants(key):
            article = "ال" in key[: len(key) - len(variant)] and not variant.startswith("ال")
            for i, s, n in _hits_for_key(index, variant, loose=loose, skeleton_min=skeleton_min):
                if article and index.places[i].kind == "country":
                    continue  # السورية is "the Syrian": a country without ال in its name takes no article
                s -= PENALTY_CLITIC
                if i not in best or s > best[i][1]:
                    best[i] = (i, s, n)
            if best and max(h[1] for h in best.values()) >= SCORE_EXACT - PENALTY_CLITIC - PENALTY_ARTICLE:
                break
        return list(best.values())
    return hits


def _fuzzy(index: _Index, key: str) -> list[_Hit]:
    """One-edit matches of the compact key against Iraqi names; never adjectives or plurals of a name."""
    compact = nm.compact_key(key)
    if len(compact) < FUZZY_MIN or key.count(" ") > 2 or any(ch.isdigit() for ch in compact):
        return []
    table = index.deletions()
    found: set[str] = set()
    for probe in {compact, *(compact[:j] + compact[j + 1 :] for j in range(len(compact)))}:
        found |= table.get(probe, set())
    hits: dict[int, _Hit] = {}
    for cand in found:
        if cand[0] != compact[0] or not _one_edit(compact, cand):
            continue
        for i, (s, n) in index.compact[cand].items():
            if index.iraqi[i] and (i not in hits or s > hits[i][1]) and not _inflected(key, nm.name_key(n)):
                hits[i] = (i, SCORE_FUZZY * s / SCORE_COMPACT, n)
    return list(hits.values())


def _inflected(key: str, name_key: str) -> bool:
    """Whether a word of ``key`` is a word of the name with an ending added or removed.

    Such a word is another word, not a misspelling: كردستاني "Kurdish" (Kurdistan), محافظ "governor"
    (محافظة "governorate"), Kirkuki.
    """
    query, name = nm.strip_article(key), nm.strip_article(name_key)
    if query.count(" ") == name.count(" "):
        pairs = list(zip(query.split(" "), name.split(" "), strict=True))
    else:
        pairs = [(nm.compact_key(query), nm.compact_key(name))]
    for a, b in pairs:
        short, long = sorted((a, b), key=len)
        if a != b and long.startswith(short) and long[len(short) :] in _ENDINGS:
            return True
    return False


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by exactly one substitution, insertion, deletion or transposition.

    That is an optimal-string-alignment distance of 1 (rapidfuzz: C++, stops once the distance passes 1).
    """
    return OSA.distance(a, b, score_cutoff=1) == 1


def _split_designator(key: str) -> tuple[str, str | None]:
    """Split a generic word off a key: ('كركوك', 'settlement') for 'مدينه كركوك'; (key, None) if there is none."""
    tokens = key.split(" ")
    for size in (3, 2, 1):
        if len(tokens) <= size:
            continue
        for before in (True, False):
            part = " ".join(tokens[:size] if before else tokens[-size:])
            what = _DESIGNATORS.get((part, before))
            if what is not None:
                return " ".join(tokens[size:] if before else tokens[:-size]), what
    return key, None


def _resolve_key(index: _Index, key: str, *, arabic_clitics: bool, fuzzy: bool) -> list[_Hit]:
    for word in _LEADING_WORDS:
        if key.startswith(word) and len(key) > len(word):
            key = key[len(word) :]  # "the Mosul Dam"
    hits = _lookup(index, key, arabic_clitics=arabic_clitics)
    if hits and max(h[1] for h in hits) >= SCORE_COMPACT - PENALTY_CLITIC:
        return hits
    rest, what = _split_designator(key)
    if what is None and arabic_clitics:
        # a clitic on the designator itself: بمحافظة كركوك, ومدينة كركوك
        first, sep, tail = key.partition(" ")
        for variant in nm.clitic_variants(first) if sep else ():
            rest, what = _split_designator(variant + " " + tail)
            if what is not None:
                break
    if what is not None and rest:
        inner = _lookup(index, rest, arabic_clitics=arabic_clitics) or (_fuzzy(index, rest) if fuzzy else [])
        inner = _restrict(index, inner, what)
        if inner:
            return [(i, s - PENALTY_DESIGNATOR, n) for i, s, n in inner]
    if not hits and fuzzy:
        hits = _fuzzy(index, key)
    return hits


def _restrict(index: _Index, hits: list[_Hit], what: str) -> list[_Hit]:
    """Keep the hits of the kind a designator names; for "governorate", map a seat to its governorate."""
    if what == "iraqi":
        return [h for h in hits if index.iraqi[h[0]] and index.places[h[0]].kind != "country"]
    if what != "governorate":
        kinds = _DESIGNATED_KINDS[what]
        return [h for h in hits if index.places[h[0]].kind in kinds]
    out: dict[int, _Hit] = {}
    for i, s, n in hits:
        place = index.places[i]
        gov = i if place.kind == "governorate" else index.governorate_of.get(place.admin1)
        # "محافظة كركوك" is the governorate of which Kirkuk is the seat, found through the city's admin1
        if gov is not None and place.country == "IQ" and (gov not in out or s > out[gov][1]):
            out[gov] = (gov, s, n)
    return list(out.values())


# ---------------------------------------------------------------- ranking and ambiguity


def _rank_key(index: _Index, hit: _Hit, key: str) -> tuple[float, bool, float, int, int, float]:
    """Sort key: match level (exact/compact, loose, fuzzy), Iraq first, closeness of the spelling, kind, population.

    Among kinds a foreign country comes before a foreign city of its name (Kuwait).
    """
    place = index.places[hit[0]]
    iraqi = index.iraqi[hit[0]]
    kind = "foreign country" if place.kind == "country" and not iraqi else place.kind
    return (
        -round(hit[1], 1),
        not iraqi,
        -_similarity(key, hit[2]),
        -_KIND_RANK.get(kind, 0),
        -(place.population or 0),
        -hit[1],
    )


@functools.lru_cache(maxsize=65_536)
def _similarity(key: str, name: str) -> float:
    """How close a query key is to the gazetteer name that matched it (Daqooq is nearer Daqouq than Dakhuk)."""
    # fuzz.ratio's measure: 2 × matched letters / letters of both (difflib's ratio, without its junk heuristics)
    return Indel.normalized_similarity(nm.compact_key(key), nm.compact_key(nm.name_key(name)))


def _km(a: Place, b: Place) -> float:
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def _is_ambiguous(index: _Index, top: _Hit, other: _Hit) -> bool:
    """Whether ``other`` is a serious rival of ``top`` rather than a lesser namesake."""
    a, b = index.places[top[0]], index.places[other[0]]
    if other[1] < top[1] - 0.02 or _km(a, b) <= SAME_PLACE_KM:
        return False
    if b.kind == "country" and index.iraqi[top[0]]:
        return False  # a country never rivals an Iraqi place of its name
    if index.iraqi[top[0]] and not index.iraqi[other[0]]:
        # a neighbouring-country namesake only rivals a small Iraqi place when it is a large city
        return (b.population or 0) >= 1_000_000 and (a.population or 0) < 50_000
    if _KIND_RANK.get(a.kind, 0) != _KIND_RANK.get(b.kind, 0):
        return False
    pa, pb = a.population or 0, b.population or 0
    return not (pa >= 10 * max(pb, 1))


def _context_date(context: Mapping[str, Any] | None) -> date | None:
    if not context:
        return None
    value = context.get("date")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InputError(f"context date must be a date or YYYY-MM-DD, got {value!r}") from None
    if value is None:
        return None
    raise InputError(f"context date must be a date or YYYY-MM-DD, got {value!r}")


def _build_match(
    index: _Index, query: str, key: str, hits: Sequence[_Hit], context: Mapping[str, Any] | None
) -> Match | None:
    if not hits:
        return None
    if len(hits) == 1:
        ranked = list(hits)
    else:
        ranked = sorted(hits, key=lambda h: (*_rank_key(index, h, key), index.places[h[0]].id))
    top = ranked[0]
    rivals = [h for h in ranked[1:] if _is_ambiguous(index, top, h)]
    ambiguous = bool(rivals)
    score = top[1]
    if ambiguous:
        chosen = _by_context(index, key, ranked, context)
        if chosen is not None:
            top, ambiguous = chosen, False
            score = min(chosen[1], 0.9)
        else:
            score = min(score, AMBIGUOUS_SCORE_CAP)
    place = index.places[top[0]]
    alternatives = tuple(
        Alternative(index.places[i].id, index.places[i].name, round(s, 3))
        for i, s, _ in ranked
        if i != top[0]
    )[:5]
    return Match(
        query=query,
        place_id=place.id,
        name=place.name,
        name_ar=place.name_ar,
        lat=place.lat,
        lon=place.lon,
        admin1=place.admin1,
        kind=place.kind,
        score=round(max(0.0, min(1.0, score)), 3),
        matched=top[2],
        alternatives=alternatives,
        ambiguous=ambiguous,
    )


def _by_context(
    index: _Index, key: str, ranked: list[_Hit], context: Mapping[str, Any] | None
) -> _Hit | None:
    """Pick among ambiguous hits using the context's date (dated readings) or nearby places."""
    when = _context_date(context)
    if when is not None:
        readings = _DATED_READINGS.get(key) or _DATED_READINGS.get(nm.name_key(ranked[0][2]), ())
        for start, end, pid in readings:
            if start <= when <= end:
                for hit in ranked:
                    if index.places[hit[0]].id == pid:
                        return hit
    near = (context or {}).get("near") or ()
    if near and not isinstance(near, str):
        anchors = [index.places[index.by_id[p]] for p in near if isinstance(p, str) and p in index.by_id]
        if anchors:
            dists = sorted(
                (min(_km(index.places[h[0]], a) for a in anchors), n, h) for n, h in enumerate(ranked)
            )
            if len(dists) == 1 or dists[0][0] * 2 < dists[1][0]:
                return dists[0][2]
    return None


# ---------------------------------------------------------------- public API


def _check_options(lang: str | None, context: Mapping[str, Any] | None = None) -> None:
    """Validate the options shared by the public functions, before any work."""
    if lang not in (None, "ar", "en", "auto"):
        raise InputError(f"lang must be 'ar', 'en', 'auto' or None, got {lang!r}")
    if context is not None:
        if not isinstance(context, Mapping):
            raise InputError(
                f"context must be a mapping such as {{'date': ...}}, got {type(context).__name__}"
            )
        _context_date(context)


def _query_key(text: str) -> str | None:
    if len(text) > MAX_NAME_CHARS:
        return None
    key = nm.name_key(nm.strip_possessive(text))
    if not key or key.count(" ") >= MAX_NAME_TOKENS:
        return None
    return key


def _is_common_word(index: _Index, key: str) -> bool:
    """Whether a whole query is an ordinary word or personal name ("المدينة" is "the city", "Ali" a person)."""
    return key in COMMON_WORDS or (nm.strip_article(key) in COMMON_WORDS and key not in index.exact)


def geocode(
    text: str,
    *,
    lang: str | None = None,
    context: Mapping[str, Any] | None = None,
    gazetteer: Gazetteer | None = None,
) -> Match | None:
    """Resolve one place name (Arabic or English) to a gazetteer place.

    Parameters
    ----------
    text
        The name as written, clitics and designators (مدينة، محافظة، city, governorate) included.
    lang
        'ar' or 'en' as a hint (English names skip Arabic clitic stripping); None to detect.
    context
        Optional ``{"date": date, "near": [place ids]}`` used only to settle an ambiguous name.
    gazetteer
        Another gazetteer (default: the packaged one).

    Returns
    -------
    Match or None
        None when the text is not a known place name (also for empty, punctuation-only or over-long text).

    Raises
    ------
    InputError
        If ``text`` is not a string, or ``lang`` or the context date is invalid.
    """
    if not isinstance(text, str):
        raise InputError(f"a place name must be a string, got {type(text).__name__}: {text!r:.80}")
    _check_options(lang, context)
    key = _query_key(text)
    if key is None:
        return None
    index = _index(gazetteer)
    return _geocode_key(index, text, key, lang, context)


def _geocode_key(
    index: _Index, text: str, key: str, lang: str | None, context: Mapping[str, Any] | None
) -> Match | None:
    if _is_common_word(index, key):
        return None
    arabic = lang != "en"
    hits = _resolve_key(index, key, arabic_clitics=arabic, fuzzy=True)
    return _build_match(index, text, key, hits, context)


def geocode_many(
    texts: Iterable[str],
    *,
    lang: str | None = None,
    context: Mapping[str, Any] | None = None,
    gazetteer: Gazetteer | None = None,
) -> list[Match | None]:
    """Geocode each name, in order; repeated names are resolved once.

    Parameters
    ----------
    texts
        Names as written.
    lang, context, gazetteer
        As for :func:`geocode`, applied to every name.

    Returns
    -------
    list of Match or None
        One entry per input name.
    """
    _check_options(lang, context)
    index = _index(gazetteer)
    cache: dict[str, Match | None] = {}
    out: list[Match | None] = []
    for text in texts:
        if not isinstance(text, str):
            raise InputError(f"a place name must be a string, got {type(text).__name__}: {text!r:.80}")
        if text not in cache:
            key = _query_key(text)
            cache[text] = None if key is None else _geocode_key(index, text, key, lang, context)
        out.append(cache[text])
    return out


# ---------------------------------------------------------------- geoparsing of running text

_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d\u0300-\u036f"
# A token: letters and digits, joined by inner apostrophes (Ma'an, Rabi'a) but not by a final possessive (Iraq's).
_TEXT_TOKEN_RE = re.compile(f"[^\\W_][\\w{_MARKS}]*(?:['’ʼ](?!s(?!\\w))[^\\W_][\\w{_MARKS}]*)*")


@dataclass(frozen=True, slots=True)
class _TokenInfo:
    key: str  # folded token
    single: tuple[_Hit, ...]  # hits of the token alone (running-text rules)
    starts: tuple[
        tuple[str, float], ...
    ]  # variants of the token that begin multi-token names, with penalties
    latin: bool
    letter: str | None  # letter of a letter-plus-number name (كي -> k)


def _token_info(index: _Index, raw: str, cache: dict[str, _TokenInfo]) -> _TokenInfo:
    info = cache.get(raw)
    if info is not None:
        return info
    key = nm.fold_token(raw).replace(" ", "")
    latin = key.isascii()
    single: list[_Hit] = []
    if key and key not in COMMON_WORDS:
        if latin:
            # proper nouns only: "hit" in English prose is a verb, "Hit" may be the town
            if raw[0].isupper() or any(ch.isdigit() for ch in raw):
                single = _hits_for_key(index, key, loose=True, skeleton_min=RUNNING_SKELETON_MIN)
        else:
            single = _lookup(index, key, arabic_clitics=True, skeleton_min=RUNNING_SKELETON_MIN)
            # a neighbouring-country name must be written exactly as the gazetteer has it: بأنه ("that it")
            # folds to بانه (Baneh, Iran)
            if len(key) < FOREIGN_EXACT_BELOW and not all(index.iraqi[h[0]] for h in single):
                light = nm.light_fold(raw)
                forms = {light} | {light[len(p) :] for p in nm.CLITIC_PREFIXES if light.startswith(p)}
                single = [h for h in single if index.iraqi[h[0]] or forms & index.light_names(h[0])]
    starts: list[tuple[str, float]] = []
    if key in index.starts:
        starts.append((key, 0.0))
    if not latin:
        starts += [(v, PENALTY_CLITIC) for v in nm.clitic_variants(key) if v in index.starts]
        if key[:1] in "وف" and key[1:] in index.starts:
            starts.append(
                (key[1:], PENALTY_CLITIC)
            )  # وسد الموصل: a two-letter word that starts a longer name
    letter = nm.ARABIC_LETTER_NAMES.get(key) or (key if len(key) == 1 and latin and key.isalpha() else None)
    info = _TokenInfo(key, tuple(single), tuple(starts), latin, letter)
    cache[raw] = info
    return info


def find_mentions(
    text: str,
    *,
    lang: str | None = None,
    gazetteer: Gazetteer | None = None,
    context: Mapping[str, Any] | None = None,
) -> list[Mention]:
    """Find the place names in running Arabic or English text.

    Parameters
    ----------
    text
        Running text.
    lang
        'ar', 'en' or None; checked, but both scripts are always scanned (Arabic text quotes Latin names: قاعدة K1).
    gazetteer
        Another gazetteer (default: the packaged one).
    context
        As for :func:`geocode`, used to settle ambiguous names.

    Returns
    -------
    list of Mention
        In text order, without overlaps; where names overlap the longest wins. ``start``/``end`` index ``text``.

    Raises
    ------
    InputError
        If ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}")
    _check_options(lang, context)
    index = _index(gazetteer)
    cache: dict[str, _TokenInfo] = _TOKEN_CACHE.setdefault(id(index), {})
    if len(cache) > 200_000:
        cache.clear()
    tokens = list(_TEXT_TOKEN_RE.finditer(text))
    spans = [m.span() for m in tokens]
    known = cache.get  # most tokens were seen before: no call for them
    infos = [known(m.group()) or _token_info(index, m.group(), cache) for m in tokens]
    _merge_letter_numbers(index, text, spans, infos, cache)
    mentions: list[Mention] = []
    n = len(spans)
    i = 0
    last = _ListState()
    while i < n:
        info = infos[i]
        found = None
        if info.starts:
            found = _multi(index, text, spans, infos, i, context)
        if found is None and info.single:
            s, e = spans[i]
            match = _build_match(index, text[s:e], info.key, list(info.single), context)
            found = (i + 1, match) if match is not None else None
        if found is None:
            i += 1
            continue
        j, match = found
        s, e = spans[i][0], spans[j - 1][1]
        last = _reading_here(index, text, spans, infos, i, j, match, last)
        if last.match is not None:
            mentions.append(Mention(s, e, text[s:e], last.match))
        i = j
    return mentions


@dataclass(frozen=True, slots=True)
class _ListState:
    """How the previous name was read, for the next name of a list ("Kirkuk, Nineveh and Diyala" provinces)."""

    end: int = -1  # character offset where the previous name ended
    match: Match | None = None  # its match, None if it was not a place
    governorate: bool = False  # it was read as a governorate from its context
    dual: bool = False  # it followed a dual head («مطاري»): the next name of the list is not a place either
    org: bool = False  # it was inside an organisation's name, which may go on with the next name


def _reading_here(
    index: _Index,
    text: str,
    spans: Sequence[tuple[int, int]],
    infos: Sequence[_TokenInfo],
    i: int,
    j: int,
    match: Match,
    last: _ListState,
) -> _ListState:
    """Read the name at tokens ``i:j`` in its context: not a place, a governorate, or the match as it is.

    A name that continues a list takes the reading of the list's first name: «مطاري أربيل والسليمانية» are both
    airports, "the provinces of Kirkuk, Nineveh and Saladin" all governorates.
    """
    key = infos[i].key
    # a proclitic other than the article is glued to the name (بكركوك، وأربيل)
    glued = key[:1] in "وفبلك" and key not in index.exact and key not in index.starts
    site = MentionSite(text, spans, infos, i, j, match.kind, glued)
    start, end = spans[i][0], spans[j - 1][1]
    listed = last.end >= 0 and continues_list(text, last.end, start, glued and key.startswith("و"))
    if (listed and last.dual) or (last.org and not glued and text[last.end : start].strip() == ""):
        return _ListState(
            end, None, org=last.org
        )  # «مطاري أربيل والسليمانية»; «مجلس أمن إقليم كردستان العراق»
    reason = non_place_reason(site)
    if reason is not None:
        log.debug("not a place here (%s): %r", reason, text[start:end])
        head = arabic_head(site) if reason == "organisation name" else None
        return _ListState(end, None, dual=head in DUAL_HEADS, org=head is not None)
    if (listed and last.governorate) or governorate_context(site):
        return _ListState(end, _as_governorate(index, match), governorate=True)
    return _ListState(end, match)


def _as_governorate(index: _Index, match: Match) -> Match:
    """Return the governorate whose seat the match is («محافظة كركوك» written apart), or the match itself."""
    gov = index.seat_governorate.get(index.by_id[match.place_id])
    if gov is None:
        return match
    return (
        _build_match(index, match.query, nm.name_key(match.query), [(gov, match.score, match.matched)], None)
        or match
    )


_TOKEN_CACHE: dict[int, dict[str, _TokenInfo]] = {}


def _multi(
    index: _Index,
    text: str,
    spans: Sequence[tuple[int, int]],
    infos: Sequence[_TokenInfo],
    i: int,
    context: Mapping[str, Any] | None,
) -> tuple[int, Match] | None:
    """Return the longest multi-token name starting at token ``i``, with the index after it."""
    if infos[i].latin and not _proper(text, spans[i], infos[i]):
        return None  # "said", "a": a Latin name starts with a capital, a digit or a generic word
    longest = min(max(index.starts[first] for first, _ in infos[i].starts), len(spans) - i)
    reach = _reach(text, spans, infos, i, longest)
    for first, penalty in infos[i].starts:
        loose = first in index.iraqi_starts  # foreign names (United States, جنوب السودان) match as written
        for size in range(min(index.starts[first], reach), 1, -1):
            tokens = (first, *(infos[k].key for k in range(i + 1, i + size)))
            key, hits = _name_hits(index, tokens, loose)
            if hits:
                if penalty:
                    hits = [(h, s - penalty, m) for h, s, m in hits]
                match = _build_match(index, text[spans[i][0] : spans[i + size - 1][1]], key, hits, context)
                if match is not None:
                    return i + size, match
    return None


def _reach(
    text: str, spans: Sequence[tuple[int, int]], infos: Sequence[_TokenInfo], i: int, longest: int
) -> int:
    """Return how many tokens from ``i`` (at most ``longest``) a name may span.

    A name never spans a sentence or clause break, and a Latin name holds only tokens that can be part of one.
    """
    latin = infos[i].latin
    size = 1
    while size < longest:
        k = i + size
        if _breaks(text, spans[k - 1][1], spans[k][0]) or (latin and not _proper(text, spans[k], infos[k])):
            break
        size += 1
    return size


_NAME_HITS: dict[int, dict[tuple[str, ...], tuple[str, tuple[_Hit, ...]]]] = {}


def _name_hits(index: _Index, tokens: tuple[str, ...], loose: bool) -> tuple[str, tuple[_Hit, ...]]:
    """Return the key and the hits of the multi-token name ``tokens``, cached per index.

    ``loose`` follows from the first token. News text repeats the same runs of words, and their loose keys
    (compact, phonetic, skeleton) are not cheap.
    """
    cache = _NAME_HITS.setdefault(id(index), {})
    found = cache.get(tokens)
    if found is None:
        if len(cache) > 200_000:
            cache.clear()
        key = " ".join(nm.join_letter_numbers(list(tokens)))
        hits = _hits_for_key(index, key, loose=loose, skeleton_min=RUNNING_SKELETON_MIN)
        found = cache[tokens] = (key, tuple(hits))
    return found


def _merge_letter_numbers(
    index: _Index,
    text: str,
    spans: list[tuple[int, int]],
    infos: list[_TokenInfo],
    cache: dict[str, _TokenInfo],
) -> None:
    """Merge letter-plus-number names written as two tokens («كي-1», K 1, كي وان) into one token, in place.

    The lists are rebuilt in one pass: deleting from them at each merge made long texts quadratic (issue 13).
    """
    if all(info.letter is None for info in infos):
        return  # most texts have no letter name at all
    out_spans: list[tuple[int, int]] = []
    out_infos: list[_TokenInfo] = []
    k, n = 0, len(spans)
    while k < n:
        letter = infos[k].letter
        if letter is not None and k + 1 < n:
            nxt = infos[k + 1].key
            number = nxt if nxt.isdigit() else nm.NUMBER_WORDS.get(nxt)
            if number is not None and not _breaks(text, spans[k][1], spans[k + 1][0]):
                merged = _token_info(index, letter + number, cache)
                if merged.single or merged.starts:
                    out_spans.append((spans[k][0], spans[k + 1][1]))
                    out_infos.append(merged)
                    k += 2
                    continue
        out_spans.append(spans[k])
        out_infos.append(infos[k])
        k += 1
    spans[:] = out_spans
    infos[:] = out_infos


_LOWERCASE_NAME_WORDS = frozenset(
    "of the al el ad as ash at an air base airbase airport dam field oil oilfield city town district governorate "
    "province region crossing border lake international regional camp".split()
)


def _proper(text: str, span: tuple[int, int], info: _TokenInfo) -> bool:
    """Whether a Latin token can be part of a name in running text: capitalised, a digit, or a generic word."""
    first = text[span[0]]
    return first.isupper() or first.isdigit() or info.key in _LOWERCASE_NAME_WORDS


def _breaks(text: str, start: int, end: int) -> bool:
    """Whether the gap between two tokens holds punctuation that ends a name (. , ، ؛ : ; newline...)."""
    return end - start > 3 or _BREAK_RE.search(text, start, end) is not None


_BREAK_RE = re.compile(r'[.,،؛:;!?؟()\[\]{}«»"\n|/]')
