"""Misspelt words read as the knowledge base's own words, before a message is embedded.

A sentence encoder splits a word it does not know ("chnage", "emial", "subscripton") into pieces that
mean little, so "how do i chnage my emial adress" lands far from "how do I change my email address?"
and a covered question is escalated. The speller corrects such a word to a word of the knowledge base
(its phrasings and the classifier's examples): the candidate one or two edits away (Damerau 1964:
insertion, deletion, substitution, transposition of neighbours) that the knowledge base uses most, as
Norvig's corrector ("How to Write a Spelling Corrector", 2007) picks by frequency; candidates two edits
away are found through a deletion index (SymSpell, Garbe 2012).

Only words it can tell are misspelt are touched: letters a-z, five letters or more, neither a word of
the knowledge base nor one the encoder's vocabulary holds whole (nor such a word with a common ending or
prefix: "crackling", "uploaded", "rebooting", "unpairing"), nor an apostrophe-less contraction ("whats",
"didnt"). Two edits only for words of eight letters or more: shorter words are too near too many others.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_WORD = re.compile(r"[a-z]+")
_LETTERS = re.compile(r"[A-Za-z]+")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
MIN_LENGTH = 5  # shorter words are left alone ("auth", "wont", "pls")
TWO_EDITS_FROM = 8  # words this long may be two edits from the right one ("firmwear", "internatinal")
# endings that make a known word into another known word ("crack" + "ling", "upload" + "ed")
ENDINGS = ("s", "es", "ed", "d", "ing", "ling", "ly", "er", "ers", "est", "ness", "ment", "able", "ful", "less",
           "ion", "ions", "y", "ies")
# prefixes that make a known word into another real one ("re" + "booting", "un" + "pairing", "dis" + "connected")
PREFIXES = ("re", "un", "dis", "de", "pre", "mis", "non", "over", "under", "out", "sub", "auto", "multi", "inter",
            "co", "up", "down", "cross", "self")
CONTRACTIONS = frozenset({"dont", "cant", "wont", "didnt", "doesnt", "isnt", "wasnt", "werent", "havent", "hasnt",
                          "ive", "whats", "thats", "theres", "youre", "couldnt", "wouldnt", "shouldnt", "arent",
                          "im", "ill", "id", "lets", "hows", "wheres", "whos", "theyre", "youve", "weve"})


def _edits1(w: str) -> set[str]:
    splits = [(w[:i], w[i:]) for i in range(len(w) + 1)]
    return {a + b[1:] for a, b in splits if b} | \
        {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1} | \
        {a + c + b[1:] for a, b in splits if b for c in _ALPHABET} | \
        {a + c + b for a, b in splits for c in _ALPHABET}


def _deletes(w: str, depth: int) -> set[str]:
    out, frontier = {w}, {w}
    for _ in range(depth):
        frontier = {x[:i] + x[i + 1:] for x in frontier for i in range(len(x))}
        out |= frontier
    return out


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


class Speller:
    """Corrects the misspelt words of a message to the words of ``texts`` (the KB's phrasings and the
    classifier's examples). ``known``: words that are right even if ``texts`` never uses them (the
    encoder's vocabulary, lowercase). :meth:`correct` returns the text with only such words replaced."""

    def __init__(self, texts: Iterable[str], known: Iterable[str]) -> None:
        self.counts = Counter(w for t in texts for w in _WORD.findall(t.lower()))
        self.known = frozenset(known) | frozenset(self.counts) | CONTRACTIONS
        self._deleted: dict[str, list[str]] = {}  # a long word with up to two letters deleted -> the words
        for w in self.counts:
            if len(w) >= TWO_EDITS_FROM - 2:
                for d in _deletes(w, 2):
                    self._deleted.setdefault(d, []).append(w)

    def is_known(self, word: str) -> bool:
        """True when ``word`` (lowercase) is a word of the KB or of the encoder, or one with a common ending
        or prefix ("rebooting" is re + boot + ing, "unpairing" un + pair + ing: real words, never read as
        another word such as "reporting")."""
        if self._known_stem(word):
            return True
        return any(word.startswith(p) and len(word) - len(p) >= 4 and self._known_stem(word[len(p):])
                   for p in PREFIXES)

    def _known_stem(self, word: str) -> bool:
        """``word`` is known as it is, or with one of ENDINGS taken off."""
        if word in self.known:
            return True
        for end in ENDINGS:
            stem = word[: -len(end)]
            if word.endswith(end) and len(stem) >= 3 and (
                    stem in self.known or stem + "e" in self.known
                    or (len(stem) >= 4 and stem[-1] == stem[-2] and stem[:-1] in self.known)):
                return True
        return False

    def word(self, word: str) -> str:
        """The KB's word that ``word`` (lowercase) misspells, or ``word`` itself."""
        if len(word) < MIN_LENGTH or self.is_known(word):
            return word
        near = [w for w in _edits1(word) if w in self.counts]
        if not near and len(word) >= TWO_EDITS_FROM:
            found = {w for d in _deletes(word, 2) for w in self._deleted.get(d, ())}
            near = [w for w in found if _distance(word, w) <= 2]
        return max(near, key=lambda w: (self.counts[w], w)) if near else word

    def correct(self, text: str) -> str:
        """``text`` with its misspelt words replaced (lowercase); everything else kept as it was."""
        def fix(m: re.Match[str]) -> str:
            low = m.group(0).lower()
            fixed = self.word(low)
            return m.group(0) if fixed == low else fixed
        return _LETTERS.sub(fix, text)
