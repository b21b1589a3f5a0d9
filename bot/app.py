"""Composition root: builds every object once (engine, embedder, index, classifier, templates).

Over 350 lines: it is the one place that wires every service, and of a language-routed pair both halves
(which half decides a message, each half's index, classifier and case head); split, the wiring would be
read in several files."""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import cast

import numpy as np
from sqlalchemy import Engine

from bot.config import Config, build_desk_settings
from bot.db import UnitSessions, make_engine, make_sessions, upgrade, with_retries
from bot.feedback import record_feedback, verdict_of
from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.replies import Replies
from classifier.brands import BrandCheckedRouter
from classifier.case_head import HeadedRouter
from classifier.crosslingual import CrossLingualRouter
from classifier.finetune import adopted_model, adopted_threshold
from classifier.gloss import GlossView, default_glossary
from classifier.head_agree import HeadAgreeRouter
from classifier.impact import ImpactAssessor
from classifier.language import needs_multilingual
from classifier.model import ModelMismatch, TrainedModel, read_examples, train
from classifier.router import Router, RouterSettings
from handoff.clock import Clock, system_clock
from handoff.service import Handoff
from kb.batching import BatchingEmbedder
from kb.embedder import Embedder, load_embedder
from kb.importer import parse_file
from kb.index import AnnSettings
from kb.service import KnowledgeBase

log = logging.getLogger(__name__)
GLOSS_THRESHOLD = 0.85  # the cross-lingual vote's share to answer with the gloss as a third view (classifier.gloss)


def default_examples() -> Path:
    return Path(str(resources.files("classifier") / "data" / "examples.csv"))


def demo_cases() -> Path:
    return Path(str(resources.files("kb") / "demo" / "cases.csv"))


# the multilingual half of a language-routed pair keeps its index and classifier under this subdirectory
MULTILINGUAL_DIR = "multilingual"
CASE_HEAD_FILE = "case_head.npz"  # its case head, beside its index (classifier/case_head.py)
_shared: dict[str, Embedder] = {}  # multilingual encoders loaded in this process, by name (read-only, thread-safe)
_shared_lock = threading.Lock()


def shared_encoder(name: str, load: Callable[[], Embedder]) -> Embedder:
    """The encoder ``name`` loaded once per process (``load`` the first time): every app object of the
    process (tests build many) shares the multilingual half of the pair instead of loading it again."""
    with _shared_lock:
        if name not in _shared:
            enc = load()
            if enc.name != name:  # never keep another encoder under this name for the rest of the process
                return enc
            _shared[name] = enc
        return _shared[name]


