"""What kind of trouble a message names, by its words (English and Korean): the connection drops, the app
crashes, the device freezes, will not power on, shows no picture, cannot log in, makes no sound, sends no
alerts, records nothing, a payment fails. A short follow-up that says it happened again ("it dropped again",
"또 끊겼어요", "still offline") and names the same kind of trouble as the report (or none: "it happened again")
is the same report, whatever its words' similarity to the first one."""

from __future__ import annotations

import re

from classifier.specifics import _SOMETHING_ELSE, goes_on

_KINDS = {
    "connection": r"disconnect|\bdrop(?:s|ped|ping)?\b|offline|\bconnect|connection|signal|wi-?fi|internet|network"
                  r"|unreachable|cut(?:s|ting)?\s+out|lost\s+(?:the\s+)?(?:feed|stream)|끊|연결|오프라인|접속|와이파이"
                  r"|네트워크|신호|나가|나갔",
    "crash": r"crash|clos(?:e|es|ed|ing)\b|quit|force\s+clos|kick(?:s|ed)?\s+me\s+out|튕|꺼져|꺼졌|꺼지|종료",
    "freeze": r"freez|froze|frozen|stuck|\bhang(?:s|ing)?\b|\bhung\b|\blag|unresponsive|not\s+responding"
              r"|멈|먹통|렉|버벅|반응",
    "power": r"power|turn(?:s|ed)?\s+(?:on|off)|switch(?:es|ed)?\s+(?:on|off)|shut(?:s|ting)?\s+(?:down|off)|\bdead\b"
             r"|reboot|restart|battery|charg|안\s*켜|켜지|켜져|꺼져|꺼졌|꺼지|재부팅|전원|배터리|충전",
    "display": r"black|blank|\bdark\b|no\s+(?:video|picture|image)|screen|화면|까맣|검은|하얗|영상이\s*안",
    "login": r"log\s*(?:in|out)|sign\s*(?:in|out)|password|locked\s+out|로그인|로그아웃|비밀번호|잠겼|잠김",
    "sound": r"sound|audio|\bmic|hear|speaker|소리|마이크|스피커|음성",
    "alerts": r"notif|alert|push|알림|푸시",
    "recording": r"record|clip|footage|녹화|저장",
    "payment": r"\bpay(?:s|ing|ment|ments)?\b|\bpaid\b|checkout|billing|\bbilled\b|invoice|refund"
               r"|charged\s+(?:me|twice|double|again|for)|결제|청구|환불|송금",
}
_KIND_RES = {kind: re.compile(pattern, re.IGNORECASE) for kind, pattern in _KINDS.items()}
SHORT_WORDS = 10  # a follow-up of at most this many words
# kinds a customer cannot tell apart: a camera that went offline and one that turned off ("또 꺼졌어요" on a
# ticket about the camera going offline) look the same from the app
_RELATED = {"connection": frozenset({"power"}), "power": frozenset({"connection"})}
# "works again now, thanks", "still fine": the trouble is gone, not back (unless a "not"/"안" says otherwise)
_FINE = re.compile(r"\b(?:works?|worked|working|fine|good|great|perfect|thanks?|thank\s+you|helped|solved|fixed)\b"
                   r"|잘\s*(?:돼|되|됩|됐)|괜찮|감사|고마|해결\s*(?:됐|되었)", re.IGNORECASE)
_NOT = re.compile(r"\b(?:not|no|never|nope)\b|n['’]?t\b|안\s*|못\s*|broken|fail|offline|crash|dead|error",
                  re.IGNORECASE)


def troubles(text: str) -> frozenset[str]:
    """The kinds of trouble ``text`` names (see ``_KINDS``): e.g. {"connection"} for "it dropped again",
    {"crash"} for "앱이 또 튕겨요"; empty when it names none ("it happened again")."""
    return frozenset(kind for kind, pattern in _KIND_RES.items() if pattern.search(text))


def something_else(text: str) -> bool:
    """Whether ``text`` says it brings up something besides what was reported ("also", "another", "too",
    "new", "by the way ... too"; Korean 그리고, 다른, 새로운, 추가로)."""
    return bool(_SOMETHING_ELSE.search(text))


