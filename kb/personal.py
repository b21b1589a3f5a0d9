"""Whether a scrubbed text (:func:`kb.scrub.scrub`) is mostly a customer's personal data: "my password is
[password]", "제 핸드폰 번호는 [phone] 이니까 연락 주세요". Such a text states no problem another customer could
have: it is never proposed or published as a phrasing."""

from __future__ import annotations

import re

from kb.scrub import PLACEHOLDER

# words that only introduce personal data ("my password is", "card", "주민번호 ... 로 본인인증"), and filler
_PERSONAL_TEXT = """
    password passcode passphrase pin pwd pw code card cvv cvv2 cvc exp expiry expires number no id user username
    login name account ssn social security phone mobile email mail iban wifi wi fi token key api otp verification
    my is are was and the a an your our it its for of to here this that these me i with please also so
    his her their resident business customer member call at reach contact text send on via
"""
_PERSONAL_WORDS = frozenset(_PERSONAL_TEXT.split())
# Korean: the words that introduce personal data or ask to be reached or sent ("연락 주세요", "보내 드려요"), each
# a stem that particles and endings may follow ("번호는", "연락주세요", "보내드릴게요"); and short words that only
# count whole, a particle at most after them ("제가", "여기로": "제품", "저장", "나와요" are words of a problem)
_PERSONAL_KO = ("비밀번호", "비번", "패스워드", "암호", "주민번호", "주민등록번호", "본인인증", "본인", "인증",
                "아이디", "카드", "번호", "전화", "휴대폰", "핸드폰", "이메일", "메일", "계정", "와이파이",
                "유효기간", "보안코드", "계좌", "연락", "문자", "사용자", "회원", "만료", "주세요", "주시", "줘요",
                "드려", "드립", "드릴", "드리", "부탁", "보내", "남겨", "남깁", "알려", "하래", "하라고", "해주",
                "참고")
_KO_WHOLE_TEXT = "제 저 내 나 저희 여기 거기 이쪽 이거 이걸 이것 그리고 또 폰 좀 꼭 혹시 네 예 번 아래 위"
_KO_WHOLE = frozenset(_KO_WHOLE_TEXT.split())
# particles and endings after a Korean word, longest first
_KO_ENDINGS_TEXT = """
    이었습니다 였습니다 입니다 이에요 이예요 예요 에요 이고요 이구요 인데요 이니까 니까 이라서 라서 이라고 라고
    이랑 이며 으로 에서 에게 께 까지 부터 이요 이고 인데 이니 하고 랑 며 로 는 은 이 가 을 를 도 에 와 과 요 고 의
"""
_KO_ENDINGS = tuple(sorted(set(_KO_ENDINGS_TEXT.split()), key=len, reverse=True))
_KO_FILLER_TEXT = "로 으로 는 은 이 가 을 를 이에요 예요 입니다 이요 요 도 고 이고 인데 제"
_KO_FILLER = frozenset(_KO_FILLER_TEXT.split())


def _introduces(word: str) -> bool:
    """Whether ``word`` (lower case, one word of a scrubbed text) only introduces personal data, asks to be
    reached, or is filler: "password", "번호는", "연락주세요", "보내드릴게요", "제가", "cvc는" (a Korean particle
    or ending after it is left out)."""
    if word in _PERSONAL_WORDS or word in _KO_FILLER or word in _KO_WHOLE or word.isdigit():
        return True
    if word.startswith(_PERSONAL_KO):
        return True
    stems = [word[: -len(e)] for e in _KO_ENDINGS if word.endswith(e) and len(word) > len(e)]
    return any(s in _PERSONAL_WORDS or s in _KO_WHOLE or s.startswith(_PERSONAL_KO) for s in stems)


def mostly_personal(text: str) -> bool:
    """Whether ``text`` (scrubbed) is mostly personal data: it has a placeholder, and once its placeholders,
    the words that introduce them ("my password is", "card", "주민번호") and filler are taken out, no more
    words are left than it had placeholders (or fewer than two). "my password is [password] and my pin is
    [password]" and "주민번호 [resident number] 로 본인인증 하래요" are; "the app crashes when I pay, card
    [number]" is not. Such a text states no problem another customer could have: it is never a phrasing."""
    holders = len(PLACEHOLDER.findall(text))
    if not holders:
        return False
    left = 0
    for w in re.findall(r"\w+", PLACEHOLDER.sub(" ", text).lower()):
        if not _introduces(w):
            left += 1
    return left < 2 or left <= holders
