"""Strict reading of JSON request bodies (webhooks): what the standard library lets through but a
database or a platform library chokes on is refused here with a reason, before anything is stored.

Refused: bytes that are not UTF-8; text that is not JSON; ``NaN``/``Infinity``; strings with lone
surrogates (no UTF-8 form, so PostgreSQL and SQLite cannot store them); NUL characters; nesting
deeper than ``max_depth``; integers outside the signed 64-bit range.
"""

from __future__ import annotations

import json
from typing import Any

INT64 = 2**63 - 1


class BadBody(ValueError):
    """The body cannot be taken; ``str(e)`` says why (shown to the sender with HTTP 400)."""


def _no_constant(name: str) -> Any:
    raise BadBody(f"{name} is not a JSON number")


def clean_text(value: str, what: str) -> None:
    """Raise BadBody when ``value`` has a NUL or a lone surrogate (text no database can store)."""
    if "\x00" in value:
        raise BadBody(f"{what} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise BadBody(f"{what} contains a lone surrogate (\\u{ord(value[e.start]):04x}), which is not text") from e


def parse_json(raw: bytes, *, max_depth: int = 32) -> Any:
    """The JSON value of ``raw``; BadBody with the reason when it breaks a rule above."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadBody(f"the body is not UTF-8 (byte {e.start})") from e
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except BadBody:
        raise
    except RecursionError as e:
        raise BadBody(f"JSON nested deeper than {max_depth} levels") from e
    except ValueError as e:  # JSONDecodeError, and integers too long to read
        raise BadBody(f"not valid JSON: {e}") from e
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > max_depth:
            raise BadBody(f"JSON nested deeper than {max_depth} levels")
        if isinstance(v, dict):
            for k, item in v.items():
                clean_text(k, "a key")
                stack.append((item, depth + 1))
        elif isinstance(v, list):
            stack.extend((item, depth + 1) for item in v)
        elif isinstance(v, str):
            clean_text(v, "a string")
        elif isinstance(v, int) and not isinstance(v, bool) and not -INT64 - 1 <= v <= INT64:
            raise BadBody("an integer outside the 64-bit range")
    return value
