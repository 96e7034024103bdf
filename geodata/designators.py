"""Named places the gazetteer lacks, found by the generic word that governs their name (issue 9).

Real reporting names villages, neighbourhoods, oil fields, bases and mountains that no gazetteer lists: "the
village of Mahmoudiya", "the neighborhoods of al-Salam and Hassan Kowi", "Sheikh Ibrahim mountain", «قرية عين
عويس», «حقلي باي حسن وأفانا», «منطقة عرفة». The designator (village, حي, oil field...) says that a name follows or
precedes, and of what kind; one rule table per script (:data:`LATIN_BEFORE`, :data:`LATIN_AFTER`,
:data:`ARABIC_BEFORE`) covers every article, with no per-article phrasing.

A name must look like one: capitalised in English (``al-``/``el-`` particles allowed), and in Arabic neither a
function word, a number, a designator, an adjective of kind («الحدودي», «النفطية») nor a locator («شمال»); a name
after a person's title or inside an organisation's name (:mod:`geodata.mention_context`) is refused, and a
designator alone («المنطقة», "the area") is no place. Plural and dual designators («قرى», «حقلي», "the villages
of") govern a list: "X and Y", «X وY».

Pure functions of the text; :mod:`geodata.unresolved` places what is found near a known place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from geodata import names as nm
from geodata.dates import trie_regex
from geodata.mention_context import MentionSite, after_title, arabic_head, in_latin_organisation

__all__ = ["DesignatedName", "find_designated"]


@dataclass(frozen=True, slots=True)
class DesignatedName:
    """A name governed by a designator: ``text[start:end]`` is the name as written, ``kind`` what it names."""

    start: int
    end: int
    name: str
    kind: str
    designator: str
    head: int = -1  # where the designator written before the name starts («مصفى كركوك»), else -1


def _folded(words: str) -> frozenset[str]:
    return frozenset(nm.fold(w).replace(" ", "") for w in words.split())


# ---------------------------------------------------------------- the rule tables

# English designators written before "of NAME": word -> (kind, governs a list).
LATIN_BEFORE: dict[str, tuple[str, bool]] = {
    **dict.fromkeys(("village",), ("village", False)),
    **dict.fromkeys(("villages",), ("village", True)),
    **dict.fromkeys(("neighborhood", "neighbourhood", "quarter"), ("neighbourhood", False)),
    **dict.fromkeys(("neighborhoods", "neighbourhoods", "quarters"), ("neighbourhood", True)),
    **dict.fromkeys(("district", "subdistrict", "sub-district", "area", "region"), ("district", False)),
    **dict.fromkeys(("districts", "subdistricts", "sub-districts", "areas"), ("district", True)),
    **dict.fromkeys(("town",), ("town", False)),
    **dict.fromkeys(("towns",), ("town", True)),
}
# English designators written after the name: phrase (lower case) -> kind. Longest phrases first.
LATIN_AFTER: dict[str, str] = {
    "border crossing": "crossing",
    "mountain range": "mountain",
    "oil field": "oil_field",
    "oil fields": "oil_field",
    "air base": "base",
    "military base": "base",
    "oilfield": "oil_field",
    "airbase": "base",
    "village": "village",
    "neighborhood": "neighbourhood",
    "neighbourhood": "neighbourhood",
    "quarter": "neighbourhood",
    "area": "district",
    "district": "district",
    "subdistrict": "district",
    "base": "base",
    "camp": "camp",
    "mountain": "mountain",
    "mountains": "mountain",
    "range": "mountain",
    "crossing": "crossing",
    "dam": "dam",
    "airport": "airport",
    "plain": "other",
    "plains": "other",
    "checkpoint": "other",
    "citadel": "other",
    "pocket": "other",
}
# Arabic designators written before the name (folded, without proclitics): word -> (kind, governs a list).
ARABIC_BEFORE: dict[str, tuple[str, bool]] = {
    **{k: ("village", False) for k in _folded("قرية")},
    **{k: ("village", True) for k in _folded("قرى قريتي")},
    **{k: ("neighbourhood", False) for k in _folded("حي")},
    **{k: ("neighbourhood", True) for k in _folded("أحياء حيي")},
    **{k: ("district", False) for k in _folded("ناحية قضاء منطقة")},
    **{k: ("district", True) for k in _folded("ناحيتي قضاءي قضائي")},
    **{k: ("town", False) for k in _folded("بلدة مدينة")},
    **{k: ("town", True) for k in _folded("بلدتي مدن مدينتي")},
    **{k: ("other", False) for k in _folded("مصفى مصفاة")},
    **{k: ("camp", False) for k in _folded("مخيم")},
    **{k: ("oil_field", False) for k in _folded("حقل")},
    **{k: ("oil_field", True) for k in _folded("حقلي")},
    **{k: ("base", False) for k in _folded("قاعدة")},
    **{k: ("crossing", False) for k in _folded("معبر منفذ")},
    **{k: ("mountain", False) for k in _folded("جبل")},
    **{k: ("mountain", True) for k in _folded("جبال جبلي")},
    **{k: ("dam", False) for k in _folded("سد")},
    **{k: ("airport", False) for k in _folded("مطار")},
    **{k: ("airport", True) for k in _folded("مطاري")},
    **{k: ("oil_field", True) for k in _folded("حقول")},
    **{k: ("other", False) for k in _folded("سهل")},
}
# Definite plural designators: only before an announced list («القرى المحررة هي X وY»)
_ANNOUNCING: dict[str, tuple[str, tuple[str, bool]]] = {
    **{k: (k, ("village", True)) for k in _folded("القرى")},
    **{k: (k, ("neighbourhood", True)) for k in _folded("الأحياء")},
}
# Words between a designator and its name that say what the site holds: «حقول نفط باي حسن», «حقل غاز».
ARABIC_SITE_WORDS = _folded("نفط النفط غاز الغاز")
# Words before a designator that make it a common noun, not a name's head: «آخر منطقة ستصل إليها», «كل قرية».
ARABIC_QUANTIFIERS = _folded("آخر اخر أول اول أي اي كل أكبر اكبر أقرب اقرب أحد احد إحدى احدى")
_ARABIC_PROCLITICS = ("وب", "فب", "ول", "وف", "و", "ف", "ب", "ل")
_GLUED_PREPOSITIONS = ("لل", "بال", "كال", "لقضا", "لمحافظ", "لناحي")

# Arabic words that end a name or cannot be one: function words, locators, adjectives of kind, pronouns.
ARABIC_STOP = _folded(
    """
    في من إلى الى على عن مع حتى نحو قرب بالقرب داخل خارج بين عند لدى ضمن حول عبر باتجاه منذ بعد قبل خلال
    و أو او ثم كما التي الذي الذين اللذين اللتين التابعة التابع الواقعة الواقع المحاذية المحاذي القريبة القريب
    المجاورة المجاور المحيطة ذاتها نفسها ذاته نفسه هذه هذا تلك ذلك هناك هنا كل بعض جميع عدة عدد أيضا ايضا
    شمال جنوب شرق غرب شمالي جنوبي شرقي غربي وسط أطراف اطراف ضواحي مركز الشرق الغرب الشمال الجنوب الوسط
    الحدودي الحدودية النفطي النفطية النفطيين النفطيتين النفطيان العسكري العسكرية الجوي الجوية الدولي الدولية
    الدوليين الدوليان الاستراتيجي الاستراتيجية السكني السكنية المحررة المحرر الأمنية الامنية
    المنطقة المناطق القرية القرى الحي الأحياء الناحية القضاء البلدة المدينة المخيم الحقل الحقول القاعدة المعبر
    الجبل السد المطار المحافظة الإقليم الاقليم المعارك المعركة الاشتباكات القتال العمليات الحدود
    اليه اليها اليهما إليه إليها إليهما عليه عليها منه منها فيه فيها بها به لها له إدارة ادارة
    نفط النفط غاز الغاز المطارات القواعد الحقول المعابر المخيمات الجبال السدود
    صغيرة صغير كبيرة كبير كامل كاملة عسكرية عسكري جديدة جديد قديمة قديم أخرى اخرى آخر واحدة واحد واسعة مهمة
    استراتيجية حدودية نفطية سكنية زراعية محررة آمنة امنة مجهولة مجهول نائية نائي قريبة قريب مجاورة مجاور محاذية
    خضراء سكني تابعة تابع واقعة واقع تقع يقع تبعد يبعد تضم يضم تتبع يتبع يسكنها تسكنها ما إقليم اقليم نواحي
    انطلاق المتنازع الحكم متنازع متعددة متعدد مختلطة مختلط
    مدن بلدات قرى نواحي أقضية اقضية مناطق المدن البلدات أحياء
    تدعى يدعى تسمى يسمى المسماة المسمى المعروفة المعروف اللاجئين النازحين للاجئين للنازحين
    بحسب حسب وفق وفقا طبقا مبينا مضيفا موضحا مشيرا لافتا مؤكدا حوالي حوالى نحو قرابة زهاء
    التكرير النفط الغاز الكهرباء المشاة الحديدي
    حيث إذ اذ إن ان أن لا لم لن قد كان كانت وكان يوم اليوم أمس الأحد الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت
    """
)
# Tokens after the first that carry an Arabic name on: directional and ordinal adjectives («باي حسن الشمالي»).
ARABIC_NAME_ADJECTIVES = _folded(
    """
    الشمالي الجنوبي الشرقي الغربي الشمالية الجنوبية الشرقية الغربية الأولى الاولى الثانية الثاني الأول الاول
    الثالثة الثالث الكبير الكبيرة الصغير الصغيرة الجديد الجديدة القديم القديمة العليا السفلى العليا الأعلى
    """
)
# First words of two-word Arabic names (عين عويس، تل الورد، أبو غريب، باي حسن، كاني ماسي، قره تبه).
ARABIC_NAME_HEADS = _folded(
    "عين تل أبو ابو أم ام بير بئر كاني دير بني البو باي قره قرة كاني سيد الشيخ شيخ حمام خان"
)
# Capitalised English words that are not names of places: peoples, forces, days and months.
LATIN_NOT_NAMES = _folded(
    """
    the a an this that these those iraqi iraq's kurdish kurds arab arabs turkmen shiite shia sunni yazidi yezidi
    christian peshmerga hashd isis isil daesh us u.s american coalition army federal government militia militias
    islamic state police iranian turkish syrian said says monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december its their his her
    in on at of and to from for by with as after before during when while
    """
)
# Head-words of :mod:`geodata.mention_context` that name a facility, not an organisation: «حقل خباز وحقل باي حسن».
_FACILITY_HEADS = _folded("مطار مطاري جسر سهل جبل مشروع قلعة سجن مصفى حقل حقلي محطة سد")
_LATIN_PARTICLES = _folded("al el ad ar as ash at az an")

# Lookup tables derived from the rule tables (one dict lookup a token).
_LATIN_AFTER_BY_FIRST: dict[str, list[tuple[str, str]]] = {}
for _phrase, _kind in LATIN_AFTER.items():
    _LATIN_AFTER_BY_FIRST.setdefault(_phrase.split()[0], []).append((_phrase, _kind))
_LATIN_FIRST_WORDS = frozenset(LATIN_BEFORE) | frozenset(_LATIN_AFTER_BY_FIRST)
_ARABIC_FORMS: dict[str, tuple[str, tuple[str, bool]]] = {
    prefix + word: (word, rule)
    for word, rule in ARABIC_BEFORE.items()
    for prefix in ("", *_ARABIC_PROCLITICS)
}

_TOKEN_RE = re.compile(r"[^\W_][\w\u064b-\u065f\u0670'’ʼ-]*")
_GAP_OK_RE = re.compile(r"[ \u00a0]{1,2}")  # inside a name only spaces (hyphens stay inside the token)


@dataclass(frozen=True, slots=True)
class _Tok:
    start: int
    end: int
    raw: str
    key: str


class _Spans(Sequence[tuple[int, int]]):
    """The ``(start, end)`` of each token, as :class:`MentionSite` reads them, without copying the tokens."""

    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks

    def __len__(self) -> int:
        return len(self.toks)

    def __getitem__(self, k):  # type: ignore[no-untyped-def,override]
        t = self.toks[k]
        return (t.start, t.end)


def _tokens(text: str, lo: int, hi: int) -> list[_Tok]:
    return [
        _Tok(m.start(), m.end(), m.group(), nm.fold_token(m.group()).replace(" ", ""))
        for m in _TOKEN_RE.finditer(text, lo, hi)
    ]


def _windows(text: str) -> list[tuple[int, int]]:
    """Return the stretches of text around designators (merged), the only ones worth reading word by word."""
    out: list[tuple[int, int]] = []
    for m in _TRIGGER_RE.finditer(text):
        lo, hi = max(0, m.start() - _WINDOW_BEFORE), min(len(text), m.end() + _WINDOW_AFTER)
        lo = max(text.rfind(" ", 0, lo) + 1, text.rfind("\n", 0, m.start()) + 1)  # whole words, one line
        stop = text.find(" ", hi)
        hi = len(text) if stop < 0 else stop
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _written_forms(key: str) -> set[str]:
    """Return the written forms of a folded Arabic key (hamza seats, taa marbuta, alif maqsura), for the trigger."""
    forms = {""}
    for ch in key:
        options = _WRITTEN.get(ch, ch)
        forms = {f + o for f in forms for o in options}
    return forms


_WRITTEN = {"ا": "اأإآ", "ه": "هة", "ي": "يىئ", "و": "وؤ"}
_WINDOW_BEFORE = 60  # enough for a title or organisation head, and a name written before its designator
_WINDOW_AFTER = 100  # enough for a list of names after a plural designator
_TRIGGER_RE = re.compile(
    rf"(?<!\w)[وفبل]{{0,2}}(?:{trie_regex({f for k in ARABIC_BEFORE for f in _written_forms(k)})})(?!\w)"
    rf"|(?<!\w)(?:{trie_regex({f for k in _ANNOUNCING for f in _written_forms(k)})})(?!\w)"
    rf"|\b(?:{trie_regex({v for w in _LATIN_FIRST_WORDS for v in (w, w.capitalize(), w.upper())})})\b"
)


def _joined(text: str, a: _Tok, b: _Tok) -> bool:
    return _GAP_OK_RE.fullmatch(text, a.end, b.start) is not None


_LIST_GAP_RE = re.compile(r"[ \u00a0]{0,2}[،,]?[ \u00a0]{1,2}")


def _listed_after(text: str, a: _Tok, b: _Tok) -> bool:
    """Whether ``b`` (which carries «و») goes on with a plural designator's list: «قرى X، والشيخ مزهر، وY»."""
    return _LIST_GAP_RE.fullmatch(text, a.end, b.start) is not None


