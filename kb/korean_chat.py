"""Korean as customers type it in chat, rewritten in the standard forms an encoder was trained on, before
the multilingual encoder reads it: "비번 까먹음 ㅠ 어케 바꿈?" -> "비밀번호 까먹었어요 어떻게 바꿔요?".

Chat Korean shortens words (비번 for 비밀번호, 와파 for 와이파이, 어케 for 어떻게), ends sentences in the
note style (-(으)ㅁ: 됨, 있음, 까먹음) or with -여/-염/-용 for -요, drops the spaces around 안, and adds runs of
bare consonants and vowels (ㅠㅠ crying, ㅋㅋ laughing, ㅡㅡ annoyed). USE multilingual v3 reads the standard
forms well and the chat ones poorly (the demo's informal dev messages: see README, "Languages and encoders").

The rewriting is a table, ``korean_chat.tsv`` beside this module (``whole``: a whole word; ``word``: a whole
word or the start of one; ``ending``: the end of a word, longest first; ``keep``: standard words an ending
must not change),
plus three rules: runs of the bare jamo ㅠ ㅜ ㅋ ㅎ ㅡ become a space, runs of ? ! ~ fold to one, and the spaces
chat drops around the auxiliary words that end most questions are put back (``_SPACING``: "하고싶어요" ->
"하고 싶어요", "할수있나요" -> "할 수 있나요", "켜는법" -> "켜는 법", "어떻게해요" -> "어떻게 해요"). Text
without Hangul or jamo is returned unchanged; standard Korean is a fixed point (no entry is a standard
spelling of another word).
"""

from __future__ import annotations

import functools
import re
from importlib import resources

_HANGUL = re.compile("[\u3131-\u318e\uac00-\ud7a3]")
_MOOD = re.compile("[ㅠㅜㅋㅎㅡ]+")  # crying, laughing, annoyed: no word
_REPEAT = re.compile(r"([?!~])[?!~]+")
_TOKEN = re.compile(r"([^\s?!.,~]+)")
# Spaces chat drops where standard Korean writes them, around the auxiliary words that end most questions:
# "바꾸고싶어요" (-고 싶다), "할수있나요" (-ㄹ 수 있다/없다), "로그인할때" (-ㄹ 때), "켜는법" (-는 법), "써야돼요"
# (-야 되다/하다), "어떻게해요", "어디서해요", "것같아요", "방법좀". USE reads "공유하고싶어요" far from
# "공유하고 싶어요".
_RIEUL_FINAL = "".join(chr(0xAC00 + i) for i in range(8, 11172, 28))  # every syllable ending in ㄹ: 할 볼 쓸 ...
_SPACING = (
    (re.compile("(?<=[\uac00-\ud7a3])고(?=싶|있)"), "고 "),
    (re.compile(f"(?<=[{_RIEUL_FINAL}])(수)(?=있|없)"), " 수 "),
    (re.compile(f"(?<=[{_RIEUL_FINAL}])(?=때|땐)"), " "),
    (re.compile("(?<=[\uac00-\ud7a3])는(?=법|방법)"), "는 "),
    (re.compile("(?<=[\uac00-\ud7a3])야(?=돼|되|해)"), "야 "),
    (re.compile("(어떻게|어디서)(?=[\uac00-\ud7a3])(?!든)"), "\\1 "),
    (re.compile("(?<=[\uac00-\ud7a3])(것|거)(?=같)"), " \\1 "),
    (re.compile("(?<=[\uac00-\ud7a3])좀(?![\uac00-\ud7a3])"), " 좀"),
)


@functools.lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], list[tuple[str, str]], dict[str, str]]:
    """(word starts, endings longest first, whole words and kept words) from ``korean_chat.tsv``."""
    words: dict[str, str] = {}
    endings: dict[str, str] = {}
    keep: dict[str, str] = {}
    text = (resources.files("kb") / "korean_chat.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, informal, *rest = line.split("\t")
        standard = rest[0] if rest else ""
        {"word": words, "ending": endings, "keep": keep, "whole": keep}[kind][informal] = standard or \
            ("" if kind == "keep" else " ")
    return words, sorted(endings.items(), key=lambda kv: -len(kv[0])), keep


def _word(token: str) -> str:
    words, endings, keep = _table()
    if token in keep:  # a whole word: its standard form ("" for a kept word: itself)
        return keep[token].strip() if keep[token] else token
    for informal, standard in words.items():
        if token.startswith(informal):
            rest = token[len(informal):]
            token = standard + (_word(rest) if rest else "")
            return token
    for informal, standard in endings:
        if token.endswith(informal) and len(token) >= len(informal):
            head = token[: -len(informal)]
            if head.endswith(" ") or not head:
                return head + standard
            return head + (" " if standard.startswith("안 ") else "") + standard
    return token


def standard_korean(text: str) -> str:
    """``text`` with informal Korean chat forms in their standard spelling (see the module); unchanged
    when it has no Hangul. Never empty when ``text`` had a letter the rules leave ("ㅠㅠ" alone gives "ㅠㅠ")."""
    if not _HANGUL.search(text):
        return text
    out = _MOOD.sub(" ", text)
    out = _REPEAT.sub(r"\1", out)
    out = _TOKEN.sub(lambda m: _word(m.group(1)), out)
    for pattern, spaced in _SPACING:
        out = pattern.sub(spaced, out)
    out = " ".join(out.split())
    return out if out.strip(" ?!.,~") else text
