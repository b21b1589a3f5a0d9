"""The web console for agents, knowledge-base editors and admins (server-rendered pages)."""