def find_designated(text: str) -> list[DesignatedName]:
    """Return the names governed by a designator in ``text``, in text order, without overlaps.

    Examples
    --------
    >>> [d.name for d in find_designated("shelling hit the villages of Owaisiya and Rajm Hassan")]
    ['Owaisiya', 'Rajm Hassan']
    """
    found: list[DesignatedName] = []
    for lo, hi in _windows(text):
        toks = _tokens(text, lo, hi)
        found += _latin(text, toks) + _arabic(text, toks)
    found.sort(key=lambda d: (d.start, -d.end))
    out: list[DesignatedName] = []
    for d in found:
        if out and d.start < out[-1].end:
            continue
        out.append(d)
    return out


# ---------------------------------------------------------------- English


def _latin_name_word(tok: _Tok) -> bool:
    """Tell a word of an English name: capitalised (or ``al-Salam``), not a people, force, day or month."""
    raw = tok.raw
    head, _, rest = raw.partition("-")
    if rest and head.lower() in _LATIN_PARTICLES:
        raw = rest
    elif rest and not rest[:1].isupper():
        return False  # an adjective compound: "Peshmerga-held", "Kurdish-controlled", "US-led"
    if not raw[:1].isupper() or not tok.key.isascii() or tok.key in LATIN_NOT_NAMES:
        return False
    return nm.fold(raw).replace(" ", "") not in LATIN_NOT_NAMES


