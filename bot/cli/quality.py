"""``aftercare kb lint`` and ``aftercare model tune``: the knowledge base's and the encoder's quality."""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
from typing import Any

import numpy as np

from bot.app import Aftercare
from bot.cli.base import open_app
from classifier.finetune import TuneError, TuneSettings, tune
from classifier.language import guess_language, needs_multilingual
from classifier.model import train
from kb.embedder import SentenceTransformerEmbedder
from kb.lint import LintSettings, lint


def _asked_questions(ac: Aftercare) -> tuple[list[str], np.ndarray] | None:
    """The classifier's training examples of the answering label(s): questions customers ask."""
    answering = {s.name for s in ac.config.labels if s.action == "answer"}
    model = ac.classifier_model()
    keep = [i for i, lab in enumerate(model.labels) if lab in answering]
    if not keep or model.vectors.ndim != 2:
        return None
    return [model.texts[i] for i in keep], model.vectors[keep]


def cmd_kb_lint(args: argparse.Namespace) -> int:
    ac = open_app(args)
    r = ac.config.retrieval
    report = lint(ac.kb, settings=LintSettings(min_phrasings=args.min_phrasings, top_k=r.top_k,
                                               temperature=r.temperature,
                                               uncovered_similarity=r.uncovered_similarity),
                  questions=_asked_questions(ac), language_of=guess_language,
                  reads=lambda text: not needs_multilingual(text, ac.reads()))
    issues = report.issues[: args.limit] if args.limit else report.issues
    if args.json:
        print(json.dumps({**report.as_dict(), "issues": [i.as_dict() for i in issues]}))
        return 0
    if not report.issues:
        print(f"{report.cases} cases, {report.phrasings} phrasings: nothing to fix")
        return 0
    print(f"{report.cases} cases, {report.phrasings} phrasings, {len(report.issues)} issues (worst first):")
    for i in issues:
        other = f" ~ {i.other_case}" if i.other_case else ""
        print(f"{i.severity:5.2f}  {i.kind:14} {i.case_id}{other}: {i.detail}")
        if i.kind == "collision":
            for o in i.phrasings[:3]:
                print(f"         {o.phrasing!r} is {o.similarity:.2f} from {o.other_phrasing!r} "
                      f"(own case best {o.own_best:.2f})")
    return 0


def cmd_model_tune(args: argparse.Namespace) -> int:
    # training needs the torch encoder, whatever runtime serves
    cfg = args.config_obj
    args.config_obj = dataclasses.replace(cfg, embedding=dataclasses.replace(cfg.embedding, runtime="torch"))
    ac = open_app(args)
    emb = ac.embedder
    if not isinstance(emb, SentenceTransformerEmbedder):
        raise TuneError(f"only a sentence-transformers encoder can be tuned, not {emb.name!r}")
    model = ac.classifier_model()
    non_answer = {s.name for s in ac.config.labels if s.action != "answer"}
    phrasings = [(c.id, q) for c in ac.kb.list(state="published", limit=10**9) for q in c.questions]
    examples = [(lab, t) for t, lab in zip(model.texts, model.labels, strict=True) if lab in non_answer]
    r = ac.config.retrieval
    settings = TuneSettings(epochs=args.epochs, max_texts=args.max_texts, top_k=r.top_k, temperature=r.temperature,
                            target_precision=r.target_precision, max_vote_threshold=r.max_vote_threshold)
    progress = not args.quiet and sys.stderr.isatty()
    print(f"tuning {emb.name} on {len(phrasings)} phrasings and {len(examples)} examples", file=sys.stderr)
    res = tune(ac.config.embedding.model, lambda: copy.deepcopy(emb._model),  # a fresh copy to train
               lambda texts: emb.encode(texts), phrasings, examples, ac.data_dir / "models",
               settings=settings, progress=progress, force=args.force)
    print(f"held-out routing accuracy: current {res.old_accuracy:.4f}, tuned {res.new_accuracy:.4f} "
          f"({res.held_out} held-out texts, trained on {res.texts}, {res.seconds:.0f} s); saved {res.path}")
    if res.calibration is not None:
        c = res.calibration
        print(f"tuned encoder's vote threshold {c.threshold:.2f}: held-out precision {c.precision:.4f} "
              f"at coverage {c.coverage:.4f} ({c.points} held-out votes for a case)")
    if not res.adopted:
        print("kept the current model")
        return 0
    # The new model is adopted: re-embed the phrasings and retrain the classifier on its own examples now,
    # so that the next start serves at once.
    ac.close()
    new = open_app(args, migrate=False)
    new.kb.index()
    vectors = new.embedder.encode(model.texts, progress=progress)
    train(model.texts, model.labels, vectors, embedder=new.embedder.name).save(new.model_dir)
    new.close()
    print(f"adopted {res.path}; phrasings re-embedded and the classifier retrained")
    return 0


def cmd_kb_unanswered(args: argparse.Namespace) -> int:
    from bot.unanswered import unanswered

    ac = open_app(args)
    u = unanswered(ac, days=args.days)
    if args.json:
        print(json.dumps(u.as_dict(), ensure_ascii=False))
        return 0
    print(f"{len(u.questions)} question(s) escalated in the last {args.days} days that no case answers today"
          + (f" ({u.answered_now} more are answered now)" if u.answered_now else "") + ":")
    for q in u.questions:
        lean = f"leans to {q.nearest} ({q.score:.2f})" if q.nearest else "no case near"
        print(f"  {q.asked:3}x  {q.text!r}  [{q.ticket}; {lean}]")
        for other in q.similar:
            print(f"        also asked as {other!r}")
    if u.not_helpful:
        print(f"{len(u.not_helpful)} answer(s) customers said did not help:")
        for h in u.not_helpful:
            print(f"  {h.case_id or '?':24} for {h.question!r} ({h.at:%Y-%m-%d %H:%M})")
    return 0


def add_quality_commands(sub: Any, kb: Any) -> None:
    """Register ``kb lint``, ``kb unanswered`` and ``model tune``."""
    k = kb.add_parser("lint", help="what an editor should fix first: colliding phrasings, thin cases, duplicates")
    k.add_argument("--json", action="store_true")
    k.add_argument("--min-phrasings", type=int, default=LintSettings.min_phrasings,
                   help="cases with fewer phrasings are reported as thin")
    k.add_argument("--limit", type=int, default=0, help="show only the N worst issues")
    k.set_defaults(func=cmd_kb_lint)
    k = kb.add_parser("unanswered", help="questions the bot handed to a person that no case answers today, and "
                                         "answers customers said did not help")
    k.add_argument("--days", type=int, default=30, help="look back this many days")
    k.add_argument("--json", action="store_true")
    k.set_defaults(func=cmd_kb_unanswered)
    m = sub.add_parser("model", help="the embedding model").add_subparsers(dest="model_command", required=True)
    k = m.add_parser("tune", help="fine-tune the encoder on the KB's phrasings; adopt it only if it routes better")
    k.add_argument("--epochs", type=int, default=TuneSettings.epochs)
    k.add_argument("--max-texts", type=int, default=TuneSettings.max_texts,
                   help="train on at most N phrasings and examples (the biggest cases and labels are cut first)")
    k.add_argument("--force", action="store_true", help="adopt the tuned model even if it does not score better")
    k.add_argument("-q", "--quiet", action="store_true")
    k.set_defaults(func=cmd_model_tune)
