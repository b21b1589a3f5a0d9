"""Other companies' products named in a message: "how do I cancel my Netflix subscription?", "삼성 TV 펌웨어
업데이트 방법", "how do I reset my iPhone password?". The encoders read such a message as the case whose words it
shares (cancelling a subscription, updating firmware, resetting a password) and the vote is sure of it,
though the question is about someone else's product. A brand the message names is checked against the case
it would be answered with: when the case's phrasings and answers mention none of the brands the message
names, the message is not answered with it ("how do I install the app on my iPhone?" is, when the install
case names the iPhone or the App Store's maker).

The list (``classifier/data/brands.txt``) holds well-known platforms, services and devices in English and
Korean; a desk adds its own competitors there. Matching is by whole word, case-insensitive; a Korean name
counts at the start of a word (with any particle after it: "넷플릭스는", "삼성tv")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from classifier.router import Decision, Why
from kb.errors import KBError

BRANDS = Path(__file__).resolve().parent / "data" / "brands.txt"
_HANGUL = re.compile("[\uac00-\ud7a3]")


@lru_cache(maxsize=4)
def _pattern(path: Path = BRANDS) -> re.Pattern[str]:
    """One regular expression over every name in ``path`` (longest first; OSError when it cannot be read)."""
    names = {line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")}
    alts = []
    for name in sorted(names, key=len, reverse=True):
        body = r"\s+".join(re.escape(part) for part in name.split())
        alts.append(rf"(?<![\w]){body}" if _HANGUL.search(name) else rf"(?<![\w]){body}(?![\w])")
    return re.compile("|".join(alts), re.IGNORECASE)


def brands(text: str, path: Path = BRANDS) -> set[str]:
    """The other companies' names ``text`` mentions (lowercase, spaces collapsed); empty when none."""
    return {" ".join(m.group(0).lower().split()) for m in _pattern(path).finditer(text)}


def foreign_to(text: str, case_texts: Iterable[str], path: Path = BRANDS) -> set[str]:
    """The brands ``text`` names when the case (its phrasings and answers, ``case_texts``) mentions none of
    them; empty when the message names no brand or the case mentions one of those it names."""
    named = brands(text, path)
    if not named:
        return set()
    mentioned = set().union(*(brands(t, path) for t in case_texts)) if case_texts else set()
    # "Apple" is mentioned by a case that names "Apple Pay", and the other way round
    return set() if any(n in m or m in n for n in named for m in mentioned) else named


class BrandCheckedRouter:
    """A router (:class:`classifier.router.Router` or one that wraps it) whose answers are withheld from a
    message naming another company's product that the answering case never mentions (:func:`foreign_to`):
    such a message is escalated as out of scope instead (a person says what the desk can and cannot help
    with). Every other decision is the router's. ``kb`` gives the case (``answering(case_id)``: its
    ``questions``, ``answer`` and ``translations``)."""

    def __init__(self, router: Any, kb: Any, path: Path = BRANDS) -> None:
        self.router = router
        self.kb = kb
        self.path = path

    def __getattr__(self, name: str) -> Any:
        return getattr(self.router, name)

    def decide(self, text: str, vector: np.ndarray) -> Decision:
        """The router's decision, unless it answers with a case that never mentions the brands ``text``
        names: then escalated, with the reason saying which."""
        d = self.router.decide(text, vector)
        if d.action != "answer" or d.case_id is None or not brands(text, self.path):
            return d
        try:
            case = self.kb.answering(d.case_id)
        except KBError:
            return d
        foreign = foreign_to(text, [*case.questions, case.answer, *case.translations.values()], self.path)
        if not foreign:
            return d
        names = ", ".join(sorted(foreign))
        return self.router.retarget(d, "escalate", d.label, why=Why.OUT_OF_SCOPE, options=(),
                                    reason=f"names {names}, another company's product that case {d.case_id!r} "
                                           f"never mentions: not answered with it ({d.reason})")