def _latin_name_after(text: str, toks: list[_Tok], i: int) -> int:
    """Return the index after the English name starting at token ``i`` (``i`` itself when there is none)."""
    j = i
    while j < len(toks) and j - i < 4 and _latin_name_word(toks[j]):
        if j > i and not _joined(text, toks[j - 1], toks[j]):
            break
        j += 1
    return j


def _latin_site(text: str, toks: list[_Tok], i: int, j: int) -> MentionSite:
    return MentionSite(text, _Spans(toks), toks, i, j, "")


def _latin_refused(text: str, toks: list[_Tok], i: int, j: int) -> bool:
    site = _latin_site(text, toks, i, j)
    return after_title(site) or in_latin_organisation(site)


def _latin(text: str, toks: list[_Tok]) -> list[DesignatedName]:
    out: list[DesignatedName] = []
    n = len(toks)
    for k, tok in enumerate(toks):
        low = tok.raw.lower()
        if low not in _LATIN_FIRST_WORDS:
            continue
        if low in LATIN_BEFORE and k + 2 < n and toks[k + 1].key == "of" and _joined(text, tok, toks[k + 1]):
            kind, listed = LATIN_BEFORE[low]
            out += _latin_list(text, toks, k + 2, kind, low, listed)
        if k == 0 or not tok.raw[:1].isalpha():
            continue
        for phrase, kind in _LATIN_AFTER_BY_FIRST.get(low, ()):
            words = phrase.split()
            tail = toks[k : k + len(words)]
            if [t.raw.lower() for t in tail] != words or not all(
                _joined(text, a, b) for a, b in pairwise(tail)
            ):
                continue
            start = _latin_name_start(text, toks, k)
            if start < k and not _latin_refused(text, toks, start, k + len(words)):
                end = tail[-1].end if tok.raw[:1].isupper() else toks[k - 1].end
                out.append(
                    DesignatedName(toks[start].start, end, text[toks[start].start : end], kind, phrase)
                )
            break
    return out


