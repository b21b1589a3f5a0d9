"""Reply texts from Jinja2 templates, one folder per language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("en", "ko")


class Replies:
    def __init__(self, language: str = "en", *, directory: Path = TEMPLATES) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"no reply templates for language {language!r}")
        self.language = language
        self._env = Environment(
            loader=FileSystemLoader([str(directory / language), str(directory / "en")]),
            undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=False,
        )

    def render(self, name: str, **context: Any) -> str:
        return self._env.get_template(f"{name}.j2").render(**context).strip()

    def has(self, name: str) -> bool:
        try:
            self._env.get_template(f"{name}.j2")
        except TemplateNotFound:
            return False
        return True
