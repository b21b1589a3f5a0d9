"""Who and where a customer is, for :func:`kb.scrub.scrub`: a person's name where the text introduces it ("my
name is Kim Minsu", "I'm Kim Minsu", "name: Jane Doe", "제 이름은 홍길동입니다", "저는 김민수입니다"), a postal
address ("my address is 12 Baker St, London", "12 Baker Street", "주소는 서울시 강남구 테헤란로 123이에요") and a
device's serial number ("serial LM4K-77A9-XQ21", "S/N: ...", "시리얼 번호 ...", "일련번호 ..."), as ``[name]``,
``[address]`` and ``serial [number]``; a bank account number ("계좌번호 110-123-456789", "bank account 12345678")
as ``[account]``. A name counts only where the text says it is one: "I'm having trouble",
"I'm Not Sure" and "저는 학생입니다" (I am a student) stay."""

from __future__ import annotations

import re

# the most common Korean surnames: a name said after 저는 starts with one (저는 학생입니다 is no name)
_KO_SURNAMES = ("김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진지엄채원천방"
                "공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용")
# words a capitalised "I'm ..." is not followed by as a name ("I'm Having Trouble", "I'm So Sorry")
_NOT_NAME_TEXT = """
having not so sorry trying unable getting still just also very really here there back done new a an the in on at
locked logged signed stuck out off up down over it this that my your our
from with about using going looking writing calling contacting sure afraid glad happy unhappy frustrated fine ok
"""
_NOT_NAME = frozenset(_NOT_NAME_TEXT.split())
_EN_NAME = re.compile(r"\b(?P<k>(?i:my\s+(?:full\s+)?name\s+is|name\s*:|i'?m|i\s+am|this\s+is))\s+"
                      r"(?P<v>[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2})\b")
_KO_NAME = re.compile(r"(?P<k>(?:제\s*)?이름은\s*|성함은\s*|이름\s*:\s*)(?P<v>[가-힣]{2,4}?)"
                      r"(?=입니다|이에요|예요|이고|이며|[,.\s]|$)"
                      rf"|(?P<k2>저는\s*)(?P<v2>[{_KO_SURNAMES}][가-힣]{{2}})(?=입니다|이에요|예요|이라고|라고)")
_STREET = r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Lane|Ln|Dr|Drive|Way|Court|Ct|Place|Pl|Terrace)\b\.?"
_EN_ADDRESS = re.compile(r"(?P<k>\b(?i:(?:my\s+)?(?:home\s+|shipping\s+|delivery\s+|postal\s+)?address\s*(?:is|:)))\s*"
                         r"(?P<v>[^.;\n]+?)(?=\s+(?:and|but|so|because|then|or|while)\b|[.;!?\n]|$)"
                         rf"|\b\d{{1,5}}\s+(?:[A-Z][a-z]+\s+){{1,3}}{_STREET}(?:,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)?")
_KO_ADDRESS = re.compile(r"(?P<k>(?:배송\s*)?주소(?:는|가|:)\s*)(?P<v>[^.?!\n]+?)"
                         r"(?=(?:이에요|예요|입니다|이고|인데)|[.?!\n]|$)"
                         r"|(?:(?:[가-힣]{2,4}(?:특별시|광역시|특별자치시|도|시)|서울|부산|대구|인천|광주|대전|울산|세종|경기|강원"
                         r"|충북|충남|전북|전남|경북|경남|제주)\s+)?[가-힣]{1,4}(?:구|군)\s+"
                         r"[가-힣0-9]{1,8}(?:로|길|동)\s*\d+(?:-\d+)?(?:\s*번길\s*\d+)?")
_SERIAL = re.compile(r"(?P<k>\b(?i:serial(?:\s+(?:number|no\.?|#))?|s/n|sn)\s*[:#]?\s*"
                     r"|(?:시리얼\s*(?:번호|넘버)?|일련\s*번호)"
                     r"(?:는|은|가|:)?\s*)(?P<v>(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]{4,})")


# a bank account number: after 계좌 (번호), a bank's name or "bank account"; digits in dashed groups or not
# a bank by its name; a name that is also a word or a city ("우리", "대구") only with 은행 after it
_BANKS = (r"(?:(?:국민|신한|농협|카카오\s*뱅크|토스\s*뱅크|케이\s*뱅크|새마을\s*금고|우체국|수협|신협)(?:\s*은행)?"
          r"|(?:우리|하나|기업|SC\s*제일|씨티|부산|대구|경남|광주|전북|제주|산업)\s*은행)")
