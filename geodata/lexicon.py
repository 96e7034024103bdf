"""Event-cue lexicons, generated from Arabic verb stems and English lemmas rather than listed form by form.

News reports one event in many forms: سلّم، تسلّم، سُلّمت، يتسلم، تسليمها; take, took, taken, taking. Each entry
below names a verb once (Arabic: the past stem, the present stem and the verbal nouns; English: the lemma of a
phrase, whose first word is inflected) and the generator writes out its forms:

* Arabic past (3rd person: ``سيطر سيطرت سيطروا سيطرتا سيطرا``, defective ``أخلى أخلت أخلوا``), with object
  pronouns (``دخلوها``); present (``يسيطر تسيطر يسيطرون تسيطران``); future (``ستسيطر``, ignored); verbal nouns
  with pronouns and the accusative ``ا`` (``سيطرتها``, ``هجوما``). Written without short vowels, the passive is
  the active's letters (سُلّمت = سلّمت); the few passives that differ (``أُعيدت``) are listed with their verb.
  Proclitics (و ف ب ل ال) are stripped by the matcher, not generated here.
* English: base, third person, past, participle and gerund of the first word of the phrase (a table of the
  irregular verbs this vocabulary uses; the regular rules otherwise), the rest of the phrase kept.

Values are ``(event type, kind)``; kinds: ``verb`` (a past event), ``noun`` (a verbal noun: weaker; a purpose
when preceded by ل), ``entry`` / ``entry_noun`` (entering: a control change, a deployment for US forces),
``status`` (holds), ``future`` (announced, not happened: ignored), ``stop`` (a phrase that looks like a cue but is
not one: "took place").
"""

from __future__ import annotations

from collections.abc import Iterable

Cue = tuple[str, str]

# ---------------------------------------------------------------- Arabic

