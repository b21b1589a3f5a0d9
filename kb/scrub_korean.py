"""A password written in Hangul words, for :func:`kb.scrub.scrub`: "비밀번호: 우리집 고양이 나비 인데", "비번은
사랑해 우리 강아지 입니다" (the words between the keyword and the copula go as ``[password]``), while "비밀번호는 기억이
안 나요", "비밀번호를 바꿨는데 로그인이 안돼요" and "비밀번호는 8자리 이상입니다" describe a password and stay."""

from __future__ import annotations

import re

# a password of Hangul words, given after "비밀번호:", "비밀번호는", "비번은"... and closed by a copula
# ("비밀번호: 우리집 고양이 나비 인데", "비번은 사랑해 우리 강아지 입니다"): the words up to the copula, unless a
# word describes the password rather than being it ("비밀번호는 8자리 이상입니다"; "비밀번호는 기억이 안 나요" has
# no copula and stays)
_KO_WORDS_PASSWORD = re.compile(
    r"(?P<k>(?:비밀\s*번호|비번|패스워드|암호)\s*(?:(?:는|은)\s*(?:[:=]\s*)?|[:=]\s*))"
    r"(?P<v>[가-힣]+(?:\s+[가-힣]+){0,5}?)"
    r"(?P<cop>\s*(?:입니다|이에요|이예요|예요|에요|인데요|인데|이고요|이고|이요|이야|야|이라고|라고|이래요|래요)"
    r"(?![가-힣]))")
_KO_DESCRIBES_TEXT = """
    자리 이상 이하 영문 숫자 특수 문자 조합 대소문자 기억 모르 몰라 잊 틀 맞 변경 바꾸 바꿨 재설정 초기화 만료 잠 안 못
    뭐 무엇 어떻게 몇 같 똑같 동일 기존 예전 이전 새 설정 확인 입력 필요 길이 글자 정확 분명 제가 저 문제 오류 에러 필수
    비밀 가능 불가 아니 아닌 그거 그게 이거 뭔 얼마 길 짧 쉬 어렵 복잡 간단 노출 유출
"""
_KO_DESCRIBES = tuple(_KO_DESCRIBES_TEXT.split())


def _ko_words_password(m: re.Match[str]) -> str:
    """``[password]`` for a password of Hangul words (see ``_KO_WORDS_PASSWORD``); words describing it stay."""
    words = m.group("v").split()
    if any(w.startswith(_KO_DESCRIBES) for w in words):
        return m.group(0)
    return f"{m.group('k')}[password]{m.group('cop')}"


def scrub_korean_password_words(text: str) -> str:
    """``text`` with a password of Hangul words replaced by ``[password]`` (see the module); idempotent."""
    return _KO_WORDS_PASSWORD.sub(_ko_words_password, text)
