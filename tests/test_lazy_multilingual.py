"""The multilingual half of the language-routed pair is loaded when a message needs it, not at start
(``embedding.multilingual_at_start``): a worker that serves only English never holds it."""

from __future__ import annotations

from bot.messages import IncomingMessage


def test_the_multilingual_half_loads_at_the_first_message_that_needs_it(make_app) -> None:
    ac = make_app()
    ac.warm()
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="en", text="how do I reset my password?"))
    assert out.action == "answer" and out.case_id == "reset-password"
    assert "multilingual" not in vars(ac)  # neither warming nor an English message loaded it
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="ko", text="비밀번호를 어떻게 재설정하나요?"))
    assert out.action == "answer" and out.case_id == "reset-password" and out.language == "ko"
    assert vars(ac).get("multilingual") is not None


def test_the_multilingual_half_can_be_loaded_at_start(make_app) -> None:
    ac = make_app(embedding={"multilingual_at_start": True})
    ac.warm()
    assert vars(ac).get("multilingual") is not None


def _anon_mib() -> float:
    """Resident anonymous memory of this process (what a worker holds privately), MiB."""
    with open("/proc/self/status") as fh:
        fields = dict(line.split(":", 1) for line in fh)
    return int(fields["RssAnon"].split()[0]) / 1024


def test_the_multilingual_half_maps_its_word_table_rather_than_holding_it(make_app) -> None:
    """Its 65 MB word-piece table is read from a saved copy, mapped: the worker that loads the multilingual
    half at a Korean message holds less privately than the table alone (with the table held: ~94 MiB here,
    ~120 MiB in a worker)."""
    ac = make_app()
    ac.warm()
    ac.pipeline.handle(IncomingMessage(channel="web", customer="en", text="how do I reset my password?"))
    before = _anon_mib()
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="ko", text="비밀번호를 어떻게 재설정하나요?"))
    grew = _anon_mib() - before
    assert out.action == "answer" and out.case_id == "reset-password"
    assert grew < 64, f"the multilingual half holds {grew:.0f} MiB privately"
