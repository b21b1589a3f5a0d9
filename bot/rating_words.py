"""Ratings said other than as a 1-5 number (see :mod:`bot.ratings`): on a 1-10 scale ("10/10", "8 out of
10", "eight out of ten", "10점 만점에 8점", "십점 만점에 8점") or 1-100 ("80 out of 100", "백점 만점에 80점"), with
a decimal on the 1-5 scale ("4.5", "3,5", "4.5/5", "4.5점": rounded half up), and in words, the rating
request's own ("1 (poor) to 5 (great)", "1(불만족)부터 5(매우 만족)") and their close variants ("excellent",
"terrible", "not bad", "아주 만족", "보통", "별로예요"). Each reader gives ``(score 1-5, the rest of the text,
what was read as the score)`` or None; whether the rest reads as a comment is the caller's to judge."""

from __future__ import annotations

import math
import re

# 1-10: half, rounded half up (10 -> 5, 9 -> 5, 8 -> 4, 1 -> 1; 0 -> 1); the number in digits or English words
_EN_NUMBERS_TEXT = "zero one two three four five six seven eight nine ten"
_EN_NUMBERS = {w: n for n, w in enumerate(_EN_NUMBERS_TEXT.split())}
_TEN = re.compile(r"""^\s*(?P<n>10|[0-9]|zero|one|two|three|four|five|six|seven|eight|nine|ten)(?![\d.,]\d)
    (?P<scale>\s*/\s*10|\s+(?:out\s+)?of\s+(?:10|ten))(?![\d.,]\d|\d)
    (?:\s*(?:stars?|points?)\b)?\s*(?P<sep>[-–—:;,.!?)~]*)\s*(?P<rest>.*)$""", re.S | re.I | re.X)
_KO_TEN = re.compile(r"^\s*(?:10|십)\s*점\s*만점에\s*(?P<n>10|[0-9])\s*점(?:이에요|이예요|입니다|이요|요)?(?![가-힣])"
                     r"\s*(?P<sep>[-–—:;,.!?)~]*)\s*(?P<rest>.*)$", re.S)


# 1-100: a twentieth, rounded half up (100 -> 5, 90 -> 5, 85 -> 4, 80 -> 4, 70 -> 4, 1 -> 1; 0 -> 1)
_HUNDRED = re.compile(r"""^\s*(?P<n>100|[1-9]?[0-9])(?![\d.,]\d)
    (?P<scale>\s*/\s*100|\s+(?:out\s+)?of\s+(?:100|a\s+hundred))(?![\d.,]\d|\d)
    (?:\s*(?:points?)\b)?\s*(?P<sep>[-–—:;,.!?)~]*)\s*(?P<rest>.*)$""", re.S | re.I | re.X)
_KO_HUNDRED = re.compile(r"^\s*(?:100|백)\s*점\s*만점에\s*(?P<n>100|[1-9]?[0-9])\s*점"
                         r"(?:이에요|이예요|입니다|이요|요)?(?![가-힣])"
                         r"\s*(?P<sep>[-–—:;,.!?)~]*)\s*(?P<rest>.*)$", re.S)


def on_ten(text: str) -> tuple[int, str, str, bool] | None:
    """A score on a 1-10 scale (or 1-100: "85/100", "100점 만점에 90점") at the start of ``text`` as ``(score
    1-5, rest, "n/10", set off)``: set off is whether a separator ("!", "-", ",") comes before the rest.
    None when there is none."""
    m, of = _TEN.match(text) or _KO_TEN.match(text), 10
    if m is None:
        m, of = _HUNDRED.match(text) or _KO_HUNDRED.match(text), 100
    if m is None:
        return None
    n = _EN_NUMBERS.get(m.group("n").lower()) if m.group("n").isalpha() else int(m.group("n"))
    assert n is not None
    rest = m.group("rest").strip()
    if rest[:1].isdigit() or rest[:1] == "/":
        return None
    return half_up(n * 5 / of), rest, f"{n}/{of}", bool(set("!-–—,") & set(m.group("sep")))


def half_up(value: float) -> int:
    """``value`` (a score on the 1-5 scale, scaled from another) rounded half up and kept within 1-5: 3.5 -> 4,
    4.25 -> 4, 4.5 -> 5, 0 -> 1. Every reader that scales or halves a score rounds so."""
    return min(5, max(1, math.floor(value + 0.5)))


# a score with a decimal on the 1-5 scale: "4.5", "3,5", "4.5/5", "3.5 out of 5", "4.5 stars", "4.5점", "별 4.5개"
_DECIMAL = re.compile(r"""^\s*(?:별점?\s*)?(?P<n>\d[.,]\d{1,2})(?![\d.,]\d|\d)
    (?P<scale>\s*/\s*5|\s+(?:out\s+)?of\s+(?:5|five))?(?![\d.,]\d|\d)
    (?P<unit>\s*(?:stars?\b|\*|[★⭐🌟]\ufe0f?|(?:점|개)(?:이에요|이예요|입니다|이요|요|을|를)?(?![가-힣])))?
    \s*(?P<sep>[-–—:;,.!?)~]*)\s*(?P<rest>.*)$""", re.S | re.I | re.X)


def with_decimal(text: str) -> tuple[int, str, str, bool] | None:
    """A score with a decimal between 1 and 5 at the start of ``text`` ("4.5", "3,5 stars", "4.5/5", "4.5점") as
    ``(score 1-5, rest, the number as typed, set off)``, the score rounded half up (4.5 -> 5, 3.5 -> 4, 4.2 -> 4);
    None when there is none or it is off the 1-5 scale ("5.5", "0.5": asked again)."""
    m = _DECIMAL.match(text)
    if m is None:
        return None
    value = float(m.group("n").replace(",", "."))
    rest = m.group("rest").strip()
    if not 1 <= value <= 5 or rest[:1].isdigit() or rest[:1] == "/":
        return None
    return half_up(value), rest, m.group("n"), bool(set("!-–—,") & set(m.group("sep")))


