"""What a message is about: its specific words, once the words every complaint shares are left out.

"it doesnt work", "still broken!!", "help, problem with the app" name nothing a person could act
on: no feature, no action, no symptom beyond "does not work". "the app crashes when I upload a
photo" names three things. ``specifics`` returns the words that carry the subject; a message
with none is vague: the bot asks what the customer was trying to do before a ticket is opened,
and a reaction typed under an answer ("that didn't help, I want a person") is about that answer,
while a new question ("hw do i cancl my subscripton") is not. The questions a message asks, and whether
it asks, are read in :mod:`classifier.questions`.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)

# Words that say nothing about what is wrong: function words, "does not work" and its kin, the
# product in general, courtesy, insistence and feedback on an answer. English, with common
# chat spellings ("doesnt", "pls").
_GENERIC_WORDS = """
a an the this that these those it its it's thing things stuff something anything everything
i i'm im me my mine we our us you your u he she they them his her their
is are was were be been being am do does did doing done have has had having get got gets getting
can can't cant cannot could couldn't couldnt will won't wont would wouldn't wouldnt should shall may might must
not no nope never nothing none don't dont doesn't doesnt didn't didnt isn't isnt aren't arent wasn't wasnt
weren't werent haven't havent hasn't hasnt
and or but so if then than too also just only even still again anymore any more some all very really
at in on of to for from with without by about as up down out off over into
now today yesterday anyway though please pls plz thanks thank thx ok okay hi hello hey there yes yeah
work works working worked function functioning functions go goes going run runs running
broken broke break breaks fail fails failed failing failure wrong bad weird strange odd
problem problems issue issues error errors bug bugs trouble glitch help helped helping helpful useless
fix fixed sort sorted happen happened happening happens
app apps application program software system service site website device product account thing
answer answers answered reply response question questions ask asked that's thats
person human agent someone somebody people real live staff support team operator representative
talk speak chat want need let connect transfer call contact same back recur recurs recurring recurred
"""
GENERIC = frozenset(_GENERIC_WORDS.split())


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` (apostrophes kept inside: "doesn't")."""
    return [w.lower().replace("\u2019", "'") for w in _WORD.findall(text.replace("\u2019", "'"))]


def specifics(text: str) -> list[str]:
    """The words of ``text`` that name what it is about (not in ``GENERIC``, not digits alone)."""
    return [w for w in words(text) if w not in GENERIC and not w.isdigit()]


# Korean: stems that name nothing (not, works, broken, problem, error, help, still, again, the app in
# general, a person, courtesy...). A Korean word (eojeol) carries its particles and endings ("작동이",
# "안돼요", "고장났어요"), so a word is generic when it starts with one of these stems; the one-syllable
# ones ("안" not, "앱" app, "또" again) only alone or with a particle or ending from ``_KO_ENDINGS``.
_KO_GENERIC_STEMS = """
작동 고장 문제 이상 오류 에러 버그 먹통 장애 안돼 안되 안됨 안됩 안된 돼요 되요 됩니다 되나 되는 되지 돼서
되죠 돼죠 됐어 됐는 된다 되고 되던 떠요 떴어 떠서 나와요 나옵니 나와서 떠있
도와 도움 해결 제발 아직 계속 그래도 여전히 전혀 진짜 정말 너무 지금 당장 빨리 갑자기 자꾸 그냥 다시
이거 그거 저거 뭔가 뭐가 뭐지 무슨 어떻게 왜요 이렇게 그렇게 어플 애플 기기 제품 서비스 프로그램 시스템
상담 사람 직원 담당 연결 답변 대답 소용 쓸모 확인 처리 해주 해 줘 주세요 부탁 있어 있어요 없어 없어요 있는
해요 했어 했는 하는 하고 싶어 싶은 같아 같은 것 거 게 건 걸 네요 나요 났어 났는 나는 나서 생겼 생긴
안녕 감사 고마 고맙 죄송 미안 네 예 아니 아뇨 그리고 근데 그런데 하지만 그래서 혹시 다른 그래 재발
"""
KO_GENERIC_STEMS = tuple(sorted(set(_KO_GENERIC_STEMS.split()), key=len, reverse=True))
_KO_SHORT_WORDS = """
안 앱 또 왜 좀 저 제 다 꼭 잘 못 뭐 이 그 것 거
"""
_KO_SHORT = frozenset(_KO_SHORT_WORDS.split())
_KO_ENDING_WORDS = """
이 가 은 는 을 를 도 요 에 만 좀 이요 이에요 예요 이야 야 에서 으로 로 까지 부터
이랑 랑 하고 과 와 돼요 되요 돼 됨 되나요 되네요
"""
_KO_ENDINGS = frozenset(_KO_ENDING_WORDS.split())
HANGUL = re.compile(r"[\uac00-\ud7a3]")  # a Hangul syllable


