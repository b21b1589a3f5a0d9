class HandoffError(Exception):
    """Root of every error the handoff package raises."""


class TicketNotFound(HandoffError):
    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"no ticket {ref!r}")


class TicketClosed(HandoffError):
    """The operation needs an open ticket."""


class MergeNeedsConfirmation(HandoffError):
    """Merging tickets of two different customers was asked without confirming it; nothing changed."""