_EN = {  # the English words of a rating and their scores; "very"/"really"... raise a 4 to 5, a 2 to 1
    5: "great excellent amazing perfect awesome fantastic outstanding superb brilliant wonderful exceptional "
       "flawless best the_best top_notch first_class five_stars 5_stars very_satisfied very_happy loved_it",
    4: "good nice satisfied happy helpful pleased solid fine_job good_enough",
    3: "average okay-ish ok-ish so-so so_so mediocre meh decent fair neutral not_bad alright all_right "
       "could_be_better could_have_been_better",
    2: "bad not_good not_great disappointing disappointed not_satisfied not_happy not_helpful unhelpful "
       "not_very_good not_so_good",
    1: "poor terrible awful horrible worst the_worst useless dreadful abysmal dissatisfied unsatisfied "
       "very_dissatisfied very_unsatisfied",
}
_EN_SCORE = {w.replace("_", " "): score for score, words in _EN.items() for w in words.split()}
_EN_WORD = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_EN_SCORE, key=len, reverse=True))
_STRONG = r"very|really|so|super|extremely|absolutely|truly|incredibly|totally|just|simply"
_THANKS = r"(?:(?:thanks|thank\s+you|thx|ty|감사합니다|감사해요|고맙습니다|고마워요)[\s,.!~]*)?"
_WORDS_EN = re.compile(
    rf"""^\s*{_THANKS}(?:(?:it|that|this|everything|all|the\s+(?:help|service|support|experience|fix))\s*
        (?:was|is|'s|’s|has\s+been)\s+|(?:it|that)[’']?s\s+|was\s+)?
        (?P<strong>(?:(?:{_STRONG})\s+)+)?(?:(?:quite|pretty|fairly|rather)\s+)?(?P<word>{_EN_WORD})
        (?:\s+(?:job|work|service|support|help|experience|stuff|fix))?(?![\w'’-])
        \s*(?P<sep>[-–—:;,.!)~]*)\s*(?P<rest>.*)$""", re.S | re.I | re.X)

# Korean: a stem and the endings it takes; "매우"/"아주"/"너무"... raise a 4 to 5 and a 2 to 1
_NOUN = r"(?:이에요|이예요|예요|에요|이요|요|입니다|이었어요|였어요|이었습니다|였습니다|이네요|네요|임|이다|다)?"
_HADA = (r"(?:해요|했어요|합니다|했습니다|하네요|했네요|해|함|하다"
         r"|스러워요|스럽습니다|스러웠어요|스러웠습니다|스럽네요|스러움)?")
_KO = [  # (pattern, score)
    (r"(?:만족(?:하지|스럽지)\s*(?:않|못)|만족\s*못\s*|안\s*좋)[가-힣]*", 2),
    (r"불만족(?:스러|스럽)?" + _HADA + _NOUN, 1),
    (r"최악" + _NOUN, 1),
    (r"형편없(?:어요|었어요|습니다|었습니다|네요|음|다)", 1),
    (r"만족" + _HADA + _NOUN, 4),
    (r"(?:최고|만점)" + _NOUN, 5),
    (r"(?:완벽|훌륭)" + _HADA, 5),
    (r"좋(?:아요|았어요|습니다|았습니다|네요|았네요|아|음|았음|다)", 4),
    (r"(?:보통|그럭저럭)" + _NOUN, 3),
    (r"그저\s*그(?:래요|랬어요|렇네요|래|럼|랬습니다|렇습니다)", 3),
    (r"무난" + _HADA, 3),
    (r"별로" + _NOUN, 2),
    (r"(?:아쉬(?:워요|웠어요|워|움|웠습니다)|아쉽(?:네요|습니다|다))", 2),
    (r"(?:나빠요|나빴어요|나쁩니다|나빴습니다|나쁘네요|나빠|나쁨|나빴음)", 2),
]
_KO_STRONG = r"(?:매우|아주|정말|너무|완전|진짜|엄청|되게|무척|대단히|정말\s*너무)\s*"
_WORDS_KO = [(re.compile(rf"^\s*{_THANKS}(?P<strong>{_KO_STRONG})?(?P<word>{p})(?![가-힣])"
                         r"\s*(?P<sep>[-–—:;,.!)~]*)\s*(?P<rest>.*)$", re.S), score) for p, score in _KO]


def in_words(text: str) -> tuple[int, str, str, bool] | None:
    """A rating said in words at the start of ``text`` ("great", "very good", "it was terrible", "great,
    thanks!", "매우 만족합니다", "불만족이에요", "보통이요", "별로예요") as ``(score 1-5, rest, the words,
    set off)``; set off is whether a separator comes before the rest. None when ``text`` does not start so
    or asks something ("?")."""
    if "?" in text:
        return None
    m = _WORDS_EN.match(text)
    if m is not None:
        score = _EN_SCORE[" ".join(m.group("word").lower().split())]
    else:
        found = next(((hit, ko) for pattern, ko in _WORDS_KO if (hit := pattern.match(text)) is not None), None)
        if found is None:
            return None
        m, score = found
    if m.group("strong"):
        score = {4: 5, 2: 1}.get(score, score)
    said = text[: m.start("sep")].strip()
    return score, m.group("rest").strip(), said, bool(set("!-–—,.") & set(m.group("sep")))
