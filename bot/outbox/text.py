"""Splitting long texts for platforms with a message size limit, at clean boundaries."""

from __future__ import annotations

from collections.abc import Callable


def split_text(text: str, limit: int, *, measure: Callable[[str], int] = len) -> list[str]:
    """Pieces of ``text`` each measuring at most ``limit``: cut at paragraph, then line, then word
    boundaries, and mid-word only when a single word is longer than the limit."""
    if measure(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while rest:
        if measure(rest) <= limit:
            pieces.append(rest)
            break
        # the longest prefix that fits
        lo, hi = 1, len(rest)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if measure(rest[:mid]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        cut = lo
        head = rest[:cut]
        for sep in ("\n\n", "\n", " "):
            at = head.rfind(sep)
            if at > cut // 3:
                cut = at + len(sep)
                break
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip()
    return pieces
