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
from typing import Protocol

from geodata import names as nm

_MAX_GAP = 3  # characters between two tokens of one name (a space, a hyphen, "' ")
_QUOTES = frozenset("\"«»“”„'")

# Titles and ranks written before a person's name (folded keys; a Latin title must be capitalised in the text).
TITLES = frozenset(
    """
    gen general lt lieut lieutenant col colonel maj major brig brigadier capt captain cpt sgt sergeant cmdr
    commander adm admiral mr mrs ms dr prof president premier pm minister governor gov mayor sheikh shaykh sheik
    imam ayatollah mullah sayyid judge ambassador envoy spokesman spokesperson lawmaker mp senator sen rep deputy
    king prince emir mam kak
    الفريق الركن اللواء العميد العقيد المقدم الرايد النقيب الملازم العريف الجنرال المشير السيد السيده الدكتور
    د الشيخ الرييس الوزير النايب المحافظ القايد الامير الملك سماحه فضيله حجه الحاج مام كاك المستشار السفير
    """.split()
)
# Words that make the capitalised run around a Latin name the name of an organisation or outlet.
ORG_HEADS_LATIN = frozenset(
    """
    party radio agency tv television channel news today times post tribune press network union movement council
    government company corporation organization organisation committee bank university workers front brigade
    brigades battalion bloc alliance federation association institute foundation ministry magazine journal daily
    gazette now
    """.split()
)
# Arabic organisation head-words before the name (folded keys), with the place kinds each one hides (None: all).
# «حكومة» hides only a region or country: «حكومة إقليم كردستان» is the government, «حكومة بغداد» a capital.
ORG_HEADS_ARABIC: dict[str, frozenset[str] | None] = {
    **dict.fromkeys(
        """
        حزب الحزب وكاله الوكاله قناه القناه حركه الحركه اذاعه الاذاعه راديو صحيفه الصحيفه جريده الجريده شبكه
        موقع موسسه جامعه شركه اتحاد الاتحاد جبهه الجبهه ايتلاف الايتلاف تحالف التحالف منظمه تيار كتله قايمه
        """.split()
    ),
    "حكومه": frozenset({"region", "country"}),
    "الحكومه": frozenset({"region", "country"}),
}
# Words that end an Arabic organisation name: a preposition between a head-word and a name starts a new phrase.
PREPOSITIONS = frozenset("في من الي علي عن مع حتي نحو قرب داخل خارج بين عند لدي".split())
# Latin words that may sit inside a capitalised name run ("Patriotic Union of Kurdistan").
_CONNECTORS = frozenset("of the for and al el".split())
# Latin particles that join a personal name to a family name ("Ma'an al-Saadi").
_NAME_PARTICLES = frozenset("al el bin ibn abu".split())
# Names that are also ordinary words; in running text they are places only after one of these words (folded keys).
GATED_NAMES = frozenset({"القايم"})
GATE_OPENERS = frozenset(
    "في من الى الي نحو قرب باتجاه قضا قضاء مدينه ناحيه منطقه بلده حدود مدن اقضيه وقضا ومدينه".split()
)
_OUTLET_DAY = "اليوم"


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
        gap = self.text[self.spans[k][1] : self.spans[k + 1][0]]
        allowed = " \u00a0-'’." if dots else " \u00a0-'’"
        return len(gap) <= _MAX_GAP and all(ch in allowed for ch in gap)

    def capitalised(self, k: int) -> bool:
        """Whether token ``k`` starts with a capital letter."""
        return self.text[self.spans[k][0]].isupper()


def _arabic(key: str) -> bool:
    return bool(key) and "\u0600" <= key[0] <= "\u06ff"


def _forms(key: str) -> tuple[str, ...]:
    """Return the key and, for Arabic, its forms without proclitics (وحزب -> حزب)."""
    return (key, *nm.clitic_variants(key)) if _arabic(key) else (key,)


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
    if site.glued:
        return False
    k = site.first - 1
    for _ in range(2):
        if not site.joined(k):
            return False
        forms = _forms(site.key(k))
        for form in forms:
            if form in ORG_HEADS_ARABIC:
                kinds = ORG_HEADS_ARABIC[form]
                return kinds is None or site.kind in kinds
        if any(form in PREPOSITIONS for form in forms):
            return False
        k -= 1
    return False


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


Rule = Callable[[MentionSite], bool]
# The rules for each script of the name, tried in order.
LATIN_RULES: tuple[tuple[str, Rule], ...] = (
    ("person: title before the name", after_title),
    ("person: given name before a family name", before_family_name),
    ("organisation or outlet name", in_latin_organisation),
)
ARABIC_RULES: tuple[tuple[str, Rule], ...] = (
    ("person: title before the name", after_title),
    ("organisation name", in_arabic_organisation),
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
