"""`slr protocol check FILE`: validate a protocol and summarise it."""

from __future__ import annotations

from pathlib import Path

import click

from slr.normalize.words import counted
from slr.protocol import load_protocol


@click.group()
def protocol() -> None:
    """Review protocols (TOML): eligibility, searches, rules, vocabularies, periods."""


@protocol.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Validate FILE: unknown keys, year ranges, vocabularies, and every query's syntax."""
    loaded = load_protocol(file)
    stages: dict[str, int] = {}
    for rule in loaded.rules:
        stages[rule.stage] = stages.get(rule.stage, 0) + 1
    click.echo(f"{file.name}: valid")
    click.echo(f"  review: {loaded.title}")
    per_stage = ", ".join(f"{stage} {count}" for stage, count in stages.items())
    click.echo(f"  rules: {len(loaded.rules)}" + (f" ({per_stage})" if per_stage else ""))
    click.echo(f"  searches: {len(loaded.searches)}")
    vocabularies = ", ".join(
        f"{name} ({counted(len(groups), 'group')})" for name, groups in loaded.vocabularies.items()
    )
    click.echo(f"  vocabularies: {vocabularies or '-'}")
    periods = ", ".join(f"{name} {low}..{high}" for name, (low, high) in loaded.periods.items())
    click.echo(f"  periods: {periods or '-'}")
    click.echo(f"  exclusion reasons: {len(loaded.exclusion_reasons)}")


COMMANDS = (protocol,)
