"""Slack's message markup, both ways: what arrives is decoded once into the plain text a person meant
(:func:`slack_to_plain`), what leaves is escaped (:func:`esc`). Markup reference: Slack's "Formatting
text for app surfaces" (mrkdwn, entities, ``<@U…>`` mentions, ``<url|label>`` links)."""

from __future__ import annotations

import re

# Slack's markup in message text: <@U…|name> users, <#C…|name> channels, <!here> and <!subteam^S…|@team>
# specials, <url|label> links; &, < and > arrive as entities
MARKUP = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")
MAX_TEXT = 3900  # Slack truncates a message's text after 40 000 characters; blocks take 3000 per section


def esc(text: str) -> str:
    """Slack mrkdwn escaping: the three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_to_plain(text: str, names: dict[str, str] | None = None, *, drop: str = "") -> str:
    """Slack's message markup as the plain text a person meant, decoded once on the way in:
    ``&amp;`` ``&lt;`` ``&gt;`` back to ``& < >``, ``<@U1>`` to ``@Name`` (``names``: user id ->
    display name; the user ``drop``, the bot itself, is left out), ``<#C1|general>`` to ``#general``,
    ``<!here>`` to ``@here``, ``<https://x|label>`` to ``label (https://x)``, ``<mailto:a@b|a@b>`` to
    ``a@b``. Each outbound platform escapes the result its own way (``esc`` for Slack)."""
    names = names or {}

    def one(m: re.Match[str]) -> str:
        sigil, target, label = m.group(1), m.group(2), m.group(3)
        if sigil == "@":
            if target == drop:
                return ""
            return "@" + (label or names.get(target) or target)
        if sigil == "#":
            return "#" + (label or target)
        if sigil == "!":
            if label:
                return label
            return "@" + target.split("^", 1)[0]
        url = _entities(target)
        if label is None:
            return url.removeprefix("mailto:")
        label = _entities(label)
        if label == url or "mailto:" + label == url or label in (url.split("://", 1)[-1], url.rstrip("/")):
            return label
        return f"{label} ({url})"

    return _entities(MARKUP.sub(one, text)).strip()


def _entities(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentioned_users(text: str) -> list[str]:
    """User ids mentioned with ``<@U…>`` in Slack text."""
    return [m.group(2) for m in MARKUP.finditer(text) if m.group(1) == "@" and not m.group(3)]
