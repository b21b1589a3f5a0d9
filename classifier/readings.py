"""What a message says by its form, before or besides what its neighbours vote: courtesy in chat shorthand
("ㅎㅇ요", "하이", "ㄳ!"), an opening that carries no question ("안녕하세요. 문의드립니다.", "Hi there, quick
question.") or corrects the bot ("아니 그거 말고 ...", "no, not that, ..."), and a request for a refund ("환불해
주세요", "can I get my money back?"), which is a request for a person in billing rather than a fault."""

from __future__ import annotations

import re
import unicodedata

from classifier.questions import courtesy
from classifier.specifics import states_failure
from classifier.troubles import troubles

THANKS = "thanks"  # the courtesy label thanks stand for, when the labels have it
GREETING = "greeting"  # the greeting label, when the labels have it
BILLING = "billing"  # the label of a refund request, when the labels have it
# A message of only these (and spaces) is thanks: thumbs up, folded hands, hearts, smiles, OK, check marks
THANKS_SYMBOLS = frozenset("👍🙏❤♥💙💚💛🧡💜🤍😊🙂😀😃😄😁🥰😍👌✅✔💯🤗☺️\ufe0f")
# Korean chat shorthand of bare consonants and vowels ("ㄳ", "ㄱㅅ") that means thanks
THANKS_JAMO = frozenset({"ㄳ", "ㄱㅅ", "ㄱㅅㄱㅅ", "ㄳㄳ", "ㄱㅅㅎㄴㄷ", "ㄱㅅㅎㅂㄴㄷ"})
# ... and that means hello ("ㅎㅇ" for 하이, "ㅎㅇㅎㅇ", "ㅇㄴㅎㅅㅇ" for 안녕하세요)
GREETING_JAMO = frozenset({"ㅎㅇ", "ㅎㅇㅎㅇ", "ㅇㄴㅎㅅㅇ", "ㅇㄴ", "ㅎㅇㅇ"})
# Hello written in Hangul as chat says it: English "hi"/"hello" spelt out (하이, 헬로), clipped 안녕 (안뇽,
# 하잉), 방가 (반가워요); the encoders read these as anything (하이 was thanked)
GREETING_WORDS = frozenset({"하이", "하이하이", "하잉", "하이루", "헬로", "헬로우", "할로", "안뇽", "안녕", "안녕안녕",
                            "방가", "방가방가", "반가워", "반가워요", "반갑습니다",
                            "hi", "hiya", "heya", "howdy", "hello", "hey", "yo", "hallo"})
# a polite ending chat adds to shorthand: "ㅎㅇ요", "하이요", "ㄳ염", "ㅎㅇ용"
_POLITE_END = ("요", "용", "여", "염", "욥")


