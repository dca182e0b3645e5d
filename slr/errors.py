"""One exception tree; the CLI turns each into "Error: ..." and an exit code in one place."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit statuses of every `slr` command."""

    OK = 0
    ERROR = 1  # nothing was changed; the message says what to do next
    USAGE = 2  # bad options or arguments (click's own code)
    PARTIAL = 3  # done, but some entries were rejected and reported


class SlrError(Exception):
    """Base of every error `slr` reports to its user."""

    exit_code = ExitCode.ERROR

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ReviewNotFound(SlrError):
    pass


class ReviewExists(SlrError):
    pass


class SchemaVersionError(SlrError):
    pass


class ReviewDamaged(SlrError):
    """review.db is empty, truncated or not a SQLite database."""


class ReviewBusy(SlrError):
    """Another process has held the review's write lock for longer than we wait."""


class ImportRefused(SlrError):
    """A whole file cannot be imported: empty, binary, unknown format, already imported."""


class UnknownFormat(ImportRefused):
    pass


class RecordNotFound(SlrError):
    pass


class ProtocolError(SlrError):
    pass


class NoProtocol(ProtocolError):
    """The review was made without a protocol (a command that needs one refuses it)."""
