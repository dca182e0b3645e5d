"""The `slr` command line: thin commands over the library; errors become messages in one place."""

from __future__ import annotations

import sys
from typing import Any

import click

from slr import __version__
from slr.errors import ExitCode, SlrError

EXIT_CODES_HELP = (
    "Exit status: 0 done; 1 error, nothing changed (the message says what to do next); "
    "2 bad usage; 3 done, but some entries were rejected (each is reported with file and line)."
)


class SlrGroup(click.Group):
    """Turns every SlrError into `Error: ...` on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SlrError as error:
            message = f"Error: {error.message}"
            if error.hint:
                message += f"; {error.hint}"
            click.echo(message, err=True)
            sys.exit(int(error.exit_code))


@click.group(cls=SlrGroup, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="slr")
def main() -> None:
    """slr: systematic literature reviews from the terminal, the PRISMA 2020 way.

    A review is a directory (made by `slr init`); every command works on the review in the
    current directory, or the one named by --review DIR (or the SLR_REVIEW variable).
    """


def _register() -> None:
    from slr.cli import (
        dedup,
        export,
        extract,
        fulltext,
        graph,
        importing,
        prisma,
        protocol,
        query,
        review,
        run,
        screen,
        tag,
    )

    modules = (
        review,
        importing,
        export,
        dedup,
        protocol,
        screen,
        fulltext,
        query,
        tag,
        extract,
        graph,
        prisma,
        run,
    )
    for module in modules:
        for command in module.COMMANDS:
            main.add_command(command)


_register()

__all__ = ["ExitCode", "main"]
