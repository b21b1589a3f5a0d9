"""Urgency and impact scope of a message.

Impact: ``single`` (this customer) or ``wide`` (many people, a team, everyone: "nobody in our
office can log in" is not "I can't log in"). Urgency: ``normal``, ``pressing`` (asap, 급해요), ``high``
or ``critical``.
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

# Wide impact is many people of an organisation or many customers, never one household: "everyone in my
# family", "nobody is home", "both of my cameras" (모두), "full screen" (전체 화면) or a disability (장애) are
# not. Korean needs the organisation or the service as the subject: 사무실 전체, 모든 고객, 서비스 장애.
_WIDE = re.compile(
    r"\b((nobody|no one|noone|none of us) (in|at|from) (our|the|my) (office|team|company|building|store|shop|"
    r"school|organi[sz]ation|department|branch)|(everyone|everybody) (in|at|from) (our|the|my) (office|team|company|"
    r"building|store|shop|school|organi[sz]ation|department|branch)|all (of )?(our|the) (users|customers|staff|team|"
    r"employees|colleagues|stores|offices|branches|sites)|all users|all customers|whole (office|team|company|building)|"
    r"entire (office|team|company|building)|none of (our|the) (users|customers|staff|employees|stores|offices)|"
    r"our (office|team|company|staff|employees)|company[- ]wide|system[- ]wide|site[- ]wide|"
    r"(service|system|server|cloud|platform|website|site)s? (outage|is down|are down|went down)|"
    r"outage (of|on|at|in) your|"
    r"(is|are|went|goes) down for (everyone|everybody|all)|for (all|every) (users|customers|of us)|"
    r"for everyone|for everybody|multiple (users|customers)|many (users|customers|people)|"
    r"other (customers|users) (too|as well|also|have|are|say))\b"
    r"|모든 ?(사용자|고객|직원|매장|지점|회원|이용자)|(사무실|회사|팀|매장|지점|직원|부서|학교)[^.?!\n]{0,6}"
    r"(전체|모두|전부|다 )|전사|전 ?직원|다른 (고객|사용자|이용자|회원)(들)?도|"
    r"(서비스|서버|시스템|사이트) ?(전체 ?)?(장애|먹통|다운(?!로드|받))|전면 ?장애|대규모 ?장애|"
    r"아무도 (접속|로그인|이용|사용)(을|이)? ?(못|안)",
    re.IGNORECASE,
)
# Urgency comes from what is at stake, not from how often or when something happened ("again",
# "today", "still" say nothing about the stakes): safety, security and lost data are critical;
# money and a deadline are high. Everyone affected is the impact scope (above), which raises the
# priority on its own. Only what happened counts, not what a product feature is called: "intruder
# alerts", "smoke detector", 화재 감지, 도난 방지 and 침입 감지 are everyday questions about a security
# product; "smoke is coming out of the camera", "someone broke in", 불이 났어요 and 도난당했어요 are not.
_CRITICAL = re.compile(
    r"\b(emergency(?! (contacts?|numbers?|services?|calls?|mode|buttons?|alerts?|sos|"
    r"settings?|plans?|lights?|sirens?|situations?|use))|"
    r"security breach|hacked|(data|security) breach|data (loss|leak)|lost all|deleted all|"
    r"wiped (out|clean|all|my|our|everything)|"
    r"lost (all |every )?(my|our|the) (data|files|photos|pictures|videos|recordings|footage|contacts|documents)|"
    r"fraud|fraudulent|(was|were|been|got) stolen|stole (my|our)|"
    r"(someone|somebody) (else )?(has )?(logged|is logged|got|getting|is getting) in(to)?|"
    r"(someone|somebody|a stranger|strangers|hackers?) (else )?(has |have |is |are |was |were )?"
    r"(changed|reset|changing|resetting) (my|our|the) (password|email|e-mail|login)|"
    r"(someone|somebody|a stranger|strangers|hackers?) (else )?(has |have |is |are |was |were |has been |have been )?"
    r"(watching|viewing|accessing|looking at|spying (on|through)|watched|viewed|accessed) (my|our|the) "
    r"(cameras?|feeds?|streams?|live view|videos?|recordings?|footage|account)|"
    r"(log ?in|login|sign[- ]?in|device|session)s? (from |on )?(a |an )?(device |place |location |country )?"
    r"(i|we) (don'?t|do not|didn'?t|did not) (know|recogni[sz]e)|"
    r"(unknown|unrecogni[sz]ed|strange|foreign) (device|login|log-in|sign[- ]?in|session)s?|"
    r"unauthori[sz]ed|identity theft|not me who logged in|"
    r"(recordings|videos|footage|clips|photos|pictures|files|data|history)"
    r"(?: (?:from|of|since|for|in|on|over) (?:the )?(?:last|past|this|that|yesterday|today|\w+day|\d+)(?: \w+)?)?"
    r" (are|is|were|was|have|has|got) "
    r"(all )?(gone|disappeared|vanished|deleted|erased|wiped)|"
    r"production (is )?down|"
    r"(smoke|sparks?|flames?|fumes) (is |are |was |were )?(coming|came|come|pouring) (out|from)|"
    r"(caught|catches|catching|on) fire|(is|was|are|were|got|started) (burning|melting|melted|smoking|sparking)|"
    r"(burnt|burning|burned) (smell|plastic)|smells? (like )?(burnt|burning|burned|smoke)|"
    r"overheat(s|ed|ing)|explod(e|ed|es|ing)|blew up|"
    r"electric(al)? shock|(got|get|gave me|giving) (a |an )?shock|shocked me|injur(y|ed|ies)|"
    r"(got|was|am|is|been|are|were) (hurt|injured|burned|burnt)|hurt (me|my|him|her|them|someone|somebody)|"
    r"(someone|somebody|a stranger|strangers|an intruder|a man|a woman|a person|people) (is |are |was |were )?"
    r"(in|inside|at|on) (my|our) (house|home|backyard|yard|garden|property|garage|porch|shop|store|office)|"
    r"(someone|somebody|a stranger|strangers?) (is |was )?(talking|speaking|yelling|shouting) (through|on|from|into) "
    r"(my|our) (camera|speaker)|(watching|spying on|recording) (me|us) (through|via|on|with) (my|our|the) cameras?|"
    r"(took|taken|take|taking) (it|my account|our account) over|took over (my|our) account|"
    r"(accessed|used|entered|logged into|opened)( my account| our account| it)? (by|without) "
    r"(someone|somebody|a stranger|my permission|permission)|"
    r"without my (permission|consent|knowledge)|not by me|wasn'?t me|i didn'?t (change|do|make) (it|that|this)|"
    r"\bmy ex(-?(wife|husband|boyfriend|girlfriend|partner))?\b[^.?!\n]{0,40}(access|watching|password|logged|login)|"
    r"(shared|posted|leaked|uploaded) (my|our) (camera |video |)(footage|videos?|recordings?|clips?) "
    r"(online|on the internet|publicly)|"
    r"(broke|broken|breaking) into|break-?in (happened|last|yesterday|tonight|this|at)|there was a (break-?in|"
    r"burglary|robbery)|(we|i|house|home|shop|store|office) (was|were|got|has been|have been) (robbed|burgled|"
    r"burglari[sz]ed)|intruders? (is|are|was|were|in|inside|at|got)|burglars? (is|are|was|were|in|inside|got|"
    r"broke|came))\b"
    r"|긴급(?! ?(연락|번호|출동|모드|알림|버튼|호출|전화|상황))|해킹(을 ?)?(당|됐|되었|된 ?것|된 ?거)|"
    r"도난 ?(을 ?)?(당|됐|되었|신고)|도둑 ?(을 ?)?맞(았|은 ?(것|거|듯))|"
    r"훔쳐 ?(갔|가 ?버렸|가버렸|간 ?(것|거|듯|사람)|가셨|달아났)|훔쳤|훔친 ?(것|거|듯)|"
    r"(개인 ?정보|정보|영상|비밀번호)(가|이)? ?"
    r"유출(됐|되었|된 ?것|된 ?거|당)|화재가 (났|발생)|불이 (났|붙었|붙어)|(연기|불꽃)(가|이) (나|났|피어|올라)|"
    r"타는 냄새|감전(됐|되었|될 ?뻔|당)|폭발(했|할 ?것|하|해)|과열(돼|되|됐|되어)|도용(당|됐|되었|된 ?것|된 ?거)|"
    r"침입(했|당|자가)|(도둑|강도)(이|가) ?(들|침입)|무단(으로)? ?(접속|로그인|사용)|"
    r"(누가|누군가|모르는 사람이|낯선 사람이)[^.?!\n]{0,6}(제|내|저희) ?(계정|카메라|영상)|"
    r"(모르는|이상한|낯선) (기기|장치|사람|곳)[^.?!\n]{0,12}(로그인|접속|보고|봤)|"
    r"(누가|누군가|모르는 사람이|낯선 사람이)[^.?!\n]{0,8}(집|가게|사무실|매장|마당)에 ?"
    r"(들어왔|들어와|침입|있어요|있다)|"
    r"(제가|내가) 안 ?바꿨|(제가|내가) 바꾼 ?(게|것이) 아니|털렸|털린 ?(것|거)|(타는|탄) ?냄새|불꽃이? ?(튀|튄)|"
    r"(도둑|강도)(이|가)? ?(들었|들어왔|침입)|"
    r"(누가|누군가|다른 사람이)[^.?!\n]{0,10}(비밀번호|이메일|패스워드)[^.?!\n]{0,6}(바꿨|바뀌|변경|바꾼)|"
    r"(영상|녹화|동영상|사진|파일|데이터|기록|클립)[^.?!\n]{0,12}(사라졌|지워졌|삭제됐|삭제되었|날아갔|없어졌|"
    r"(사라져|지워져|삭제돼)(?![^.!\n]*\?))",  # "자꾸 사라져요" happens; "언제 지워져요?" asks about retention
    re.IGNORECASE,
)
# A deadline: leaving, a trip, a flight or a meeting at a time soon ("I'm leaving for vacation tomorrow", "my
# flight is tonight"; "내일 여행 가요", "출국하기 전에")
_GOING = (r"(leav(e|es|ing)|fly(ing)?|flight|travel(l?ing)?|trip|(vacation|holiday)(?! mode)|out of town|going abroad|"
          r"meeting|presentation|exam|interview|wedding|moving out|move out)")
_WHEN = (r"(tomorrow|tonight|today|this (morning|afternoon|evening|weekend)|on (monday|tuesday|wednesday|thursday|"
         r"friday|saturday|sunday)|in (an|one|two|three|\d+) (hours?|days?))")
# How long something lasted before it failed, not a time soon: "it broke in two hours", "the battery died within
# an hour", "stopped working after 2 days" (the span is left out before a deadline is looked for); Korean says a
# span with 만에 ("2시간 만에 고장났어요"), which no deadline reads
_DURATION = re.compile(
    r"\b(?:broke|broken|died|dead|stopped(?:\s+working)?|failed|crashed|drained|quit|lasted|lasts|froze|overheated|"
    r"went\s+(?:dead|flat|off|offline|out)|gave\s+up|ran\s+out|shut\s+(?:down|off)|turned\s+off|disconnected|"
    r"dies|breaks|fails|crashes|stops|drains)\b[^.?!\n,;]{0,30}?\s(?P<span>(?:in|within|after)\s+(?:an?|one|two|"
    r"three|four|five|six|a\s+few|few|\d+)\s+(?:hours?|hrs?|minutes?|mins?|days?|weeks?))\b", re.IGNORECASE)


def _without_spans(text: str) -> str:
    """``text`` without the spans of ``_DURATION`` ("it broke in two hours" -> "it broke ")."""
    return _DURATION.sub(lambda m: m.group(0)[: m.start("span") - m.start()], text)


_URGENT = re.compile(
    r"\b(deadline|"
    r"by (tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|noon|the end of the day)|"
    r"before (the|my|our) (meeting|event|flight|launch|presentation|exam|demo|deadline)|due (today|tomorrow)|"
    r"(need|needs|needed) (it|this|that)? ?(fixed |done |sorted |solved )?today|"
    rf"{_GOING}[^.?!\n]{{0,30}}\b{_WHEN}|{_WHEN}[^.?!\n]{{0,30}}\b{_GOING}|"
    r"before (i|we) (leave|go|fly|travel|head off)|before (my|our) (trip|vacation|holiday|travels?)|"
    r"within (an|the|one|two|\d+) (hour|hours|minutes)|in (an|one|two|\d+) hours?|"
    r"charged (twice|two times|three times|3 times|thrice|multiple times|several times|again and again)|"
    r"double[- ]charged|overcharged|(lost|losing) (money|sales|customers|revenue|orders)|"
    r"money (was )?(taken|gone|missing)|can'?t (pay|get paid|sell|take payments)|payroll|"
    r"can'?t work|cannot work|can'?t do my job|business (is )?(stopped|blocked)|"
    r"(billed|charged|debited|paid|taken) (me )?(twice|two times|three times|3 times|thrice|double|"
    r"multiple times|several times)|duplicate (charge|payment)s?)\b|"
    r"마감|오늘 ?(안에|안으로|중으로|중에|까지)|내일 ?(까지|아침까지)|"
    r"(내일|오늘|모레|이번 ?주말|주말에|[월화수목금토일]요일)[^.?!\n]{0,12}"
    r"(여행|출국|출장|휴가|떠나|비행기|이사|행사|발표|시험)|"
    r"(여행|출국|출장|휴가|비행기)[^.?!\n]{0,8}(가기|떠나기|출발하기|하기|타기) ?전|"
    r"(이중|중복) ?(결제|청구|출금)|"
    r"(결제|청구|출금|빠져|빠졌|나갔)[^.?!\n]{0,6}(두 ?번|2 ?번|세 ?번|3 ?번|여러 ?번|중복)|"
    r"(두 ?번|2 ?번|세 ?번|3 ?번|여러 ?번)[^.?!\n]{0,6}(결제|청구|출금|빠져|빠졌|나갔)|"
    r"(카드|통장|계좌)에서[^.?!\n]{0,8}(빠져|빠졌|나갔)|돈이[^.?!\n]{0,8}(빠져|나갔|빠졌)|과다 ?(청구|결제)",
    re.IGNORECASE,
)

# Pressing for speed says how the customer feels, not what is at stake: one step up, never to urgent, and
# nothing when they say there is no hurry ("no rush, this is not urgent", "급한 건 아니에요")
_PRESSING = re.compile(
    r"\b(urgent(ly)?|asap|immediately|right now|right away|as soon as possible|hurry|quickly please|emergency)\b|!!!+|"
    r"급해|급합|급한|시급|빨리|당장|지금 바로|서둘러",
    re.IGNORECASE,
)
_NO_HURRY = re.compile(
    r"\b(no|not|isn'?t|nothing|not really) (a )?(rush|urgent|hurry|emergency)|no hurry|not in a hurry|whenever you can|"
    r"take your time|not time[- ]sensitive\b|급한 ?(건|거|게|것은|일은) 아니|안 ?급해|천천히|시간 (날 때|되실 때)",
    re.IGNORECASE,
)
# What makes a match a hypothetical or a question about a feature, not what happened: in English a condition,
# a purpose or a how-to/yes-no question in the same clause before it ("what should I do if my account gets
# hacked?", "how do I protect my account from being hacked?", "can the battery explode?"), unless a verb says it
# happened ("how do I get my account back after it was hacked"); in Korean a condition right after it ("해킹당하면",
# "연기가 나면", "도둑이 들면", "폭발하지 않나요?") or a precaution before it (대비, 방지, 혹시).
_EN_HYPOTHETICAL = re.compile(
    r"\b(if|in case|when|whenever|what happens|prevent\w*|protect\w*|keep\w*|avoid\w*|against|risk\w*|could|would|"
    r"report\w*|notif\w*|alerts?|detect\w*|scare\w*|deter\w*|list of|history|check\w* for|possible|safe|secure)\b",
    re.IGNORECASE)
_EN_QUESTION_START = re.compile(r"^\W*(how|what|where|which|who|is|are|can|could|does|do|will|would|should|may|am|"
                                r"any way|is there)\b", re.IGNORECASE)
_EN_HAPPENED = re.compile(r"\b(was|were|got|been|has|have|had|just|already|right now|last night|yesterday|today|"
                          r"this morning)\b", re.IGNORECASE)
_KO_CONDITION_AFTER = re.compile(r"^\s?\S{0,2}(면|때|경우)|^\S{0,2}지 ?않|^[^.?!\n]{0,8}(려면|하는 ?법|방법)")
_KO_PRECAUTION_BEFORE = re.compile(r"대비|방지|예방|막으려면|막는|혹시|만약|만일")
_CLAUSE_END = re.compile(r"[.?!\n,;]")


def _happened(pattern: re.Pattern[str], text: str) -> bool:
    """Whether some match of ``pattern`` in ``text`` says what happened (see ``_EN_HYPOTHETICAL``)."""
    for m in pattern.finditer(text):
        start, end = m.span()
        cut = [c.end() for c in _CLAUSE_END.finditer(text, 0, start)]
        before = text[cut[-1] if cut else 0:start]
        if _HANGUL.search(m.group(0)):
            if _KO_CONDITION_AFTER.match(text[end:end + 14]) or _KO_PRECAUTION_BEFORE.search(before):
                continue
            return True
        if _EN_HAPPENED.search(before[-40:]) or _EN_HAPPENED.search(m.group(0)):
            return True
        if _EN_HYPOTHETICAL.search(before) or _EN_QUESTION_START.match(before):
            continue
        return True
    return False


_HANGUL = re.compile(r"[\uac00-\ud7a3]")

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


# A physical hazard from the device itself (the part of ``_CRITICAL`` a customer can act on this minute):
# smoke, fire, sparks, a burning smell, melting, overheating, an explosion, an electric shock, a swollen
# battery; Korean 연기, 불, 불꽃, 타는 냄새, 녹았, 과열, 폭발, 감전, 배터리가 부풀었다
_HAZARD = re.compile(
    r"\b((smoke|sparks?|flames?|fumes) (is |are |was |were )?(coming|came|come|pouring) (out|from)|"
    r"(caught|catches|catching|on) fire|(is|was|are|were|got|started) (burning|melting|melted|smoking|sparking)|"
    r"(burnt|burning|burned) (smell|plastic)|smells? (like )?(burnt|burning|burned|smoke)|"
    r"overheat(s|ed|ing)|(is|was|got|gets|getting) (very |really |extremely |too )?hot to (the )?touch|"
    r"explod(e|ed|es|ing)|blew up|electric(al)? shock|(got|get|gave me|giving) (a |an )?shock|shocked me|"
    r"(battery|batteries) (is |are |has |have |got )?(swollen|swelling|bulging|puffed|leaking)|"
    r"(swollen|bulging|puffy|leaking) batter(y|ies)|"
    r"(battery|batteries|case|casing)[^.?!\n]{0,25}\b(swollen|swelling|bulging|puffy|puffed up)|"
    r"(it'?s|it is|it was|keeps|kept|started|starts) (sparking|smoking|melting))\b"
    r"|화재가 (났|발생)|불이 (났|붙었|붙어)|(연기|불꽃|스파크)(가|이)? ?(나|났|피어|올라|튀|튄)|(타는|탄) ?냄새"
    r"|탄내|타는 ?내"
    r"|불꽃이? ?(튀|튄)"
    r"|감전(됐|되었|될 ?뻔|당)|폭발(했|할 ?것|하|해)|과열(돼|되|됐|되어)|(녹았|녹아\s*내|녹아\s*있)"
    r"|배터리(가|이)? ?(부풀|부었|불룩|새|샜|터졌)|배터리[^.?!\n]{0,12}(부풀|부어|불룩|빵빵)|너무 뜨거워서 (못|만질)"
    r"|(엄청|너무|매우|많이|심하게|완전|진짜)\s*뜨거",
    re.IGNORECASE)


def hazard(text: str) -> bool:
    """Whether ``text`` reports a physical hazard from the device as having happened (smoke, fire, sparks, a
    burning smell, overheating, an explosion, an electric shock, a swollen battery; English and Korean), not
    as a question or a condition ("can the battery explode?", "연기가 나면 어떻게 해요?": ``_happened``). Such a
    message gets the safety advice first (template ``safety``) and a critical ticket."""
    return _happened(_HAZARD, prose(text))


@dataclass(frozen=True)
class Assessment:
    impact: str  # single | wide
    urgency: str  # normal | pressing (the customer presses for speed) | high | critical


class ImpactAssessor:
    def __init__(self, embedder: Embedder | None = None, *, margin: float = 0.15) -> None:
        self._margin = margin
        self._wide: np.ndarray | None = None
        self._single: np.ndarray | None = None
        if embedder is not None:
            self._wide = embedder.encode(WIDE_PROTOTYPES)
            self._single = embedder.encode(SINGLE_PROTOTYPES)

    def assess(self, text: str, vector: np.ndarray | None = None) -> Assessment:
        """Impact (single | wide) and urgency (normal | pressing | high | critical) of a customer's message; a
        word of what is at stake counts only where it says what happened (:func:`_happened`). Urgency
        words count in the customer's prose only, not inside what they pasted (:func:`prose`)."""
        wide = _happened(_WIDE, text)
        text = prose(text)
        if not wide and vector is not None and self._wide is not None and self._single is not None:
            w = float((self._wide @ vector).max())
            s = float((self._single @ vector).max())
            wide = w >= 0.6 and w - s >= self._margin
        if _happened(_CRITICAL, text) or _happened(_HAZARD, text):
            urgency = "critical"
        elif _URGENT.search(_without_spans(text)):  # "it broke in two hours" sets no deadline
            urgency = "high"
        elif _PRESSING.search(text) and not _NO_HURRY.search(text):
            urgency = "pressing"
        else:
            urgency = "normal"
        return Assessment(impact="wide" if wide else "single", urgency=urgency)