def _korean_generic(word: str) -> bool:
    """Whether one Korean word names nothing (see ``KO_GENERIC_STEMS``)."""
    if any(word.startswith(stem) for stem in KO_GENERIC_STEMS if len(stem) > 1):
        return True
    head, rest = word[:1], word[1:]
    return head in _KO_SHORT and (not rest or rest in _KO_ENDINGS)


def is_vague(text: str) -> bool:
    """True when ``text`` has words but none of them names anything: "it doesnt work", "help!!",
    "still broken", "that didn't help, talk to a person"; in Korean "안 돼요", "작동이 안 돼요",
    "아직도 고장났어요", "도와주세요" (any word that is not a generic stem with its endings names
    something: "카메라가 안 켜져요" is not vague). Text in another script without spaces between words
    (Japanese, Chinese) is never judged vague here."""
    found = [w for w in words(text) if not all("\u3131" <= ch <= "\u318e" for ch in w)]  # "ㅠㅠ" names nothing
    if not found:
        return False
    for w in found:
        if w.isascii():
            if w not in GENERIC and not w.isdigit():
                return False
        elif HANGUL.search(w) and all(HANGUL.match(ch) for ch in w):
            if not _korean_generic(w):
                return False
        else:
            return False  # another script, or Hangul mixed with other letters in one word
    return True


_PERSON_WORDS = """
person human humans agent agents someone somebody representative rep operator staff people real live
manager supervisor support team employee advisor adviser consultant
"""
PERSON_WORDS = frozenset(_PERSON_WORDS.split())


# Korean: a person ("상담원", "사람", "직원", "담당자", "고객센터"...) or a verdict on what the bot said
# ("그래도", "여전히", "답변", "도움이 안", "말씀하신", "그게 아니") must be named in a request for a person;
# "작동이 안 돼요" alone is a vague fault, not a request.
_KO_PERSON_OR_VERDICT = """
상담 사람 직원 담당 고객센터 매니저 관리자 챗봇 전화 통화 연결 그래도 여전히 답변 도움 말씀 그게 아니 틀렸 똑같 소용
"""
KO_PERSON_OR_VERDICT = tuple(_KO_PERSON_OR_VERDICT.split())
# A person named as the topic of a question, not asked for: the person the camera detects ("사람 감지",
# "사람만 알려 주는", "사람이 나타날 때"), someone else who gets access or a camera ("다른 사람한테"), and the
# service's hours ("고객센터 영업시간", "상담 몇 시부터 해?", "고객센터는 주말에도 해요?"). These words are
# taken out before a Korean message is looked at for a person it asks for.
_KO_PERSON_AS_TOPIC = re.compile(
    r"사람\s*(?:감지|인식|탐지|만|뿐|일\s*때|이\s*(?:나타|지나|움직|감지|인식|찍)|과\s*동물|이랑\s*동물|하고\s*동물)"
    r"|다른\s*사람"
    # connecting a device or a service is no request to be connected to a person ("구글홈 연결", "알렉사랑 연결해줘")
    r"|(?:구글\s*홈|구글|알렉사|아마존|와이\s*파이|wi-?fi|공유기|블루투스|앱|어플|카메라|캠|폰|핸드폰|스마트폰|휴대폰|"
    r"tv|티비|네트워크|인터넷|허브|스마트\s*홈|홈\s*킷|시리|스마트\s*싱스|nas|sd\s*카드)\S{0,3}\s*연결"
    r"|(?:고객\s*센터|고객\s*지원|상담|통화)\S*\s+(?:가능한?\s*)?"
    r"(?:운영|영업|시간|몇\s*시|언제|주말|휴일|공휴일|평일|토요일|일요일|연중무휴|열어|열려|여나|여는|문\s*열|닫)"
    # the day or hour first: "토요일에도 고객센터 열어요?", "주말에 상담 돼요?", "몇 시에 상담 시작해요?"
    r"|(?:주말|휴일|공휴일|평일|[월화수목금토일]요일|몇\s*시|언제)\S*\s+"
    r"(?:고객\s*센터|고객\s*지원|상담|통화)")


