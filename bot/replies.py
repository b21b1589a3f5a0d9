"""Reply texts from Jinja2 templates, one folder per language (bot/templates/en, bot/templates/ko).

The default language is ``app.language``; each conversation replies in its customer's language
(detected per message, kept on the conversation), so ``render`` takes the language to speak. A
template missing in a language falls back to English.

Languages of ``LANGUAGES`` have every template. Other folders (French, German, Spanish, Italian,
Portuguese, Dutch) hold only ``answer.j2``: a message in one of them is answered from a case (the
multilingual encoder reads it) with the case's answer introduced in the customer's language
(:meth:`Replies.introduces`); every other reply of the conversation stays in the default language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from classifier.language import guess_language, language_name

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("en", "ko")


# Korean digits read aloud: whether the word ends in a consonant (받침). 2 이, 4 사, 5 오, 9 구 do not; 0 at
# the end reads as 십, 백, 천 or 만 (AC-000010: 십), which do, as do 영, 일, 삼, 육, 칠, 팔.
_OPEN_DIGITS = set("2459")


def josa(word: object, after_consonant: str, after_vowel: str) -> str:
    """``word`` followed by the Korean particle its last sound takes: ``after_consonant`` (이, 을, 은) when
    it ends in a consonant, else ``after_vowel`` (가, 를, 는). A Hangul syllable by its final consonant,
    a digit as Korean reads the number ("AC-000045" ends in 오: 가; "AC-000010" in 십: 이), a Latin
    letter by how its name ends in Korean (L, M, N, R: consonant); closing quotes and brackets are read past
    ('"별로예요"' takes 를). Anything else gets both ("이(가)")."""
    text = str(word)
    core = text.rstrip().rstrip("\"'”’」』)]")
    last = core[-1:] if core.strip() else ""
    if "가" <= last <= "힣":
        closed = (ord(last) - 0xAC00) % 28 != 0
    elif last.isdigit():
        closed = last not in _OPEN_DIGITS
    elif last.isascii() and last.isalpha():
        closed = last.lower() in "lmnr"
    else:
        return f"{text}{after_consonant}({after_vowel})"
    return text + (after_consonant if closed else after_vowel)


def customer_language(kept: str | None, said: list[str]) -> str:
    """The customer's language as agents read it (the console's ticket page, ``tickets show``): ``kept``,
    the conversation's language (ISO code, the one its replies speak; None until known), by name; when the
    customer's newest clearly-written message (``said``: their messages, oldest first) is in a language
    without reply templates, that language, saying the bot's replies and notices reach them in ``kept``'s
    ("Japanese (no reply templates in Japanese: the bot's notices reach them in English)"). Only shown:
    an agent's reply goes as the agent wrote it."""
    written = next((lang for lang in map(guess_language, reversed(said)) if lang is not None), None)
    if written is not None and written not in LANGUAGES and written != kept:
        name = language_name(written)
        return (f"{name} (no reply templates in {name}: the bot's notices reach them in "
                f"{language_name(kept or 'en')})")
    return language_name(kept) if kept else "not known yet"


class Replies:
    """Templates in every language of ``LANGUAGES``; ``language`` is the default one.

    Raises ValueError for a default language without templates."""

    def __init__(self, language: str = "en", *, directory: Path = TEMPLATES) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"no reply templates for language {language!r}")
        self.language = language
        self._directory = directory
        self._envs = {
            lang: Environment(
                loader=FileSystemLoader([str(directory / lang), str(directory / "en")]),
                undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
                keep_trailing_newline=False,
            )
            for lang in LANGUAGES
        }
        for env in self._envs.values():
            env.filters["josa"] = josa
        # folders with only some templates (an answer's introduction): rendered on request, English otherwise
        self._partial = {
            d.name: Environment(
                loader=FileSystemLoader([str(d), str(directory / "en")]), undefined=StrictUndefined,
                autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
            )
            for d in sorted(directory.iterdir()) if d.is_dir() and d.name not in LANGUAGES
        } if directory.is_dir() else {}

    def introduces(self, language: str | None, name: str = "answer") -> bool:
        """Whether ``language`` (not one of ``LANGUAGES``) has its own template ``name``: an answer to a
        message in it is introduced in it (:meth:`render_in`)."""
        return language is not None and language in self._partial and \
            (self._directory / language / f"{name}.j2").is_file()

    def render_in(self, language: str, name: str, **context: Any) -> str:
        """Template ``name`` from the partial folder of ``language`` (see :meth:`introduces`)."""
        return self._partial[language].get_template(f"{name}.j2").render(**context).strip()

    def speaks(self, language: str | None) -> str:
        """``language`` when there are templates in it, else the default language."""
        return language if language in self._envs else self.language  # type: ignore[return-value]

    def render(self, name: str, *, language: str | None = None, **context: Any) -> str:
        """Template ``name`` in ``language`` (default: the app's), rendered with ``context``."""
        return self._envs[self.speaks(language)].get_template(f"{name}.j2").render(**context).strip()

    def has(self, name: str) -> bool:
        try:
            self._envs[self.language].get_template(f"{name}.j2")
        except TemplateNotFound:
            return False
        return True
