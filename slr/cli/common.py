"""Options every command shares."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from slr.store import DB_NAME
from slr.store.connection import is_url


class ReviewLocation(click.ParamType):
    """A review directory, or a PostgreSQL URL (postgresql://USER@HOST/DB#SCHEMA) kept whole
    (as a path its // would fold)."""

    name = "directory"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | str:
        if isinstance(value, Path) or is_url(value):
            return value  # type: ignore[no-any-return]
        return Path(value)


def _named_review(ctx: click.Context, param: click.Parameter, value: Path | str) -> Path | str:
    """The review a command works on: `--review` given to it or to a group above it
    (`slr screen --review B auto` works on B), then SLR_REVIEW, then the current directory.
    Two different reviews named on one command line are an error, never a guess."""
    from click.core import ParameterSource  # (click does not export it at the top)

    named = (
        value if ctx.get_parameter_source(param.name or "") is ParameterSource.COMMANDLINE else None
    )
    parent = ctx.parent
    while parent is not None:
        if parent.get_parameter_source("review_dir") is ParameterSource.COMMANDLINE:
            above = parent.params["review_dir"]
            if named is not None and named != above:
                raise click.UsageError(f"--review names two reviews: {above} and {named}")
            named = above
        parent = parent.parent
    if named is not None:
        return named
    if ctx.get_parameter_source(param.name or "") is ParameterSource.DEFAULT and isinstance(
        value, Path
    ):
        return find_review(value)
    return value


def find_review(start: Path) -> Path:
    """The nearest folder from `start` upwards that holds a review (its review.db), as git finds
    its repository from a subfolder; `start` itself when none does (the command then says that
    `start` is not a review)."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / DB_NAME).is_file():
            return start if folder == here else folder
    return start


review_option = click.option(
    "--review",
    "review_dir",
    type=ReviewLocation(),
    default=Path("."),
    envvar="SLR_REVIEW",
    callback=_named_review,
    help="The review directory, or a review in PostgreSQL as postgresql://USER@HOST/DB#SCHEMA "
    "(or set SLR_REVIEW; default: the current directory or the nearest folder above it that "
    "holds a review).",
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


# here, not in cli/screen.py: `slr graph` and `slr query` need it without loading the screen's
# modules (the stopping rules import scipy.stats, seconds on a loaded machine)
protocol_option = click.option(
    "--protocol",
    "protocol_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Use this protocol file instead of the review's copy.",
)