class Aftercare:
    """All services of one worker. Heavy parts (the model) load on first use.

    With ``embedding.multilingual`` set and a main encoder that reads English only (all-MiniLM-L6-v2),
    the app is a language-routed pair: messages in a language the main encoder does not read (any
    non-Latin script, or a Latin-script language other than English by its function words:
    :func:`classifier.language.needs_multilingual`) are decided by :attr:`multilingual`, a second app
    object over the same database with the multilingual encoder, its own index and classifier
    (``<data_dir>/multilingual/``), each refusing a saved file of another model."""

    def __init__(self, config: Config, *, embedder: Embedder | None = None, clock: Clock | None = None,
                 multilingual: Embedder | None = None, parent: Aftercare | None = None) -> None:
        """``clock``: the one source of time of this worker (the desk, its jobs, the inboxes, console
        sessions and metrics read it); the wall clock unless given (a :class:`ManualClock` in tests).
        ``multilingual``: the encoder of the multilingual half when it is ``embedding.multilingual``
        (else loaded once per process); ``parent``: set on the multilingual half itself."""
        self.config = config
        self.data_dir = config.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._parent = parent
        # the multilingual half uses the main app's database
        self.engine: Engine = parent.engine if parent is not None else \
            make_engine(config.database_url, pool_size=config.database.pool_size,
                        sqlite_synchronous=config.database.sqlite_synchronous)
        self.sessions: UnitSessions = parent.sessions if parent is not None else make_sessions(self.engine)
        self._embedder = embedder
        self.clock: Clock = clock or system_clock
        self._multilingual_embedder = multilingual
        self._router: Router | None = None
        self._router_version: str | None = None
        self._reads_kb: tuple[int, bool] | None = None  # (KB revision, main_reads_kb() at it)
        self._lock = threading.RLock()

    def retry(self, fn: Callable[[], object]) -> object:
        return with_retries(fn, attempts=self.config.database.connect_retries, delay=self.config.database.retry_delay_s)

    def migrate(self) -> None:
        with_retries(lambda: upgrade(self.engine), attempts=self.config.database.connect_retries,
                     delay=self.config.database.retry_delay_s)

    @cached_property
    def embedder(self) -> Embedder:
        if self._embedder is not None:
            return self._embedder
        e = self.config.embedding
        # a model fine-tuned by `aftercare model tune` and adopted for this data dir wins over the configured one
        model = adopted_model(self.data_dir, base=e.model) or e.model
        return load_embedder(model, device=e.device, batch_size=e.batch_size, runtime=e.runtime,
                             quantize=e.quantize, threads=e.threads)

    @cached_property
    def encoder(self) -> BatchingEmbedder:
        """The embedder as the pipeline uses it: concurrent messages (web, Telegram, Slack) share one call."""
        metrics = self._parent.metrics if self._parent is not None else self.metrics
        return BatchingEmbedder(self.embedder, max_batch=self.config.embedding.batch_size,
                                on_batch=metrics.encoded)

    @cached_property
    def kb(self) -> KnowledgeBase:
        r = self.config.retrieval
        return KnowledgeBase(self.sessions, self.embedder, self.data_dir / "index",
                             ann=AnnSettings(min_phrasings=r.ann_min_phrasings, nprobe=r.ann_nprobe),
                             store_vectors=self._parent is None)

    @cached_property
    def multilingual(self) -> Aftercare | None:
        """The multilingual half of the language-routed pair (``embedding.multilingual``), or None: not
        configured, this is that half already, or the main encoder reads more than English itself."""
        name = self.config.embedding.multilingual.strip()
        if self._parent is not None or not name or name == self.config.embedding.model:
            return None
        if tuple(getattr(self.embedder, "languages", ("en",))) != ("en",):
            return None  # USE, e5 or a combination: one encoder reads them all
        e = self.config.embedding
        cfg = replace(self.config, app=replace(self.config.app, data_dir=str(self.data_dir / MULTILINGUAL_DIR)),
                      embedding=replace(e, model=name, multilingual=""))
        given = self._multilingual_embedder
        enc = given if given is not None and given.name == name else shared_encoder(
            name, lambda: load_embedder(name, device=e.device, batch_size=e.batch_size, runtime=e.runtime,
                                        quantize=e.quantize, threads=e.threads))
        return Aftercare(cfg, embedder=enc, clock=self.clock, parent=self)

    def stack_for(self, text: str) -> Aftercare:
        """The app object that decides ``text``: the multilingual half for a message in a language the
        main encoder does not read, or for every message when the main encoder does not read enough of the
        knowledge base (:meth:`main_reads_kb`), else this one."""
        if not self.config.embedding.multilingual.strip() or self._parent is not None:
            return self
        if not needs_multilingual(text, self.reads()) and self.main_reads_kb():
            return self  # the multilingual half is not even loaded for a message the main encoder reads
        m = self.multilingual
        return m if m is not None else self

    def main_reads_kb(self) -> bool:
        """Whether the main encoder reads enough of the knowledge base to decide the messages it reads: at
        least ``embedding.main_min_cases`` of the published cases have a phrasing it reads (not one for the
        multilingual encoder, :func:`classifier.language.needs_multilingual`). A KB written in Korean has
        none: an English question is then decided by the multilingual half, against the Korean phrasings
        (the English encoder reads Hangul as unknown tokens). Counted once per KB revision; an empty KB
        counts as read."""
        rev = self.kb.revision()
        with self._lock:
            if self._reads_kb is not None and self._reads_kb[0] == rev:
                return self._reads_kb[1]
        reads = self.reads()
        cases: dict[str, bool] = {}
        for _, case_id, text in self.kb.store.phrasing_rows():
            cases[case_id] = cases.get(case_id, False) or not needs_multilingual(text, reads)
        ok = not cases or sum(cases.values()) >= self.config.embedding.main_min_cases * len(cases)
        with self._lock:
            self._reads_kb = (rev, ok)
        return ok

    def routed(self, texts: Sequence[str]) -> list[tuple[Aftercare, np.ndarray]]:
        """Each of ``texts`` with the app object its language routes to (:meth:`stack_for`) and its vector
        by that object's encoder, in order; one encoder call per encoder. Vectors of two encoders are
        never compared: search them in their own object's ``kb``, compare them only with vectors of the
        same object (``stack.embedder.name``)."""
        stacks = [self.stack_for(t) for t in texts]
        vectors: list[np.ndarray] = [np.zeros(0, dtype=np.float32)] * len(texts)
        groups: dict[int, list[int]] = {}
        for i, st in enumerate(stacks):
            groups.setdefault(id(st), []).append(i)
        for members in groups.values():
            st = stacks[members[0]]
            for i, v in zip(members, st.embedder.encode([texts[i] for i in members]), strict=True):
                vectors[i] = v
        return list(zip(stacks, vectors, strict=True))

    def route(self, text: str) -> tuple[Embedder, Callable[[], Router]]:
        """The (batching) encoder and the router that decide ``text`` (see :meth:`stack_for`)."""
        s = self.stack_for(text)
        return s.encoder, s.router

    @cached_property
    def handoff(self) -> Handoff:
        return Handoff(self.sessions, id_prefix=self.config.tickets.id_prefix, clock=self.clock,
                       desk=build_desk_settings(self.config))

    @cached_property
    def replies(self) -> Replies:
        return Replies(self.config.app.language)

    @cached_property
    def impact(self) -> ImpactAssessor:
        return ImpactAssessor(self.embedder)

    # -- classifier -------------------------------------------------------------------------------

    @property
    def model_dir(self) -> Path:
        return self.data_dir / "classifier"

    def train_classifier(self, path: Path, *, progress: bool = False) -> TrainedModel:
        texts, labels = read_examples(path, self.config.labels)
        vectors = self.embedder.encode(texts, progress=progress)
        model = train(texts, labels, vectors, embedder=self.embedder.name)
        model.save(self.model_dir)
        with self._lock:
            self._router = None
        return model

    def classifier_model(self) -> TrainedModel:
        known = {s.name for s in self.config.labels}
        try:
            model = TrainedModel.load(self.model_dir, embedder=self.embedder.name, dim=self.embedder.dim,
                                      known_labels=known)
            main = self._parent._saved_examples(known) if self._parent is not None else None
            if main is not None and main != (model.texts, model.labels):
                raise ModelMismatch("the main classifier was trained on other examples")
            return model
        except ModelMismatch as e:
            kept = self._saved_examples(known)
            if self._parent is not None:  # the multilingual half learns from the main classifier's examples
                kept = self._parent._saved_examples(known) or kept
            if kept is not None:  # same examples, new encoder: retrain rather than fall back to the defaults
                log.info("retraining the classifier on its %d saved examples (%s)", len(kept[0]), e)
                texts, labels = kept
                model = train(texts, labels, self.embedder.encode(texts), embedder=self.embedder.name)
                model.save(self.model_dir)
                return model
            source = Path(self.config.classifier.examples) if self.config.classifier.examples else default_examples()
            log.info("training the classifier from %s (%s)", source, e)
            return self.train_classifier(source)

    def _saved_examples(self, known: set[str]) -> tuple[list[str], list[str]] | None:
        """The texts and labels of the last trained classifier, if they still fit the config's labels."""
        meta = self.model_dir / "model.json"
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            texts, labels = list(data["texts"]), list(data["labels"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not texts or len(texts) != len(labels) or not set(labels) <= known:
            return None
        return texts, labels

    def reads(self) -> tuple[str, ...]:
        """The languages the bot reads (ISO codes; empty: no check): ``classifier.languages`` and those
        the encoder declares (``languages``: USE multilingual v3 its 15); an encoder that reads about
        every language (multilingual-e5) declares none, and then nothing is checked."""
        own = getattr(self.embedder, "languages", None)
        if own is not None and not own:
            return ()
        return tuple(sorted(set(self.config.classifier.languages) | set(own or ())))

    def router(self) -> Router:
        """The router for the current classifier model; a model trained by another process is picked up."""
        meta = self.model_dir / "model.json"
        stamp = str(meta.stat().st_mtime_ns) if meta.exists() else None
        if self._parent is not None:  # the multilingual half follows the main classifier's retraining
            main = self._parent.model_dir / "model.json"
            stamp = f"{stamp}/{main.stat().st_mtime_ns if main.exists() else None}"
        with self._lock:
            if self._router is None or stamp != self._router_version:
                r = self.config.retrieval
                vt = None if r.vote_threshold == "auto" else float(r.vote_threshold)
                ct = None if r.clarify_threshold == "auto" else float(r.clarify_threshold)
                # an encoder whose neighbours sit closer together (USE) votes at a lower temperature
                scale = float(getattr(self.embedder, "temperature_scale", 1.0))
                settings = RouterSettings(top_k=r.top_k, temperature=r.temperature * scale, vote_threshold=vt,
                                          min_score=r.min_score, target_precision=r.target_precision,
                                          max_vote_threshold=r.max_vote_threshold, exact_score=r.exact_score,
                                          uncovered_similarity=r.uncovered_similarity,
                                          calibration_sample=r.calibration_sample,
                                          reply_min_vote=r.reply_min_vote,
                                          clarify_max_options=r.clarify_max_options,
                                          clarify_min_share=r.clarify_min_share, clarify_threshold=ct,
                                          clarify_precision=r.clarify_precision, scope_keep=r.scope_keep,
                                          unseen_share=r.unseen_share, two_stage=r.two_stage,
                                          spelling=r.spelling, scope_by=r.scope_by,
                                          human_min_vote=r.human_min_vote,
                                          human_label=self.config.classifier.human_label,
                                          languages=self.reads(),
                                          min_vote_threshold=adopted_threshold(
                                              self.data_dir, base=self.config.embedding.model,
                                              serving=self.embedder.name))
                model = self.classifier_model()
                router = Router(self.kb, model, self.config.labels, settings, impact=self.impact)
                router.calibration_file = self.data_dir / "calibration.json"  # loaded at the next start
                # the multilingual half's neighbours vote poorly (USE): its case head decides which case answers
                self._router = cast(Router, HeadedRouter(
                    router, model, path=self.data_dir / CASE_HEAD_FILE, gloss_case=self._gloss_view().nearest
                    if self._parent.config.embedding.crosslingual_gloss else None)) \
                    if self._parent is not None and self._parent.config.embedding.multilingual_head else router
                if self._parent is None and r.case_head:  # the main half: a head confirms an unsure vote
                    self._router = cast(Router, HeadAgreeRouter(router, model, path=self.data_dir / CASE_HEAD_FILE,
                                                                agree_vote=r.case_head_vote,
                                                                agree_head=r.case_head_prob,
                                                                clarify_share=r.case_head_clarify))
                pe = self._parent.config.embedding if self._parent is not None else None
                second = pe.crosslingual.strip() if pe is not None else ""
                if self._parent is not None and pe is not None and second and second != self.embedder.name:
                    # a message in a writing system the KB lacks: read by a second encoder too
                    parent = self._parent  # the main (English) half: its encoder reads the gloss
                    self._router = cast(Router, CrossLingualRouter(
                        self._router, model, lambda: self._second_encoder(second), min_cases=pe.crosslingual_min_cases,
                        gloss=default_glossary().gloss if pe.crosslingual_gloss else None,
                        gloss_encoder=lambda: parent.embedder,
                        # three views vote more sharply than two: a surer share answers (classifier.gloss)
                        threshold=GLOSS_THRESHOLD if pe.crosslingual_gloss else 0.7))
                # a message about another company's product is not answered with a case that never names it
                self._router = cast(Router, BrandCheckedRouter(self._router, self.kb))
                self._router_version = str(meta.stat().st_mtime_ns) if meta.exists() else None
                if self._parent is not None:
                    main = self._parent.model_dir / "model.json"
                    self._router_version = f"{self._router_version}/" \
                                           f"{main.stat().st_mtime_ns if main.exists() else None}"
            return self._router

    def _gloss_view(self) -> GlossView:
        """The English encoder's reading of a Korean message's gloss against the KB's English phrasings (the main
        half's index), for the multilingual half's case head (classifier.gloss). Raises AssertionError on the
        main half."""
        assert self._parent is not None
        return GlossView(self._parent.kb, self._parent.embedder)

    def _second_encoder(self, name: str) -> Embedder:
        """The cross-lingual second encoder ``name`` (``embedding.crosslingual``), loaded once per process."""
        e = self.config.embedding
        return shared_encoder(name, lambda: load_embedder(name, device=e.device, batch_size=e.batch_size,
                                                          runtime=e.runtime, quantize=e.quantize, threads=e.threads))

    # -- pipeline ---------------------------------------------------------------------------------

    @cached_property
    def pipeline(self) -> Pipeline:
        return Pipeline(kb=self.kb, handoff=self.handoff, embedder=self.encoder, router=self.router, route=self.route,
                        replies=self.replies, max_chars=self.config.app.max_message_chars,
                        transcript_messages=self.config.tickets.transcript_messages,
                        db_attempts=self.config.database.connect_retries, db_delay=self.config.database.retry_delay_s,
                        answer_feedback=self._record_answer_feedback,
                        verdict_of=lambda message_id: verdict_of(self.sessions, message_id), metrics=self.metrics,
                        fault_labels=tuple(self.config.problems.fault_labels),
                        new_issue_similarity=self.config.tickets.new_issue_similarity,
                        unit=self.sessions.unit)

    @cached_property
    def metrics(self) -> Metrics:
        """This worker's Prometheus registry (``/metrics``), with the database and index figures."""
        m = Metrics()
        m.watch(self.sessions, self.kb, clock=self.clock)
        return m

    def _record_answer_feedback(self, channel: str, customer: str, message_id: int, value: str) -> bool:
        return record_feedback(self.sessions, channel, customer, message_id, value, at=self.clock())

    def load_demo_if_empty(self) -> int:
        if self.kb.count(state=None) > 0:
            return 0
        rows = parse_file(demo_cases())
        report = self.kb.import_rows(rows, source="import")
        log.info("loaded the demo knowledge base: %d cases", report.created)
        return report.created

    def warm(self) -> None:
        """Load the model, the index, the classifier and the calibration before serving."""
        self.kb.index()
        self.router().calibration()
        main_head = getattr(self.router(), "head", None)  # the case head (classifier.head_agree), fitted or loaded
        if main_head is not None:
            main_head()
        if self.config.embedding.multilingual_at_start and self.multilingual is not None:
            self.multilingual.kb.index()
            self.multilingual.router().calibration()
            head = getattr(self.multilingual.router(), "head", None)
            if head is not None:
                head()
        self.pipeline  # noqa: B018
        # what is loaded now lives as long as the worker: the cycle collector need not scan it again and
        # again (a full collection over it paused a message for ~0.4 s on a busy 2-core machine)
        gc.collect()
        gc.freeze()

    def close(self) -> None:
        self.engine.dispose()