def _latin_name_start(text: str, toks: list[_Tok], k: int) -> int:
    """Return the first token of the English name that ends right before token ``k`` (``k`` if none)."""
    if not _joined(text, toks[k - 1], toks[k]):
        return k
    i = k
    while i > 0 and k - i < 4 and _latin_name_word(toks[i - 1]):
        if i < k and not _joined(text, toks[i - 1], toks[i]):
            break
        i -= 1
    # a name never starts a sentence's first word ("Sunday village" aside, "Troops" is no name): need a lead-in
    if i < k and (i == 0 or re.search(r"[.!?\n]\s*\Z", text[max(0, toks[i].start - 3) : toks[i].start])):
        i += 1 if k - i > 1 else k - i
    return i


def _latin_list(
    text: str, toks: list[_Tok], i: int, kind: str, designator: str, listed: bool
) -> list[DesignatedName]:
    """Return the name (or, after a plural designator, the names "X, Y and Z") starting at token ``i``."""
    out: list[DesignatedName] = []
    while i < len(toks):
        j = _latin_name_after(text, toks, i)
        if j == i or _latin_refused(text, toks, i, j):
            break
        s, e = toks[i].start, toks[j - 1].end
        out.append(DesignatedName(s, e, text[s:e], kind, designator))
        if not listed or j >= len(toks):
            break
        gap = text[e : toks[j].start].strip(" \u00a0")
        if toks[j].key == "and" and gap in ("", ","):
            j += 1
        elif gap != ",":
            break
        i = j
    return out