def may_ask_for_person(text: str) -> bool:
    """Whether ``text`` can be a request for a person (or a verdict that an answer did not help): it
    names a person ("talk to a human", "I want an agent about my bill"), or names nothing else ("that
    didn't help", "useless"). A typo'd question ("hw do i cancl my subscripton") names other things
    and no person, so however its neighbours lean it is not one. Korean must name a person or a verdict
    (``KO_PERSON_OR_VERDICT``: "상담원 연결해 주세요", "그래도 안 돼요"), and a person named only as the
    topic of a question ("사람 감지 기능 켜는 법", "고객센터 영업시간") asks for nobody; text in another script without
    spaces between words is not judged here (True)."""
    found = words(text)
    if HANGUL.search(text):
        asked = _KO_PERSON_AS_TOPIC.sub(" ", text)  # "사람 감지 알림만 받고 싶어요" names a person as a topic
        return any(stem in asked for stem in KO_PERSON_OR_VERDICT) or any(w in PERSON_WORDS for w in found)
    if not found or any(not w.isascii() for w in found):
        return True
    return not specifics(text) or any(w in PERSON_WORDS for w in found)


# Korean that states something fails ("앱이 안 열려요", "펌웨어 업데이트 중에 멈춤", "결제 오류 뜸", "화면이 하얗게
# 나와요"), in the words or the note style chat uses, and does not ask how or whether ("안 오면 어떻게 해요?",
# "고장 안 나나요?", "결제 안 되게 하려면요?"): a fault, even when it names a case's topic as its questions do.
_KO_FAILS = re.compile(
    r"안\s*(?:돼|되|됐|됨|와|왔|옴|옵|오|나와|나왔|나옴|열려|열림|열리|켜져|켜졌|켜짐|켜지|보여|보임|보이|들려|들림|들리|떠|뜸|뜨|"
    r"들어와|들어왔|들어옴|들어오|잡혀|잡힘|잡히|먹혀|먹힘|넘어가|눌려|눌림|눌리|울려|울림|울리)(?!게|도록)"
    r"|못\s*(?:받|들어가|들어와|찾|쓰|써)|멈춰|멈췄|멈춤|멈추고|실패|오류|에러|먹통|꺼져|꺼졌|꺼짐|꺼지고|끊겨|끊김|끊기고"
    r"|끊어져|끊어졌|튕겨|튕김|튕기고|고장|재부팅|깨져|깨졌|망가|이상해|이상하게|느려|하얗게|까맣게|검은\s*화면"
    r"|반응\s*(?:이\s*)?없|풀려|풀림|만료")
# asking how, whether, which, where, when or what: -려면, 방법, 수 있, -나요/-까요, 가능/ㄱㄴ, 알려 (주세요);
# a condition alone asks nothing ("야간 모드 켜면 화면이 까맣게 나와요")
_KO_ASKS = re.compile(r"어떻게|어떡|어떤|무슨|어디|언제|얼마|방법|하려면|려면|할\s*수|수\s*있|나요|까요|인가요|가요\?"
                      r"|는지|면요|되나|돼\?|됨\?|뭐|알려|(?<!불)가능|ㄱㄴ")


def states_failure(text: str) -> bool:
    """Whether ``text`` is Korean stating that something fails and not asking how or whether (see
    ``_KO_FAILS`` and ``_KO_ASKS``): "비밀번호 재설정 메일이 안 와요" reports a fault, "재설정 메일이 안 오면 어떻게
    해요?" asks a question. False for text without Hangul (English faults are read by their examples)."""
    if not HANGUL.search(text):
        return False
    return bool(_KO_FAILS.search(text)) and not _KO_ASKS.search(text)


# English that states something fails ("the motion alerts stopped arriving", "the app won't open", "the video
# keeps freezing") and does not ask how or whether ("how do I stop it freezing?", "can it record when the wifi is
# down?"): read where no English example votes on it (an English message against a KB written in Korean).
EN_FAILS = re.compile(
    r"\b(?:broken|broke|cracked|damaged|not\s+working|(?:does|do|did|is|are|was|were|has|have)n'?t\s+"
    r"(?:work|turn|charg|connect|record|load|open|arriv|com|show|send|sync|start|respond|play|pair)\w*"
    r"|(?:does|do|did|is|are)\s+not\s+(?:work|turn|charg|connect|record|load|open|arriv|com|show)\w*"
    r"|won'?t\s+\w+|stopped|stops?\s+working|no\s+longer|error|fail(?:s|ed|ing)?|crash\w*|freez\w*|froze|dead"
    r"|keeps?\s+(?:crash|freez|disconnect|drop|restart|reboot|turn)\w*)\b", re.IGNORECASE)
