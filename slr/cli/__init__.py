"""The `slr` command line: thin commands over the library; errors become messages in one place."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from slr import __version__
from slr.cli.common import review_option
from slr.errors import SlrError

EXIT_CODES_HELP = (
    "Exit status: 0 done; 1 error, nothing changed (the message says what to do next); "
    "2 bad usage; 3 done, but some entries were rejected (each is reported with file and line)."
)


# Each command's module, imported only when that command runs (or help lists them all):
# `slr import` need not load networkx, numpy and pyvis. tests/test_cli.py checks this table.
COMMAND_MODULES = {
    "init": "review",
    "status": "review",
    "show": "review",
    "log": "review",
    "import": "importing",
    "export": "export",
    "dedup": "dedup",
    "protocol": "protocol",
    "screen": "screen",
    "fulltext": "fulltext",
    "query": "query",
    "tag": "tag",
    "extract": "extract",
    "graph": "graph",
    "prisma": "prisma",
    "run": "run",
    "simulate": "simulate",
    "store": "store",
    "team": "team",
}


class SlrGroup(click.Group):
    """Loads commands lazily; turns every SlrError into `Error: ...` on stderr and its exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMAND_MODULES.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"slr.cli.{module_name}")
        return next(command for command in module.COMMANDS if command.name == cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SlrError as error:
            _fail(error)
        except Exception as error:  # the database's or the file system's refusals
            from slr.store.failures import as_slr_error  # (only when a command fails)

            translated = as_slr_error(error)
            if translated is None:
                raise
            _fail(translated)


def _fail(error: SlrError) -> None:
    message = f"Error: {error.message}"
    if error.hint:
        message += f"; {error.hint}"
    click.echo(message, err=True)
    sys.exit(int(error.exit_code))


@click.group(cls=SlrGroup, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="slr")
@review_option
@click.pass_context
def main(ctx: click.Context, review_dir: Path) -> None:
    """slr: systematic literature reviews from the terminal, the PRISMA 2020 way.

    A review is a directory (made by `slr init`); every command works on the review named by
    --review DIR (before or after the command's name) or the SLR_REVIEW variable, else on the
    review holding the current directory (found as git finds a repository: the nearest folder
    upwards with a review.db).
    """
    from click.core import ParameterSource  # (click does not export it at the top)

    named = ctx.get_parameter_source("review_dir") is ParameterSource.COMMANDLINE
    if named and ctx.invoked_subcommand in _NAME_THEIR_DIRECTORY:
        # a review named for a command that takes its directory otherwise would be ignored
        raise click.UsageError(
            f"slr {ctx.invoked_subcommand} takes no --review: "
            + _NAME_THEIR_DIRECTORY[ctx.invoked_subcommand]
        )


_NAME_THEIR_DIRECTORY = {
    "init": "name the new review's directory as its argument (slr init DIR)",
    "run": "name the review's directory with --out DIR",
}


__all__ = ["COMMAND_MODULES", "SlrGroup", "main"]