# ---------------------------------------------------------------- Arabic


def _arabic_designator(key: str) -> tuple[str, tuple[str, bool]] | None:
    """Return the designator word of an Arabic token (proclitics stripped: بمنطقة، وناحية) and its rule."""
    return _ARABIC_FORMS.get(key)


def _arabic_word_ok(tok: _Tok) -> bool:
    key = tok.key
    return (
        (len(key) >= 3 or key in ARABIC_NAME_HEADS)  # «ما» is no name, «تل» begins one
        and not key.isascii()
        and not key.startswith(
            _GLUED_PREPOSITIONS
        )  # «مخيم للنازحين», «قرية تابعة لقضاء»: a phrase, not a name
        and not any(ch.isdigit() for ch in key)
        and key not in ARABIC_STOP
        and not (key[:1] in "وفب" and key[1:] in ARABIC_STOP)  # «والمطارات», «قرى بشمال شرق الحويجة»
        and not _stop_with_pronoun(key)  # «قربها», «بأطرافه»: "near it", "on its edges"
        and _arabic_designator(key) is None
    )


_PRONOUN_ENDINGS = ("هما", "هم", "ها", "ه")


def _stop_with_pronoun(key: str) -> bool:
    """Whether a token is a stop word with a pronoun suffix, and perhaps a proclitic: «قربها», «بأطرافه»."""
    for ending in _PRONOUN_ENDINGS:
        if key.endswith(ending) and len(key) > len(ending) + 1:
            stem = key[: -len(ending)]
            return stem in ARABIC_STOP or (stem[:1] in "وفب" and stem[1:] in ARABIC_STOP)
    return False


