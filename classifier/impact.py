"""Urgency and impact scope of a message.

Impact: ``single`` (this customer) or ``wide`` (many people, a team, everyone: "nobody in our
office can log in" is not "I can't log in"). Urgency: ``normal``, ``high`` or ``critical``.
Impact combines lexical cues (English and Korean) with the message's similarity to a few
prototype sentences, so paraphrases without the key words are caught too. Urgency comes from what
is at stake: safety, security, lost data (critical); money, a deadline, work stopped (high); not
from "again", "today" or "still".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from kb.embedder import Embedder

_WIDE = re.compile(
    r"\b(nobody|no one|noone|everyone|everybody|all (of )?(our|the|my) (users|customers|staff|team|employees|"
    r"colleagues|devices|cameras|accounts|stores|offices)|all users|whole (office|team|company|building)|"
    r"entire (office|team|company)|none of (us|our|the)|our (office|team|company|staff|employees)|"
    r"company[- ]wide|system[- ]wide|site[- ]wide|outage|(is|are|went|goes) down for|"
    r"for (all|everyone)|multiple (users|customers|accounts|devices)|many (users|customers|people))\b"
    r"|모두|전체|아무도|모든 (사용자|고객|직원)|전사|장애",
    re.IGNORECASE,
)
# Urgency comes from what is at stake, not from how often or when something happened ("again",
# "today", "still" say nothing about the stakes): safety, security and lost data are critical;
# money and a deadline are high. Everyone affected is the impact scope (above), which raises the
# priority on its own.
_CRITICAL = re.compile(
    r"\b(emergency|outage|security breach|hacked|breach|data (loss|leak)|lost all|deleted all|wiped|"
    r"lost (all |every )?(my|our|the) (data|files|photos|pictures|videos|recordings|footage|contacts|documents)|"
    r"fraud|fraudulent|stolen|(someone|somebody) (else )?(has )?(logged|is logged|got|getting|is getting) in(to)?|"
    r"unauthori[sz]ed|identity theft|not me who logged in|"
    r"(recordings|videos|footage|clips|photos|pictures|files|data|history) (are|is|were|was|have|has|got) "
    r"(all )?(gone|disappeared|vanished|deleted|erased|wiped)|"
    r"production (is )?down|"
    r"fire|smoke|smoking|burning|burnt|melting|melted|sparks?|overheat(s|ed|ing)?|explod(e|ed|ing)|"
    r"electric(al)? shock|injur(y|ed|ies)|hurt|unsafe|danger(ous)?|break-?in|intruder|burglar)\b"
    r"|긴급|해킹|도난|유출|화재|연기|감전|폭발|과열|도용|침입|무단(으로)? ?(접속|로그인|사용)|"
    r"(누가|누군가|다른 사람이) ?(제|내|저희) ?계정|"
    r"(영상|녹화|동영상|사진|파일|데이터|기록|클립)[^.?!\n]{0,12}(사라졌|사라져|지워졌|지워져|삭제됐|삭제되었|"
    r"삭제돼|날아갔|없어졌)",
    re.IGNORECASE,
)
_URGENT = re.compile(
    r"\b(urgent(ly)?|asap|immediately|right now|right away|as soon as possible|deadline|"
    r"by (tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|noon|the end of the day)|"
    r"before (the|my|our) (meeting|event|flight|launch|presentation|exam|demo|deadline)|due (today|tomorrow)|"
    r"within (an|the|one|two|\d+) (hour|hours|minutes)|in (an|one|two|\d+) hours?|"
    r"charged twice|double[- ]charged|overcharged|(lost|losing) (money|sales|customers|revenue|orders)|"
    r"money (was )?(taken|gone|missing)|can'?t (pay|get paid|sell|take payments)|payroll|"
    r"can'?t work|cannot work|can'?t do my job|business (is )?(stopped|blocked)|"
    r"(billed|charged|debited|paid) (me )?(twice|two times|double)|duplicate (charge|payment))\b|!!!+|"
    r"급해|급합|급한|시급|빨리|당장|마감|지금 바로|오늘 ?(안에|안으로|중으로|중에|까지)|내일 ?(까지|아침까지)|"
    r"(이중|중복) ?(결제|청구|출금)|(결제|청구|출금)[^.?!\n]{0,6}(두 ?번|2번|두번|중복)|"
    r"돈이[^.?!\n]{0,8}(빠져|나갔|빠졌)|과다 ?(청구|결제)",
    re.IGNORECASE,
)

# What a customer pastes rather than says: code blocks and spans, URLs, shell commands and their flags,
# and words glued by code punctuation (paths, identifiers, JSON, key=value): "emergency" in
# /v1/alerts/emergency or {"priority":"urgent"} is not the customer saying so.
_FENCED = re.compile(r"```.*?(```|$)", re.S)
_INLINE = re.compile(r"`[^`\n]*`")
_URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)\S+", re.I)
_COMMAND = re.compile(r"^\s*(?:[$#>]\s*)?(?:curl|wget|http|https|sudo|ssh|scp|git|npm|npx|pip|python3?|node|docker|"
                      r"kubectl|aws|gcloud|az|psql|mysql|redis-cli|export|set|echo|cat|grep|tail)\b.*?(?:\\\n.*?)*$",
                      re.I | re.M)
_FLAG_LINE = re.compile(r"^\s*-{1,2}[A-Za-z][\w-]*\b.*$", re.M)
_CODE_WORD = re.compile(r"\S*(?:[/_={}<>\\|\[\]\"]|[A-Za-z0-9]\.[A-Za-z]|::|->)\S*")


def prose(text: str) -> str:
    """``text`` without what reads as pasted rather than said: fenced and inline code, URLs, shell
    command lines (with their continued lines and flag lines), and words joined by code punctuation."""
    for pattern in (_FENCED, _INLINE, _URL, _COMMAND, _FLAG_LINE, _CODE_WORD):
        text = pattern.sub(" ", text)
    return text


WIDE_PROTOTYPES = [
    "nobody in our office can log in",
    "the service is down for everyone",
    "all of our users are affected",
    "none of our cameras work since this morning",
    "our whole team gets the same error",
]
SINGLE_PROTOTYPES = [
    "I can't log in",
    "my camera does not work",
    "I get an error",
    "my payment failed",
    "the app crashes on my phone",
]


@dataclass(frozen=True)
class Assessment:
    impact: str  # single | wide
    urgency: str  # normal | high | critical


class ImpactAssessor:
    def __init__(self, embedder: Embedder | None = None, *, margin: float = 0.15) -> None:
        self._margin = margin
        self._wide: np.ndarray | None = None
        self._single: np.ndarray | None = None
        if embedder is not None:
            self._wide = embedder.encode(WIDE_PROTOTYPES)
            self._single = embedder.encode(SINGLE_PROTOTYPES)

    def assess(self, text: str, vector: np.ndarray | None = None) -> Assessment:
        """Impact (single | wide) and urgency (normal | high | critical) of a customer's message. Urgency
        words count in the customer's prose only, not inside what they pasted (:func:`prose`)."""
        wide = bool(_WIDE.search(text))
        text = prose(text)
        if not wide and vector is not None and self._wide is not None and self._single is not None:
            w = float((self._wide @ vector).max())
            s = float((self._single @ vector).max())
            wide = w >= 0.6 and w - s >= self._margin
        if _CRITICAL.search(text):
            urgency = "critical"
        elif _URGENT.search(text):
            urgency = "high"
        else:
            urgency = "normal"
        return Assessment(impact="wide" if wide else "single", urgency=urgency)