def related(kinds: frozenset[str] | set[str]) -> frozenset[str]:
    """``kinds`` of trouble and those a customer cannot tell apart from them (offline and off: ``_RELATED``)."""
    return frozenset(kinds).union(*(_RELATED.get(k, frozenset()) for k in kinds))


def recurs(text: str) -> bool:
    """Whether ``text`` is a short message (at most ``SHORT_WORDS`` words) saying a trouble is back or still
    there ("again", "same problem again", "happening again :(", "it's back", "또요", "또 그래요 ㅠㅠ", "다시
    그래요", "재발했어요"; :func:`classifier.specifics.goes_on`), not that it works now ("works again now,
    thanks", "still fine") nor that something else is wrong ("another problem")."""
    if len(text.split()) > SHORT_WORDS or not goes_on(text):
        return False
    return not (_FINE.search(text) and not _NOT.search(text))


def _reported_kinds(reported: list[str]) -> set[str]:
    """Every kind of trouble (:func:`troubles`) named in any of the texts ``reported``."""
    return set().union(*(troubles(said) for said in reported))


def other_trouble(text: str, reported: list[str]) -> bool:
    """Whether ``text`` names a kind of trouble (:func:`troubles`) and none of it is, or looks like, a kind
    named in ``reported`` (a ticket's subject and what the customer said on it): "the app crashes when I
    upload a photo" after a ticket about a camera going offline. False when it names none ("5 cameras are
    broken") or a kind reported before."""
    named = troubles(text)
    return bool(named) and not (named & related(_reported_kinds(reported)))


def same_trouble_again(text: str, reported: list[str]) -> bool:
    """Whether ``text`` is a short follow-up (at most ``SHORT_WORDS`` words) saying the trouble happened
    again or is still there (:func:`classifier.specifics.goes_on`: again, still, 또, 다시, 여전히; not "also",
    "another", "다른") and naming the same kind of trouble as something in ``reported`` (the ticket's subject
    and what the customer said on it), or none at all."""
    if len(text.split()) > SHORT_WORDS or not goes_on(text):
        return False
    named = troubles(text)
    return not named or bool(named & related(_reported_kinds(reported)))


# "that didn't help", "still broken", "I tried that, no luck", "해봤는데 여전히 안 되네요", "말씀하신 대로 했는데도
# 안 돼요", "소용없어요": what the customer says of advice that did not solve the trouble
_NOT_HELPED = re.compile(
    r"\b(?:didn'?t|did\s+not|doesn'?t|does\s+not|wasn'?t|won'?t|not)\s+(?:help|work|fix|change|solve)\w*"
    r"|\b(?:no|zero)\s+(?:luck|change|difference|help)\b|\bnot\s+helpful\b|\buseless\b|\bsame\s+(?:thing|result)\b"
    r"|\btried\s+(?:that|it|this|everything|all|those|these)\b|\bdid\s+(?:that|this|what\s+you\s+said)\b"
    r"|\bstill\s+(?:not|doesn'?t|won'?t|can'?t|broken|the\s+same|happening|failing|fails|there)\b"
    r"|(?:해\s*봤|했|대로|그래도|여전히|아직|또|다시)[가-힣\s]*(?:안\s*(?:돼|되|됨|됩|바뀌)|소용\s*없|똑같|그대로|마찬가지)"
    r"|소용\s*(?:이\s*)?없|도움이?\s*안\s*(?:돼|됐|되)", re.IGNORECASE)


def says_not_helped(text: str) -> bool:
    """Whether ``text``, typed right under a bot answer, says the answer did not help: a short message (at most
    ``SHORT_WORDS`` + 2 words, no question) that says so ("that didn't help", "still broken", "I tried that, no
    luck", "해봤는데 여전히 안 되네요", "말씀하신 대로 했는데도 안 돼요") or that the trouble is back ("again",
    "또 그래요": :func:`recurs`)."""
    if "?" in text or len(text.split()) > SHORT_WORDS + 2 or something_else(text):
        return False
    return bool(_NOT_HELPED.search(text)) or recurs(text)
