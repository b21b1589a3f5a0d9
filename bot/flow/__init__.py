"""A customer message's path after :mod:`bot.pipeline` has read it, stored it and decided on it.

- :mod:`bot.flow.steps`: what every branch uses (record the bot's reply, answer from a case, join the
  open ticket, the team's hours, "did the bot just ask this").
- :mod:`bot.flow.open_ticket`: a ticket is open (a person owns the conversation): a follow-up joins it,
  a confident usage question is answered on it, a different fault is flagged to the agent.
- :mod:`bot.flow.first_message`: no ticket open: ask "did you mean...?", answer, ask what is wrong,
  reply from a template, or open a ticket.
- :mod:`bot.flow.clarify`: the "did you mean...?" buttons, a typed "2" or "none" under them, and a pick.
"""
