"""The context rules that tell a place name in running text from the same word inside another kind of name.

A name that the gazetteer knows is not always a place where it is written: "Lt. Gen. Ma'an al-Saadi" is a person,
"Radio Free Iraq", "Kurdistan Workers' Party" and «الاتحاد الوطني الكردستاني» are organisations, «حكومة إقليم كردستان»
is the regional government (the Kurdistan Region itself stays a place), «بغداد اليوم» in quotes and "Baghdad Today"
are outlets, «القوات السعودية» is an adjective, and «القائم» is mostly "the existing" or part of «القائم مقام». The
rules are general (a title before a name, an organisation head-word beside it, quotes around an outlet's name, a
definite noun before a nisba) rather than a list of names; each is a pure function of the tokens around the mention.

Every function here works on the token spans and folded token keys that :func:`geodata.geocode.find_mentions` has
already computed, so the rules cost nothing on text without mentions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from geodata import names as nm

_MAX_GAP = 3  # characters between two tokens of one name (a space, a hyphen, "' ")
_QUOTES = frozenset("\"«»“”„'")


def _keys(words: str) -> frozenset[str]:
    """Return the folded keys of whitespace-separated words, as token keys are compared."""
    return frozenset(nm.fold(w).replace(" ", "") for w in words.split())


# Titles and ranks written before a person's name (a Latin title must be capitalised in the text).
TITLES = _keys(
    """
    gen general lt lieut lieutenant col colonel maj major brig brigadier capt captain cpt sgt sergeant cmdr
    commander adm admiral mr mrs ms dr prof president premier pm minister governor gov mayor sheikh shaykh sheik
    imam ayatollah mullah sayyid judge ambassador envoy spokesman spokesperson lawmaker mp senator sen rep deputy
    king prince emir mam kak
    الفريق الركن اللواء العميد العقيد المقدم الرائد النقيب الملازم العريف الجنرال المشير السيد السيدة الدكتور
    د الشيخ الرئيس الوزير النائب المحافظ القائد الأمير الملك سماحة فضيلة حجة الحاج مام كاك المستشار السفير
    """
)
# Words that make the capitalised run around a Latin name the name of an organisation or outlet.
ORG_HEADS_LATIN = _keys(
    """
    party radio agency tv television channel news today times post tribune press network union movement council
    government company corporation organization organisation committee bank university workers front brigade
    brigades battalion bloc alliance federation association institute foundation ministry magazine journal daily
    gazette now state agence presse operations command battle citadel pocket
    """
)
# Arabic head-words before the name (folded keys), with the place kinds each one hides (None: all): organisations
# («حزب», «قيادة عمليات نينوى» a command), and facilities or features named after a place («مطار أربيل» the airport,
# «جبل سنجار» the mountain, «سهل نينوى» the plain), which are other places than the town.
# «حكومة» hides only a region or country: «حكومة إقليم كردستان» is the government, «حكومة بغداد» a capital.
ORG_HEADS_ARABIC: dict[str, frozenset[str] | None] = {
    **dict.fromkeys(
        _keys(
            """
            حزب الحزب وكالة الوكالة قناة القناة حركة الحركة إذاعة الإذاعة راديو صحيفة الصحيفة جريدة الجريدة شبكة
            موقع مؤسسة جامعة شركة اتحاد الاتحاد جبهة الجبهة ائتلاف الائتلاف تحالف التحالف منظمة تيار كتلة قائمة
            قيادة مجلس
            مطار مطاري جسر سهل جبل مشروع قلعة سجن مصفى حقل حقلي محطة سد
            """
        )
    ),
    **dict.fromkeys(_keys("حكومة الحكومة"), frozenset({"region", "country"})),
}
# Head-words that hide only the word right after them: «قيادة عمليات نينوى» is a command, but in «عمليات تحرير
# الحويجة» ("the operations to free Hawija") Hawija is the place.
NEAR_HEADS = _keys("عمليات")
# Dual heads name two places of a list: «مطاري أربيل والسليمانية» are both airports.
DUAL_HEADS = _keys("مطاري حقلي")
# Lower-case words after an English name that make it the name of another feature: "the Havana oil field", "the
# Kurdistan flag", "Erbil–Kirkuk checkpoint".
FEATURES_AFTER_LATIN = _keys(
    "field oilfield dome checkpoint bridge flag plain mountain mountains refinery prison"
)
# Words that end an Arabic organisation name: a preposition between a head-word and a name starts a new phrase.
PREPOSITIONS = _keys("في من إلى على عن مع حتى نحو قرب داخل خارج بين عند لدى")
# Latin words that may sit inside a capitalised name run ("Patriotic Union of Kurdistan").
_CONNECTORS = _keys("of for and al el")
# Latin particles that join a personal name to a family name ("Ma'an al-Saadi").
_NAME_PARTICLES = _keys("al el bin ibn abu")
# Words that, right before a name, make it part of the name of an organisation («الدولة الإسلامية في العراق والشام»).
ORG_PREFIXES = (tuple(nm.fold("الدولة الإسلامية في").split()),)
# A channel number after a name makes it an outlet's: «كوردستان 24», "France 24".
OUTLET_NUMBERS = frozenset({"24"})
# Words before a name that make it a governorate («محافظتي نينوى وكركوك», "the province of Kirkuk").
GOVERNORATE_WORDS = _keys("محافظة محافظتي محافظات")
GOVERNORATE_WORDS_LATIN = _keys("province provinces governorate governorates region")
# Names that are also ordinary words; in running text they are places only after one of these words (folded keys).
GATED_NAMES = _keys("القائم")
GATE_OPENERS = _keys("في من إلى نحو قرب باتجاه قضاء مدينة ناحية منطقة بلدة حدود مدن أقضية")
_OUTLET_DAY = nm.fold("اليوم")


class Keyed(Protocol):
    """A token with its folded key."""

    key: str


@dataclass(frozen=True, slots=True)
class MentionSite:
    """Where a candidate mention sits: the text, its token spans and keys, and the mention's tokens and place.

    Attributes
    ----------
    text
        The running text.
    spans
        ``(start, end)`` of every token.
    tokens
        The tokens (anything with a folded ``key``), parallel to ``spans``.
    first, last
        Token indices of the mention, ``last`` exclusive.
    kind
        The kind of the place the name resolved to.
    glued
        Whether the mention's first token carries an Arabic proclitic (بكركوك): a preposition, so no organisation
        name runs into it.
    """

    text: str
    spans: Sequence[tuple[int, int]]
    tokens: Sequence[Keyed]
    first: int
    last: int
    kind: str
    glued: bool = False

    def key(self, k: int) -> str:
        """Return the folded key of token ``k``."""
        return self.tokens[k].key

    def joined(self, k: int, *, dots: bool = False) -> bool:
        """Tell whether tokens ``k`` and ``k + 1`` are in one phrase.

        Only spaces, hyphens or an apostrophe (and dots when allowed: "Lt. Gen.") may separate them.
        """
        if k < 0 or k + 1 >= len(self.spans):
            return False
        start, end = self.spans[k][1], self.spans[k + 1][0]
        if end - start > _MAX_GAP:
            return False
        return not self.text[start:end].strip(" \u00a0-'’." if dots else " \u00a0-'’")

    def capitalised(self, k: int) -> bool:
        """Whether token ``k`` starts with a capital letter."""
        return self.text[self.spans[k][0]].isupper()


def _arabic(key: str) -> bool:
    return bool(key) and "\u0600" <= key[0] <= "\u06ff"


@lru_cache(maxsize=50_000)
def _forms(key: str) -> tuple[str, ...]:
    """Return the key and, for Arabic, its forms without proclitics (وحزب -> حزب, وسد -> سد)."""
    if not _arabic(key):
        return (key,)
    short = (key[1:],) if key[:1] in "وف" and len(key) >= 3 else ()
    return (key, *nm.clitic_variants(key), *short)


def after_title(site: MentionSite) -> bool:
    """Tell a person's name by a title or rank right before it: "Lt. Gen. Ma'an", «الفريق الركن معن»."""
    k = site.first - 1
    if not site.joined(k, dots=True):
        return False
    key = site.key(k)
    if key.isascii():
        return key in TITLES and site.capitalised(k)
    return any(form in TITLES for form in _forms(key))


