"""`slr team`: the people of a review in PostgreSQL, as database roles (blinding by the server)."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.common import review_option
from slr.screening.engine import STAGES
from slr.store import Review
from slr.store import team as team_store
from slr.store.transaction import write


@click.group()
def team() -> None:
    """A team on a review in PostgreSQL: reviewers and leads are the server's login roles.

    A reviewer reads the records and writes only their own decisions and notes, and sees no
    other reviewer's decisions at a stage until a lead opens that stage's conflicts; a lead
    does everything else. Run by the review's owner (a role with CREATEROLE).
    """


@team.command()
@review_option
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(team_store.ROLES),
    default="reviewer",
    show_default=True,
    help="reviewer: screens blind; lead: full rights (imports, resolves, stops).",
)
def add(review_dir: Path, name: str, role: str) -> None:
    """Make NAME, a login role of the database server, a ROLE of the review (the role is
    created without a password: authentication is the server's business)."""
    with Review.open(review_dir) as review, write(review.db):
        created = team_store.add_member(review.db, name, role)
    made = "created the login role and " if created else ""
    click.echo(f"{name}: {made}added as {role}")
    click.echo(f"  connect as postgresql://{name}@HOST/DB#SCHEMA and screen with --reviewer {name}")


@team.command(name="open-conflicts")
@review_option
@click.option(
    "--stage", type=click.Choice(STAGES), default=STAGES[0], show_default=True, help="The stage."
)
def open_conflicts(review_dir: Path, stage: str) -> None:
    """Unblind STAGE: every reviewer then sees the others' decisions and notes there (do it
    when screening is done, before `slr screen conflicts` and `resolve`)."""
    with Review.open(review_dir) as review, write(review.db):
        opened = team_store.open_conflicts(review.db, stage)
    click.echo(f"{stage}: " + ("conflicts opened" if opened else "already open"))


COMMANDS = (team,)