_EN_ASKS = re.compile(r"^\s*(?:how|what|where|when|which|can|could|is\s+(?:there|it)|do|does|should|will|would|may)\b"
                      r"|\bhow\s+(?:do|can|to|does)\b|\bis\s+it\s+possible\b|\bwhat\s+(?:if|should)\b",
                      re.IGNORECASE)


def states_failure_en(text: str) -> bool:
    """Whether English ``text`` states that something fails and does not ask how or whether (see ``EN_FAILS``):
    "the motion alerts stopped arriving on my phone" reports a fault, "how do I stop the alerts?" asks. False
    for text with Hangul (:func:`states_failure` reads Korean)."""
    if HANGUL.search(text):
        return False
    return bool(EN_FAILS.search(text)) and not _EN_ASKS.search(text)


# A message that goes on about what was said before: "still", "again", "same", "any news", "it's been 2
# days"; Korean 아직(도), 여전히, 계속, 또 (again), 다시, 똑같/마찬가지/그대로 (the same). One that brings up
# something else says so: "also", "another", "other", "new", "as well"; Korean 그리고, 다른, 또 다른, 새로운.
_GOES_ON = re.compile(
    r"\b(?:still|again|same|any\s+(?:news|update|progress)|anymore|any\s+more|yet|keeps?|it'?s\s+been"
    r"|once\s+more|(?:it'?s|it\s+is|is|came|comes|coming|are)\s+back|recurr\w*)\b"
    r"|아직|여전히|계속|다시|똑같|마찬가지|그대로|재발|또(?!\s*다른)", re.IGNORECASE)
_SOMETHING_ELSE = re.compile(r"\b(?:also|another|other|new|as\s+well|too|different)\b|그리고|다른|새로운|추가로",
                             re.IGNORECASE)


def goes_on(text: str) -> bool:
    """Whether ``text`` goes on about what the customer already reported ("it crashed again just now",
    "any news? it still shows black", "it's back", "아직도 검은 화면이에요", "재발했어요") rather than bringing
    up something else ("also the app won't open now", "또 다른 문제가 있어요"): a message on an open ticket that does is
    never flagged as a new issue, however little its words resemble the first report."""
    return bool(_GOES_ON.search(text)) and not _SOMETHING_ELSE.search(text)


# Chasing an open ticket, not stating a problem: "is it fixed yet?", "any update?", "hello??", "아직인가요?"
_CHASE = re.compile(
    r"\b(?:any\s+(?:news|update|updates|progress|word)|is\s+(?:it|this|that)\s+(?:fixed|done|solved|sorted|"
    r"resolved|working|ready)(?:\s+(?:yet|now))?|still\s+waiting|(?:what'?s|what\s+is)\s+the\s+status|"
    r"status\s+update|when\s+will\s+(?:it|this|that)\s+be\s+(?:fixed|done|solved|ready)|how\s+long\s+(?:will|does)\s+"
    r"(?:it|this)\s+take|anyone\s+there|are\s+you\s+there|fixed\s+yet)\b|^\W*(?:hello|hi|hey)\s*\?+\W*$"
    r"|아직(?:이|인가|도\s*안)|언제\s*(?:고쳐|해결|돼|되)|해결\s*(?:됐|되었)나요|진행\s*상황",
    re.I,
)


def chases(text: str) -> bool:
    """Whether ``text`` chases an open ticket rather than stating a problem or asking something: "is it
    fixed yet?", "any update?", "hello??", "언제 고쳐지나요?", "진행 상황 알려주세요" (ten words at most)."""
    return bool(_CHASE.search(text)) and len(text.split()) <= 10


# "are you a bot?", "am I talking to a real person?", "봇이에요?": the customer asks what they are talking to,
# nothing more (a greeting or "lol" around it at most). Answered honestly, with the way to a person; not a
# complaint, not a ticket (Intercom's and the EU AI Act's disclosure: the customer is told it is a bot).
_KO_THING = r"(?:봇|챗봇|로봇|ai|AI|기계|자동 응답|자동응답|사람|상담원|상담사|직원)"
_KO_IS = (r"(?:이에요|인가요|이야|이니|예요|입니까|이세요|세요|인가|임|이죠|이지요|이신가요|인거죠|인 거죠|"
          r"이랑 (?:얘기|대화)하는 (?:거|건)가요|(?:이 | |이)?맞(?:아요|나요|죠|지요|습니까|니|지))")
