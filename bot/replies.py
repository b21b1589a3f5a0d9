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

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("en", "ko")


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