def before_family_name(site: MentionSite) -> bool:
    """Tell a given name by the family name after it: "Ma'an al-Saadi", "... bin ..." (Latin script)."""
    k = site.last
    if site.last - site.first != 1 or not site.key(site.first).isascii() or not site.joined(k - 1):
        return False
    if site.key(k) not in _NAME_PARTICLES or not site.joined(k):
        return False
    gap = site.text[site.spans[k][1] : site.spans[k + 1][0]]
    return gap == "-" and site.capitalised(k + 1)


def _run(site: MentionSite, step: int) -> list[int]:
    """Token indices of the capitalised Latin run beside the mention, up to three words, nearest first."""
    out: list[int] = []
    k = site.first - 1 if step < 0 else site.last
    while len(out) < 3 and 0 <= k < len(site.spans):
        if not site.joined(k if step < 0 else k - 1):
            break
        key = site.key(k)
        if not key.isascii() or not (site.capitalised(k) or key in _CONNECTORS or key.isdigit()):
            break
        out.append(k)
        k += step
    return out


def in_latin_organisation(site: MentionSite) -> bool:
    """Tell an organisation or outlet by a head-word in the capitalised run around a Latin name.

    "Radio Free Iraq", "Kurdistan Workers' Party", "Patriotic Union of Kurdistan", "Baghdad Today".
    """
    return any(site.key(k) in ORG_HEADS_LATIN for step in (-1, 1) for k in _run(site, step))