# (event type, kind of the past, past 3ms | present stem | verbal nouns, space-separated | extra forms)
_AR_VERBS: tuple[tuple[str, str, str], ...] = (
    ("control_change", "verb", "سيطر|سيطر||"),  # present: status, below
    ("control_change", "verb", "استعاد|ستعيد|استعادة|استعيدت استعيد"),
    ("control_change", "verb", "استولى|ستولي|استيلاء|"),
    ("control_change", "verb", "تسلم|تسلم|تسلم|"),
    ("control_change", "verb", "سلم|سلم|تسليم|"),
    ("control_change", "verb", "حرر|حرر|تحرير|"),
    (
        "control_change",
        "verb",
        "طهر|طهر|تطهير|",
    ),  # «طهرت القوات الناحية»: cleared of the enemy, in Iraqi usage
    ("control_change", "verb", "انتزع|نتزع|انتزاع|"),
    ("control_change", "verb", "بسط|بسط||"),
    ("control_change", "verb", "استرجع|سترجع|استرجاع|"),
    ("control_change", "verb", "استرد|سترد|استرداد|"),
    ("control_change", "verb", "طرد|طرد||"),
    ("control_change", "verb", "أحكم|حكم|إحكام|"),
    ("control_change", "entry", "دخل|دخل|دخول|"),
    ("control_change", "entry", "اقتحم|قتحم|اقتحام|"),
    ("control_change", "entry", "توغل|توغل|توغل|"),
    ("control_change", "entry", "تقدم|تقدم||"),
    ("withdrawal", "verb", "انسحب|نسحب|انسحاب|"),
    ("withdrawal", "verb", "غادر|غادر|مغادرة|"),
    ("withdrawal", "verb", "أخلى|خلي|إخلاء|أخليت"),
    ("withdrawal", "verb", "تراجع|تراجع||"),
    ("withdrawal", "verb", "تخلى|تخلى|تخلي|"),
    ("withdrawal", "verb", "انكفأ|نكفئ||"),
    ("deployment", "verb", "انتشر|نتشر|انتشار|"),
    ("deployment", "verb", "تمركز|تمركز|تمركز|"),
    ("deployment", "verb", "وصل|صل|وصول|"),
    ("deployment", "verb", "أرسل|رسل|إرسال|أرسلت"),
    ("deployment", "verb", "أنزل|نزل|إنزال|"),
    ("deployment", "verb", "تحرك|تحرك||"),
    ("deployment", "verb", "توجه|توجه||"),
    ("deployment", "verb", "عزز|عزز|تعزيز|"),
    ("clash", "verb", "اشتبك|شتبك|اشتباك|"),
    ("clash", "verb", "هاجم|هاجم|هجوم مهاجمة|"),
    ("clash", "verb", "قصف|قصف|قصف|"),
    ("clash", "verb", "استهدف|ستهدف|استهداف|"),
    ("clash", "verb", "قاتل|قاتل|قتال|"),
    ("clash", "verb", "تصدى|تصدى|تصدي|"),
    ("displacement", "verb", "نزح|نزح|نزوح|"),
    ("displacement", "verb", "فر|فر|فرار|"),
    ("displacement", "verb", "هرب|هرب|هروب|"),
    ("displacement", "verb", "هجر|هجر|تهجير|هجرت"),
    ("political", "verb", "صوت|صوت|تصويت|"),
    ("political", "verb", "أدلى|دلي||"),
    ("political", "verb", "أغلق|غلق|إغلاق|"),
    ("political", "verb", "حظر|حظر||"),
    ("political", "verb", "أقال|قيل|إقالة|أقيل"),
)
_AR_PRONOUNS = ("ها", "ه", "هما", "هم")
# Nouns and fixed phrases that are not verbal nouns of the verbs above.
_AR_PHRASES: dict[Cue, str] = {
    ("control_change", "verb"): "رفعت العلم|رفعوا العلم|تحولت إلى مقر|تحول إلى مقر|فرض سيطرتها|فرضت سيطرتها|"
    # became held: «باتت البلدة تحت سيطرة», «سقطت بيد»
    "باتت تحت سيطرة|بات تحت سيطرة|أصبحت تحت سيطرة|أصبح تحت سيطرة|صارت تحت سيطرة|وقعت تحت سيطرة|"
    "سقطت بيد|سقط بيد|سقطت بأيدي|سقطت في يد|سقطت في قبضة|وقعت بيد|وقعت في يد",
    ("control_change", "noun"): "سيطرة|سيطرتها|سيطرته|سيطرتهم|فرض السيطرة|فرض الأمن|بسط الأمن",
    ("status", "status"): "تحت سيطرة|بقيت بيد|لا تزال بيد|لا يزال بيد|ما زالت بيد|بيد",
    ("deployment", "noun"): "تعزيزات|تعزيزات عسكرية",
    ("clash", "noun"): "اشتباكات|معارك|معركة|مواجهات|مواجهة|هجمات|غارة|غارات|كمين|اشتباكات مسلحة|قتالا",
    ("displacement", "noun"): "هجرة|موجة نزوح",
    # «وصولاً إلى الموصل»: "all the way to", no arrival
    ("stop", "stop"): "وصولا|وصولاً",
    ("political", "noun"): "استفتاء|حيز التنفيذ|وقف الرحلات|حظر الطيران|وقف تقدم|وقف إطلاق النار|هدنة|اتفاق|"
    "محادثات|مفاوضات|انتخابات|حظر التجوال|حظر تجوال|حظر للتجوال|تعليق الرحلات|تعليق الطيران|حظر جوي|حظرا جويا",
}


def _ar_suffixed(stem: str, endings: Iterable[str]) -> list[str]:
    return [stem + e for e in endings]


def arabic_verb_forms(past: str, present: str) -> tuple[list[str], list[str]]:
    """Return the past forms (with object pronouns) and the present forms of an Arabic verb.

    Parameters
    ----------
    past
        The past, 3rd person masculine singular (``انسحب``, ``أخلى``).
    present
        The present stem without its prefix (``نسحب`` of ``ينسحب``; ``خلي`` of ``يخلي``).
    """
    if past.endswith(("ى", "ي")):  # defective: أخلى أخلت أخلوا
        base = past[:-1]
        forms = [past, base + "ت", base + "وا", base + "تا"]
    else:
        forms = [past, *_ar_suffixed(past, ("ت", "وا", "تا", "ا", "ن"))]
    # object pronouns, but not ه: written without vowels, سيطره is سيطرة (a noun) far more often than "controlled it"
    forms += [f + p for f in (past, forms[1]) for p in _AR_PRONOUNS if p != "ه"] + [
        forms[2].removesuffix("ا") + "ها"
    ]
    weak = present.endswith(("ي", "ى"))
    p_base = present[:-1] if weak else present
    presents = [pre + present for pre in "يتن"]
    presents += [
        pre + p_base + e for pre in "يت" for e in (("ون", "ان") if not weak else ("ون", "ان", "يان"))
    ]
    presents += [pre + present + p for pre in "يت" for p in _AR_PRONOUNS]
    return forms, presents


