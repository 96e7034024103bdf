"""Controlled vocabularies of the event schema, with English/Arabic labels, colours and the ACLED mapping."""

from __future__ import annotations

from dataclasses import dataclass

# Column order of events.csv. Loading accepts these columns in any order; saving writes this order.
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_date",
    "date_precision",
    "date_end",
    "event_type",
    "place_id",
    "place",
    "place_ar",
    "place_as_written",
    "latitude",
    "longitude",
    "coord_override",
    "geo_precision",
    "admin1",
    "origin_place_id",
    "controller_before",
    "controller_after",
    "control_mode",
    "actors",
    "summary",
    "source",
    "source_url",
    "source_date",
    "source_lang",
    "status",
    "notes",
    "updated_at",
    "update_reason",
)

REQUIRED_COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_date",
    "date_precision",
    "event_type",
    "place_id",
    "source",
    "status",
)

EVENT_TYPES: tuple[str, ...] = (
    "control_change",
    "status",
    "deployment",
    "withdrawal",
    "clash",
    "displacement",
    "political",
)
# Types that carry controller_before/controller_after and feed the control state.
CONTROL_TYPES: frozenset[str] = frozenset({"control_change", "status"})

DATE_PRECISIONS: tuple[str, ...] = ("day", "week", "month")
STATUSES: tuple[str, ...] = ("reported", "confirmed", "disputed", "withdrawn")
CONTROL_MODES: tuple[str, ...] = ("violent", "non_violent", "negotiated")
GEO_PRECISIONS: tuple[int, ...] = (1, 2, 3)
SOURCE_LANGS: tuple[str, ...] = ("ar", "en", "ku", "tr", "fa", "fr", "de")


@dataclass(frozen=True)
class Label:
    """A vocabulary entry's display labels and colour."""

    en: str
    ar: str
    color: str = "#999999"


# Okabe-Ito palette: distinguishable by readers with the common colour-vision deficiencies.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
CONTESTED_COLOR = OKABE_ITO["vermillion"]
UNKNOWN_COLOR = "#999999"

ACTORS: dict[str, Label] = {
    "krg": Label(
        "Kurdistan Region forces (Peshmerga, Asayish)",
        "قوات إقليم كردستان (البيشمركة، الآسايش)",
        OKABE_ITO["orange"],
    ),
    "isf": Label("Iraqi federal forces", "القوات الاتحادية العراقية", OKABE_ITO["blue"]),
    "pmf": Label("Popular Mobilization Forces", "الحشد الشعبي", OKABE_ITO["bluish_green"]),
    "us": Label("US-led coalition", "التحالف بقيادة الولايات المتحدة", OKABE_ITO["reddish_purple"]),
    "isis": Label("Islamic State (ISIS)", "تنظيم الدولة الإسلامية (داعش)", OKABE_ITO["black"]),
    "iraq_gov": Label("Federal government of Iraq", "الحكومة العراقية الاتحادية", OKABE_ITO["blue"]),
    "krg_gov": Label("Kurdistan Regional Government", "حكومة إقليم كردستان", OKABE_ITO["orange"]),
    "puk": Label("Patriotic Union of Kurdistan", "الاتحاد الوطني الكردستاني", OKABE_ITO["yellow"]),
    "kdp": Label("Kurdistan Democratic Party", "الحزب الديمقراطي الكردستاني", OKABE_ITO["yellow"]),
    "civilians": Label("Civilians", "المدنيون", UNKNOWN_COLOR),
}
# Joint holders are written with '+', e.g. "isf+pmf"; these have their own colour.
JOINT_COLORS: dict[str, str] = {"isf+pmf": OKABE_ITO["sky_blue"]}
# Actors that can hold territory (valid in controller_before / controller_after).
CONTROLLERS: frozenset[str] = frozenset({"krg", "isf", "pmf", "us", "isis"})

EVENT_TYPE_LABELS: dict[str, Label] = {
    "control_change": Label("Control change", "تغيّر السيطرة", OKABE_ITO["vermillion"]),
    "status": Label("Control status", "حالة السيطرة", UNKNOWN_COLOR),
    "deployment": Label("Deployment", "انتشار", OKABE_ITO["blue"]),
    "withdrawal": Label("Withdrawal", "انسحاب", OKABE_ITO["orange"]),
    "clash": Label("Clash", "اشتباك", OKABE_ITO["black"]),
    "displacement": Label("Displacement", "نزوح", OKABE_ITO["reddish_purple"]),
    "political": Label("Political", "حدث سياسي", OKABE_ITO["bluish_green"]),
}

