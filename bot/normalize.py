"""What a customer's text says, once, at the pipeline's entrance.

Chat clients send text that looks empty but is not: a Hangul filler (U+3164, U+115F, U+1160,
U+FFA0) that Korean keyboards use as an "invisible" character, zero-width spaces and joiners,
byte-order marks, bidirectional marks, variation selectors, soft hyphens, the blank Braille
pattern. ``readable`` gives the text the bot decides on: Unicode NFC, every default-ignorable
code point (Unicode's ``Default_Ignorable_Code_Point`` property, which covers the fillers and
zero-width characters) and format character (category Cf) dropped, every kind of space turned
into a plain space and runs of them folded. The stored transcript keeps what the customer sent, but
for control characters (:func:`without_controls`): a BEL or an ANSI escape sequence has no place in a
chat message and would ring, recolour or clear an agent's terminal in ``tickets show``.
"""

from __future__ import annotations

import unicodedata

import regex

# Default_Ignorable_Code_Point: U+00AD, U+034F, U+115F-1160, U+17B4-17B5, U+180B-180F, U+200B-200F,
# U+202A-202E, U+2060-206F, U+3164, U+FE00-FE0F, U+FEFF, U+FFA0, U+1D173-1D17A, U+E0000-E0FFF ...
# plus the format characters and the blank Braille pattern (U+2800), which renders as nothing.
_INVISIBLE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}\u2800]+")
# C0 and C1 control characters but tab, line feed and carriage return (NUL is refused before this), and what
# an ANSI escape sequence (ESC [ ... final byte) leaves behind once its ESC is gone
_CONTROLS = regex.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI (7- and 8-bit): colours, cursor moves, clearing
    r"|(?:\x1b[\]P^_X]|[\x90\x98\x9d-\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS, PM, APC, SOS strings
    r"|\x1b[@-Z\\-_]|[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = regex.compile(r"[^\S\n]+")  # any whitespace but a line break: tabs, NBSP, U+3000 ideographic ...
_LINES = regex.compile(r"\s*\n\s*")


def readable(text: str) -> str:
    """The text to decide on: NFC, invisible characters dropped, spaces folded, trimmed; "" when
    nothing is left that a person could read (a letter, digit, punctuation mark or symbol; emoji
    count, combining marks on their own do not).

    "\\u3164" and "\\u200b \\ufeff" give ""; "pass\\u200bword" gives "password";
    "비밀번호\\u3000재설정" gives "비밀번호 재설정".
    """
    text = unicodedata.normalize("NFC", without_controls(text))
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _LINES.sub("\n", text).strip()
    if not any(unicodedata.category(ch)[0] in "LNPS" for ch in text):
        return ""
    return text


def without_controls(text: str) -> str:
    """``text`` without control characters (C0 and C1, but tab and line feed; a carriage return becomes a line
    feed) and without whole escape sequences (CSI "\\x1b[31m" or "\\x9b2J", OSC "\\x1b]0;title\\x07", DCS):
    what the transcript stores and terminals print.

    "how do I reset\\x07 my password\\x1b[31m" gives "how do I reset my password"."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
