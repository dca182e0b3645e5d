"""Options every command shares."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click


def _named_review(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
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
    return value if named is None else named


review_option = click.option(
    "--review",
    "review_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    envvar="SLR_REVIEW",
    show_default="current directory",
    callback=_named_review,
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
