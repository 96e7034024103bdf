"""The one catalogue of user-interface text, in English and Arabic, with CLDR plural forms for counts.

Every label of the map (:mod:`geodata.maps`) and of the dashboard (:mod:`dashboard.i18n`) lives here. A count is
never glued to a fixed noun: Arabic has six plural forms (CLDR: zero, one, two, few for 3–10, many for 11–99,
other for 100 and up, counted modulo 100), so «{n} حدثاً» is right only for 11–99. A message names a counted
noun phrase in its field's format spec, ``{n:events}``, and :func:`count` picks the phrase's form from the
plural rules of the Unicode CLDR, as shipped by Babel.

Numbers are written with ASCII digits and ``,`` grouping in both languages, as the rest of the page writes them.
The catalogue is plain text: callers escape data before passing it in (values are never markup here).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from decimal import Decimal
from functools import cache

from babel import Locale

from geodata.errors import InputError

LANGS: tuple[str, ...] = ("en", "ar")

# Counted noun phrases: every CLDR plural category of the language, ``{n}`` where the number is written.
COUNTS: dict[str, dict[str, dict[str, str]]] = {
    "events": {
        "en": {"one": "{n} event", "other": "{n} events"},
        "ar": {
            "zero": "لا أحداث",
            "one": "حدث واحد",
            "two": "حدثان",
            "few": "{n} أحداث",
            "many": "{n} حدثاً",
            "other": "{n} حدث",
        },
    },
    "changes": {
        "en": {"one": "{n} change of control", "other": "{n} changes of control"},
        "ar": {
            "zero": "لا تغيّر في السيطرة",
            "one": "تغيّر واحد في السيطرة",
            "two": "تغيّران في السيطرة",
            "few": "{n} تغيّرات في السيطرة",
            "many": "{n} تغيّراً في السيطرة",
            "other": "{n} تغيّر في السيطرة",
        },
    },
    "movements": {
        "en": {"one": "{n} movement", "other": "{n} movements"},
        "ar": {
            "zero": "لا تحرّكات",
            "one": "تحرّك واحد",
            "two": "تحرّكان",
            "few": "{n} تحرّكات",
            "many": "{n} تحرّكاً",
            "other": "{n} تحرّك",
        },
    },
    "problems": {
        "en": {"one": "{n} problem", "other": "{n} problems"},
        "ar": {
            "zero": "لا مشكلات",
            "one": "مشكلة واحدة",
            "two": "مشكلتان",
            "few": "{n} مشكلات",
            "many": "{n} مشكلة",
            "other": "{n} مشكلة",
        },
    },
}

MESSAGES: dict[str, tuple[str, str]] = {
    # ---- dashboard
    "title": ("Kirkuk Control Map", "خريطة السيطرة في كركوك"),
    "nav_map": ("Map", "الخريطة"),
    "nav_add_article": ("Add article", "إضافة مقال"),
    "nav_review": ("Review candidates", "مراجعة المرشحات"),
    "read_only": (
        "Read-only server: the map and downloads only (no upload, no articles, no corrections).",
        "خادم للقراءة فقط: الخريطة والتنزيلات فقط (لا رفع ولا مقالات ولا تصحيحات).",
    ),
    "subtitle": (
        "Who held each place on the chosen day, and what happened in the chosen window.",
        "من كان يسيطر على كل مكان في اليوم المختار، وما الذي جرى في الفترة المختارة.",
    ),
    "language": ("Language", "اللغة"),
    "window": ("Event window", "فترة الأحداث"),
    "quick": ("Quick picks", "اختيارات سريعة"),
    "last7": ("Last 7 days of the data", "آخر ٧ أيام من البيانات"),
    "last30": ("Last 30 days of the data", "آخر ٣٠ يوماً من البيانات"),
    "whole": ("Whole campaign", "الحملة كاملة"),
    "as_of": ("Control as of", "السيطرة بتاريخ"),
    "day_back": ("◀ Day back", "◀ يوم سابق"),
    "day_forward": ("Day forward ▶", "يوم لاحق ▶"),
    "play": ("▶ Play", "▶ تشغيل"),
    "pause": ("⏸ Pause", "⏸ إيقاف"),
    "speed": ("Seconds per day", "ثوانٍ لكل يوم"),
    "filters": ("Filters", "عوامل التصفية"),
    "choose": ("Any", "الكل"),
    "types": ("Event type", "نوع الحدث"),
    "actors": ("Actor", "الجهة"),
    "places": ("Place", "المكان"),
    "admin1s": ("Governorate", "المحافظة"),
    "statuses": ("Status (default: all but withdrawn)", "الحالة (افتراضياً: الكل عدا المسحوب)"),
    "text": ("Search text", "بحث في النص"),
    "layers": ("Map layers", "طبقات الخريطة"),
    "upload": ("Use another events CSV", "استخدام ملف أحداث CSV آخر"),
    "upload_ok": (
        "The file is valid: {n:events}. The page now shows it.",
        "الملف صالح: {n:events}. تعرضه الصفحة الآن.",
    ),
    "upload_bad": (
        "The file has {n:problems}; the page keeps the previous data.",
        "في الملف {n:problems}؛ تبقى الصفحة على البيانات السابقة.",
    ),
    "upload_reset": ("Back to the default events file", "العودة إلى ملف الأحداث الافتراضي"),
    "events_in_window": (
        "{n:events} in the window, {c:changes}",
        "{n:events} في الفترة، و{c:changes}",
    ),
    "table": ("Events in the window", "الأحداث في الفترة"),
    "table_cut": (
        "Showing the first {k} of {n:events}; download for all.",
        "تُعرض أول {k} من {n:events}؛ نزّل الملف للكل.",
    ),
    "table_cut_changes": (
        "Showing the first {k} of {n:changes}; download for all.",
        "تُعرض أول {k} من {n:changes}؛ نزّل الملف للكل.",
    ),
    "timeline": ("Events per day by type", "الأحداث يومياً حسب النوع"),
    "changes": ("Changes of control in the window", "تغيّرات السيطرة في الفترة"),
    "no_changes": ("No change of control in the window.", "لا تغيّر في السيطرة خلال الفترة."),
    "downloads": ("Download", "تنزيل"),
    "dl_geojson": ("GeoJSON of the filtered events", "GeoJSON للأحداث المصفّاة"),
    "dl_csv": ("CSV of the filtered events", "CSV للأحداث المصفّاة"),
    "dl_control": ("GeoJSON of control as of the day", "GeoJSON للسيطرة في اليوم المحدد"),
    "dl_areas": ("GeoJSON of the areas of control", "GeoJSON لمناطق السيطرة"),
    "no_events": (
        "No events match the filters in this window.",
        "لا أحداث تطابق عوامل التصفية في هذه الفترة.",
    ),
    "load_error": ("The events file cannot be used", "لا يمكن استخدام ملف الأحداث"),
    "bad_link": ("Some link parameters were ignored: {what}", "تم تجاهل بعض معاملات الرابط: {what}"),
    "col_event_id": ("Id", "المعرّف"),
    "col_event_date": ("Date", "التاريخ"),
    "col_date_precision": ("Precision", "الدقة"),
    "col_event_type": ("Type", "النوع"),
    "col_place": ("Place", "المكان"),
    "col_place_ar": ("Place (Arabic)", "المكان (بالعربية)"),
    "col_place_as_written": ("As written", "كما ورد"),
    "col_controller_before": ("Before", "قبل"),
    "col_controller_after": ("After", "بعد"),
    "col_summary": ("Summary", "الملخص"),
    "col_source": ("Source", "المصدر"),
    "col_source_url": ("Link", "الرابط"),
    "col_status": ("Status", "الحالة"),
    "col_count": ("Events", "الأحداث"),
    # ---- map layers: the dashboard's layer picker and the map's layer control
    "layer_control": ("Control as of the day", "السيطرة في اليوم المحدد"),
    "layer_events": ("Events in the window", "الأحداث في الفترة"),
    "layer_movements": ("Movements (origin → place)", "التحركات (من ← إلى)"),
    "layer_changes": ("Changes in the window", "التغيّرات في الفترة"),
    "layer_areas": ("Areas of control (approximate)", "مناطق السيطرة (تقريبية)"),
    "layer_fronts": ("Front lines (approximate)", "خطوط التماس (تقريبية)"),
    # ---- the map: legend, "as of" box, popups and tooltips
    "legend_open": ("Legend", "مفتاح الخريطة"),
    "legend_title": ("Who holds each place", "من يسيطر على كل مكان"),
    "legend_event_types": ("Event types", "أنواع الأحداث"),
    "legend_area": ("Area held (approximate, from the places)", "منطقة سيطرة (تقريبية، من الأماكن)"),
    "legend_contested_area": ("Contested area", "منطقة متنازع عليها"),
    "legend_front": ("Front line (approximate)", "خط تماس (تقريبي)"),
    "asof_window": ("Events", "الأحداث"),
    "map_events": ("{n:events}", "{n:events}"),
    "map_aggregated": (
        "{n:events} · aggregated: counts per grid cell",
        "{n:events} · مجمّعة: عدد الأحداث في كل خلية",
    ),
    "map_cell": ("{n:events} in this cell", "{n:events} في هذه الخلية"),
    "map_movement_pair": ("{n:movements}: {origin} → {place}", "{n:movements}: {origin} ← {place}"),
    "map_place_changes": ("{n:changes}", "{n:changes}"),
    "popup_controller": ("Control", "السيطرة"),
    "since": ("since", "منذ"),
    "contested": ("Contested", "متنازع عليه"),
    "unknown": ("Unknown", "غير معروف"),
    "precision": ("precision", "الدقة"),
    "precision_day": ("day", "يوم"),
    "precision_week": ("week", "أسبوع"),
    "precision_month": ("month", "شهر"),
}


def _check_lang(lang: str) -> int:
    """Return the index of ``lang`` in :data:`LANGS`; raise :class:`InputError` for any other language."""
    try:
        return LANGS.index(lang)
    except ValueError:
        raise InputError(f"language must be one of {', '.join(LANGS)}, got {lang!r}") from None


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_category(n: int | Decimal, lang: str) -> str:
    """Return the CLDR plural category of ``n`` in ``lang`` (``"zero"``, ``"one"``, ``"two"``, ``"few"``...)."""
    _check_lang(lang)
    return _locale(lang).plural_form(n)


def plural_categories(lang: str) -> frozenset[str]:
    """Return every CLDR plural category of ``lang`` (what each counted phrase must have)."""
    _check_lang(lang)
    return frozenset(_locale(lang).plural_form.tags | {"other"})


def _as_number(value: object) -> tuple[int | Decimal, str]:
    """Return ``value`` as a number for the plural rules and as it is written; ``"1,234"`` is 1234."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value, f"{value:,}"
    written = str(value).strip()
    if isinstance(value, bool) or not _WRITTEN_NUMBER.fullmatch(written):
        raise InputError(f"a count must be a number written with digits, got {value!r}")
    plain = written.replace(",", "")
    return (Decimal(plain) if "." in plain else int(plain)), written


