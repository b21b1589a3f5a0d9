"""A word-for-word English gloss of a Korean message, for reading it against English phrasings with the
English encoder as a third view beside the two multilingual ones (:mod:`classifier.crosslingual`).

The multilingual encoders place a Korean sentence near its English translation, but not near enough: a
translation is about 0.18 less similar to it than a Korean rewording, and the nearest English phrasing is
then another case's about one time in five. A gloss keeps what a support question turns on - its nouns and
verbs of the trade (비밀번호 password, 해지 cancel, 환불 refund, 배송 shipping, 야간 night) - and the English
encoder, which reads those words well, finds the phrasings that use them. The glossary
(``classifier/data/gloss_ko_en.tsv``: Korean stem, English words) is written for customer support (accounts,
billing, shipping, devices, banking, travel), not for one knowledge base. On the demo KB's English phrasings
and the three Korean dev files (266 messages, 217 questions), the case the similarity vote ranks first was
right for 0.80 of the questions with USE alone, 0.87 with USE and multilingual-e5, 0.86 with the gloss
alone through all-MiniLM-L6-v2, and 0.95 with all three. Through the product's router on the same 266
messages against the demo KB's English phrasings only, routing went from 0.669 (4 wrong answers of 136,
2.9%) to 0.778 (5 of 166, 3.0%) with the gloss as a third view at a vote share of 0.85 to answer (0.70
without it): 0.80 gave 0.797 at 3.5%, 0.90 0.729 at 2.6%, 0.95 0.707 at 1.4%; a gloss weighing half or
three quarters as much as each encoder did no better at any share. The glossary then grew from about 360
to about 680 stems (days and hours, countries, devices and platforms, family, everyday verbs - open, reduce,
hang, move, sell, buy -, shipping, contracts, after-sales repair, settings; "AS" / "A/S" read as after-sales):
on the same 266 messages 0.778 -> 0.823 with 3 wrong answers of 176 (1.7%) at the same 0.85 share (0.80: 0.835
with 5 of 182; 0.75: 0.861 with 7 of 191), and against the demo KB's Korean phrasings no dev figure fell.

Matching: each run of Hangul in the message is covered by the longest stems first, without overlaps; a
one-syllable stem (밤 night, 비 rain) counts only at the start of a run, where it is the word itself; stems
with a space ("불 끄", "다른 사람") are looked for in the whole message. Latin words stay as they are
(lower case). The gloss lists the English words in the message's order; a message with no known stem
glosses to its Latin words alone, possibly to "" (no third view for it)."""

from __future__ import annotations

import csv
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from classifier.language import writing_system

GLOSSARY = Path(__file__).resolve().parent / "data" / "gloss_ko_en.tsv"
# glosses that say nothing of what a support question is about (its asking, the product itself, time words):
# a message glossing to these alone ("카메라 렌탈 가능해?": "camera possible can") gets no gloss
GENERIC = frozenset({"how", "where", "when", "why", "what", "who", "how many", "can", "possible can", "camera",
                     "app", "tell me", "want", "need", "use", "can use", "ok fine", "how to way", "new", "first time",
                     "this", "next", "last", "all", "one", "two", "three", "today", "yesterday", "tomorrow", "lately",
                     "keeps", "again", "home", "see visible", "watch see", "get receive", "fast quickly", "ask"})
# Latin abbreviations Korean customers write in their own sense ("AS 기간", "A/S 받으려면": after-sales repair)
_LATIN_KO = {"AS": "after-sales repair warranty", "A/S": "after-sales repair warranty"}
_LATIN_KO_RE = re.compile(r"(?<![A-Za-z/])(?:A/S|AS)(?![A-Za-z/])")
_HANGUL = re.compile("[\uac00-\ud7a3]")
_TOKENS = re.compile(r"[\uac00-\ud7a3]+|[A-Za-z0-9]+")


