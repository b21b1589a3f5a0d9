"""Composition root: builds every object once (engine, embedder, index, classifier, templates)."""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections.abc import Callable
from functools import cached_property
from importlib import resources
from pathlib import Path

from bot.config import Config, build_desk_settings
from bot.db import make_engine, make_sessions, upgrade, with_retries
from bot.feedback import record_feedback
from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.replies import Replies
from classifier.finetune import adopted_model, adopted_threshold
from classifier.impact import ImpactAssessor
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


def default_examples() -> Path:
    return Path(str(resources.files("classifier") / "data" / "examples.csv"))


def demo_cases() -> Path:
    return Path(str(resources.files("kb") / "demo" / "cases.csv"))


class Aftercare:
    """All services of one worker. Heavy parts (the model) load on first use."""

    def __init__(self, config: Config, *, embedder: Embedder | None = None, clock: Clock | None = None) -> None:
        """``clock``: the one source of time of this worker (the desk, its jobs, the inboxes, console
        sessions and metrics read it); the wall clock unless given (a :class:`ManualClock` in tests)."""
        self.config = config
        self.data_dir = config.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(config.database_url, pool_size=config.database.pool_size,
                                  sqlite_synchronous=config.database.sqlite_synchronous)
        self.sessions = make_sessions(self.engine)
        self._embedder = embedder
        self.clock: Clock = clock or system_clock
        self._router: Router | None = None
        self._router_version: str | None = None
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
        return BatchingEmbedder(self.embedder, max_batch=self.config.embedding.batch_size,
                                on_batch=self.metrics.encoded)

    @cached_property
    def kb(self) -> KnowledgeBase:
        r = self.config.retrieval
        return KnowledgeBase(self.sessions, self.embedder, self.data_dir / "index",
                             ann=AnnSettings(min_phrasings=r.ann_min_phrasings, nprobe=r.ann_nprobe))

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
            return TrainedModel.load(self.model_dir, embedder=self.embedder.name, dim=self.embedder.dim,
                                     known_labels=known)
        except ModelMismatch as e:
            kept = self._saved_examples(known)
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
                                          unseen_share=r.unseen_share,
                                          human_min_vote=r.human_min_vote,
                                          human_label=self.config.classifier.human_label,
                                          languages=self.reads(),
                                          min_vote_threshold=adopted_threshold(
                                              self.data_dir, base=self.config.embedding.model,
                                              serving=self.embedder.name))
                model = self.classifier_model()
                self._router = Router(self.kb, model, self.config.labels, settings, impact=self.impact)
                self._router_version = str(meta.stat().st_mtime_ns) if meta.exists() else None
            return self._router

    # -- pipeline ---------------------------------------------------------------------------------

    @cached_property
    def pipeline(self) -> Pipeline:
        return Pipeline(kb=self.kb, handoff=self.handoff, embedder=self.encoder, router=self.router,
                        replies=self.replies, max_chars=self.config.app.max_message_chars,
                        transcript_messages=self.config.tickets.transcript_messages,
                        db_attempts=self.config.database.connect_retries, db_delay=self.config.database.retry_delay_s,
                        answer_feedback=self._record_answer_feedback, metrics=self.metrics,
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
        self.pipeline  # noqa: B018
        # what is loaded now lives as long as the worker: the cycle collector need not scan it again and
        # again (a full collection over it paused a message for ~0.4 s on a busy 2-core machine)
        gc.collect()
        gc.freeze()

    def close(self) -> None:
        self.engine.dispose()
