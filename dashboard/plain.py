r"""Data shown in Streamlit's Markdown elements exactly as typed: never a link, an image, a heading or a format.

``st.error``, ``st.warning``, ``st.info``, ``st.caption``, ``st.markdown`` and ``st.write`` render Markdown with
GitHub's extensions, LaTeX ``$...$``, ``:color[...]`` directives and emoji shortcodes. Backslash escapes are not
enough there: GitHub's bare-URL autolinks are found in the *decoded* text, so ``https\:\/\/x`` still becomes a
live link. A code span is the one Markdown construct whose content is never parsed again, so every piece of data
passed to those elements goes through :func:`plain`, which writes it as one.
"""

from __future__ import annotations

import re

_BACKTICKS = re.compile(r"`+")
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_ENDS = re.compile(r"\r\n?|\n")


def plain(value: object) -> str:
    """Return ``value`` as a Markdown code span on one line: it renders as the same text, and as nothing else."""
    text = " ".join(str(value).split())  # a line break inside data would end the span's paragraph
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""  # CommonMark strips one space each side
    return f"{fence}{pad}{text}{pad}{fence}"


def html_text(value: object) -> str:
    """Return ``value`` escaped for HTML that Streamlit shows with ``unsafe_allow_html``, punctuation as entities.

    Such HTML still passes through the Markdown renderer; writing every ASCII punctuation mark as a numeric
    character reference keeps the text inert there, and line breaks become ``<br>``, so that no blank line can end
    the HTML block and hand the rest of the text to the Markdown parser.
    """
    escaped = _PUNCTUATION.sub(lambda m: f"&#{ord(m.group(1))};", str(value))
    return _LINE_ENDS.sub("<br>", escaped)
