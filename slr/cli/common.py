"""Options every command shares."""

from __future__ import annotations

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
