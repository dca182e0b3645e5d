"""Options every command shares."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click

review_option = click.option(
    "--review",
    "review_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    envvar="SLR_REVIEW",
    show_default="current directory",
    help="The review directory (or set SLR_REVIEW).",
)


@contextlib.contextmanager
def progress_reporter() -> Iterator[Callable[[str], None]]:
    """A spinner with the current step on a terminal's stderr; silent when not a terminal."""
    if not sys.stderr.isatty():
        yield lambda _message: None
        return
    from rich.console import Console  # here: a tenth of the start of a command, on a terminal

    console = Console(stderr=True)
    with console.status("Starting") as status:
        yield lambda message: status.update(message)