_BOT_THING = r"(?:a |an |the )?(?:bot|robot|chat ?bot|ai|a\.i\.|machine|computer|program|real (?:person|human)|" \
             r"human(?: being)?|person|automated(?: system| reply| replies)?|auto[- ]?reply)"
_TALKING = r"(?:talking|chatting|speaking|writing) (?:to|with)"
_ABOUT_BOT = re.compile(
    r"^(?:(?:hi|hey|hello|ok|so|wait|um|uh|lol|haha|sorry|excuse me)[,!. ]+)*"
    # "are you a bot?", "am I talking to a human or a bot?", "is this a person or a bot I'm talking to?",
    # "who am I talking to?", "are you real?"; "is this"/"is it" must name the thing ("is that a person?" may be
    # about someone on the camera; "what is this?" about anything)
    rf"(?:(?:(?:are you|r u|are u|am i {_TALKING}) (?:(?:a )?real(?: person| human)?|{_BOT_THING}))"
    rf"|(?:is (?:this|it)) {_BOT_THING}"
    rf"|is (?:this|it) (?:a )?(?:real )?(?:person|human) (?:i'?m|i am) {_TALKING}"
    rf"|are you|r u|are u|who am i {_TALKING}|what am i {_TALKING}|who are you|what are you|who is this)"
    rf"(?: or (?:a |an )?(?:{_BOT_THING}))?(?: (?:i'?m|i am) {_TALKING})?(?: (?:right|then|here|lol|or not))?"
    r"[ ?!.]*$"
    # "you're a bot, aren't you?", "you are a bot right?", "real person?", "a bot?"
    rf"|^(?:you'?re|you are|ur|u r) {_BOT_THING}(?:,? (?:aren'?t you|right|huh|eh|then|yes|no|lol))?[ ?!.]*$"
    r"|^(?:a )?(?:real (?:person|human)|human being|(?:ro)?bot|chat ?bot)\s*\?[ ?!.]*$"
    # "봇이에요?", "진짜 사람이에요?", "사람 맞아요?", "상담원이세요 아니면 봇이에요?"
    rf"|^(?:혹시 )?(?:(?:이거|이건|지금|당신|너|거기|진짜|정말|실제|실제로)\s*)*{_KO_THING}{_KO_IS}"
    rf"(?:[ ,]*(?:아니면|혹은|or)?\s*{_KO_THING}{_KO_IS})?[ ?!.]*$"
    r"|^(?:지금 )?(?:사람|상담원|봇|챗봇)(?:이|이랑|하고|과|와) (?:얘기|대화|채팅)(?:하는|중인) (?:거|건)"
    r"(?:예요|에요|가요|죠)[ ?!.]*$",
    re.IGNORECASE)


def asks_about_bot(text: str) -> bool:
    """Whether ``text`` only asks what the customer is talking to ("are you a bot?", "is this a real
    person?", "who am I talking to?", "봇이에요?", "사람이에요?"). A question about the product that happens to
    start alike ("are you open on sundays?") is not."""
    t = " ".join(text.strip().split())
    return len(t) <= 80 and bool(_ABOUT_BOT.match(t))


# A bare acknowledgement of what the bot just said: "ok", "got it", "alright", "네", "넵", "알겠어요", "ㅇㅋ"
_ACKNOWLEDGES = re.compile(
    r"^\W*(?:ok(?:ay)?|k|kk|got it|alright|all right|right|i see|understood|will do|on it|let me try|"
    r"i'?ll try(?: that)?|ok(?:ay)? let me (?:try|check)(?: that)?|"
    r"네|넵|넹|예|알겠(?:어요|습니다|음|어)|알았(?:어요|어)|"
    r"확인했(?:어요|습니다)|해 ?볼게요|해 ?보겠습니다|ㅇㅋ|ㅇㅇ|오케이)\W*$", re.IGNORECASE)


def acknowledges(text: str) -> bool:
    """Whether ``text`` only acknowledges what the bot just said ("ok", "got it, let me try", "네", "알겠어요"):
    neither a question, a courtesy to answer with a greeting, nor a verdict."""
    return bool(_ACKNOWLEDGES.match(text.strip()))