def _letters(text: str) -> str:
    """The letters and digits of ``text``, lower-cased, nothing else (no spaces, punctuation, emoji)."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN").lower()


def courtesy_shorthand(text: str) -> str | None:
    """The courtesy label (``GREETING`` or ``THANKS``) ``text`` says in chat shorthand and nothing more, else
    None: thanks in symbols ("👍", "🙏🙏") or jamo ("ㄳ", "ㄱㅅ!"), hello in jamo ("ㅎㅇ", "ㅎㅇ!", "ㅇㄴㅎㅅㅇ~")
    or in Hangul chat words ("하이", "헬로", "안뇽"), each with punctuation, emoji or a polite ending ("ㅎㅇ요",
    "하이요", "ㄳ염") around it."""
    if text.strip() and set(text) - {" "} <= THANKS_SYMBOLS:
        return THANKS
    bare = _letters(text)
    found = {bare} | {bare[:-len(end)] for end in _POLITE_END if bare.endswith(end) and len(bare) > len(end)}
    if found & THANKS_JAMO:
        return THANKS
    if found & (GREETING_JAMO | GREETING_WORDS):
        return GREETING
    return None


# An opening part of a message: up to a sentence's end, a comma or a line break
_PART = re.compile(r"\s*([^.!?？~,\n]+)([.!?？~,\n]+|$)\s*")
# A greeting word opening a message without punctuation: "hi how do I...", "안녕하세요 요금제 변경..."
_GREETING_WORD = re.compile(r"^\s*(?:(?:hi|hello|hey)(?:\s+(?:there|all|team|guys|everyone|folks))?"
                            r"|안녕하세요|안녕하십니까)\s+(?!(?:there|all|team|guys|everyone|folks)\b)(?=\S)",
                            re.IGNORECASE)
# Openings that correct the bot's last reply: "no, not that", "not that one,", "I meant", "아니 그거 말고",
# "그게 아니라", "아니요 제 말은"; what follows is what the customer meant
_CORRECTION = re.compile(
    r"^\s*(?:(?:no|nope|nah|sorry)[\s,.!]+)?(?:not\s+that(?:\s+one)?|that'?s\s+not\s+(?:it|what\s+i\s+(?:meant|asked))"
    r"|(?:no\s+)?i\s+meant?|wrong\s+one)[\s,.:;!-]+(?=\S)"
    r"|^\s*(?:(?:아니|아니요|아뇨|아니에요|아녜요)[\s,.!~]*)?(?:그거|그게|그건|이거|이게|저거|그것|그쪽)\s*(?:말고|아니라|아니고|아니구)"
    r"(?:요)?[\s,.!~]+(?=\S)"
    r"|^\s*(?:아니|아니요|아뇨)[\s,.!~]+제\s*말은[\s,]*(?=\S)", re.IGNORECASE)


def opening_left_out(text: str) -> str:
    """``text`` without an opening that carries no question when a later part does: greetings and preambles
    ("안녕하세요. 문의드립니다. 구독 요금제 변경을 원합니다." reads as "구독 요금제 변경을 원합니다.", "Hi there, quick
    question. How do I change my plan?" as "How do I change my plan?"; see :func:`classifier.questions.courtesy`)
    and a correction of the bot's last reply ("아니 그거 말고 앱 업데이트요" as "앱 업데이트요"). ``text``
    itself when nothing opens it that way or nothing would be left."""
    rest = text
    while True:
        m = _CORRECTION.match(rest)
        if m is None:
            m = _PART.match(rest)
            if m is None or not m.group(2) or not courtesy(m.group(1).strip()):
                m = _GREETING_WORD.match(rest)
        if m is None or not m.end():
            break
        rest = rest[m.end():]
    rest = rest.strip()
    if not _letters(rest) or courtesy(rest.strip(" .,!?~")) or courtesy_shorthand(rest) is not None:
        return text  # nothing but courtesy: the message is read whole
    return rest


def corrects(text: str) -> bool:
    """Whether ``text`` opens by correcting the bot's last reply and then says what was meant ("아니 그거 말고
    앱 업데이트요", "no, not that, the app update", "I meant the subscription")."""
    return bool(_CORRECTION.match(text))


# Asking for money back: a refund, a reimbursement, a chargeback; Korean 환불, 환급, 돈 (을) 돌려 (받다/주다),
# 결제 취소
_REFUND = re.compile(
    r"\brefund(?:s|ed|ing)?\b|\bmoney\s+back\b|\breimburs\w*|\bcharge\s*-?back\b|\bwant\s+my\s+money\b"
    r"|환불|환급|돈\s*(?:을|좀)?\s*돌려|결제\s*(?:를\s*)?취소", re.IGNORECASE)


def asks_refund(text: str) -> bool:
    """Whether ``text`` asks for money back ("환불해 주세요", "환불 되나요", "I want a refund", "can I get my
    money back?", "결제 취소하고 싶어요")."""
    return bool(_REFUND.search(text))


# English words stating that something is faulty (the examples read English faults; a refund's words would
# outvote them)
_EN_FAULT = re.compile(r"\b(?:broken|broke|defective|faulty|damaged|dead|stopped\s+working|not\s+working"
                       r"|doesn'?t\s+work|does\s+not\s+work|won'?t\s+(?:work|turn|connect|start|charge)|will\s+not|crash\w*|cracked)\b",
                       re.IGNORECASE)


def names_fault(text: str) -> bool:
    """Whether ``text`` names a trouble (a fault: "the camera is broken", "카메라가 고장났어요") besides
    the refund it may ask for: the refund words themselves name a payment, no fault."""
    rest = _REFUND.sub(" ", text)
    return bool(troubles(rest)) or states_failure(rest) or bool(_EN_FAULT.search(rest))
