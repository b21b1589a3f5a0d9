"""Satisfaction typed as text: after a resolution the customer is asked for a 1-5 rating; on channels
without buttons (web chat, terminal) a reply that reads as a rating answers it: "4", "4/5", "5 stars",
"five", "★★★★☆", "4 thanks, quick fix", and on a 1-10 scale ("10/10", "8 out of 10", "10점 만점에 8점": read
as half, rounded up, and the reply says so), or with a decimal ("4.5", "3,5", "4.5/5", "4.5점": rounded half
up, and the reply says so). A number off the scale ("6 stars", "5.5", "six", "여섯 개") is asked again. Right
after the rating request, the scale's own words and their close variants are that rating too ("great",
"poor", "excellent, thanks", "매우 만족합니다", "불만족이에요", "보통", "별로예요"; :mod:`bot.rating_words`). A
number that counts things ("2 more issues", "5 cameras are broken") is not a rating and goes the normal way;
a rating that says the problem is still there ("great but it dropped again") reopens the ticket. Knows no
platform: the pipeline asks it before the resolved ticket would reopen."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.messages import IncomingMessage, Outcome, Reply
from bot.rating_comments import corrected_score
from bot.rating_scales import korean_alone, scaled, with_half
from bot.rating_words import in_words, on_ten, with_decimal
from bot.replies import Replies
from classifier.readings import THANKS_SYMBOLS
from handoff.conversations import LAST_ID
from handoff.models import MessageKind
from handoff.service import Handoff

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
# Korean: "5점", "4점이요", "5점 드려요", "별 다섯 개", "별 4개요", "★★★★★"; a bare "네" is "yes", never a 4
_KO_NUMBERS = {"하나": 1, "한": 1, "둘": 2, "두": 2, "셋": 3, "세": 3, "넷": 4, "네": 4, "다섯": 5}
_KO_ENDING = (r"(?:이에요|이예요|입니다|이요|이오|요|이|을|를|은|는)?"
              r"(?:\s*(?:드려요|드립니다|드릴게요|줄게요|주고\s*싶어요|입니다))?")
_KO_STARS = re.compile(r"^\s*별점?\s*(?P<n>[1-5](?![.,]\d)|하나|한|둘|두|셋|세|넷|네|다섯)\s*(?:개|점)?"
                       + _KO_ENDING + r"(?![가-힣])", re.S)
# "다섯 개요", "세 개 줄게요", "4개": a count of stars without the word 별 (the rest must read as a comment)
_KO_COUNT = re.compile(r"^\s*(?P<n>[1-5](?![.,]\d)|하나|한|둘|두|셋|세|넷|네|다섯)\s*개" + _KO_ENDING + r"(?![가-힣])",
                       re.S)
_KO_FULL = re.compile(r"^\s*(?:5\s*점\s*)?만점" + _KO_ENDING + r"(?![가-힣])")
# "5점 만점에 4점이요": the second number is the score
_KO_OUT_OF = re.compile(r"^\s*5\s*점\s*만점에\s*(?P<n>[1-5])\s*점" + _KO_ENDING + r"(?![가-힣])")
_STAR = "★⭐🌟"
# The score: a whole number 1-5 (not "45", "4.5", "4,5") or its word, then an optional scale ("/5",
# "out of 5") and unit ("stars", "*", "점", a star emoji); or 1-5 star symbols, empty ones after them.
_HEAD = re.compile(
    rf"""\s*(?:
        (?P<stars>(?:[{_STAR}]\ufe0f?\s*){{1,5}})(?![{_STAR}])(?:[☆✩]\s*)*
      | (?:(?P<digit>[1-5])(?![\d.,]\d|\d)|(?P<word>one|two|three|four|five)\b)
        (?P<scale>\s*/\s*5|\s+(?:out\s+)?of\s+5)?(?![\d.,]\d|\d)
        (?P<unit>\s*(?:stars?\b|\*|[{_STAR}]\ufe0f?|점{_KO_ENDING}(?![가-힣])))?
    )\s*(?P<sep>[-–—:;,.!?)]*)\s*(?P<rest>.*)$""",
    re.S | re.I | re.X,
)
# separators after which anything reads as the comment: "5! quick fix", "3 - slow but fine", "4, meh"
_FREE_SEP = frozenset("!-–—,")
# otherwise, after a number, the comment has to start like one: thanks, praise, a verdict on the help
_COMMENT_TEXT = """
    thanks thank thankyou thx thnx thanx ty tysm cheers ta great good fine ok okay nice excellent perfect
    awesome amazing brilliant fantastic superb wonderful lovely cool super best happy satisfied pleased
    helpful quick quickly fast speedy prompt slow slowly bad poor terrible awful horrible meh decent solid
    well very really so pretty quite too much love loved like liked appreciated appreciate resolved fixed
    sorted solved works working done overall because since but though although star stars would
    recommend recommended highly definitely totally
