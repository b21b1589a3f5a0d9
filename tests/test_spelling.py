"""Misspelt words (``retrieval.spelling``, on by default): a covered question typed with typos is read as the
knowledge base's own words and answered, in the terminal chat as a customer types it; an off-topic message
is still escalated, and a correctly spelt word the encoder knows is never "corrected"."""

from __future__ import annotations

import io

from bot.adapters.terminal import run_terminal
from classifier.spelling import Speller

TYPO = "how do i chnage my emial adress"
TYPO_2 = "how do i cancell my subscripton"
OFF_TOPIC = "can u recommend a good pizza place"


def _chat(app, *lines: str) -> str:
    out = io.StringIO()
    run_terminal(app, customer="kim", inp=io.StringIO("".join(f"{line}\n" for line in lines) + "/quit\n"), out=out)
    return out.getvalue()


def test_misspelt_covered_questions_are_answered_and_off_topic_told_so(app) -> None:
    text = _chat(app, TYPO, TYPO_2, OFF_TOPIC)
    assert app.kb.get("change-email").answer.splitlines()[0] in text
    assert app.kb.get("cancel-subscription").answer.splitlines()[0] in text
    # off-topic: told what the desk answers and how to reach a person, no ticket (classifier/off_topic.py)
    assert "I'm here for questions about our products and services" in text
    assert not any(OFF_TOPIC in (t.subject or "") for t in app.handoff.list())
    decision = app.router().decide(TYPO, app.encoder.encode([TYPO])[0])
    assert "read as 'how do i change my email address'" in decision.reason


def test_without_spelling_the_misspelt_question_goes_to_a_person(make_app) -> None:
    app = make_app(retrieval={"spelling": False})
    text = _chat(app, TYPO)
    assert app.kb.get("change-email").answer.splitlines()[0] not in text
    assert app.handoff.list()


def test_known_words_are_left_alone() -> None:
    sp = Speller(["how do I change my email address?", "is the camera online"], {"crack", "offline", "tracking"})
    assert sp.correct("the sound is crackling") == "the sound is crackling"  # a known word with an ending
    assert sp.correct("camera is offline, whats up") == "camera is offline, whats up"
    assert sp.correct("Chnage my EMIAL") == "change my email"
    assert sp.correct("my emailadress") == "my emailadress"  # nothing near enough
