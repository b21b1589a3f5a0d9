class KBError(Exception):
    """Root of every error the knowledge-base package raises."""


class ImportFileError(KBError):
    """A malformed import file; nothing of it was imported. ``line`` is 1-based."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class CaseNotFound(KBError):
    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(f"no solved case with id {case_id!r}")


class IndexMismatch(KBError):
    """A saved index was built with another model, dimension or format; it is not loaded."""