class Glossary:
    """Korean stems and their English words, from a TSV file with the columns ``korean`` and ``english``.
    Raises OSError when the file cannot be read, ValueError when it lacks those columns."""

    def __init__(self, path: Path = GLOSSARY) -> None:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            if not reader.fieldnames or not {"korean", "english"} <= set(reader.fieldnames):
                raise ValueError(f"{path}: the glossary needs the columns korean and english")
            rows = [(r["korean"].strip(), r["english"].strip()) for r in reader if r["korean"] and r["english"]]
        self._stems = sorted(((k, v) for k, v in rows if " " not in k), key=lambda kv: -len(kv[0]))
        self._phrases = [(k, v) for k, v in rows if " " in k]

    def __len__(self) -> int:
        return len(self._stems) + len(self._phrases)

    def gloss(self, text: str) -> str:
        """The English words of ``text``'s known Korean stems and its Latin words, in order (see the module);
        "" when there are none, or when its stems only ask or name the product (:data:`GENERIC`)."""
        out: list[str] = []
        if _HANGUL.search(text):  # "AS 기간": after-sales, not the English word "as"
            text = _LATIN_KO_RE.sub(lambda m: _LATIN_KO[m.group(0)], text)
        for token in _TOKENS.findall(text):
            if not _HANGUL.search(token):
                out.append(token.lower())
                continue
            used = [False] * len(token)
            found: list[tuple[int, str]] = []
            for stem, english in self._stems:
                start = 0
                while (i := token.find(stem, start)) >= 0:
                    start = i + 1
                    if len(stem) == 1 and i != 0:
                        continue
                    if not any(used[i:i + len(stem)]):
                        used[i:i + len(stem)] = [True] * len(stem)
                        found.append((i, english))
            out += [english for _, english in sorted(found)]
        out += [english for phrase, english in self._phrases if phrase in text]
        return " ".join(out) if any(w not in GENERIC for w in out) else ""


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    """The shipped glossary (``classifier/data/gloss_ko_en.tsv``), read once per process."""
    return Glossary()


class GlossView:
    """The English encoder's reading of a Korean message's gloss against the knowledge base's phrasings in
    Latin letters: :meth:`nearest` gives the case of the nearest such phrasing and its cosine similarity.
    ``kb`` is the knowledge base of the English encoder (its index holds that encoder's vectors of every
    phrasing), ``embedder`` that encoder. Which phrasings are in Latin letters is read once per KB revision."""

    def __init__(self, kb: Any, embedder: Any, glossary: Glossary | None = None) -> None:
        self.kb = kb
        self.embedder = embedder
        self.glossary = glossary or default_glossary()
        self._latin: tuple[int, np.ndarray, list[str]] | None = None
        self._lock = threading.Lock()

    def _phrasings(self) -> tuple[np.ndarray, list[str]]:
        idx = self.kb.index()
        with self._lock:
            if self._latin is not None and self._latin[0] == idx.kb_revision:
                return self._latin[1], self._latin[2]
            latin = {pid for pid, _, text in self.kb.store.phrasing_rows() if writing_system(text) == "latin"}
            ids, vectors = idx.vectors()
            keep = [i for i, pid in enumerate(ids) if int(pid) in latin]
            cases = [idx.case_of[int(ids[i])] for i in keep]
            self._latin = (idx.kb_revision, np.ascontiguousarray(vectors[keep], dtype=np.float32), cases)
            return self._latin[1], self._latin[2]

    def nearest(self, text: str) -> tuple[str | None, float]:
        """(case id, cosine similarity) of the Latin-letter phrasing nearest to ``text``'s gloss; (None, 0.0)
        when the gloss is empty or no phrasing is in Latin letters."""
        glossed = self.glossary.gloss(text)
        if not glossed:
            return None, 0.0
        vectors, cases = self._phrasings()
        if not cases:
            return None, 0.0
        sims = vectors @ self.embedder.encode([glossed])[0]
        j = int(sims.argmax())
        return cases[j], float(sims[j])
