"""Conversations, tickets, agents' replies and resolution."""
