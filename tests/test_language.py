"""Messages plainly written in a language the encoder does not read go to a person, through the chat;
English support messages are never mistaken for another language."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from classifier.language import guess_language
from tests.conftest import FakeChannel

ROOT = Path(__file__).resolve().parents[1]

FOREIGN = [
    ("fr", "comment annuler mon abonnement"),
    ("fr", "Bonjour, je ne peux pas me connecter à mon compte"),
    ("de", "Wie setze ich mein Passwort zurück?"),
    ("de", "Meine Kamera ist offline und ich weiß nicht warum"),
    ("es", "¿Cómo puedo cambiar mi contraseña?"),
    ("es", "mi cámara no funciona desde ayer"),
    ("it", "Ciao, ho un problema con il mio account"),
    ("pt", "Olá, não consigo entrar na minha conta"),
    ("nl", "Ik heb een vraag over mijn factuur"),
    ("ko", "비밀번호를 어떻게 재설정하나요?"),
    ("ru", "Как сбросить пароль?"),
    ("ja", "パスワードをリセットするにはどうすればいいですか"),
    ("zh", "如何重置密码"),
]
NOT_JUDGED = ["merci", "gracias!", "reset pw pls", "camera offline", "hola",  # too short to tell
              # English with words other languages share, repeated: "no" is Spanish too, but says nothing
              "still no picture, no sound", "no alerts no recordings since yesterday", "Camera no. 2 no signal",
              "no no no"]


@pytest.mark.parametrize(("lang", "text"), FOREIGN)
def test_foreign_messages_are_recognised(lang: str, text: str) -> None:
    assert guess_language(text) == lang


def test_english_support_messages_are_never_taken_for_another_language() -> None:
    texts: list[str] = []
    for path, column in ((ROOT / "kb" / "demo" / "cases.csv", "question"),
                         (ROOT / "classifier" / "data" / "examples.csv", "text")):
        with open(path, newline="", encoding="utf-8") as fh:
            texts += [r[column] for r in csv.DictReader(fh)]
    korean = [t for t in texts if any("\uac00" <= ch <= "\ud7a3" for ch in t)]  # the demo's Korean phrasings
    assert korean and all(guess_language(t) == "ko" for t in korean)
    texts = [t for t in texts if t not in korean]
    texts += ["I paid at a cafe in la rochelle and was charged twice", "the app crashes every time I upload a photo"]
    wrong = [t for t in texts if guess_language(t) not in (None, "en")]
    assert not wrong and len(texts) > 400
    assert all(guess_language(t) is None for t in NOT_JUDGED)


def test_a_message_in_another_language_goes_to_a_person(make_app) -> None:
    """Without a multilingual encoder (``embedding.multilingual`` empty), English-only MiniLM does not read
    French: a person takes it."""
    chat = FakeChannel(make_app(embedding={"multilingual": ""}))
    out = chat.push("comment annuler mon abonnement", customer="fr")
    assert out.action == "escalate" and out.label == "human" and out.ticket_id
    assert "written in French" in out.reason and out.ticket_id in out.replies[0].text
    assert "Of course" not in out.replies[0].text  # not the "you asked for a person" reply
    assert chat.ac.handoff.get(out.ticket_id).label == "human"
    # an English message right after is decided as usual
    assert chat.push("how do I reset my password?", customer="en").action == "answer"


def test_the_default_pair_reads_french_with_its_multilingual_encoder(chat: FakeChannel) -> None:
    """The default configuration routes a French message to USE multilingual v3, which reads French: the
    English cases answer it, the English answer introduced in French (only that template ships in French)."""
    out = chat.push("comment annuler mon abonnement", customer="fr")
    assert out.action == "answer" and out.case_id == "cancel-subscription"
    assert out.replies[0].text.startswith("Cette réponse n'existe pour l'instant qu'en anglais :")
    assert chat.ac.stack_for("comment annuler mon abonnement").embedder.name == "use-multilingual-v3"
    assert chat.ac.stack_for("how do I cancel my subscription").embedder.name == "all-MiniLM-L6-v2"


def test_the_check_can_be_turned_off_for_a_multilingual_model(make_app) -> None:
    ac = make_app(classifier={"languages": []}, embedding={"multilingual": ""})
    out = FakeChannel(ac).push("comment annuler mon abonnement", customer="fr")
    assert "written in" not in out.reason
