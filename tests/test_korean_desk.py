"""Korean text where agents and editors meet it, with the DEFAULT configuration (all-MiniLM-L6-v2 for
English, USE multilingual v3 for Korean): the console's near-duplicate warning, a ticket's suggested cases,
the Unanswered page and its groups, a draft case's phrasing check and ``aftercare kb search`` read a Korean
text with the encoder Korean routes to, in that encoder's index; the multilingual case head is kept beside
its index across restarts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.app import Aftercare
from bot.cli import main
from bot.messages import IncomingMessage, Outcome
from kb.embedder import Embedder
from tests.conftest import app_builder
from tests.console_support import add_users, csrf_of, login
from tests.webchat import web_client

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ko_app(tmp_path: Path, embedder: Embedder, seeded_dir: Path) -> Iterator[Callable[..., Aftercare]]:
    """Apps of the default configuration on copies of the demo data dir, with the console's staff."""
    with app_builder(tmp_path, embedder, seeded_dir, prefix="kd") as factory:
        def build(data_dir: Path | None = None, **sections: dict) -> Aftercare:
            ac = factory(data_dir=data_dir, **sections)
            if data_dir is None:
                add_users(ac)
            return ac
        yield build


def push(ac: Aftercare, text: str, customer: str) -> Outcome:
    return ac.pipeline.handle(IncomingMessage(channel="web", customer=customer, text=text))


def test_an_editor_is_warned_of_a_korean_near_duplicate_and_only_then(ko_app: Callable[..., Aftercare]) -> None:
    """A Korean phrasing that is nearly one of reset-password's is refused with a link to that case; a Korean
    phrasing of a new topic is not taken for a duplicate of whatever Korean case the English encoder confuses
    it with (all-MiniLM-L6-v2 reads Hangul as unknown tokens: every Korean line looks alike to it)."""
    ac = ko_app()
    with web_client(ac) as client:
        login(client, "eve")
        token = csrf_of(client.get("/console/cases/new").text)
        form = {"csrf": token, "id": "pw-ko", "questions": "비밀번호를 잊어버렸어요", "answer": "재설정 링크를 쓰세요.",
                "tags": "", "product": ""}
        r = client.post("/console/cases/new", data=form)
        assert r.status_code == 409 and 'href="/console/cases/reset-password"' in r.text
        # new topics (all-MiniLM-L6-v2 puts each at 0.91 to person-detection or motion-alerts)
        form = {**form, "id": "gift-and-stores",
                "questions": "카메라를 선물 포장해 줄 수 있나요?\n매장에서 직접 구매할 수 있나요?",
                "answer": "선물 포장은 온라인 주문에서 선택할 수 있고, 매장 판매는 하지 않습니다."}
        r = client.post("/console/cases/new", data=form)
        assert r.status_code == 200 and "created and published" in r.text, r.text[:2000]
        # the multilingual index finds the new Korean case at once
        ko = ac.stack_for("선물 포장 되나요?")
        assert ko is ac.multilingual and ko.kb.search("선물 포장 되나요?", 1)[0].case_id == "gift-and-stores"


def test_a_korean_tickets_page_suggests_the_case_near_what_the_customer_wrote(
        ko_app: Callable[..., Aftercare]) -> None:
    ac = ko_app()
    out = push(ac, "밤에 카메라 화면이 까맣게만 나와요 야간 모드가 작동을 안 해요", customer="k-night")
    assert out.action == "escalate" and out.ticket_id
    with web_client(ac) as client:
        login(client, "ann")
        page = client.get(f"/console/tickets/{out.ticket_id}").text
        assert 'id="suggestions"' in page
        # the first suggestion is the night-vision case (all-MiniLM-L6-v2 reads it as motion-alerts)
        assert page.split('id="suggestions"')[1].split('data-case="')[1].startswith('night-vision"')


