"""Paths stored in review.db (attached full texts, the protocol copy) name files inside the
review folder. review.db is a file people share, and may be crafted: a stored path is read,
opened, written or deleted only through `inside`, which refuses any that leads out."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from slr.errors import SlrError


class PathOutsideReview(SlrError):
    """A path stored in review.db that leads outside the review folder (or its part)."""


def inside(review_dir: Path, stored: str, folder: str = "", hint: str = "") -> Path:
    """The file a path stored in review.db names, resolved (symbolic links followed) inside
    the review folder, or inside its `folder` (e.g. "fulltext") when given.

    Refused with PathOutsideReview: an empty or absolute path, and any path that resolves
    elsewhere ("..", or a link out of the review); `hint` says how to replace the entry.
    """
    root = review_dir.resolve()
    allowed = (root / folder).resolve() if folder else root
    where = f"the review's {folder}/ folder" if folder else "the review folder"
    refused = PathOutsideReview(
        f"{stored!r} in review.db is outside {where}: refused, nothing was read, written or "
        "deleted",
        hint or "review.db was changed outside slr: restore it from a backup",
    )
    if not stored or PurePosixPath(stored).is_absolute() or PureWindowsPath(stored).anchor:
        raise refused
    path = (root / stored).resolve()
    # (the folder itself may be a link out of the review)
    if path == allowed or not (path.is_relative_to(allowed) and path.is_relative_to(root)):
        raise refused
    return path


FULLTEXT_DIR = "fulltext"  # attached reports: fulltext/<record id>_<file name>


def fulltext_file(review_dir: Path, record_id: int, stored: str) -> Path:
    """The file of a full text's stored path: inside the review's fulltext/ folder, or refused
    (PathOutsideReview) before anything is read, opened or deleted."""
    hint = (
        "review.db was changed outside slr: restore it from a backup, or run "
        f"`slr fulltext missing {record_id} --reason ... --detach` and attach the report again"
    )
    return inside(review_dir, stored, FULLTEXT_DIR, hint)


def copy_private(source: Path, target: Path, data: bytes) -> None:
    """Write DATA (read from SOURCE) to TARGET with SOURCE's permission bits or fewer: a report
    readable only by its owner stays so in the review. The file is written aside and moved in,
    so that TARGET is whole or as it was."""
    mode = source.stat().st_mode & 0o666  # never executable; the umask narrows it further
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
