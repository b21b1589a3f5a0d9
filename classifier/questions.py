"""The questions in a message: whether it asks by its form (:func:`asks`: a question mark, "how do I...",
"...나요") and the separate questions of a message that asks two or three things (:func:`questions_in`), so
that each is answered on its own. The words a question must name come from :mod:`classifier.specifics`."""

from __future__ import annotations

import re

from classifier.specifics import HANGUL, words

# Where a message may hold another question: a question mark, ".", "!" or ";" followed by more text, a line
# break, an inline numbered list ("1) ... 2) ..."), "also", "plus", "one more thing", "and" or ", and" right
# before a question ("... and how do I ...", "... and can I ..."), Korean 그리고, 또한, 하나 더, and 또 only
# after a question's ending ("...하나요 또 ..."): mid-sentence 또 is "again" ("바꿨는데 또 재설정해야 하나요?").
_Q_START = (r"(?:(?:how|what|where|when|why|which|who)(?:'s|\s+(?:do|does|did|can|could|is|are|was|were|will|would|"
            r"should|long|much|many|often|soon|to|about|if))|(?:can|could|would|will|should|do|does|did|is|are|may|"
            r"might|shall|has|have)\s+(?:i|you|we|it|they|there|this|that|my|the|a|an|u|he|she))\b")
_KO_Q_END = (r"(?:나요|까요|가요|니까|는지|방법|주세요|줘요|주실래요|있어요|없어요|되요|돼요|죠|세요|"
             r"싶어요|싶습니다|해줘|해 줘)")
_SEPARATE = re.compile(
    r"(?<=[?？.!;])\s+|\n+|\s*;\s*|\s+(?=\(?\d{1,2}[).]\s)"
    r"|\s*,?\s*\b(?:(?:and |but )?also|plus|and another (?:thing|question)|one more (?:thing|question)),?\s+"
    rf"|\s*,?\s+and\s+(?={_Q_START})"
    rf"|\s*(?:그리고|또한|하나 더,?)\s+|(?<=[요까죠지법])\s+또\s+",
    re.IGNORECASE)
_LIST_MARK = re.compile(r"^\s*(?:\(?\d{1,2}[).]|[-*•])\s*")
_LEADING_AND = re.compile(r"^\s*(?:and|plus|so|but)\s+(?=\S)", re.IGNORECASE)
# Parts of a message that are no question: a greeting, a sign-off, a preamble ("I have two questions about my
# order."), a compliment ("btw love the product"); dropped before the questions are counted.
_COURTESY = re.compile(
    r"^(?:(?:hi|hello|hey|dear\s+\w+(?:\s+team)?|good\s+(?:morning|afternoon|evening)|greetings|many\s+thanks|"
    r"(?:thanks|thank\s+you)(?:\s+(?:so|very)\s+much|\s+a\s+lot|\s+in\s+advance|\s+for\s+(?:your|the|any)\s+help)?|"
    r"sent\s+from\s+my\s+\w+|looking\s+forward\s+to\s+(?:your\s+(?:reply|answer|response)|hearing\s+from\s+you)|cheers|"
    r"regards|(?:best|kind|warm)\s+regards|best|sincerely|btw|by the way|ps|p\.s\.)(?:\s+(?:there|all|team|guys))?"
    r"|(?:btw\s+|by the way\s+|ps\s+)?(?:i\s+|we\s+)?(?:really\s+)?(?:love|like|enjoy)\s+(?:the|your|this|my)\s+"
    r"(?:product|app|camera|service|device)s?(?:\s+\w+)?|great\s+(?:product|app|service|job)"
    r"|have\s+a\s+(?:nice|good|great|lovely)\s+(?:day|one|weekend|evening)|i\s+(?:have|got)\s+(?:a\s+few|some|two|"
    r"three|2|3|a\s+couple\s+of|several)\s+questions?(?:\s+(?:about|on|regarding)\s+[\w\s']+)?|(?:a\s+)?(?:quick|"
    r"two|2|three|3)\s+questions?|i\s+have\s+a\s+(?:quick\s+)?question|(?:a\s+)?question\s+for\s+you|excuse\s+me"
    r"|sorry\s+to\s+bother\s+you|hope\s+you(?:'re|\s+are)\s+(?:well|doing\s+well)"
    r"|안녕하세요|안녕하십니까|안녕|감사합니다|고맙습니다|수고하세요|수고하십시오|수고하십니다|수고\s?많으십니다"
    r"|실례합니다|저기요|(?:질문|문의)(?:이|가)?\s?(?:있어요|있습니다|있는데요|드려요|드립니다|드릴게요|합니다)"
    r"|(?:궁금한|여쭤볼|여쭤보고 싶은)\s?(?:게|것이|점이|거)\s?(?:있어요|있습니다|있는데요)"
    r"|좋은 하루 (?:되세요|보내세요)"
    r"|(?:질문|문의)(?:이|가)? (?:몇 가지|두 가지|두 개|2개|하나|좀) ?(?:있어요|있습니다|드려요|드립니다)"
    r"|문의 ?드(?:립니다|려요))"
    r"[\s,.!~:)]*$", re.IGNORECASE)