def _arabic() -> tuple[dict[str, Cue], frozenset[str]]:
    table: dict[str, Cue] = {}
    presents: set[str] = set()
    for etype, kind, spec in _AR_VERBS:
        past, present, nouns, extra = spec.split("|")
        forms, pres = arabic_verb_forms(past, present)
        for form in [*forms, *extra.split()]:
            table.setdefault(form, (etype, kind))
        present = ("status", "status") if past == "سيطر" else (etype, kind)  # تسيطر: holds, not took
        for form in pres:
            table.setdefault(form, present)
            table.setdefault("س" + form, (etype, "future"))
            presents.add(form)
        noun_kind = "entry_noun" if kind == "entry" else "noun"
        for noun in nouns.split():
            stem = noun[:-1] + "ت" if noun.endswith("ة") else noun
            for form in (noun, noun + "ا", *(stem + p for p in _AR_PRONOUNS)):
                table[form] = (etype, noun_kind)  # a noun wins over a verb form spelled alike (استعادها)
    for cue, phrases in _AR_PHRASES.items():
        for phrase in phrases.split("|"):
            table[phrase] = cue
    return table, frozenset(presents)


# ---------------------------------------------------------------- English

# lemma: (past, participle); the regular verbs are inflected by rule.
_EN_IRREGULAR: dict[str, tuple[str, str]] = {
    "take": ("took", "taken"),
    "retake": ("retook", "retaken"),
    "overrun": ("overran", "overrun"),
    "withdraw": ("withdrew", "withdrawn"),
    "give": ("gave", "given"),
    "fall": ("fell", "fallen"),
    "fight": ("fought", "fought"),
    "flee": ("fled", "fled"),
    "send": ("sent", "sent"),
    "leave": ("left", "left"),
    "hold": ("held", "held"),
    "strike": ("struck", "struck"),
    "drive": ("drove", "driven"),
    "sweep": ("swept", "swept"),
    "break": ("broke", "broken"),
    "come": ("came", "come"),
    "retreat": ("retreated", "retreated"),
    "turn": ("turned", "turned"),
    "claim": ("claimed", "claimed"),
    "declare": ("declared", "declared"),
}
_EN_DOUBLED = frozenset({"control", "patrol", "regroup"})