STATUS_LABELS: dict[str, Label] = {
    "reported": Label("Reported", "مُبلَّغ عنه"),
    "confirmed": Label("Confirmed", "مؤكَّد"),
    "disputed": Label("Disputed", "متنازع عليه"),
    "withdrawn": Label("Withdrawn", "مسحوب"),
}

# One table maps our types to ACLED's (disorder_type, event_type, sub_event_type), keyed on
# (event_type, control_mode, side of the acting actor); None is the fallback of a key part.
# ACLED's codebook puts territory taken by fighting under Battles ("Government regains territory" when state forces
# or their affiliates take it, "Non-state actor overtakes territory" otherwise), territory taken without fighting
# under "Non-violent transfer of territory", and "Headquarters or base established" only for non-state groups.
# Where our data does not say enough (no control_mode, a side ACLED's sub-types do not name), the row falls back
# to a type that claims no more than we know; ``kcm_event_type`` in the export keeps our own type.
ACLED_TYPES: dict[tuple[str, str | None, str | None], tuple[str, str, str]] = {
    ("control_change", "violent", "state"): ("Political violence", "Battles", "Government regains territory"),
    ("control_change", "violent", "non_state"): (
        "Political violence",
        "Battles",
        "Non-state actor overtakes territory",
    ),
    ("control_change", "violent", None): ("Political violence", "Battles", "Armed clash"),
    ("control_change", "non_violent", None): (
        "Strategic developments",
        "Strategic developments",
        "Non-violent transfer of territory",
    ),
    ("control_change", "negotiated", None): ("Strategic developments", "Strategic developments", "Agreement"),
    ("control_change", None, None): ("Strategic developments", "Strategic developments", "Other"),
    ("deployment", None, "non_state"): (
        "Strategic developments",
        "Strategic developments",
        "Headquarters or base established",
    ),
    ("deployment", None, None): ("Strategic developments", "Strategic developments", "Other"),
    ("withdrawal", None, None): ("Strategic developments", "Strategic developments", "Other"),
    ("clash", None, None): ("Political violence", "Battles", "Armed clash"),
    ("displacement", None, None): ("Strategic developments", "Strategic developments", "Other"),
    ("political", None, None): ("Strategic developments", "Strategic developments", "Other"),
    ("status", None, None): ("Strategic developments", "Strategic developments", "Other"),
}
# The side of an actor for ACLED's sub-event types: Iraqi state forces, federal or regional (the Peshmerga are the
# Kurdistan Region's guard under the constitution), and their affiliates (the PMF, by the 2016 law) are "state";
# foreign forces (the US-led coalition) have no side here, so their rows take the fallback.
ACLED_SIDES: dict[str, str] = {
    "isf": "state",
    "pmf": "state",
    "iraq_gov": "state",
    "krg": "state",
    "krg_gov": "state",
    "isis": "non_state",
}
DATE_PRECISION_ACLED: dict[str, int] = {"day": 1, "week": 2, "month": 3}
# ISO 3166 codes of the gazetteer's countries, with the country names ACLED uses.
COUNTRY_NAMES: dict[str, str] = {
    "IQ": "Iraq",
    "IR": "Iran",
    "TR": "Turkey",
    "SY": "Syria",
    "SA": "Saudi Arabia",
    "KW": "Kuwait",
    "JO": "Jordan",
}


def split_controller(code: str) -> list[str]:
    """Split a possibly joint controller code (``"isf+pmf"``) into its actor codes."""
    return [part for part in code.split("+") if part]


def is_valid_controller(code: str) -> bool:
    """Return whether ``code`` is a controller or a '+'-joined combination of controllers."""
    parts = split_controller(code)
    return bool(parts) and all(p in CONTROLLERS for p in parts)


def actor_label(code: str, lang: str = "en") -> str:
    """Return the display label of an actor or joint-controller code, in English or Arabic."""
    labels = []
    for part in split_controller(code):
        entry = ACTORS.get(part)
        labels.append(code if entry is None else (entry.ar if lang == "ar" else entry.en))
    return " + ".join(labels) if labels else code


def controller_color(code: str | None) -> str:
    """Return the map colour of a controller code (joint codes have their own; unknown is grey)."""
    if not code:
        return UNKNOWN_COLOR
    if code in JOINT_COLORS:
        return JOINT_COLORS[code]
    entry = ACTORS.get(code)
    return entry.color if entry else UNKNOWN_COLOR