_Q_OPENING = re.compile(
    rf"^(?:(?:and|so|also|plus|then|oh|ok|okay|btw|but|and also)[,\s]+)*(?:{_Q_START}|(?:how|what|where|when|why|"
    r"which|who|is there|are there|please|pls|i'?d like|i would like|i want(?: to know)?|i need|let me|tell me|"
    r"show me|help me|could you|can you|would you|will you)\b)", re.IGNORECASE)
_KO_PART_ASKS = re.compile(rf"(?:{_KO_Q_END}|어떻게|어디|언제|얼마|무엇|뭔가요|뭐예요|뭐에요|알려)[\s?？.!~]*$")


def courtesy(part: str) -> bool:
    """Whether one part of a message (a sentence or a clause, its punctuation around it) is courtesy or a
    preamble that asks nothing itself: a greeting, thanks, a sign-off, "quick question", "문의드립니다"."""
    return bool(_COURTESY.match(part))


def _courtesy(part: str, before: list[str]) -> bool:
    """Whether one part of a message is courtesy or preamble (see ``_COURTESY``), or a name signing off
    ("John" after "Thanks,")."""
    if _COURTESY.match(part):
        return True
    signed = bool(before) and bool(_COURTESY.match(before[-1])) and not before[-1].lower().startswith(("hi", "hello"))
    return signed and len(part.split()) <= 3 and all(w[:1].isupper() for w in part.split())


def _asks(part: str) -> bool:
    """Whether one part of a message is a question or a request: it ends with a question mark, opens as one
    ("how do I...", "can I...", "please..."), or (Korean) ends as one ("...나요", "...주세요", "...방법")."""
    if part.rstrip().endswith(("?", "？")):
        return True
    if HANGUL.search(part):
        return bool(_KO_PART_ASKS.search(part))
    return bool(_Q_OPENING.match(part))


def asks(text: str) -> bool:
    """Whether ``text`` is a question or a request by its form: it ends with a question mark, opens as one
    ("how do I...", "is there...", "please..."), or (Korean) ends as one ("...나요", "...어때요", "...주세요")."""
    return _asks(text.strip())


def questions_in(text: str, *, most: int = 3) -> list[str]:
    """The separate questions of a message that asks two or three things ("how do I reset my password? also
    how do I cancel my subscription?", "how long does shipping take and can I return it?", "1) ... 2) ...",
    "비밀번호는 어떻게 바꿔요? 그리고 구독 해지는요?"), each with at least three words (Korean: two words and
    five syllables, or four and a question mark); a greeting, a sign-off or a preamble around them ("Hello,",
    "I have two questions.", "Thanks, John") is left out. ``[text]`` when it asks one thing, more than
    ``most``, or when any other part is no question or request ("I changed my email and also want to...",
    "이메일을 바꿨는데 또 ...하나요?"): such a message is decided whole."""
    parts = [_LEADING_AND.sub("", _LIST_MARK.sub("", p)).strip(" ,.!;") for p in _SEPARATE.split(text.strip()) if p]
    kept: list[str] = []
    seen: list[str] = []
    for p in parts:
        if not p:
            continue
        if not _courtesy(p, seen):
            kept.append(p)
        seen.append(p)

    def enough(p: str) -> bool:
        # Korean packs a word's worth into two or three syllables: "학생 할인 있나요?" (7) asks as much as
        # "is there a student discount?"; a lone word ("알려주세요") is no question of its own
        hangul = sum(1 for ch in p if "\uac00" <= ch <= "\ud7a3")
        if hangul:  # "학생할인?" asks with its question mark what "학생 할인 있나요" asks in words
            return (hangul >= 5 and len(p.split()) >= 2) or (hangul >= 4 and p.rstrip().endswith(("?", "？")))
        return len(words(p)) >= 3

    if not 2 <= len(kept) <= most or not all(enough(p) and _asks(p) for p in kept):
        return [text]
    return kept