def in_arabic_organisation(site: MentionSite) -> bool:
    """Tell an organisation by a head-word up to two words before an Arabic name.

    «إذاعة العراق الحر», «حزب العمال الكردستاني», «حكومة إقليم كردستان» (the government; not «حكومة بغداد», a
    capital standing for the state).
    """
    return arabic_head(site) is not None


def arabic_head(site: MentionSite) -> str | None:
    """Return the Arabic head-word (folded) that makes the name part of another name, or None (see above)."""
    if site.glued:
        return None
    k = site.first - 1
    for distance in (1, 2):
        if not site.joined(k):
            return None
        forms = _forms(site.key(k))
        for form in forms:
            if form in NEAR_HEADS and distance == 1:
                return form
            if form in ORG_HEADS_ARABIC:
                kinds = ORG_HEADS_ARABIC[form]
                return form if kinds is None or site.kind in kinds else None
        if any(form in PREPOSITIONS for form in forms):
            return None
        k -= 1
    return None


def feature_after(site: MentionSite) -> bool:
    """Tell an English name used for another feature by the lower-case word after it: "the Havana oil field"."""
    k = site.last
    if k >= len(site.spans) or not site.joined(k - 1) or site.capitalised(k):
        return False
    if site.key(k) == "oil" and site.joined(k):
        k += 1  # "the Havana oil field"; "Kirkuk oil exports" keep Kirkuk
    return site.key(k) in FEATURES_AFTER_LATIN


def quoted_outlet(site: MentionSite) -> bool:
    """Tell an outlet by quotes around a name and «اليوم» together: «"بغداد اليوم"» is not the place today."""
    k = site.last
    if k >= len(site.spans) or site.key(k) != _OUTLET_DAY or not site.joined(k - 1):
        return False
    start, end = site.spans[site.first][0], site.spans[k][1]
    before = site.text[:start].rstrip()[-1:]
    after = site.text[end:].lstrip()[:1]
    return before in _QUOTES and after in _QUOTES


def arabic_adjective(site: MentionSite) -> bool:
    """Tell an adjective: a country or region name ending in ية after a definite noun («القوات السعودية»)."""
    if site.kind not in {"country", "region"} or site.glued or site.last - site.first != 1:
        return False
    key = site.key(site.first)
    if not _arabic(key) or not key.endswith("يه") or not site.joined(site.first - 1):
        return False
    before = site.key(site.first - 1)
    return before.startswith("ال") and before not in PREPOSITIONS


def closed_gate(site: MentionSite) -> bool:
    """Tell an ordinary word («القائم») from the place of that name: a place only after a preposition or a designator."""
    forms = _forms(site.key(site.first))
    if not any(form in GATED_NAMES for form in forms):
        return False
    if any(form.startswith("بال") for form in forms):
        return False  # بالقائم، وبالقائم: "in al-Qaim"
    k = site.first - 1
    return not (site.joined(k) and any(form in GATE_OPENERS for form in _forms(site.key(k))))