def test_a_korean_question_leaves_unanswered_once_a_case_answers_it(ko_app: Callable[..., Aftercare]) -> None:
    """The Unanswered page decides each listed question again as the pipeline would: a Korean question by
    the multilingual encoder and router. Once an editor adds it to a case, the bot answers it and it leaves
    the list (decided by the English encoder, every Korean question stayed listed: "written in Korean");
    two wordings of one Korean question are one row."""
    ac = ko_app()
    for customer, text in {"k1": "학생 할인 있나요?", "k2": "학생 할인이 있나요?", "e1": "Is there a student discount?",
                           "k3": "카메라 무게가 얼마나 돼요?"}.items():
        assert push(ac, text, customer).action == "escalate", text
    with web_client(ac) as client:
        login(client, "eve")
        page = client.get("/console/unanswered")
        rows = {q["text"]: q for q in client.get("/console/api/unanswered").json()["questions"]}
        student = rows.get("학생 할인 있나요?") or rows["학생 할인이 있나요?"]
        assert student["asked"] == 2 and len(student["similar"]) == 1
        assert rows["Is there a student discount?"]["asked"] == 1 and "카메라 무게가 얼마나 돼요?" in rows
        r = client.post("/console/unanswered/attach", data={"csrf": csrf_of(page.text), "case_id": "subscription-plans",
                                                            "text": "학생 할인 있나요?"})
        assert r.status_code == 200 and "the bot now answers it with subscription-plans" in r.text
        assert push(ac, "학생 할인 있나요?", "k4").case_id == "subscription-plans"
        after = client.get("/console/api/unanswered").json()
        texts = {q["text"] for q in after["questions"]}
        assert "학생 할인 있나요?" not in texts and "학생 할인이 있나요?" not in texts
        assert after["answered_now"] >= 1 and "카메라 무게가 얼마나 돼요?" in texts


def test_a_korean_draft_from_a_resolved_ticket_is_checked_with_the_multilingual_encoder(
        ko_app: Callable[..., Aftercare]) -> None:
    """Resolving a Korean ticket proposes a draft; on the review page its Korean phrasing is checked
    against the published cases in the multilingual index: it does not collide with an unrelated case, and
    a Korean phrasing of reset-password does."""
    ac = ko_app()
    # all-MiniLM-L6-v2 puts it at 0.91 to a phrasing of person-detection: a collision that is not one
    out = push(ac, "카메라를 선물 포장해 줄 수 있나요?", customer="k-draft")
    assert out.action == "escalate" and out.ticket_id
    with web_client(ac) as client:
        login(client, "ann")
        page = client.get(f"/console/tickets/{out.ticket_id}")
        r = client.post(f"/console/tickets/{out.ticket_id}/resolve",
                        data={"csrf": csrf_of(page.text), "resolution": "온라인 주문에서 선물 포장을 고르세요."})
        assert r.status_code == 200
        drafts = [c for c in ac.kb.list(state="draft") if c.source_ref == out.ticket_id]
        assert len(drafts) == 1
        from bot.proposals import check_phrasings

        assert not any(c.collides for c in check_phrasings(ac, drafts[0].id, drafts[0].questions))
        clash = check_phrasings(ac, drafts[0].id, ["비밀번호를 잊어버렸어요"])[0]
        assert clash.collides and clash.other_case == "reset-password"
        login(client, "eve")
        review = client.get("/console/review").text
        assert drafts[0].id in review and "is nearer to case" not in review


def test_kb_search_reads_korean_with_the_multilingual_encoder(ko_app: Callable[..., Aftercare], monkeypatch,
                                                             capsys) -> None:
    import json

    ac = ko_app()
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(ac.data_dir))
    text = "밤에 카메라 화면이 까맣게만 나와요 야간 모드가 작동을 안 해요"  # all-MiniLM-L6-v2: motion-alerts
    assert main(["--config", str(ROOT / "config.yaml"), "kb", "search", text, "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["case_id"] == "night-vision"


def test_the_case_head_is_kept_beside_the_multilingual_index(ko_app: Callable[..., Aftercare], monkeypatch) -> None:
    """The multilingual case head is saved beside its index: a restarted worker answers Korean from it
    without fitting it again; once an editor changes the knowledge base it is fitted anew (and saved)."""
    import classifier.case_head as case_head

    fits: list[int] = []
    real = case_head.fit_head

    def counted(x, y, **kw):  # type: ignore[no-untyped-def]
        fits.append(len(y))
        return real(x, y, **kw)

    monkeypatch.setattr(case_head, "fit_head", counted)
    ac = ko_app()
    assert push(ac, "비밀번호를 어떻게 재설정하나요?", "k-head").case_id == "reset-password"
    saved = ac.data_dir / "multilingual" / "case_head.npz"
    assert saved.exists()
    before, fitted = saved.read_bytes(), len(fits)
    restarted = ko_app(data_dir=ac.data_dir)  # another worker on the same data dir
    assert push(restarted, "비밀번호를 잊어버렸는데 어떻게 해요?", "k-head2").case_id == "reset-password"
    assert len(fits) == fitted  # loaded, not fitted
    c = restarted.kb.get("night-vision")
    restarted.kb.update_case("night-vision", questions=[*c.questions, "적외선 야간 촬영 기능이 있나요?"])
    assert push(restarted, "적외선 야간 촬영 기능이 있나요?", "k-head3").case_id == "night-vision"
    assert len(fits) == fitted + 1 and saved.read_bytes() != before