_BANK_KEY = (r"(?:(?:입금|환불|출금|송금|받을|제)\s*)?계좌(?:\s*번호)?\s*(?:는|은|가|이|:)?\s*"
             r"(?:" + _BANKS + r"\s*)?:?\s*"
             r"|" + _BANKS + r"\s*(?:계좌\s*)?(?:번호\s*)?(?:는|은|:)?\s*"
             r"|\b(?i:bank\s+account|bank\s+acct)(?i:\s+(?:number|no\.?|#))?(?i:\s+(?:is|was|:))?\s*[:#]?\s*")
_BANK_ACCOUNT = re.compile(r"(?P<k>" + _BANK_KEY + r")(?P<v>\d[\d -]{6,}\d)(?!\d)")


def scrub_bank_account(text: str) -> str:
    """``text`` with bank account numbers replaced by ``[account]`` where the text says they are one ("계좌번호
    110-123-456789", "국민은행 123456-01-234567", "bank account 12345678"); idempotent."""
    return _BANK_ACCOUNT.sub(lambda m: f"{m.group('k')}[account]", text)


def _name(m: re.Match[str]) -> str:
    words = m.group("v").replace("-", " ").split()
    if m.group("k").lower().strip() in ("i'm", "im", "i am", "this is") and (
            len(words) < 2 or any(w.lower() in _NOT_NAME for w in words)):
        return m.group(0)  # "I'm Kim Minsu" introduces a name; "I am Locked out", "I'm Sorry" do not
    return f"{m.group('k')} [name]"


def scrub_identity(text: str) -> str:
    """``text`` with names, postal addresses and serial numbers replaced (see the module); idempotent."""
    text = _EN_NAME.sub(_name, text)
    text = _KO_NAME.sub(lambda m: f"{m.group('k') if m.group('k') is not None else m.group('k2')}[name]", text)
    text = _EN_ADDRESS.sub(lambda m: f"{m.group('k')} [address]" if m.group("k") else "[address]", text)
    text = _KO_ADDRESS.sub(lambda m: f"{m.group('k')}[address]" if m.group("k") else "[address]", text)
    return _SERIAL.sub(lambda m: f"{m.group('k')}[number]", text)


# what follows a Korean name addressed politely: "김민수 고객님", "민수님", "김민수씨"
_KO_HONORIFIC = r"\s*(?:고객\s*님|회원\s*님|님|씨)"
# what opens a greeting to a person: "Hi Minsu", "Dear Ms. Kim", "Thanks Minsu"
_SALUTATION = r"(?i:\b(?:hi|hello|hey|dear|thanks|thank\s+you|good\s+(?:morning|afternoon|evening))\b,?\s+" \
              r"(?:(?:mr|mrs|ms|miss|dr)\.?\s+)?|\b(?:mr|mrs|ms|miss|dr)\.?\s+)"


def scrub_customer_name(text: str, name: str) -> str:
    """``text`` with the customer's own ``name`` (the ticket's, as the channel gave it: "Minsu Kim", "김민수")
    replaced by ``[name]``: the whole name in either order ("Kim Minsu", "Minsu Kim", "김민수 고객님"), and one part
    of it where it addresses the customer ("Hi Minsu,", "Dear Ms. Kim", "민수님"); idempotent, and ``text`` itself
    for an empty name. Parts shorter than two letters are never replaced alone."""
    parts = [p for p in re.split(r"[\s,]+", name.strip()) if p]
    if not parts:
        return text
    for whole in {" ".join(parts), " ".join(reversed(parts)), "".join(parts)}:
        pattern = r"\s*".join(re.escape(p) for p in whole.split()) if " " in whole else re.escape(whole)
        text = re.sub(rf"(?<!\w){pattern}(?!\w)" if not _hangul(whole) else rf"(?<![가-힣]){pattern}",
                      "[name]", text, flags=re.IGNORECASE)
    singles = set(parts)
    if len(parts) == 1 and _hangul(parts[0]) and len(parts[0]) >= 3:  # 김민수: the given name 민수
        singles.add(parts[0][1:])
    for part in sorted(singles, key=len, reverse=True):
        if len(part) < 2:
            continue
        p = re.escape(part)
        if _hangul(part):
            text = re.sub(rf"(?<![가-힣]){p}(?={_KO_HONORIFIC})", "[name]", text)
        else:
            text = re.sub(rf"(?P<s>{_SALUTATION}){p}\b", lambda m: f"{m.group('s')}[name]", text, flags=re.IGNORECASE)
    return text


def _hangul(word: str) -> bool:
    """Whether ``word`` has a Hangul syllable in it."""
    return any("가" <= ch <= "힣" for ch in word)