_WRITTEN_NUMBER = re.compile(r"[0-9][0-9,]*(\.[0-9]+)?")


def count(noun: str, n: object, lang: str) -> str:
    """Return ``n`` with the counted noun phrase ``noun`` (a key of :data:`COUNTS`) in its CLDR plural form.

    ``n`` is an int (written with ``,`` grouping) or a number already written as text (kept as it is).
    """
    forms = COUNTS[noun][LANGS[_check_lang(lang)]]
    number, written = _as_number(n)
    form = forms.get(plural_category(abs(number), lang), forms["other"])
    return form.replace("{n}", written)


class _Formatter(string.Formatter):
    """``str.format`` where a field's format spec names a counted noun: ``{n:events}``."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec in COUNTS:
            return count(format_spec, value, self.lang)
        return super().format_field(value, format_spec)


def text(key: str, lang: str, **values: object) -> str:
    """Return the message ``key`` in ``lang``, with ``values`` filled in (counts in their plural form).

    Values are put in as they are: a caller escapes data for where the text goes (HTML, Markdown) first.
    """
    message = MESSAGES[key][_check_lang(lang)]
    return _Formatter(lang).vformat(message, (), values) if values else message


def message_fields(key: str) -> Mapping[str, str]:
    """Return the fields of message ``key`` (both languages), each with its counted noun or ``""``."""
    fields: dict[str, str] = {}
    for message in MESSAGES[key]:
        for _, name, spec, _ in string.Formatter().parse(message):
            if name is not None:
                fields[name] = spec or ""
    return fields
