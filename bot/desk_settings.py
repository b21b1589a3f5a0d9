"""Builds the desk's typed settings (SLA book, queues, problems) from the configuration."""

from __future__ import annotations

from bot.config import Config, ConfigError
from handoff.settings import DeskSettings, ProblemSettings, Queue
from handoff.sla import SlaBook, SlaConfigError


def build_desk_settings(config: Config) -> DeskSettings:
    """Raise ConfigError naming the section when a policy, calendar or queue cannot be used."""
    a, p = config.assignment, config.problems
    try:
        book = SlaBook.parse(
            policies=config.sla.policies,
            teams=config.sla.teams,
            default_team="",
            warn_share=config.sla.warn_share,
        )
    except SlaConfigError as e:
        raise ConfigError(f"sla: {e}") from e
    try:
        queues = Queue.parse_all(a.queues)
    except (AttributeError, TypeError) as e:
        raise ConfigError(
            "assignment.queues: each queue is a mapping with name, team, labels, products"
        ) from e
    for q in queues:
        if not q.name:
            raise ConfigError("assignment.queues: every queue needs a name")
    if a.default_team not in book.calendars:
        book = SlaBook(
            policies=book.policies, calendars=book.calendars, default_team="", warn_share=book.warn_share
        )
    else:
        book = SlaBook(
            policies=book.policies,
            calendars=book.calendars,
            default_team=a.default_team,
            warn_share=book.warn_share,
        )
    if not 0 < p.similarity <= 1:
        raise ConfigError("problems.similarity: must be in (0, 1]")
    return DeskSettings(
        reopen_window_hours=config.tickets.reopen_window_hours,
        auto_close_hours=config.tickets.auto_close_hours,
        low_rating_alert=config.tickets.low_rating_alert,
        sla=book,
        raise_priority_on_breach=config.sla.raise_priority_on_breach,
        queues=queues,
        default_team=a.default_team,
        auto_assign=a.auto_assign,
        response_team=a.response_team,
        critical_priorities=tuple(a.critical_priorities),
        critical_impacts=tuple(a.critical_impacts),
        problems=ProblemSettings(
            labels=tuple(p.fault_labels),
            similarity=p.similarity,
            window_minutes=p.window_minutes,
            incident_tickets=p.incident_tickets,
            incident_minutes=p.incident_minutes,
        ),
    )
