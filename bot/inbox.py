"""The inbox: platform updates stored raw before they are acknowledged, then processed from the store.

Telegram and Slack do not resend what they were told arrived (HTTP 200). So a webhook stores the raw
body first (once per ``(source, external_id)``: Telegram's ``update_id``, Slack's ``event_id`` or a
button press's ``trigger_id``; a resent update is stored once) and only then answers 200. A loop
processes pending rows in the order they came; a row being processed is leased for ``lease_s`` so
a worker killed mid-way leaves it to the next start, which finishes it. Processing is safe to
repeat: the pipeline is idempotent on the message key (``telegram:<update_id>``, ``slack:<event_id>``).

Rows of different conversations are processed side by side (up to ``concurrency`` per worker), so that
messages arriving together share the encoder's calls; one conversation's rows are processed one at a
time, in the order they came, across all workers: a row is taken only when no earlier row of its
conversation is pending or being processed anywhere.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.db import ChannelBase, insert_once
from bot.loop import BackgroundLoop
from handoff.models import UTCDateTime, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5



class InboundUpdate(ChannelBase):
    """A platform update (Telegram update, Slack event or button press) stored raw before it is
    acknowledged, then processed from here: a restart finishes what was acknowledged."""

    __tablename__ = "inbound_updates"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_inbound_source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))  # telegram | slack
    external_id: Mapped[str] = mapped_column(String(128))  # update_id, event_id, trigger_id
    content_type: Mapped[str] = mapped_column(String(100), default="application/json")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|processing|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


@dataclass(frozen=True)
class Stored:
    """One stored update handed to its processor: row id, the platform's id, raw body and its type."""

    id: int
    external_id: str
    body: str
    content_type: str


Processor = Callable[[Stored], Awaitable[None]]


