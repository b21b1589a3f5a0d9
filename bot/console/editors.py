"""The knowledge-base editors' console pages: solved cases (list, new, edit, state), the review queue of
draft cases (approved with the ticked phrasings, refused while one collides with another case), the
unanswered questions (attach one to a case as a phrasing) and "try the bot"."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from bot.console.kit import Kit, back, days_param, safe_next, secure, storable, unstorable_reason
from bot.console.users import LoginSession
from bot.console.views import near_duplicates
from bot.draft_review import check_approvable, draft_warnings, reopened_ticket
from bot.errors import UnstorableValue
from bot.proposals import approve_draft, check_phrasings, check_publishable, phrasing_note, scrub
from bot.unanswered import unanswered
from kb.errors import KBError
from kb.personal import mostly_personal

NEARLY_SAME = "This case is nearly the same as an existing one. Save anyway?"


def _lines(text: str) -> list[str]:
    return [q.strip() for q in text.splitlines() if q.strip()]


def _tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def editor_routes(kit: Kit) -> APIRouter:
    """The routes above; every one needs the editor role, every form the session's CSRF token."""
    ac, cfg, page = kit.ac, kit.cfg, kit.page
    editor, editor_post = kit.editor, kit.editor_post
    r = APIRouter()

    # -- cases ----------------------------------------------------------------------------------

    @r.get("/console/cases", include_in_schema=False)
    def cases(request: Request, sess: LoginSession = editor) -> Response:
        query = request.query_params.get("q", "").strip()
        state = request.query_params.get("state", "")
        state = state if state in ("draft", "published", "retired", "rejected") else ""
        rows = ac.kb.list(state=state or None, query=query or None, limit=500)
        return page("cases.html", sess, request, title="Solved cases", cases=rows, query=query, state=state)

    def case_form(request: Request, sess: LoginSession, *, case: Any = None, form: dict[str, str] | None = None,
                  dupes: list[Any] | None = None, error: str = "", status: int = 200) -> Response:
        if form is None:
            form = {"id": "", "questions": "", "answer": "", "tags": "", "product": ""}
            if case is not None:
                form = {"id": case.id, "questions": "\n".join(case.questions), "answer": case.answer,
                        "tags": ", ".join(case.tags), "product": case.product,
                        "answer_ko": case.translations.get("ko", ""), "answer_en": case.translations.get("en", "")}
        return page("case_form.html", sess, request, title=f"Case {case.id}" if case else "New case", case=case,
                    form=form, dupes=dupes or [], error=error, status=status)

    @r.get("/console/cases/new", include_in_schema=False)
    def case_new(request: Request, sess: LoginSession = editor) -> Response:
        asked = request.query_params.get("questions", "")[: ac.config.app.max_message_chars]
        if asked:  # "New case" from the Unanswered page: the customer's question is the first phrasing
            return case_form(request, sess, form={"id": "", "questions": scrub(asked), "answer": "", "tags": "",
                                                  "product": ""})
        return case_form(request, sess)

    @r.post("/console/cases/new", include_in_schema=False)
    def case_create(request: Request, id: str = Form(""), questions: str = Form(""), answer: str = Form(""),
                    tags: str = Form(""), product: str = Form(""), confirm: str = Form(""),
                    answer_ko: str = Form(""), answer_en: str = Form(""),
                    sess: LoginSession = editor_post) -> Response:
        form = {"id": id.strip(), "questions": questions, "answer": answer, "tags": tags, "product": product,
                "answer_ko": answer_ko, "answer_en": answer_en}
        dupes = near_duplicates(ac, _lines(questions), exclude=None, threshold=cfg.duplicate_score)
        if dupes and not confirm:
            return case_form(request, sess, form=form, dupes=dupes, status=409, error=NEARLY_SAME)
        try:
            check_publishable(ac, id.strip(), _lines(questions))  # created published: the same check as approve
            c = ac.kb.add_case(id.strip(), _lines(questions), answer, tags=_tags(tags), product=product.strip(),
                               translations={"ko": answer_ko, "en": answer_en})
        except KBError as e:
            return case_form(request, sess, form=form, error=str(e), status=400)
        except UnstorableValue as e:
            return case_form(request, sess, form={k: storable(v) for k, v in form.items()},
                             error=unstorable_reason("case", e), status=400)
        return back(f"/console/cases/{quote(c.id)}", msg=f"Case {c.id} created and published.")

    @r.get("/console/cases/{case_id}", include_in_schema=False)
    def case_edit(case_id: str, request: Request, sess: LoginSession = editor) -> Response:
        try:
            c = ac.kb.get(case_id)
        except KBError:
            return kit.not_found(sess, request, f"No case {case_id}.")
        dupes = near_duplicates(ac, c.questions, exclude=c.id, threshold=cfg.duplicate_score)
        return case_form(request, sess, case=c, dupes=dupes)

    @r.post("/console/cases/{case_id}", include_in_schema=False)
    def case_save(case_id: str, request: Request, questions: str = Form(""), answer: str = Form(""),
                  tags: str = Form(""), product: str = Form(""), publish: str = Form(""), confirm: str = Form(""),
                  answer_ko: str = Form(""), answer_en: str = Form(""),
                  sess: LoginSession = editor_post) -> Response:
        try:
            c = ac.kb.get(case_id)
        except KBError:
            return kit.not_found(sess, request, f"No case {case_id}.")
        form = {"id": c.id, "questions": questions, "answer": answer, "tags": tags, "product": product,
                "answer_ko": answer_ko, "answer_en": answer_en}
        dupes = near_duplicates(ac, _lines(questions), exclude=c.id, threshold=cfg.duplicate_score)
        if dupes and not confirm:
            return case_form(request, sess, case=c, form=form, dupes=dupes, status=409, error=NEARLY_SAME)
        try:
            others = {k: v for k, v in c.translations.items() if k not in ("ko", "en")}  # kept as imported
            if publish and c.state != "published":  # publishing here is approving: the same collision check
                check_approvable(ac, c, answer, confirm=True)  # no "[phone]" left in the answer
                check_publishable(ac, c.id, _lines(questions))
            c = ac.kb.update_case(case_id, questions=_lines(questions), answer=answer, tags=_tags(tags),
                                  product=product.strip(), state="published" if publish else None,
                                  translations={**others, "ko": answer_ko, "en": answer_en})
        except KBError as e:
            return case_form(request, sess, case=c, form=form, error=str(e), status=400)
        except UnstorableValue as e:
            return case_form(request, sess, case=c, form={k: storable(v) for k, v in form.items()},
                             error=unstorable_reason("case", e), status=400)
        return back(f"/console/cases/{quote(c.id)}",
                    msg=f"Case {c.id} saved" + (" and published." if publish else "."))

    @r.post("/console/cases/{case_id}/state", include_in_schema=False)
    def case_state(case_id: str, state: str = Form(""), to: str = Form(""),
                   sess: LoginSession = editor_post) -> Response:
        words = {"published": "published", "retired": "retired", "rejected": "rejected", "draft": "back to draft"}
        dest = safe_next(to) or f"/console/cases/{quote(case_id)}"
        if state not in words:
            return back(dest, error=f"unknown state {state!r}")
        try:
            current = ac.kb.get(case_id)
            if state == "published" and current.state == "draft":
                approve_draft(ac, case_id)
            elif state == "published" and current.state != "published":  # retired or rejected, published again
                check_publishable(ac, case_id, current.questions)
                ac.kb.update_case(case_id, state=state)
            else:
                ac.kb.update_case(case_id, state=state)
        except KBError as e:
            return back(dest, error=str(e))
        return back(dest, msg=f"Case {case_id} {words[state]}.")

    # -- review of draft cases ------------------------------------------------------------------

    def review_page(request: Request, sess: LoginSession, *, error: str = "", status: int = 200,
                    kept: dict[str, list[str]] | None = None) -> Response:
        drafts = ac.kb.list(state="draft", limit=500)
        dupes = {c.id: near_duplicates(ac, c.questions, exclude=c.id, threshold=cfg.duplicate_score)
                 for c in drafts}
        # each phrasing with its tick box (ticked unless the editor unticked it) and the case it collides with
        checks = {c.id: check_phrasings(ac, c.id, c.questions) for c in drafts}
        # a phrasing that is mostly personal data ("my password is [password]") is never ticked: it is refused
        personal = {c.id: {q for q in c.questions if mostly_personal(q)} for c in drafts}
        ticked = {c.id: set(c.questions if kept is None or c.id not in kept else kept[c.id]) - personal[c.id]
                  for c in drafts}
        notes = {c.id: phrasing_note(ac, c) for c in drafts}  # a draft with no phrasing: what to write, and why
        # its ticket reopened, scrub placeholders in its answer, another draft of its problem: said before Approve
        warnings = {c.id: draft_warnings(ac, c) for c in drafts}
        reopened = {c.id for c in drafts if reopened_ticket(ac, c) is not None}
        return page("review.html", sess, request, title="Review queue", drafts=drafts, dupes=dupes, checks=checks,
                    ticked=ticked, personal=personal, notes=notes, warnings=warnings, reopened=reopened,
                    error=error, status=status)

    @r.get("/console/review", include_in_schema=False)
    def review(request: Request, sess: LoginSession = editor) -> Response:
        return review_page(request, sess)

    @r.post("/console/review/{case_id}/approve", include_in_schema=False)
    async def review_approve(case_id: str, request: Request, sess: LoginSession = editor_post) -> Response:
        """Approve a draft with the ticked phrasings; refused, with the reason, while one collides."""
        form = await request.form()
        keep = [str(v) for v in form.getlist("keep")]
        try:
            c = approve_draft(ac, case_id, keep=keep, confirm=form.get("confirm") == "yes")
        except KBError as e:
            return review_page(request, sess, error=f"Case {case_id}: {e}", status=409, kept={case_id: keep})
        return back("/console/review", msg=f"Case {c.id} published with {len(c.questions)} "
                    "phrasing(s): the bot answers from it now.")

    # -- unanswered questions -------------------------------------------------------------------

    @r.get("/console/unanswered", include_in_schema=False)
    def unanswered_page(request: Request, sess: LoginSession = editor) -> Response:
        n = days_param(request)
        return page("unanswered.html", sess, request, title="Unanswered", u=unanswered(ac, days=n), days=n)

    @r.get("/console/api/unanswered")
    def unanswered_api(request: Request, sess: LoginSession = editor) -> Response:
        return secure(JSONResponse(unanswered(ac, days=days_param(request)).as_dict()))

    @r.post("/console/unanswered/attach", include_in_schema=False)
    def unanswered_attach(case_id: str = Form(""), text: str = Form(""),
                          sess: LoginSession = editor_post) -> Response:
        """Add a customer's question to a case as a phrasing, and say what the bot does with it now."""
        phrasing = scrub(text.strip())[: ac.config.app.max_message_chars]
        if not phrasing:
            return back("/console/unanswered", error="no question to add")
        if mostly_personal(phrasing):  # "제 번호는 [phone] 입니다" would be like any text with a [phone]
            return back("/console/unanswered", error=f"“{phrasing}” is mostly a customer's personal data, not a "
                        "question another customer could ask: not added")
        try:
            ac.kb.add_phrasing(case_id, phrasing)
        except KBError as e:
            return back("/console/unanswered", error=str(e))
        d = ac.pipeline.decide(phrasing)
        now = (f"the bot now answers it with {d.case_id}." if d.action == "answer"
               else f"the bot still escalates it ({d.reason}).")
        return back("/console/unanswered", msg=f"Added to case {case_id}: {now}")

    # -- try the bot ----------------------------------------------------------------------------

    @r.get("/console/try", include_in_schema=False)
    def try_form(request: Request, sess: LoginSession = editor) -> Response:
        return page("try.html", sess, request, title="Try the bot", text="", d=None)

    @r.post("/console/try", include_in_schema=False)
    def try_bot(request: Request, text: str = Form(""), sess: LoginSession = editor_post) -> Response:
        if not text.strip():
            return page("try.html", sess, request, title="Try the bot", text="", d=None, error="Type a message.")
        d = ac.pipeline.decide(text.strip()[: ac.config.app.max_message_chars])
        answer = ac.kb.get(d.case_id).answer if d.case_id and d.action == "answer" else ""
        probs = sorted(d.label_probs.items(), key=lambda kv: -kv[1])
        return page("try.html", sess, request, title="Try the bot", text=text, d=d, answer=answer, probs=probs)

    return r