def _name_head(key: str, *, first: bool) -> bool:
    """Whether a token starts a two-word name («عين», and «وكاني» as a list's next name)."""
    return key in ARABIC_NAME_HEADS or (first and key[:1] == "و" and key[1:] in ARABIC_NAME_HEADS)


def _idafa(previous: str, tok: _Tok) -> bool:
    """Whether a definite word after an indefinite one goes on with the name: «إبراهيم الخليل», «تل الورد».

    Not a participle («المتنازع», «المحررة»: adjectives start with «الم»), a stop word or a designator.
    """
    key = tok.key
    return (
        not previous.startswith("ال")
        and key.startswith("ال")
        and not key.startswith("الم")
        and len(key) >= 5
        and _arabic_word_ok(tok)
    )


def _arabic_name_end(text: str, toks: list[_Tok], i: int) -> int:
    """Return the index after the Arabic name starting at token ``i`` (``i`` when there is none)."""
    if i >= len(toks) or not _arabic_word_ok(toks[i]):
        return i
    j = i + 1
    while j < len(toks) and j - i < 3 and _joined(text, toks[j - 1], toks[j]):
        key = toks[j].key
        carries = (
            key in ARABIC_NAME_ADJECTIVES
            or (
                _name_head(toks[j - 1].key, first=j - 1 == i)
                and _arabic_word_ok(toks[j])
                and not key.startswith("و")
            )
            or _idafa(toks[j - 1].key, toks[j])
        )
        if not carries:
            break
        j += 1
    return j


def _arabic_refused(text: str, toks: list[_Tok], d: int) -> bool:
    """Tell a designator after a title or inside an organisation's name («قيادة عمليات ...»)."""
    site = MentionSite(text, _Spans(toks), toks, d, d + 1, "")
    head = arabic_head(site)
    return after_title(site) or (head is not None and head not in _FACILITY_HEADS)


def _arabic(text: str, toks: list[_Tok]) -> list[DesignatedName]:
    out: list[DesignatedName] = []
    for d, tok in enumerate(toks):
        if tok.key.isascii() or d + 1 >= len(toks):
            continue
        rule = _arabic_designator(tok.key) or _ANNOUNCING.get(tok.key)
        if (
            rule is None
            or _arabic_refused(text, toks, d)
            or (d > 0 and toks[d - 1].key in ARABIC_QUANTIFIERS)
        ):
            continue
        word, (kind, listed) = rule
        listed = listed or (
            d > 0 and toks[d - 1].key.isdigit()
        )  # «18 قرية، بينها تل الورد»: a count is a plural
        i, bridge = _list_start(text, toks, d) if listed else (d + 1, "")
        if tok.key in _ANNOUNCING and bridge != "announced":
            continue  # «القرى» alone is "the villages"; «القرى المحررة هي ...» announces their names
        if not bridge and not _joined(text, tok, toks[i]):
            continue
        site_word = toks[i].key in ARABIC_SITE_WORDS
        if kind == "oil_field" and site_word and i + 1 < len(toks) and _joined(text, toks[i], toks[i + 1]):
            i += 1  # «حقول نفط باي حسن»
        names = _arabic_names(text, toks, (d, i), (kind, word), listed=listed, announced=bool(bridge))
        if bridge != "comma" or len(names) > 1:  # «5 قرى، مبينا أنها»: a comma alone needs a list after it
            out += names
    return out


