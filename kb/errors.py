"""Errors of the knowledge-base package; :class:`KBError` is their root."""

from __future__ import annotations

from kb.changes import ImportReport


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


class ImportWouldChange(KBError):
    """An import file would change published answers and updating was not asked for; nothing was
    written. ``report`` (a :class:`kb.service.ImportReport`) lists each change with old and new answer."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        n = len(report.changes)
        super().__init__(f"the file changes {n} existing case(s); nothing was imported. "
                         "Check the changes and run again with --update to apply them (or --dry-run to preview)")