class Inbox:
    """Raw updates of one ``source`` (telegram | slack): store before the 200, process from here.

    ``process`` is the channel's own handling of one raw body; raising makes the row retried (up to
    MAX_ATTEMPTS, then kept as failed with its error). ``clock`` gives aware UTC datetimes.
    ``conversation_of(body)`` names the conversation a raw body belongs to: rows of different
    conversations are processed concurrently (at most ``concurrency`` at once in this worker), rows of one
    conversation in order; without it every row is processed one after the other."""

    def __init__(self, sessions: sessionmaker[Session], source: str, process: Processor, *,
                 clock: Callable[[], datetime], lease_s: float = 30.0, poll_s: float = 1.0,
                 conversation_of: Callable[[str], str] | None = None, concurrency: int = 1) -> None:
        self._sessions = sessions
        self.source = source
        self.process = process
        self.now = clock
        self.lease_s = lease_s
        self.conversation_of = conversation_of or (lambda _body: "")
        self.concurrency = max(1, concurrency) if conversation_of is not None else 1
        self._arrived: asyncio.Event | None = None
        self._loop = BackgroundLoop(self.run_once, poll_s, name=f"{source}-inbox", logger=log,
                                    failed=f"{source} inbox round failed")

    def store(self, external_id: str, body: str, *, content_type: str = "application/json") -> bool:
        """Keep the raw update; False when this id was stored before (a resend: nothing stored)."""
        return insert_once(self._sessions, InboundUpdate(
            source=self.source, external_id=external_id[:128], body=body, content_type=content_type[:100],
            status="pending", attempts=0, last_error="", received_at=self.now()))

    def _claim(self, limit: int, window: int = 500) -> list[Stored]:
        """Up to ``limit`` rows leased to this worker, oldest first: pending ones (or ones whose lease ran
        out) that are the oldest unfinished row of their conversation. A conversation with a row being
        processed (here or by another worker) gives none; its next row waits for that one to finish."""
        now = self.now()
        stale = now - timedelta(seconds=self.lease_s)
        taken: list[Stored] = []
        seen: set[str] = set()
        with self._sessions() as s:
            rows = s.scalars(select(InboundUpdate).where(
                InboundUpdate.source == self.source,
                InboundUpdate.status.in_(("pending", "processing")))
                .order_by(InboundUpdate.id).limit(window)).all()
            for row in rows:
                conversation = self.conversation_of(row.body)
                if conversation in seen:
                    continue  # an earlier row of this conversation is unfinished
                seen.add(conversation)
                if row.status == "processing" and row.claimed_at is not None and row.claimed_at >= stale:
                    continue  # being processed (its lease holds)
                took = s.execute(update(InboundUpdate).where(InboundUpdate.id == row.id,
                                                             InboundUpdate.status == row.status,
                                                             InboundUpdate.attempts == row.attempts)
                                 .values(status="processing", claimed_at=now, attempts=row.attempts + 1)
                                 .execution_options(synchronize_session=False))
                s.commit()
                if took.rowcount == 1:  # type: ignore[attr-defined]
                    taken.append(Stored(id=row.id, external_id=row.external_id, body=row.body,
                                        content_type=row.content_type))
                    if len(taken) >= limit:
                        break
        return taken

    def _finish(self, row_id: int, error: str = "") -> None:
        with self._sessions() as s:
            row = s.get(InboundUpdate, row_id)
            if row is None:
                return
            if not error:
                row.status, row.done_at, row.last_error = "done", self.now(), ""
            else:
                row.last_error = error[:2000]
                row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
                if row.status == "failed":
                    log.error("%s update %s given up after %d attempts: %s", self.source, row.external_id,
                              row.attempts, error)
            s.commit()

    async def _one(self, row: Stored) -> int:
        """Process one leased row and record how it went; 1 when it was processed, 0 when it failed."""
        try:
            await self.process(row)
        except Exception as e:  # noqa: BLE001 - kept and retried; the loop goes on
            log.exception("%s update %s failed", self.source, row.external_id)
            await asyncio.to_thread(self._finish, row.id, f"{e.__class__.__name__}: {e}")
            return 0
        await asyncio.to_thread(self._finish, row.id)
        return 1

    async def run_once(self) -> int:
        """Process what is pending until nothing is left, up to ``concurrency`` rows at once (one per
        conversation), taking newly stored rows as they arrive; the number of updates processed."""
        if self._arrived is None:
            self._arrived = asyncio.Event()
        arrived = self._arrived
        running: set[asyncio.Task[int]] = set()
        n = 0
        try:
            while True:
                arrived.clear()
                if len(running) < self.concurrency:
                    for row in await asyncio.to_thread(self._claim, self.concurrency - len(running)):
                        running.add(asyncio.create_task(self._one(row)))
                if not running:
                    return n
                woken = asyncio.ensure_future(arrived.wait())
                done, _ = await asyncio.wait({*running, woken}, return_when=asyncio.FIRST_COMPLETED)
                woken.cancel()
                for task in done - {woken}:
                    running.discard(task)  # type: ignore[arg-type]
                    n += task.result()  # type: ignore[union-attr]
        finally:  # stopped: what is still running is left to its lease (taken up again after lease_s)
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    def pending(self) -> int:
        """Rows not done yet (pending or being processed)."""
        with self._sessions() as s:
            return len(s.scalars(select(InboundUpdate.id).where(
                InboundUpdate.source == self.source,
                InboundUpdate.status.in_(("pending", "processing")))).all())

    def prune(self, before: datetime) -> int:
        """Delete processed (done or failed) rows received before ``before``: the periodic job."""
        with self._sessions() as s:
            n = s.execute(delete(InboundUpdate).where(InboundUpdate.received_at < before,
                                                      InboundUpdate.status.in_(("done", "failed"))))
            s.commit()
            return int(n.rowcount or 0)  # type: ignore[attr-defined]

    async def keep(self, external_id: str, body: str, *, stopping: Callable[[], bool]) -> None:
        """Store an update fetched from the platform (as ``store``) and wake the loop. While the database is
        away this waits and tries again (0.5 s, doubling up to 30 s), so that nothing is confirmed to the
        platform unstored; raises RuntimeError when ``stopping()`` says the channel is stopping meanwhile."""
        wait = 0.5
        while True:
            try:
                await asyncio.to_thread(self.store, external_id, body)
                break
            except Exception as e:  # noqa: BLE001 - any failure to store: the update stays unconfirmed
                if stopping():
                    raise RuntimeError(f"{self.source} update {external_id} not stored: stopping") from e
                log.warning("%s update %s not stored yet (%s); trying again in %.1f s", self.source, external_id,
                            e.__class__.__name__, wait)
                await asyncio.sleep(wait)
                wait = min(30.0, wait * 2)
        self.wake()

    def wake(self) -> None:
        """A row was stored: take it now (between rows already running, too) rather than at the next poll."""
        if self._arrived is not None:
            self._arrived.set()
        self._loop.wake()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()


class StoreFirstQueue(asyncio.Queue):  # type: ignore[type-arg]
    """A long-polling client's update queue whose ``put`` stores. python-telegram-bot's ``Updater`` awaits
    ``put`` for each fetched update before it asks for the next batch, and that next ``getUpdates`` confirms
    this batch to Telegram: so ``keep`` (``Inbox.keep``) stores each update before Telegram is told it
    arrived, as the webhook's store-then-200 does; the inbox processes it. Nothing is queued here."""

    def __init__(self, keep: Callable[[object], Awaitable[None]]) -> None:
        super().__init__()
        self._keep = keep

    async def put(self, item: object) -> None:
        await self._keep(item)