def _arabic_names(
    text: str, toks: list[_Tok], at: tuple[int, int], what: tuple[str, str], *, listed: bool, announced: bool
) -> list[DesignatedName]:
    """Return the names a designator at ``at[0]`` governs, the first at token ``at[1]`` (a list for a plural)."""
    d, i = at
    kind, word = what
    out: list[DesignatedName] = []
    while True:
        j = _arabic_name_end(text, toks, i)
        if j == i:
            break
        while announced and j < len(toks) and j - i < 3 and _joined(text, toks[j - 1], toks[j]):
            if toks[j].key.startswith("و") or not _arabic_word_ok(toks[j]):
                break
            j += 1  # an announced list is cut by its commas: «خراب بيت، كاني شيت»
        s, e = toks[i].start, toks[j - 1].end
        if i > d + 1 and text[s] == "و":
            s += 1  # «وأفانا»: the conjunction stays outside the name
        out.append(DesignatedName(s, e, text[s:e], kind, word, toks[d].start if i == d + 1 else -1))
        nxt = toks[j] if j < len(toks) else None
        if not listed or nxt is None or not _goes_on(text, toks[j - 1], nxt, announced=announced):
            break
        i = j
    return out


def _goes_on(text: str, last: _Tok, nxt: _Tok, *, announced: bool) -> bool:
    """Whether ``nxt`` is the next name of a plural designator's list: «وY», and «، Y» in an announced list."""
    if _arabic_designator(nxt.key) is not None:
        return False
    if nxt.key.startswith("و"):
        return _listed_after(text, last, nxt) and nxt.key[1:] not in ARABIC_STOP
    return announced and _COMMA_GAP_RE.fullmatch(text, last.end, nxt.start) is not None


# Words between a plural designator and the names it announces: «قرى، بدني الصغيرة», «القرى المحررة هي قولان
# تبه», «6 قرى، اليوم، هي الفاضلية، كيفروك»
_LIST_BRIDGE = _folded("المحررة المحررات المستعادة هي وهي اليوم أمس امس بينها وبينها منها ومنها")
_ANNOUNCERS = _folded("هي وهي بينها وبينها منها ومنها")
_BRIDGE_GAP_RE = re.compile(r"[ \u00a0]*[،,:]?[ \u00a0]*[\"«“]?[ \u00a0]*")
_COMMA_GAP_RE = re.compile(r"[ \u00a0]{0,2}[،,][ \u00a0]{1,2}")
_MAX_BRIDGE = 4


def _list_start(text: str, toks: list[_Tok], d: int) -> tuple[int, str]:
    """Return where a plural designator's names start and the bridge before them.

    The bridge is ``"announced"`` («القرى المحررة هي», «قرى: »), ``"comma"`` («قرى، بدني الصغيرة وكربلي») or
    ``""`` (the names start right after the designator).
    """
    i, kind, gap_end = d + 1, "", toks[d].end
    for _ in range(_MAX_BRIDGE + 1):
        if i >= len(toks) or _BRIDGE_GAP_RE.fullmatch(text, gap_end, toks[i].start) is None:
            return d + 1, ""
        gap = text[gap_end : toks[i].start]
        if ":" in gap:
            kind = "announced"
        elif ("،" in gap or "," in gap) and not kind:
            kind = "comma"
        if toks[i].key not in _LIST_BRIDGE and not toks[i].key.isdigit():
            return (i, kind) if i > d + 1 or kind else (d + 1, "")
        if toks[i].key in _ANNOUNCERS:
            kind = "announced"
        gap_end = toks[i].end
        i += 1
    return d + 1, ""
