"""More ways a rating is typed (see :mod:`bot.ratings`), each scaled to 1-5 and rounded half up
(:func:`bot.rating_words.half_up`): a percentage ("70%", "90 percent", "80퍼센트"), a count out of a total
("five out of five!", "four of five", "다섯 개 중에 네 개", "10개 중 8개"), a half ("별 네 개 반", "4개 반", "four and
a half stars", "3 and a half"), a number alone in Korean words ("다섯", "넷이요") and points on a scale of 100
("100점", "90점이요", "80점 드릴게요"; 6-10점 stay ambiguous and are asked again). Each reader gives ``(score
1-5, the rest of the text, what was read as the score, set off)`` or None; whether the rest reads as a comment
is the caller's to judge."""

from __future__ import annotations

import re

from bot.rating_words import half_up

_EN = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
       "nine": 9, "ten": 10, "hundred": 100, "a hundred": 100, "one hundred": 100}
_KO = {"하나": 1, "한": 1, "둘": 2, "두": 2, "셋": 3, "세": 3, "넷": 4, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7,
       "여덟": 8, "아홉": 9, "열": 10, "백": 100}
_EN_WORD = "|".join(sorted(_EN, key=len, reverse=True))
_KO_WORD = "|".join(sorted(_KO, key=len, reverse=True))
_END = (r"(?:이에요|이예요|입니다|이요|요|이|을|를|은|는)?"
        r"(?:\s*(?:드려요|드립니다|드릴게요|줄게요|주고\s*싶어요|입니다|이요|요))?(?![가-힣])")
_TAIL = r"\s*(?P<sep>[-–—:;,.!?)~]*)\s*(?P<rest>.*)$"

_PERCENT = re.compile(r"^\s*(?P<n>100|[1-9]?[0-9])(?:[.,]\d+)?\s*(?:%|퍼센트|프로|\s+percent\b|\s+per\s*cent\b)"
                      + _END + _TAIL, re.S | re.I)
_EN_OUT_OF = re.compile(rf"^\s*(?P<n>\d{{1,3}}|{_EN_WORD})\s*(?:/|\s(?:out\s+)?of\s)\s*(?P<of>5|10|100|{_EN_WORD})"
                        r"(?![\d.,]\d|\d)(?:\s*(?:stars?|points?)\b)?" + _TAIL, re.S | re.I)
_KO_OUT_OF = re.compile(rf"^\s*(?:별\s*)?(?P<of>\d{{1,3}}|{_KO_WORD})\s*(?:개|점)?\s*(?:중에서|중에|중)\s*"
                        rf"(?P<n>\d{{1,3}}|{_KO_WORD})\s*(?:개|점)" + _END + _TAIL, re.S)
_KO_HALF = re.compile(rf"^\s*(?:별점?\s*)?(?P<n>[0-4]|{_KO_WORD})\s*(?:개|점)\s*반" + _END + _TAIL, re.S)
_EN_HALF = re.compile(rf"^\s*(?P<n>[0-4]|{_EN_WORD})\s*(?:\s+and\s+a\s+half|½)(?:\s*stars?\b)?" + _TAIL, re.S | re.I)
_KO_ALONE = re.compile(r"^\s*(?P<n>하나|둘|셋|넷|다섯)(?:이에요|이예요|이요|요|입니다)?\s*[.!~]*\s*$")
_KO_HUNDRED = re.compile(r"^\s*(?P<n>100|[1-9][0-9])\s*점" + _END + _TAIL, re.S)


def _number(word: str) -> int | None:
    """The number ``word`` says (digits, an English or a Korean number word), None when it says none."""
    w = " ".join(word.lower().split())
    if w.isdigit():
        return int(w)
    return _EN.get(w, _KO.get(w))


def _set_off(sep: str) -> bool:
    return bool(set("!-–—,") & set(sep))


def scaled(text: str) -> tuple[int, str, str, bool] | None:
    """A score said on another scale at the start of ``text`` as ``(score 1-5, rest, "n/of" or "70%", set
    off)``: a percentage, a count out of 5, 10 or 100 in words ("five out of five!", "eight of ten"), a Korean
    count out of a total ("다섯 개 중에 네 개", "10개 중 8개") or points out of 100 ("100점", "90점이요"). None when
    there is none, the count is over its total, or the rest starts with another number."""
    found: tuple[int, int, re.Match[str]] | None = None
    m = _PERCENT.match(text)
    if m is not None:
        found = (int(m.group("n")), 100, m)
    else:
        m = _EN_OUT_OF.match(text) or _KO_OUT_OF.match(text)
        if m is not None:
            n, of = _number(m.group("n")), _number(m.group("of"))
            if n is None or of is None or of not in (5, 10, 100) or n > of:
                return None
            found = (n, of, m)
        else:
            m = _KO_HUNDRED.match(text)
            if m is not None and 11 <= int(m.group("n")) <= 100:  # 6-10점: out of 10 or of 100? asked again
                found = (int(m.group("n")), 100, m)
    if found is None:
        return None
    n, of, m = found
    rest = m.group("rest").strip()
    if rest[:1].isdigit() or rest[:1] == "/":
        return None
    said = f"{n}%" if m.re is _PERCENT else f"{n}/{of}"
    return half_up(n * 5 / of), rest, said, _set_off(m.group("sep"))


def with_half(text: str) -> tuple[int, str, str, bool] | None:
    """A score and a half at the start of ``text`` ("별 네 개 반", "4개 반", "four and a half stars", "3 and a
    half") as ``(score 1-5 rounded half up as "4.5" is, rest, "4.5", set off)``; None when there is none."""
    m = _KO_HALF.match(text) or _EN_HALF.match(text)
    if m is None:
        return None
    n = _number(m.group("n"))
    if n is None or n > 4:
        return None
    rest = m.group("rest").strip()
    if rest[:1].isdigit():
        return None
    return half_up(n + 0.5), rest, f"{n}.5", _set_off(m.group("sep"))


def korean_alone(text: str) -> int | None:
    """The score a Korean number word alone says ("다섯", "넷이요", "셋!"), None otherwise; "네" alone is "yes"
    and "한"/"두"/"세" say nothing without a noun, so neither is a score."""
    m = _KO_ALONE.match(text)
    return None if m is None else _KO[m.group("n")]
