"""`slr store copy SRC DEST`: move a review between a directory and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import click

from slr.normalize.words import counted
from slr.store.connection import is_url
from slr.store.copy import copy_review


@click.group()
def store() -> None:
    """Where a review is kept: a directory (SQLite) or a PostgreSQL schema."""


@store.command()
@click.argument("src")
@click.argument("dest")
def copy(src: str, dest: str) -> None:
    """Copy the review at SRC to DEST, each a directory or a postgresql://USER@HOST/DB#SCHEMA
    URL: every table with its ids, the log as it is, and the review's files. DEST must not
    exist yet (or be an empty directory or schema); a failed copy leaves nothing behind."""
    source = src if is_url(src) else Path(src)
    target = dest if is_url(dest) else Path(dest)
    copied = copy_review(source, target)
    rows = sum(copied.rows.values())
    click.echo(
        f"Copied {counted(len(copied.rows), 'table')} ({counted(rows, 'row')}) and "
        f"{counted(copied.files, 'file')} to {_shown(dest)}"
    )


def _shown(location: str) -> str:
    if is_url(location):
        from slr.store.postgres import ReviewUrl  # (psycopg, only for a URL)

        return str(ReviewUrl.parse(location))
    return location


COMMANDS = (store,)
