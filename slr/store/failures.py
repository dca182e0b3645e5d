"""What the database or the file system refused, as a message that says what to do next.

The commands change a review inside transactions, so when one of these errors stops a command
the review is as it was before it; the messages say so where it helps.
"""

from __future__ import annotations

import errno
import sqlite3
import sys

from slr.errors import ReviewDamaged, SlrError

_UNCHANGED = "the review was left as it was"


def _os_message(error: OSError) -> tuple[str, str]:
    where = f" ({error.filename})" if error.filename else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full{where}", f"make room on the disk and run this again; {_UNCHANGED}"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"permission denied{where}",
            f"check that you may write to the review's folder and its files; {_UNCHANGED}",
        )
    if error.errno == errno.ENAMETOOLONG:
        return f"a file name is too long for this file system{where}", "use a shorter file name"
    if error.errno == errno.ENOENT:
        return f"no such file or folder{where}", "check the path"
    return f"{error.strerror or error}{where}", _UNCHANGED


def as_slr_error(error: BaseException) -> SlrError | None:
    """The SlrError to report for a database or file-system error (None: not one of those)."""
    if isinstance(error, BrokenPipeError):  # `slr export | head`: the reader has had enough
        return None
    if isinstance(error, OSError):
        message, hint = _os_message(error)
        return SlrError(message, hint)
    if "psycopg" in sys.modules:  # (loaded only for a review in PostgreSQL)
        from slr.store import postgres  # there: it loads psycopg

        if isinstance(error, postgres.psycopg.Error):
            return postgres.as_slr_error(error)
    if not isinstance(error, sqlite3.Error):
        return None
    text = str(error)
    if "disk is full" in text:
        return SlrError(
            "the disk is full", f"make room on the disk and run this again; {_UNCHANGED}"
        )
    if "readonly" in text or "read-only" in text:
        return SlrError(
            "the review cannot be written (read-only folder or file)",
            "check the permissions of the review's folder and review.db",
        )
    if "locked" in text or "busy" in text:
        return SlrError(
            "the review is busy: another slr command is writing to it",
            f"wait for it to finish and run this again; {_UNCHANGED}",
        )
    if isinstance(error, sqlite3.DatabaseError) and (
        "not a database" in text or "malformed" in text or "corrupt" in text
    ):
        return ReviewDamaged(
            f"review.db is damaged or not a review database ({text})",
            "restore review.db from a backup; the imported files are kept in sources/",
        )
    if "disk I/O error" in text or "unable to open" in text:
        return SlrError(
            f"the review's database could not be read or written ({text})",
            "check the disk and the permissions of the review's folder, then run this again",
        )
    return None
