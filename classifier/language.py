"""Which language a message is written in, when that is clear: the encoder reads English only, so a
message plainly in another language is handed to a person instead of being matched (badly) against
English phrasings ("comment annuler mon abonnement" lands next to "hello").

No model and no download: the writing system decides for non-Latin scripts, at any length (the
encoder cannot read a word of them); for Latin-script languages, the distinct very common function
words (a few dozen per language, leaving out those English shares: "no", "is", "die"...) decide, only
with a clear margin over English and never under three words.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# script prefix of unicodedata.name() -> language code (a script shared by several languages maps to
# the first one a support desk meets most; the decision only needs "not the bot's language")
SCRIPTS = {
    "HANGUL": "ko", "HIRAGANA": "ja", "KATAKANA": "ja", "CJK": "zh", "CYRILLIC": "ru", "GREEK": "el",
    "ARABIC": "ar", "HEBREW": "he", "THAI": "th", "DEVANAGARI": "hi", "BENGALI": "bn", "TAMIL": "ta",
    "GEORGIAN": "ka", "ARMENIAN": "hy",
}
NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "ko": "Korean", "ja": "Japanese", "zh": "Chinese", "ru": "Russian", "el": "Greek",
    "ar": "Arabic", "he": "Hebrew", "th": "Thai", "hi": "Hindi", "bn": "Bengali", "ta": "Tamil",
    "ka": "Georgian", "hy": "Armenian",
}
# very common words of each language, space-separated
FUNCTION_WORDS = {
    "en": "the a an and or but is are was were be been to of in on at for with my your our it this that "
          "i you we they he she how what why when where can could do does did not have has will would "
          "please hi hello thanks me",
    "de": "der die das und oder aber ist sind war ich du wir sie es ein eine einen mein meine nicht wie "
          "was warum wann wo kann können ist mit für von zu auf im bei bitte danke hallo habe hat "
          "mich mir kein keine noch auch schon",
    "fr": "le la les et ou mais est sont était je tu nous vous ils elle un une mon ma mes ne pas comment "
          "quoi pourquoi quand où peux peut pouvez avec pour de du des sur dans au aux bonjour merci "
          "svp mais ai avez est-ce qui que",
    "es": "el la los las y o pero es son era yo tú nosotros usted ellos un una mi mis no cómo como qué "
          "por qué cuándo dónde puedo puede con para de del en al hola gracias tengo tiene mi "
          "está estoy muy desde hasta se lo le su sus este esta ya nada también funciona",
    "it": "il lo la i gli le e o ma è sono era io tu noi voi loro un una mio mia non come cosa perché "
          "quando dove posso può con per di del della in al ciao grazie ho ha sul nel",
    "pt": "o a os as e ou mas é são era eu tu nós você eles um uma meu minha não como que porque "
          "quando onde posso pode com para de do da em no na olá obrigado obrigada tenho tem "
          "está estou",
    "nl": "de het een en of maar is zijn was ik jij je wij we zij mijn niet hoe wat waarom wanneer "
          "waar kan kunnen met voor van te op in bij alstublieft alsjeblieft dank bedankt hallo "
          "heb heeft ook nog",
}
# words of the other lists that are English words too: they say nothing about the language
SHARED_WITH_ENGLISH = frozenset(["no", "a", "as", "do", "in", "is", "was", "me", "die", "war", "hat", "also", "am",
                                 "an", "so", "per", "man"])
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
MIN_WORDS = 3


@functools.lru_cache(maxsize=8192)
def _script_of(ch: str) -> str | None:
    """The language of the writing system of the letter ``ch`` (SCRIPTS), None for Latin and the rest."""
    if ch < "\u0250":  # Latin letters (ASCII, Latin-1, Latin Extended-A/B): no script language
        return None
    name = unicodedata.name(ch, "")
    return next((lang for prefix, lang in SCRIPTS.items() if name.startswith(prefix)), None)


def _script_language(text: str) -> str | None:
    counts: dict[str, int] = {}
    letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        lang = _script_of(ch)
        if lang is not None:
            counts[lang] = counts.get(lang, 0) + 1
    if not letters or not counts:
        return None
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    if "ja" in counts and lang == "zh":  # kanji with kana is Japanese
        lang = "ja"
    return lang if n / letters >= 0.5 else None


def writing_system(text: str) -> str | None:
    """The writing system most of the letters of ``text`` are in: a language code of ``SCRIPTS`` ("ko" for
    Hangul, "ja" for kana with or without kanji...), "latin" for Latin letters and the rest, None for a
    text without letters (emoji, digits)."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            lang = _script_of(ch) or "latin"
            counts[lang] = counts.get(lang, 0) + 1
    if not counts:
        return None
    if "ja" in counts and "zh" in counts:  # kanji with kana is Japanese
        counts["ja"] += counts.pop("zh")
    return max(counts.items(), key=lambda kv: kv[1])[0]


