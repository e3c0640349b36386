"""Clean untrusted text before it is matched or shown, and quote values briefly in messages.

A question can carry characters nobody sees: zero-width spaces ("B\\u200bART"), bidi overrides
that reorder what is displayed, control characters pasted from a terminal, or lone surrogates
left by undecodable bytes. They never belong to the question, they stop words from matching,
and echoed back they can make a message display something else than it says. ``clean_text``
removes them once, before matching and before any echo; retrieval itself is unchanged.
"""

from __future__ import annotations

import re
import unicodedata

QUOTE_LIMIT = 80  # characters of a bad value an error message quotes; enough to recognise it
REPLACEMENT = "\ufffd"

# Categories removed outright: Cf (format: zero-width space and joiners, bidi embeddings,
# overrides and isolates, the BOM, soft hyphen, invisible tag characters); Co (private use) is
# kept, it renders. Line and paragraph separators and other controls become spaces so they never
# glue two words together; lone surrogates (from bytes that were not UTF-8) become U+FFFD.
_SPACE_LIKE = frozenset({"Cc", "Zl", "Zp"})
_DROPPED = frozenset({"Cf"})
_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Return ``text`` without invisible, control or bidi characters, on one line.

    Control characters (tab and newline included) and line separators become one space;
    format characters (zero-width, bidi, soft hyphen, tags) are dropped; lone surrogates become
    U+FFFD; runs of whitespace are folded and the ends stripped.
    """
    if text.isprintable() and "  " not in text and text == text.strip():
        return text  # the common case: nothing to do (isprintable() is False for Cc/Cf/Zl/Zp)
    out: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in _SPACE_LIKE:
            out.append(" ")
        elif category in _DROPPED:
            continue
        elif category == "Cs":
            out.append(REPLACEMENT)
        else:
            out.append(ch)
    return _SPACES.sub(" ", "".join(out)).strip()


def quoted(value: str, limit: int = QUOTE_LIMIT) -> str:
    """``repr`` of at most ``limit`` characters of ``value``, with its full length if cut.

    Error messages quote a bad value so the user can find it, never the whole of it: a 900 KB
    string or a file someone linked in stays out of the terminal and the logs.
    """
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}… ({len(value):,} characters)"
