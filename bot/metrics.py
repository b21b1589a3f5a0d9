"""Prometheus metrics of one worker, served at ``/metrics`` (text format 0.0.4, prometheus-client).

Counted in the process (each worker its own; sum them in PromQL):

- ``aftercare_messages_total{channel, action}``: customer messages by channel and outcome; ``action`` is
  the pipeline's (answer, reply, escalate, joined, refused, error) with ``clarify`` split off ``reply``
  when the bot asked the customer to say more (the unsure reply);
- ``aftercare_handle_seconds``: the whole pipeline per message (database included);
- ``aftercare_decision_seconds``: encode + classify + retrieve per message;
- ``aftercare_encoder_batch_size`` and ``aftercare_encoder_seconds``: texts per encoder call and its time
  (a micro-batch of several conversations is one call).

Read from the database and the index at scrape time (the same figure from every worker: take ``max``):

- ``aftercare_tickets_open{status, age}``: open tickets by status and age band (``age``: <1h, 1h-4h, 4h-24h,
  1d-7d, >7d since creation);
- ``aftercare_sla_breached_tickets{stage}``: open, unpaused tickets past their first-response or resolution
  due time; ``aftercare_sla_breaches_total``: breaches flagged so far by the SLA job (all tickets);
- ``aftercare_outbox_deliveries{status}`` and ``aftercare_outbox_oldest_pending_seconds`` (the lag: how long
  the oldest undelivered message has waited);
- ``aftercare_index_vectors``, ``aftercare_kb_revision`` (of the database) and
  ``aftercare_index_revision`` (of this worker's index).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from handoff.models import OPEN_STATES, Ticket

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from bot.messages import Outcome
    from kb.service import KnowledgeBase

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
AGE_BANDS: tuple[tuple[str, timedelta], ...] = (
    ("<1h", timedelta(hours=1)), ("1h-4h", timedelta(hours=4)), ("4h-24h", timedelta(days=1)),
    ("1d-7d", timedelta(days=7)), (">7d", timedelta.max),
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def age_band(age: timedelta) -> str:
    """The ``age`` label of a ticket created ``age`` ago."""
    for name, upper in AGE_BANDS:
        if age < upper:
            return name
    return AGE_BANDS[-1][0]


class Metrics:
    """The registry of one worker and the instruments the pipeline and the encoder feed."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._state: StateCollector | None = None
        self.messages = Counter("aftercare_messages", "Customer messages by channel and outcome.",
                                ("channel", "action"), registry=self.registry)
        self.handle_seconds = Histogram("aftercare_handle_seconds", "Whole pipeline per message, seconds.",
                                        buckets=LATENCY_BUCKETS, registry=self.registry)
        self.decision_seconds = Histogram("aftercare_decision_seconds",
                                          "Encode, classify and retrieve per message, seconds.",
                                          buckets=LATENCY_BUCKETS, registry=self.registry)
        self.batch_size = Histogram("aftercare_encoder_batch_size", "Texts per encoder call.",
                                    buckets=BATCH_BUCKETS, registry=self.registry)
        self.encoder_seconds = Histogram("aftercare_encoder_seconds", "Encoder call, seconds.",
                                         buckets=LATENCY_BUCKETS, registry=self.registry)

    def handled(self, channel: str, outcome: Outcome, seconds: float) -> None:
        """One customer message through the pipeline."""
        action = outcome.action
        if action == "reply" and outcome.label == "unsure":
            action = "clarify"
        self.messages.labels(channel=channel or "unknown", action=action).inc()
        self.handle_seconds.observe(seconds)

    def decided(self, seconds: float) -> None:
        self.decision_seconds.observe(seconds)

    def encoded(self, texts: int, seconds: float) -> None:
        self.batch_size.observe(texts)
        self.encoder_seconds.observe(seconds)

    def watch(self, sessions: sessionmaker[Session], kb: KnowledgeBase, *, clock: Callable[[], datetime]) -> None:
        """Add the figures read from the database (``sessions``) and ``kb``'s index at scrape time."""
        self._state = StateCollector(sessions, kb, clock=clock)
        self.registry.register(self._state)

    def render(self) -> bytes:
        """The registry in the Prometheus text format. Under ``aftercare run --workers N``
        (``PROMETHEUS_MULTIPROC_DIR`` set) the counters and histograms are every worker's, added up."""
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        if self._state is not None:
            merged.register(self._state)
        return generate_latest(merged)


