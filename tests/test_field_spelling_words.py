"""Field case of the speller: a real English word the encoder's vocabulary has only as a prefix and a stem
("rebooting" = re + boot + ing) was "corrected" into another word ("reporting") and the message decided on
the misreading. Real words made of a known word with a prefix or an ending stay as they are; misspellings
are still read as the knowledge base's words."""

from __future__ import annotations

import pytest

from bot.messages import IncomingMessage

REAL = ["my camera keeps rebooting", "the camera rebooted twice last night", "the app keeps reinstalling itself",
        "my doorbell is overheating", "the camera keeps unpairing from the hub", "video keeps buffering",
        "the picture is pixelated", "the live view is lagging", "the camera keeps disconnecting",
        "my phone keeps rescheduling the recording", "the hub deactivated my camera"]


@pytest.mark.parametrize("text", REAL)
def test_a_real_word_is_never_read_as_another(app, text: str) -> None:
    d = app.router().decide(text, app.encoder.encode([text])[0])
    assert "read as" not in d.reason, d.reason
    out = app.pipeline.handle(IncomingMessage(channel="test", customer="spell", text=text))
    assert "read as" not in (out.reason or ""), out.reason


def test_misspellings_are_still_read_as_the_knowledge_bases_words(app) -> None:
    text = "how do i chnage my emial adress"
    d = app.router().decide(text, app.encoder.encode([text])[0])
    assert "read as 'how do i change my email address'" in d.reason