def guess_language(text: str) -> str | None:
    """The language ``text`` is clearly written in, or None when it is not clear (or too short)."""
    by_script = _script_language(text)
    if by_script is not None:
        return by_script
    found = [w.lower() for w in _WORD.findall(text)]
    if len(found) < MIN_WORDS:
        return None
    words = set(found)  # "no no no" is one word of evidence, not three
    hits = {lang: sum(w in vocab for w in words) for lang, vocab in _VOCAB.items()}
    best = max(hits, key=lambda lang: hits[lang])
    if best == "en":
        return "en" if hits["en"] >= 2 else None
    # another language: at least two of its function words, and clearly more than English has
    if hits[best] >= 2 and hits[best] >= hits["en"] + 2 and hits[best] >= 2 * hits["en"]:
        return best
    return None


_VOCAB = {lang: frozenset(words.split()) - (SHARED_WITH_ENGLISH if lang != "en" else frozenset())
          for lang, words in FUNCTION_WORDS.items()}


def language_name(code: str) -> str:
    return NAMES.get(code, code)


def _has_hangul(text: str) -> bool:
    """Whether ``text`` has a Hangul letter (a syllable or a bare consonant or vowel; not a filler)."""
    return any(ch.isalpha() and (name := unicodedata.name(ch, "")).startswith("HANGUL") and "FILLER" not in name
               for ch in text)


def conversation_language(text: str, *, current: str | None, default: str,
                          available: tuple[str, ...] = ("en", "ko")) -> str:
    """The language to reply in after the customer wrote ``text``: what the message is written in when
    that is clear and replies exist in it (the writing system first, then common words), else the
    conversation's language so far (``current``), else ``default``.

    A message that is not clearly in one language keeps the conversation's: "ok", "5", an emoji, a
    product name (the first such message gets ``default``, ``app.language``). Any Hangul in a mixed
    message ("Lumo 앱 reset 안 돼요", "how do I 비밀번호 reset?", however many English words) reads as Korean.
    A language without replies (Japanese, say) keeps the conversation's: its replies reach the customer in
    that language, and agents are shown the customer's own (:func:`bot.replies.customer_language`)."""
    lang = guess_language(text)
    if "ko" in available and _has_hangul(text) and (lang is None or lang == "ko" or lang in FUNCTION_WORDS):
        # Hangul among English (or other Latin-script) words: "how do I 비밀번호 reset?", "how to change 와이파이?"
        return "ko"
    if lang is not None and lang in available:
        return lang
    if current in available:
        return current  # type: ignore[return-value]
    return default if default in available else available[0]


def needs_multilingual(text: str, reads: tuple[str, ...] = ("en",)) -> bool:
    """Whether ``text`` is for the multilingual encoder of a language-routed pair rather than the
    English one: it has a letter of a non-Latin writing system (Hangul, kana, CJK, Cyrillic... any in
    ``SCRIPTS``: "Lumo 앱 reset 안 돼요" is Korean), or it is clearly written in a Latin-script language
    outside ``reads`` (by its function words). Emoji, digits, Hangul filler and short Latin text stay
    with the English encoder."""
    for ch in text:
        if ch.isalpha() and ord(ch) > 0x24F:
            name = unicodedata.name(ch, "")
            if "FILLER" not in name and any(name.startswith(prefix) for prefix in SCRIPTS):
                return True
    lang = guess_language(text)
    return lang is not None and bool(reads) and lang not in reads