class StateCollector(Collector):
    """Tickets, SLA, outbox and index figures, read when Prometheus scrapes. A database that does not
    answer leaves these out of that scrape (logged) rather than failing it."""

    def __init__(self, sessions: sessionmaker[Session], kb: KnowledgeBase, *, clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.kb = kb
        self.clock = clock

    def describe(self) -> list[Any]:
        return []  # figures are read at scrape time only, never at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            yield from self._collect()
        except Exception as e:  # noqa: BLE001 - a scrape must not fail on a database blip
            log.warning("metrics: database figures left out of this scrape: %s", e)

    def _collect(self) -> Iterator[GaugeMetricFamily]:
        from bot.outbox.models import Delivery

        now = self.clock()  # aware UTC, as every stored time reads back (UTCDateTime)
        tickets = GaugeMetricFamily("aftercare_tickets_open", "Open tickets by status and age band.",
                                    labels=("status", "age"))
        breached = GaugeMetricFamily("aftercare_sla_breached_tickets",
                                     "Open, unpaused tickets past their due time, by SLA stage.", labels=("stage",))
        flagged = GaugeMetricFamily("aftercare_sla_breaches_total", "SLA breaches flagged by the SLA job so far.")
        outbox = GaugeMetricFamily("aftercare_outbox_deliveries", "Outbox deliveries by status.", labels=("status",))
        lag = GaugeMetricFamily("aftercare_outbox_oldest_pending_seconds",
                                "Age of the oldest delivery not yet sent (0 when none waits).")
        with self.sessions() as s:
            counts: dict[tuple[str, str], int] = {}
            for status, created in s.execute(select(Ticket.status, Ticket.created_at)
                                             .where(Ticket.status.in_(OPEN_STATES))):
                key = (status, age_band(now - created))
                counts[key] = counts.get(key, 0) + 1
            for status in OPEN_STATES:
                for band, _ in AGE_BANDS:
                    tickets.add_metric([status, band], counts.get((status, band), 0))
            active = (Ticket.status.in_(("new", "assigned")), Ticket.sla_paused_at.is_(None))
            first = s.scalar(select(func.count()).select_from(Ticket).where(
                *active, Ticket.first_response_at.is_(None), Ticket.first_response_due < now)) or 0
            resolution = s.scalar(select(func.count()).select_from(Ticket).where(
                *active, Ticket.resolution_due < now)) or 0
            breached.add_metric(["first_response"], first)
            breached.add_metric(["resolution"], resolution)
            total = 0
            for (flags,) in s.execute(select(Ticket.sla_flags).where(Ticket.sla_flags.is_not(None))):
                total += sum(1 for f in flags or [] if str(f).endswith(":breach"))
            flagged.add_metric([], total)
            by_status = dict(s.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
            for status in ("pending", "sending", "sent", "skipped", "failed"):
                outbox.add_metric([status], int(by_status.get(status, 0)))
            oldest = s.scalar(select(func.min(Delivery.created_at)).where(
                Delivery.status.in_(("pending", "sending"))))
            lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)
        yield from (tickets, breached, flagged, outbox, lag)
        index = self.kb.index()
        vectors = GaugeMetricFamily("aftercare_index_vectors", "Phrasing vectors in this worker's index.")
        vectors.add_metric([], len(index))
        kb_rev = GaugeMetricFamily("aftercare_kb_revision", "Knowledge-base revision in the database.")
        kb_rev.add_metric([], self.kb.revision())
        idx_rev = GaugeMetricFamily("aftercare_index_revision", "KB revision this worker's index reflects.")
        idx_rev.add_metric([], index.kb_revision)
        yield from (vectors, kb_rev, idx_rev)