def hyphenated_adjective(site: MentionSite) -> bool:
    """Tell an adjective compound: a Latin name joined by a hyphen to a lower-case word ("Iran-trained")."""
    k = site.last - 1
    if k + 1 >= len(site.spans) or not site.key(k).isascii():
        return False
    gap = site.text[site.spans[k][1] : site.spans[k + 1][0]]
    return gap == "-" and not site.capitalised(k + 1) and not site.key(k + 1).isdigit()


def outlet_number(site: MentionSite) -> bool:
    """Tell an outlet by its channel number: «كوردستان 24», "France 24"."""
    k = site.last
    return k < len(site.spans) and site.joined(k - 1) and site.key(k) in OUTLET_NUMBERS


def after_org_prefix(site: MentionSite) -> bool:
    """Tell a name inside a longer organisation name that starts before it («الدولة الإسلامية في العراق»)."""
    for prefix in ORG_PREFIXES:
        start = site.first - len(prefix)
        if start < 0 or site.key(site.first - 1) != prefix[-1]:
            continue
        if not all(site.joined(k) for k in range(start, site.first)):
            continue
        if all(prefix[n] in _forms(site.key(start + n)) for n in range(len(prefix))):
            return True
    return False


def governorate_context(site: MentionSite) -> bool:
    """Tell a governorate meant by its seat's name: «محافظة "كركوك"», «محافظتي نينوى وكركوك», "province of Kirkuk"."""
    if _region_after(site):
        return True
    k = site.first - 1
    if k < 0:
        return False
    gap = site.text[site.spans[k][1] : site.spans[site.first][0]]
    if len(gap) > _MAX_GAP + 2 or any(ch not in " \u00a0" and ch not in _QUOTES for ch in gap):
        return False
    if any(form in GOVERNORATE_WORDS for form in _forms(site.key(k))):
        return True
    return (
        site.key(k) == "of"
        and site.joined(k - 1)
        and site.key(k - 1) in GOVERNORATE_WORDS_LATIN
        and site.key(site.first).isascii()
    )


def _region_after(site: MentionSite) -> bool:
    """Tell "the Kirkuk region" (English, the word right after the name): the province, as for "province of"."""
    k = site.last
    return (
        k < len(site.spans)
        and site.key(k) == "region"
        and site.joined(k - 1)
        and site.key(site.first).isascii()
    )


def continues_list(text: str, prev_end: int, start: int, glued_and: bool) -> bool:
    """Tell whether a name continues a list begun by the previous one: "Kirkuk, Nineveh and Diyala", «أربيل والسليمانية».

    ``prev_end`` and ``start`` are character offsets (end of the previous name, start of this one); ``glued_and``
    says whether this name carries the conjunction و.
    """
    gap = text[prev_end:start]
    if glued_and:
        return gap.strip() == ""
    words = gap.replace(",", " ").replace("،", " ").split()
    return len(gap) <= 7 and words in ([], ["and"], ["و"]) and gap.strip() != ""


Rule = Callable[[MentionSite], bool]
# The rules for each script of the name, tried in order.
LATIN_RULES: tuple[tuple[str, Rule], ...] = (
    ("person: title before the name", after_title),
    ("person: given name before a family name", before_family_name),
    ("organisation or outlet name", in_latin_organisation),
    ("adjective compound", hyphenated_adjective),
    ("another feature named after the place", feature_after),
    ("outlet name with a channel number", outlet_number),
)
ARABIC_RULES: tuple[tuple[str, Rule], ...] = (
    ("person: title before the name", after_title),
    ("organisation name", in_arabic_organisation),
    ("organisation name", after_org_prefix),
    ("outlet name with a channel number", outlet_number),
    ("outlet name in quotes", quoted_outlet),
    ("adjective", arabic_adjective),
    ("ordinary word outside a place context", closed_gate),
)


def non_place_reason(site: MentionSite) -> str | None:
    """Return why the name at ``site`` is not a place here (the first rule that applies), or None if it is one."""
    rules = LATIN_RULES if site.key(site.first).isascii() else ARABIC_RULES
    for reason, rule in rules:
        if rule(site):
            return reason
    return None