# (event type, kind, lemma phrases)
_EN_LEMMAS: tuple[tuple[str, str, str], ...] = (
    (
        "control_change",
        "verb",
        "take control|take full control|take over|take it over|take|seize|capture|recapture|retake|regain|"
        "overrun|secure*|storm*|liberate|free*|hand over|hand it over|fall to|raise the|impose security|wrest control|"
        "regain control|reclaim|take back|drive out|expel|oust|push out|tighten control|tighten their control|"
        "tighten its control|tighten their grip|tighten its grip|impose control|establish control|"
        # a control gained, assumed or restored ("security forces have gained full control of the airport")
        "gain control|gain full control|gain complete control|assume control|assume full control|"
        "take complete control|retake control|restore control|establish full control|impose full control|"
        # became held: "came under the control of", "fell into the hands of"
        "come under the control of|come under the full control of|come under control of|fall into the hands of|"
        "fall under the control of|fall into the hands|come under the control|turn over|turn it over|"
        # a victory claimed at a place: "claimed victory in Zumar", "declared victory in Hawija"
        "claim victory in|claim victory over|declare victory in|declare victory over|claim control of|"
        "declare full control of|declare control of",
    ),
    ("control_change", "entry", "enter|move into|advance into|roll into|march into|push into|sweep into"),
    (
        "withdrawal",
        "verb",
        "withdraw|pull out|pull back|fall back|retreat|give up|abandon|evacuate|leave*|vacate",
    ),
    ("deployment", "verb", "deploy|redeploy|station*|arrive|send|reinforce|dispatch|amass|mass*|reach*"),
    (
        "clash",
        "verb",
        "clash|fight|attack|shell*|bomb*|ambush|strike*|launch an assault|launch an attack|launch an offensive|"
        "exchange fire|open fire|bombard|target*",
    ),
    ("displacement", "verb", "flee|displace|uproot"),
    ("political", "verb", "vote|close*|ban*|dismiss|sack*|appoint|suspend|halt*"),
)
_EN_PHRASES: dict[Cue, str] = {
    (
        "control_change",
        "noun",
    ): "handover|takeover|hand-over|take-over|recapture|capture|liberation|the fall of|"
    "full liberation|total liberation|complete liberation",
    ("control_change", "verb"): (
        "now under the control of|now under the full control of|now under full control of|"
        "now in the hands of|back under the control of|back in the hands of|in full control|taken control"
    ),
    ("status", "status"): (
        "remained in the hands|in the hands of|still held|held by|still controlled|controlled by|"
        "under the control of|under the full control of|under full control of|in control of|remain under|"
        "remained under|remains under|"
        # "the Peshmerga-held Fish-Khabur border crossing"
        + "|".join(
            f"{holder}-{verb}"
            for holder in (
                "peshmerga",
                "kurdish",
                "kurd",
                "isis",
                "is",
                "isil",
                "militant",
                "government",
                "army",
            )
            for verb in ("held", "controlled")
        )
    ),
    ("withdrawal", "noun"): "withdrawal|pullout|pull-out|retreat",
    ("deployment", "noun"): "deployment|reinforcements|arrival",
    ("clash", "noun"): (
        "clashes|clash|fighting|battle|battles|shelling|exchanges of fire|firefight|firefights|"
        "attack|attacks|assault|offensive|ambush|airstrike|airstrikes|air strike|air strikes|skirmishes|"
        "bombardment|mortar fire"
    ),
    ("displacement", "noun"): "displacement|exodus",
    ("political", "noun"): "referendum|ceasefire|truce|talks|agreement|flight ban|vote|curfew|closure",
    # look like cues, are not
    ("stop", "stop"): "took place|take place|takes place|taking place|taken place|took part|take part|"
    "taking part|take part in|take into account|take steps|took steps|take measures|took measures|"
    "take action|took action|taken into|took office|take office|left behind|hold talks|held talks|"
    "measures taken|steps taken|action taken|actions taken|decisions taken|decision taken|"
    "attack helicopter|attack helicopters|secure the release|secured the release|close to|closed-door|"
    "close ally|close to the|secure a|secured a|reach a|reached a|reached an|reach an",
}


def english_verb_forms(lemma: str, *, past_only: bool = False) -> list[str]:
    """Return the base, third person, past, participle and gerund of an English verb (``take`` → took, taken...).

    With ``past_only``, the past and participle alone: the base and gerund of "station", "shell", "close" are
    more often nouns or adjectives than the verb.
    """
    if lemma in _EN_IRREGULAR:
        past, participle = _EN_IRREGULAR[lemma]
    elif lemma.endswith("e"):
        past = participle = lemma + "d"
    elif lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        past = participle = lemma[:-1] + "ied"
    elif lemma in _EN_DOUBLED:
        past = participle = lemma + lemma[-1] + "ed"
    else:
        past = participle = lemma + "ed"
    if lemma.endswith(("s", "sh", "ch", "x")):
        third = lemma + "es"
    elif lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        third = lemma[:-1] + "ies"
    else:
        third = lemma + "s"
    if lemma.endswith("ee"):
        gerund = lemma + "ing"
    elif lemma.endswith("e"):
        gerund = lemma[:-1] + "ing"
    elif lemma in _EN_DOUBLED or lemma in ("overrun",):
        gerund = lemma + lemma[-1] + "ing"
    else:
        gerund = lemma + "ing"
    if past_only:
        return list(dict.fromkeys([past, participle]))
    return list(dict.fromkeys([lemma, third, past, participle, gerund]))


def _english() -> dict[str, Cue]:
    table: dict[str, Cue] = {}
    for etype, kind, lemmas in _EN_LEMMAS:
        for phrase in lemmas.split("|"):
            head, _, rest = phrase.partition(" ")
            for form in english_verb_forms(head.rstrip("*"), past_only=head.endswith("*")):
                table.setdefault(f"{form} {rest}".strip(), (etype, kind))
    for cue, phrases in _EN_PHRASES.items():
        for phrase in phrases.split("|"):
            table[phrase] = cue
    return table


AR_CUES, AR_PRESENT = _arabic()
EN_CUES: dict[str, Cue] = _english()
# Arabic future and purpose prefixes never make an event: the generated future forms say so.
