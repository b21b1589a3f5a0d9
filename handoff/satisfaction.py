"""Customer satisfaction (CSAT) on resolved tickets: the 1-5 rating, its correction and the customer's comments
on it, with the low-rating alert (ISO 10002's feedback step: the customer's view of how the complaint was handled
is recorded and acted upon)."""

from __future__ import annotations

from sqlalchemy import delete, select

from handoff.alerts import AlertLog
from handoff.context import DeskContext
from handoff.desk_models import Alert
from handoff.errors import HandoffError
from handoff.models import Satisfaction
from handoff.races import on_fresh_state

COMMENT_CHARS = 2000  # a rating's comment is kept to this many characters (the latest words kept)


class SatisfactionBook:
    """Ratings of resolved tickets (table ``satisfaction``, one row a ticket) on the desk's context ``ctx``;
    low ratings raise an alert through ``alerts``."""

    def __init__(self, ctx: DeskContext, alerts: AlertLog) -> None:
        self.ctx = ctx
        self.alerts = alerts

    @on_fresh_state
    def rate(self, ref: str | int, score: int, *, comment: str = "") -> None:
        """Store the customer's satisfaction (1-5) for a resolved ticket; a second rating replaces the
        first (the trail keeps both). A rating at or under ``low_rating_alert`` raises one alert per
        ticket; corrected above it, the alert is withdrawn (deleted, the trail says so). HandoffError for
        a score outside 1-5 or a ticket not resolved yet."""
        if not 1 <= int(score) <= 5:
            raise HandoffError("a rating is a whole number from 1 to 5")
        with self.ctx.sessions() as s:
            t = self.ctx.find(s, ref)
            if t.status not in ("resolved", "closed"):
                raise HandoffError(f"ticket {t.public_id} is not resolved yet")
            row = s.scalar(select(Satisfaction).where(Satisfaction.ticket_id == t.id))
            before = row.score if row is not None else None
            if row is None:
                s.add(Satisfaction(ticket_id=t.id, score=int(score), comment=comment, at=self.ctx.now()))
            else:
                row.score, row.comment, row.at = int(score), comment, self.ctx.now()
            if before is None:
                self.ctx.event(s, t.id, "customer", "rated", score=int(score), comment=comment)
            else:  # a correction replaces the rating; the trail keeps both
                self.ctx.event(s, t.id, "customer", "rating changed", score=int(score), previous=before,
                               comment=comment)
            low = self.ctx.settings.low_rating_alert
            alerted = s.scalar(select(Alert.id).where(Alert.ticket_id == t.id, Alert.kind == "low_rating").limit(1))
            if int(score) <= low and (before is None or before > low) and alerted is None:  # once per ticket
                said = f': "{comment[:200]}"' if comment else ""
                self.alerts.add(s, "low_rating", "warning", f"{t.public_id} rated {int(score)}/5 by the customer{said}",
                                ticket=t, score=int(score), assignee=t.assignee or "")
            elif int(score) > low and alerted is not None:  # corrected upward: the alert no longer holds
                s.execute(delete(Alert).where(Alert.ticket_id == t.id, Alert.kind == "low_rating"))
                self.ctx.event(s, t.id, "customer", "low rating alert withdrawn", score=int(score), previous=before)
            s.commit()

    def rating(self, ref: str | int) -> int | None:
        """The ticket's rating (1-5), None until the customer rated it."""
        with self.ctx.sessions() as s:
            t = self.ctx.find(s, ref)
            return s.scalar(select(Satisfaction.score).where(Satisfaction.ticket_id == t.id))

    @on_fresh_state
    def add_comment(self, ref: str | int, comment: str) -> int:
        """Add ``comment`` to the rating of ticket ``ref`` (after the comment it had, one per line; at most
        ``COMMENT_CHARS`` characters kept, the newest): what the customer said of the service right after
        rating it ("it took a bit long though", "좀 느렸어요"). An open low-rating alert is not raised again.
        Returns the rating's score; HandoffError when the ticket has no rating."""
        with self.ctx.sessions() as s:
            t = self.ctx.find(s, ref)
            row = s.scalar(select(Satisfaction).where(Satisfaction.ticket_id == t.id))
            if row is None:
                raise HandoffError(f"ticket {t.public_id} has no rating to comment on")
            said = comment.strip()
            row.comment = (f"{row.comment}\n{said}" if row.comment else said)[-COMMENT_CHARS:]
            self.ctx.event(s, t.id, "customer", "rating comment", score=row.score, comment=said[:500])
            score = row.score
            s.commit()
            return score