"""
_COMMENT_WORDS = frozenset(_COMMENT_TEXT.split())
_COMMENT_PREFIXES = ("감사", "고맙", "고마", "좋", "최고", "만족", "친절", "빠르", "빨", "훌륭", "괜찮", "별로",
                     "느리", "느려", "아쉽", "불만", "수고")
_FIRST_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class TypedRating:
    """A 1-5 score, the words after it, and whether the text reads as a correction of a rating
    just given ("sorry, I meant 5", "5 not 2", "5점으로 정정할게요")."""

    score: int
    comment: str
    correction: bool = False
    said: str = ""  # what was read as the score when it is not a plain 1-5 ("10/10", "great")


def _reads_as_comment(rest: str) -> bool:
    word = _FIRST_WORD.match(rest)
    if word is None:  # "5 :)", "4 👍"
        return True
    w = word.group(0).lower()
    return w in _COMMENT_WORDS or w.startswith(_COMMENT_PREFIXES)


# A correction of a rating just given: "sorry, I meant 5", "oops, make that 4", "actually 5 stars",
# "correction: 5", "I meant to give 5", "5 not 2", "아 5점이요", "5점으로 정정할게요"
_CORRECTION = re.compile(
    r"""^\s*(?:(?:sorry|oops|whoops|ah|oh|argh|my\s+bad|wait|no)\b[\s,.!:;-]*)*
        (?:i\s+meant(?:\s+to\s+(?:give|say|put|press|type|click))?(?:\s+(?:it|you|a|an))?|i\s+mean|meant|
           actually(?:\s+(?:it'?s|its|a|an))?|make\s+(?:that|it)(?:\s+an?)?|correction|change\s+(?:that|it|my\s+rating)\s+to|
           it\s+should\s+(?:be|have\s+been)|should\s+(?:be|have\s+been)|아니|앗|아)[\s,.!:;-]*""",
    re.I | re.X,
)
_NOT_BEFORE = re.compile(r"^[\s,;-]*(?:not|instead\s+of)\s+(?:a\s+)?[1-5]\b\W*", re.I)
_KO_CORRECTION = re.compile(r"(?:으로|로)?\s*(?:정정|수정|바꿀|바꿔|변경)[가-힣\s]*[.!]?$")


# A rating said as giving one: "I'd give it a 4", "I give you 5 stars", "I would rate it 4/5", "rating: 5",
# "my rating is 4", "I rate this 3 out of 5", "I'd say a 2", "give you guys a 5", "I'd say a solid four", "a solid 4"
_GIVE = re.compile(
    r"""^\s*(?:(?:well|ok|okay|hmm|honestly|overall)\b[\s,.!:;-]*)?
        (?:(?:(?:i'?d|i\s+would|i'?ll|i\s+will|i|we'?d|we\s+would|we|let'?s)\s+)?(?:give|rate|score|say)
           (?:\s+(?:it|you(?:\s+guys|\s+all)?|u|y'?all|this|that|the\s+(?:support|service|help|experience|team)
              |your\s+(?:support|service|help|team)))?
           (?:\s+(?:a|an))?(?:\s+(?:solid|strong|firm|fair|good|clear|easy|honest))?
         |(?:a|an)\s+(?:solid|strong|firm)(?!\s+one\b)
         |(?:my\s+)?(?:rating|score)(?:\s+(?:is|would\s+be|=))?)[\s:=]*""",
    re.I | re.X,
)


# A comment saying the problem is still there: the resolution did not hold, whatever number came with it
# ("I'd rate it 5 but the app still crashes", "1, it's still crashing", "5점 주고 싶은데 아직도 앱이 꺼져요")
_STILL_BROKEN = re.compile(
    r"\bstill\b(?!\s+(?:good|great|fine|happy|grateful|thankful|works?|working|love|like))|"
    r"not (?:fixed|working|resolved)|"
    r"(?:doesn'?t|does not|isn'?t|is not|won'?t|didn'?t|did not) (?:work|fix|help|load|open|start|connect)|"
    r"crash(?:es|ed|ing)?\b|broken|"
    r"(?<!thanks )(?<!thank you )(?<!works )(?<!working )(?<!online )(?<!fine )(?<!normal )\bagain\b|"
    r"아직(?:도)?|여전히|(?:또|다시|또다시)\s*(?:안|꺼|멈|끊|고장|오류|에러|나가|떨어)|"
    r"안 ?(?:돼|됨|되네|되요|켜져|열려)|꺼져|꺼짐|멈춰|멈췄|고장",
    re.IGNORECASE)


_KEYCAP = re.compile("([0-9])\ufe0f?\u20e3")


def keycaps(text: str) -> str:
    """``text`` with keycap emoji read as the digits they show ("4️⃣" -> "4", "🔟" -> "10"), nothing left of them."""
    return _KEYCAP.sub(r"\1", text.replace("\U0001f51f", "10"))


def parse_rating(text: str) -> TypedRating | None:
    """A typed rating that does not say the problem is still there (``_STILL_BROKEN``: that reopens the
    ticket instead); see :func:`_parse_rating`."""
    rating = _parse_rating(keycaps(text).replace("\u2019", "'"))  # "I’d give it a four": a typed apostrophe
    if rating is not None and _STILL_BROKEN.search(rating.comment):
        return None
    return rating


def parse_said_rating(text: str) -> TypedRating | None:
    """A rating said in the words of the scale or close to them ("great, thanks!", "poor", "매우 만족합니다",
    "별로예요"; :func:`bot.rating_words.in_words`), the rest read as its comment when it reads as one; None
    when it says the problem is still there (``_STILL_BROKEN``) or is not one. Only right after the rating
    request does such a message answer it (:func:`take_rating`)."""
    said = in_words(keycaps(text))
    if said is None:
        return None
    score, rest, words, set_off = said
    if rest and not set_off and not _reads_as_comment(rest):  # "poor signal in the garden", "good morning"
        return None
    if _STILL_BROKEN.search(rest):
        return None
    return TypedRating(score, rest[:2000], said=words)


def _parse_rating(text: str) -> TypedRating | None:
    """A typed rating, also as a correction ("sorry, I meant 5", "make that 4 stars", "5 not 2") and as
    giving one ("I'd give it a 4", "my rating is 5"); see :func:`_parse_score`."""
    rating = _parse_score(text)
    if rating is not None:
        return rating
    said = in_words(text)  # "solid 9/10", "great, 5 stars": the number says it more exactly than the word
    if said is not None and said[1]:
        rating = _parse_score(said[1])
        if rating is not None:
            return rating
    given = _GIVE.match(text)
    if given is not None and given.group(0).strip() and text[given.end():].strip():
        rating = _parse_score(text[given.end():])
        if rating is not None:
            return rating
    rest = text
    while (m := _CORRECTION.match(rest)) is not None and m.group(0).strip():  # "actually make that a 4"
        rest = rest[m.end():]
    rest = _KO_CORRECTION.sub("", rest).strip()
    if not rest or rest == text.strip():
        return None
    rating = _parse_score(rest)
    return None if rating is None else TypedRating(rating.score, rating.comment, correction=True, said=rating.said)


def _parse_score(text: str) -> TypedRating | None:
    """A typed rating and its comment, or None when the text does not read as one: a half ("별 네 개 반", read
    before "별 네 개" would read the 4 alone), a Korean number word alone ("다섯"), a 1-5 score
    (:func:`_parse_plain`), or a score on another scale ("70%", "five out of five!", "다섯 개 중에 네 개", "100점";
    :mod:`bot.rating_scales`)."""
    half = _said_rating(with_half(text))
    if half is not None:
        return half
    alone = korean_alone(text)
    if alone is not None:
        return TypedRating(alone, "")
    counted = _said_rating(scaled(text)) if "중" in text else None  # "별 다섯 개 중에 네 개": not "별 다섯 개"
    if counted is not None:
        return counted
    return _parse_plain(text) or _said_rating(scaled(text))


def _said_rating(read: tuple[int, str, str, bool] | None) -> TypedRating | None:
    """A rating read on another scale or with a half, ``(score, rest, what was read, set off)``, when its rest
    is empty, set off by "!", "-" or ",", or reads as a comment; None otherwise."""
    if read is None:
        return None
    score, rest, said, set_off = read
    if rest and not set_off and not _reads_as_comment(rest):
        return None
    return TypedRating(score, rest[:2000], said=said)


def _parse_plain(text: str) -> TypedRating | None:
    """A 1-5 rating and its comment, or None when the text does not read as one: the score comes
    first; after a bare number the rest must be empty, a symbol or emoji, set off by "!", "-" or ",",
    or start with thanks or praise ("4 thanks"); "2 more issues" and "3 questions" are not ratings."""
    ko = _KO_OUT_OF.match(text) or _KO_STARS.match(text) or _KO_FULL.match(text) or _KO_COUNT.match(text)
    if ko is not None:  # "별 다섯 개", "별 4개요 친절했어요", "만점이요", "세 개 줄게요"
        n = ko.groupdict().get("n")
        score = 5 if n is None else int(n) if n.isdigit() else _KO_NUMBERS[n]
        rest = text[ko.end():].strip(" \t\n-–—:;,.!?)")
        if ko.re is _KO_COUNT and rest and not _reads_as_comment(rest):  # "두 개 더 고장났어요" counts things
            return None
        return TypedRating(score, rest[:2000])
    ten = on_ten(text) or with_decimal(text)
    if ten is not None:  # "10/10", "8 out of 10 thanks", "10점 만점에 8점", "4.5" (read as 5), "3,5 stars"
        return _said_rating(ten)
    m = _HEAD.match(text)
    if m is None:
        return None
    if m.group("stars"):
        score = sum(m.group("stars").count(c) for c in _STAR)
    elif m.group("digit"):
        score = int(m.group("digit"))
    else:
        score = _WORDS[m.group("word").lower()]
    given = m.group("rest").strip()
    rest = _NOT_BEFORE.sub("", given).strip()  # "5 not 2": the 2 is the old rating
    if rest[:1].isdigit() or rest[:1] == "/":  # "5, 6 and 7 fail too", "5/10": not a 1-5 rating
        return None
    marked = bool(m.group("stars") or m.group("unit") or "/" in (m.group("scale") or ""))
    if rest and not marked and not _FREE_SEP & set(m.group("sep")) and not _reads_as_comment(rest):
        return None
    return TypedRating(score, rest[:2000], correction=rest != given)


# A number that is no score on the 1-5 scale: "0", "6 stars", "10", "11/10", "5.5", "10점이요", "I'd give you 7",
# "six", "여섯 개", "열 개요", "육점"
_OFF_SCALE = re.compile(
    r"""^\s*(?:별점?\s*)?(?P<n>\d{1,4}(?:[.,]\d{1,2})?|zero|six|seven|eight|nine|ten|eleven|twelve|twenty|fifty
        |(?:a\s+|one\s+)?hundred|영|빵|여섯|일곱|여덟|아홉|열|스무|백|(?:육|칠|팔|구|십|백)(?=\s*점))
        (?:\s*(?:/|out\s+of|of)\s*\d{1,4})?\s*(?:stars?|points?|pts|\*|[★⭐🌟]\ufe0f?|점|개)?
        \s*(?:이에요|이예요|입니다|이요|요|줄게요|드려요|드립니다|드릴게요)?\s*[.!~)]*\s*$""", re.I | re.X)


def _given(text: str) -> str:
    """``text`` without "I'd give it", "I'd say", "my rating is" before the number."""
    m = _GIVE.match(text)
    return text[m.end():] if m is not None and m.group(0).strip() and text[m.end():].strip() else text


def _junk(text: str) -> bool:
    """Whether ``text`` says nothing: at most one letter or digit and no thanks symbol ("x", "?", ".")."""
    t = "".join(text.split())
    return bool(t) and sum(ch.isalnum() for ch in t) <= 1 and not set(t) & THANKS_SYMBOLS


def take_rating(handoff: Handoff, replies: Replies, conv: int, msg: IncomingMessage, text: str, *,
                language: str | None = None) -> Outcome | None:
    """Store ``text`` as the rating of the conversation's resolved ticket when it is one; the ticket
    stays resolved. Once rated, a bare score ("3") keeps the rating and is answered with it and how to
    correct it ("I meant 3"), never reopening the ticket. A number off the 1-5 scale ("0", "6 stars", "10")
    while the request is open, or junk ("x") right under it, is asked again ("please rate from 1 to 5"),
    never reopening the ticket. None when the message is not a rating (or nothing was asked)."""
    typed = parse_rating(text)
    said = parse_said_rating(text) if typed is None else None
    off_scale = typed is None and said is None and bool(_OFF_SCALE.match(keycaps(_given(text))))
    if typed is None and said is None and not off_scale and not _junk(text):
        return None
    t = handoff.awaiting_rating(conv)
    if t is None:
        return None
    if typed is None and not off_scale:  # words (and junk) answer the rating request only right under it
        last = handoff.message_before(conv, LAST_ID)
        if last is None or not (last.author == "system" and last.kind is MessageKind.RESOLVED
                                or last.author == "bot" and last.meta.get("rate_again")):
            return None
    if typed is None and said is None:  # "0", "6 stars", "10", "x": asked again, the ticket stays resolved
        m = handoff.record(conv, "customer", text, ticket_id=t.id, author_name=msg.customer_name, key=msg.key)
        out = replies.render("rate_again", ticket_id=t.public_id, language=language)
        handoff.record(conv, "bot", out, ticket_id=t.id, meta={"kind": MessageKind.REPLY, "rate_again": True},
                       key=f"{msg.key}#reply" if msg.key else "")
        return Outcome(replies=[Reply(out, ticket_id=t.public_id)], action="reply", ticket_id=t.public_id,
                       reason="no score on the 1-5 scale: asked to rate from 1 to 5", message_id=m.id)
    rating = typed or said
    assert rating is not None
    fixed = corrected_score(text)  # "아 5점 말고 3점이요": the score after "말고" (not 5, 3) is the one meant
    if fixed is not None and fixed != rating.score:
        rating = replace(rating, score=fixed, correction=True, said="")
    given = handoff.rating(t.id)
    if not rating.correction and given is not None:
        # rated already: a bare number ("3") is not a new rating (a correction says so), nor a new problem
        # that reopens the ticket; the customer is told the rating kept and how to change it
        m = handoff.record(conv, "customer", text, ticket_id=t.id, author_name=msg.customer_name, key=msg.key)
        out = replies.render("rated_already", ticket_id=t.public_id, score=given, new=rating.score,
                             language=language)
        handoff.record(conv, "bot", out, ticket_id=t.id, meta={"kind": MessageKind.REPLY},
                       key=f"{msg.key}#reply" if msg.key else "")
        return Outcome(replies=[Reply(out, ticket_id=t.public_id)], action="reply", ticket_id=t.public_id,
                       reason=f"rated {given}/5 already; a correction changes it", message_id=m.id)
    m = handoff.record(conv, "customer", text, ticket_id=t.id, author_name=msg.customer_name,
                       meta={"rating": rating.score}, key=msg.key)
    handoff.rate(t.id, rating.score, comment=rating.comment)
    replaced = given if rating.correction and given is not None and given != rating.score else None
    out = replies.render("rated", ticket_id=t.public_id, score=rating.score, said=rating.said, replaced=replaced,
                         language=language)
    handoff.record(conv, "bot", out, ticket_id=t.id, meta={"kind": MessageKind.RATED},
                   key=f"{msg.key}#reply" if msg.key else "")
    return Outcome(replies=[Reply(out, ticket_id=t.public_id)], action="rated", ticket_id=t.public_id,
                   reason=f"satisfaction {rating.score}/5", message_id=m.id)
