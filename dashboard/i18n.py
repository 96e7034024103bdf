"""English and Arabic labels of the dashboard, and the right-to-left layout for Arabic."""

from __future__ import annotations

import re

from dashboard.plain import plain
from geodata.vocab import ACTORS, EVENT_TYPE_LABELS, STATUS_LABELS, actor_label

LANGS: tuple[str, ...] = ("en", "ar")
LANG_NAMES: dict[str, str] = {"en": "English", "ar": "العربية"}

_LABELS: dict[str, tuple[str, str]] = {
    "title": ("Kirkuk Control Map", "خريطة السيطرة في كركوك"),
    "nav_map": ("Map", "الخريطة"),
    "nav_add_article": ("Add article", "إضافة مقال"),
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
    "layer_control": ("Control as of the day", "السيطرة في اليوم المحدد"),
    "layer_events": ("Events in the window", "الأحداث في الفترة"),
    "layer_movements": ("Movements", "التحركات"),
    "layer_changes": ("Changes in the window", "التغيّرات في الفترة"),
    "layer_areas": ("Areas of control (approximate)", "مناطق السيطرة (تقريبية)"),
    "layer_fronts": ("Front lines (approximate)", "خطوط التماس (تقريبية)"),
    "upload": ("Use another events CSV", "استخدام ملف أحداث CSV آخر"),
    "upload_ok": (
        "The file is valid: {n} events. The page now shows it.",
        "الملف صالح: {n} حدثاً. تعرضه الصفحة الآن.",
    ),
    "upload_bad": (
        "The file has {n} problem(s); the page keeps the previous data.",
        "في الملف {n} مشكلة؛ تبقى الصفحة على البيانات السابقة.",
    ),
    "upload_reset": ("Back to the default events file", "العودة إلى ملف الأحداث الافتراضي"),
    "events_in_window": (
        "{n} events in the window, {c} changes of control",
        "{n} حدثاً في الفترة، و{c} تغيّراً في السيطرة",
    ),
    "table": ("Events in the window", "الأحداث في الفترة"),
    "table_cut": (
        "Showing the first {k} of {n} events; download for all.",
        "تُعرض أول {k} من {n} حدثاً؛ نزّل الملف للكل.",
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
}

# Arabic runs right to left: the main column and the sidebar flip; the map keeps its own layout.
RTL_CSS = """
<style>
[data-testid="stMain"], [data-testid="stSidebar"] { direction: rtl; text-align: right; }
[data-testid="stSlider"] { direction: ltr; }
[data-testid="stDateInput"] input { direction: ltr; text-align: right; }
[data-testid="stMultiSelectTagsContainer"] [data-tag] { direction: ltr; }
</style>
"""


def t(key: str, lang: str, **values: object) -> str:
    """Return the label ``key`` in ``lang`` (``en`` or ``ar``), formatted with ``values``.

    Labels are Markdown (Streamlit renders them). Numbers are shown as they are; any other value is data, shown
    as typed (:func:`dashboard.plain.plain`).
    """
    en, ar = _LABELS[key]
    text = ar if lang == "ar" else en
    return text.format(**{name: _value(value) for name, value in values.items()}) if values else text


def _value(value: object) -> str:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        return str(value)
    return plain(value)


_NUMBER = re.compile(r"[0-9][0-9,.]*")


def type_label(code: str, lang: str) -> str:
    """Return the display name of an event type."""
    entry = EVENT_TYPE_LABELS.get(code)
    if entry is None:
        return code
    return entry.ar if lang == "ar" else entry.en


def status_label(code: str, lang: str) -> str:
    """Return the display name of a status."""
    entry = STATUS_LABELS.get(code)
    if entry is None:
        return code
    return entry.ar if lang == "ar" else entry.en


def actor_name(code: str, lang: str) -> str:
    """Return the display name of an actor (or joint controller) code, with the code for known actors."""
    label = actor_label(code, lang)
    return f"{label} ({code})" if code in ACTORS or "+" in code else label
