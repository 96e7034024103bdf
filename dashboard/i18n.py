"""English and Arabic labels of the dashboard, and the right-to-left layout for Arabic.

The text itself is in the one catalogue of :mod:`geodata.i18n` (shared with the map); this module adds the
dashboard's escaping: every value that is not a number is data, shown as typed.
"""

from __future__ import annotations

import re

from dashboard.plain import plain
from geodata.i18n import LANGS as CATALOGUE_LANGS
from geodata.i18n import count, text
from geodata.vocab import ACTORS, EVENT_TYPE_LABELS, STATUS_LABELS, actor_label

LANGS: tuple[str, ...] = CATALOGUE_LANGS
LANG_NAMES: dict[str, str] = {"en": "English", "ar": "العربية"}

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

    Labels are Markdown (Streamlit renders them). Numbers are shown as they are, and a count field (``{n:events}``
    in the catalogue) takes the plural form of its number; any other value is data, shown as typed
    (:func:`dashboard.plain.plain`).
    """
    return text(key, lang, **{name: _value(value) for name, value in values.items()})


def tn(noun: str, n: int, lang: str) -> str:
    """Return ``n`` with a counted noun of :data:`geodata.i18n.COUNTS` in its plural form: ``tn("events", 3, "ar")``."""
    return count(noun, n, lang)


def _value(value: object) -> object:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        return value
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
