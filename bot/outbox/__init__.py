"""The persisted outbox: everything said that must be pushed to a chat platform, delivered once.

The messages table is the source of truth. A dispatcher reads it by id behind a persisted cursor
and enqueues one delivery per (message, target), unique in the database, for the push targets
registered by the channel adapters:

- a customer channel (``telegram``, ``slack``): what the customer should see (bot answers, agents'
  replies, notices) in that customer's own chat;
- ``agents``: the messages of a ticket, into its thread in the agents' Slack channel;
- ``alerts``: the desk's alerts (SLA warnings and breaches, critical tickets, incidents), read from
  the alerts table behind their own cursor; for this target ``Delivery.message_id`` holds the alert id.

A sender delivers due deliveries in order per conversation (or ticket), several conversations at once
(``outbox.concurrency``), retries failures with
exponential backoff (a 429's ``retry_after`` wins), keeps every state in the database so a
restart resumes where it stopped, and marks a delivery sent once the platform accepted it.
Web chat and terminal pull their messages and need no deliveries.

Over 350 lines: dispatch, leases, retries and delivery are one state machine over
one table; its tables are in ``bot.outbox.models``. What a customer sees of a stored message (text
and buttons, whatever the platform) and what their presses do is :mod:`bot.outbox.render`; splitting
a long text for a platform's limit is :mod:`bot.outbox.text`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import OutboxSettings
from bot.db import insert_once
from bot.errors import DeliveryFailed
from bot.loop import BackgroundLoop
from bot.outbox.models import Delivery, OutboxCursor
from handoff.models import Conversation, Message, MessageKind, message_kind
from handoff.service import Handoff
from handoff.views import AlertView, MessageView, TicketView

log = logging.getLogger(__name__)
AGENTS = "agents"
ALERTS = "alerts"
CUSTOMER_VISIBLE = ("bot", "agent", "system")
TICKET_AUTHORS = ("customer", "agent", "note", "system")
SENDING_LEASE = timedelta(minutes=2)
# kept on a delivery sent again after its sender stopped mid-send (at least once: it may arrive twice)
RESENT = "sent again: its sender stopped before recording the outcome"


@dataclass(frozen=True)
class Outgoing:
    """One message to deliver, with where it belongs."""

    delivery_id: int
    target: str
    message: MessageView
    channel: str  # the customer's channel
    customer_ref: str
    ticket: TicketView | None


Sink = Callable[[Outgoing], Awaitable[None]]
AlertSink = Callable[[AlertView], Awaitable[None]]


@dataclass(frozen=True)
class _Due:
    id: int
    message_id: int
    target: str
    key: str
    next_at: datetime
    attempts: int
    resumed: bool = False  # a "sending" row whose sender stopped (died) before recording the outcome


class Outbox:
    name = "outbox"

    def __init__(
        self,
        sessions: sessionmaker[Session],
        handoff: Handoff,
        settings: OutboxSettings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._sessions = sessions
        self.handoff = handoff
        self.settings = settings
        self.now = clock or handoff.now
        self._sinks: dict[str, Sink] = {}
        self._alert_sink: AlertSink | None = None
        self._lock = asyncio.Lock()
        self._sending: dict[str, asyncio.Task[int]] = {}  # conversation key -> its sender
        self._gate: asyncio.Semaphore | None = None
        self._background = BackgroundLoop(
            self._round, settings.poll_interval_s, name="outbox", logger=log, failed="outbox round failed"
        )

    # -- registration -----------------------------------------------------------------------------

    def add_customer_channel(self, channel: str, sink: Sink) -> None:
        self._sinks[channel] = sink

    def set_agents_sink(self, sink: Sink) -> None:
        self._sinks[AGENTS] = sink

    def set_alerts_sink(self, sink: AlertSink) -> None:
        self._alert_sink = sink

    @property
    def targets(self) -> list[str]:
        return list(self._sinks) + ([ALERTS] if self._alert_sink is not None else [])

    # -- dispatch ---------------------------------------------------------------------------------

    def _cursor(self, s: Session, name: str, default: int) -> OutboxCursor:
        cur = s.get(OutboxCursor, name)
        if cur is None:
            cur = OutboxCursor(name=name, message_id=default)
            s.add(cur)
            s.flush()
        return cur

    def start_point(self) -> None:
        """On the very first start, skip the history: only messages from now on are pushed."""
        with self._sessions() as s:
            if s.get(OutboxCursor, "floor") is None:
                top = s.scalar(select(func.max(Message.id))) or 0
                self._cursor(s, "floor", top)
                self._cursor(s, "messages", top)
                try:
                    s.commit()
                except IntegrityError:
                    s.rollback()

    def _targets(self, s: Session, m: Message, channel: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if (
            channel in self._sinks
            and channel != AGENTS
            and m.author in CUSTOMER_VISIBLE
        ):
            out.append((channel, f"c{m.conversation_id}"))
        if (
            AGENTS in self._sinks
            and m.ticket_id is not None
            and (
                m.author in TICKET_AUTHORS or (m.author == "bot" and message_kind(m.meta) is MessageKind.ESCALATE)
            )
        ):
            out.append((AGENTS, f"t{m.ticket_id}"))
        return out

    def dispatch(self, *, batch: int = 500) -> int:
        """Enqueue deliveries for new messages; returns how many. Safe to run in several workers."""
        if not self._sinks:
            return 0
        self.start_point()
        with self._sessions() as s:
            floor = self._cursor(s, "floor", 0).message_id
            cur = self._cursor(s, "messages", floor)
            low = max(floor, cur.message_id - self.settings.lookback)
            rows = s.execute(
                select(Message, Conversation.channel)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Message.id > low)
                .order_by(Message.id)
                .limit(batch)
            ).all()
            if not rows:
                return 0
            existing = set(
                s.execute(select(Delivery.message_id, Delivery.target).where(Delivery.message_id > low)).all()
            )
            now = self.now()
            added = 0
            for m, channel in rows:
                for target, key in self._targets(s, m, channel):
                    if (m.id, target) in existing:
                        continue
                    s.add(
                        Delivery(
                            message_id=m.id,
                            target=target,
                            key=key,
                            status="pending",
                            attempts=0,
                            next_at=now,
                            created_at=now,
                            last_error="",
                        )
                    )
                    added += 1
            cur.message_id = max(cur.message_id, rows[-1][0].id)
            try:
                s.commit()
            except IntegrityError:  # another worker enqueued the same messages first
                s.rollback()
                return 0
            return added

    def dispatch_alerts(self, *, batch: int = 200) -> int:
        """Enqueue one delivery per new alert (the cursor starts at the newest alert on first use: no
        history is replayed). Unique per (alert, target): never posted twice, kept until delivered."""
        if self._alert_sink is None:
            return 0
        with self._sessions() as s:
            cur = s.get(OutboxCursor, ALERTS)
            if cur is None:
                newest = self.handoff.recent_alerts(1)
                self._cursor(s, ALERTS, newest[0].id if newest else 0)
                try:
                    s.commit()
                except IntegrityError:
                    s.rollback()
                return 0
            rows = self.handoff.alerts(cur.message_id, limit=batch)
            if not rows:
                return 0
            now = self.now()
            for a in rows:
                s.add(Delivery(message_id=a.id, target=ALERTS, key=ALERTS, status="pending", attempts=0,
                               next_at=now, created_at=now, last_error=""))
            cur.message_id = rows[-1].id
            try:
                s.commit()
            except IntegrityError:  # another worker enqueued them first
                s.rollback()
                return 0
            return len(rows)

    def skip(self, message_id: int, target: str, *, key: str = "") -> None:
        """Never deliver ``message_id`` to ``target`` (it came from there: an agent's reply in the thread)."""
        skipped = Delivery(
            message_id=message_id,
            target=target,
            key=key,
            status="skipped",
            attempts=0,
            next_at=self.now(),
            created_at=self.now(),
            last_error="",
        )
        if not insert_once(self._sessions, skipped):  # already enqueued: skipped if still pending
            with self._sessions() as s:
                s.execute(
                    update(Delivery)
                    .where(
                        Delivery.message_id == message_id,
                        Delivery.target == target,
                        Delivery.status == "pending",
                    )
                    .values(status="skipped")
                )
                s.commit()

    # -- sending ----------------------------------------------------------------------------------

    def _due(self) -> list[_Due]:
        now = self.now()
        with self._sessions() as s:
            stale = now - SENDING_LEASE
            rows = s.scalars(
                select(Delivery)
                .where(Delivery.status.in_(("pending", "sending")))
                .order_by(Delivery.id)
                .limit(1000)
            ).all()
            out = []
            for d in rows:
                if d.status == "sending" and (d.claimed_at is None or d.claimed_at > stale):
                    # another sender holds it (or held it when it died: released after the lease)
                    out.append(_Due(d.id, d.message_id, d.target, d.key, now + SENDING_LEASE, d.attempts))
                    continue
                out.append(_Due(d.id, d.message_id, d.target, d.key, d.next_at, d.attempts,
                                resumed=d.status == "sending"))
            return out

    def _claim(self, d: _Due) -> bool:
        now = self.now()
        free = or_(
            Delivery.status == "pending",
            and_(Delivery.status == "sending", Delivery.claimed_at < now - SENDING_LEASE),
        )  # its sender died
        marks: dict[str, object] = {}
        if d.resumed:  # the platform may have it already: Telegram's and Slack's sends carry no idempotency key
            log.warning("sending message %s to %s again: its sender stopped before recording the outcome; the "
                        "customer may see it twice", d.message_id, d.target)
            marks["last_error"] = RESENT
        with self._sessions() as s:
            res = s.execute(
                update(Delivery)
                .where(Delivery.id == d.id, Delivery.attempts == d.attempts, free)
                .values(status="sending", claimed_at=now, **marks)
                .execution_options(synchronize_session=False)
            )
            s.commit()
            return bool(res.rowcount == 1)  # type: ignore[attr-defined]

    def _outgoing(self, d: _Due) -> Outgoing | None:
        with self._sessions() as s:
            m = s.get(Message, d.message_id)
            if m is None:
                return None
            conv = s.get(Conversation, m.conversation_id)
            assert conv is not None
            view = MessageView(
                id=m.id,
                conversation_id=m.conversation_id,
                ticket_id=m.ticket_id,
                author=m.author,
                author_name=m.author_name,
                text=m.text,
                created_at=m.created_at,
                meta=dict(m.meta or {}),
            )
        ticket = self.handoff.get(view.ticket_id) if view.ticket_id is not None else None
        return Outgoing(
            delivery_id=d.id,
            target=d.target,
            message=view,
            channel=conv.channel,
            customer_ref=conv.customer_ref,
            ticket=ticket,
        )

    def _finish(self, d: _Due, *, error: DeliveryFailed | None) -> None:
        now = self.now()
        with self._sessions() as s:
            row = s.get(Delivery, d.id)
            if row is None:
                return
            if error is None:  # a resend after a dead sender stays marked (the customer may have it twice)
                row.status, row.sent_at = "sent", now
                row.last_error = RESENT if row.last_error == RESENT else ""
            else:
                row.attempts += 1
                row.last_error = str(error)[:2000]
                if error.permanent or row.attempts >= self.settings.max_attempts:
                    row.status = "failed"
                    log.error(
                        "giving up delivering message %s to %s after %d attempts: %s",
                        d.message_id,
                        d.target,
                        row.attempts,
                        error,
                    )
                else:
                    delay = min(
                        self.settings.max_backoff_s, self.settings.backoff_s * 2 ** (row.attempts - 1)
                    )
                    if error.retry_after is not None:  # the platform said when: exactly then
                        delay = error.retry_after
                    row.status, row.next_at = "pending", now + timedelta(seconds=delay)
                    log.warning(
                        "delivering message %s to %s failed (%s); retry in %.1fs",
                        d.message_id,
                        d.target,
                        error,
                        delay,
                    )
            s.commit()

    async def _start_due(self) -> list[asyncio.Task[int]]:
        """Start sending the due deliveries of every conversation (or ticket thread) that is not being sent
        to already, each conversation's in order, up to ``settings.concurrency`` conversations at once; the
        tasks started. A conversation still being sent to is taken up again when its sender finishes."""
        due = await asyncio.to_thread(self._due)
        now = self.now()
        queues: dict[str, list[_Due]] = {}
        for d in due:  # oldest first: each conversation's queue keeps that order
            queues.setdefault(d.key, []).append(d)
        if self._gate is None:
            self._gate = asyncio.Semaphore(max(1, self.settings.concurrency))
        started: list[asyncio.Task[int]] = []
        for key, queue in queues.items():
            if key in self._sending or queue[0].next_at > now:
                continue  # being sent to, or its oldest delivery waits for its retry (or another sender)
            task = asyncio.create_task(self._send_queue(queue, now, self._gate), name=f"outbox-{key}")
            self._sending[key] = task
            task.add_done_callback(functools.partial(self._sender_done, key, len(queue)))
            started.append(task)
        return started

    def _sender_done(self, key: str, queued: int, task: asyncio.Task[int]) -> None:
        self._sending.pop(key, None)
        if not task.cancelled() and task.result() == queued:
            self.wake()  # all sent: what came for this conversation meanwhile is due now

    async def _send_queue(self, queue: list[_Due], now: datetime, gate: asyncio.Semaphore) -> int:
        """One conversation's due deliveries in order; stops at the first not sent (it holds up the rest)."""
        async with gate:
            sent = 0
            try:
                for d in queue:
                    if not await self._deliver(d, now):
                        break
                    sent += 1
            except Exception:  # noqa: BLE001 - the database away: the next round tries again
                log.exception("outbox round for %s failed", queue[0].key)
            return sent

    async def deliver_due(self) -> int:
        """Send every due delivery once, in order per conversation (or ticket thread), several conversations
        at once; returns how many were sent (by the senders this call started)."""
        started = await self._start_due()
        return sum(await asyncio.gather(*started)) if started else 0

    async def _deliver(self, d: _Due, now: datetime) -> bool:
        """Claim and send one due delivery and record how it went; False when it was not sent (not due,
        no sink, claimed by another sender, or failed: retried later)."""
        sink = self._sinks.get(d.target)
        alert_sink = self._alert_sink if d.target == ALERTS else None
        if (sink is None and alert_sink is None) or d.next_at > now:
            return False
        if not await asyncio.to_thread(self._claim, d):
            return False
        send: Awaitable[None] | None = None
        if alert_sink is not None:
            alert = await asyncio.to_thread(self.handoff.alert, d.message_id)
            send = alert_sink(alert) if alert is not None else None
        elif sink is not None:
            out = await asyncio.to_thread(self._outgoing, d)
            send = sink(out) if out is not None else None
        error: DeliveryFailed | None = None
        if send is not None:
            try:
                await send
            except DeliveryFailed as e:
                error = e
            except Exception as e:  # noqa: BLE001 - an unexpected failure is retried like a network one
                log.exception("delivery %s to %s raised", d.id, d.target)
                error = DeliveryFailed(f"{e.__class__.__name__}: {e}")
        await asyncio.to_thread(self._finish, d, error=error)
        return error is None

    async def run_once(self) -> int:
        """Enqueue what is new and send what is due; returns when those sends are done (how many were sent)."""
        async with self._lock:
            await asyncio.to_thread(self.dispatch)
            await asyncio.to_thread(self.dispatch_alerts)
        return await self.deliver_due()

    async def _round(self) -> None:
        """The background loop's round: enqueue what is new and start sending what is due, without
        waiting for slow conversations (each is taken up again when its sender finishes)."""
        async with self._lock:
            await asyncio.to_thread(self.dispatch)
            await asyncio.to_thread(self.dispatch_alerts)
        await self._start_due()

    def pending(self) -> int:
        with self._sessions() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(Delivery.status.in_(("pending", "sending")))
                )
                or 0
            )

    # -- service ----------------------------------------------------------------------------------

    def wake(self) -> None:
        """New messages were written: look now rather than at the next poll."""
        self._background.wake()

    async def start(self) -> None:
        await asyncio.to_thread(self.start_point)
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()
        senders = list(self._sending.values())
        for task in senders:  # a send cut short stays claimed; its lease frees it for the next start
            task.cancel()
        if senders:
            await asyncio.gather(*senders, return_exceptions=True)
