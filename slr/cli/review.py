"""`slr init`, `slr status`, `slr show`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from slr.cli.common import review_option
from slr.protocol import load_protocol
from slr.reporting import record_details, review_status
from slr.store import Review


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--protocol",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The review protocol (TOML); a copy is kept in the review.",
)
@click.option("--title", default="", help="The review's title (default: the directory name).")
def init(directory: Path, protocol: Path | None, title: str) -> None:
    """Create a review in DIRECTORY: its database, protocol copy and sources/ folder."""
    if protocol is not None and protocol.is_file():
        load_protocol(protocol)  # an invalid protocol is refused before anything is created
    with Review.create(directory, protocol, title) as review:
        meta = review.meta()
    click.echo(f"Created review {meta['title']!r} in {directory}")
    if meta["protocol"]:
        click.echo(f"Protocol: {meta['protocol_original']} (copied to {meta['protocol']})")
    click.echo(f"Next: slr import --review {directory} EXPORT_FILE...")


@click.command()
@review_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
def status(review_dir: Path, as_json: bool) -> None:
    """Counts per source and per stage."""
    with Review.open(review_dir) as review:
        report = review_status(review)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"Review: {report['review']['title']}")
    if report["review"]["protocol"]:
        click.echo(f"Protocol: {report['review']['protocol']}")
    sources = report["sources"]
    click.echo(f"Sources: {len(sources)}")
    if sources:
        header = ("id", "file", "format", "database", "searched on", "records", "rejected")
        rows = [
            (
                str(s["id"]),
                s["file"],
                s["format"],
                s["database"] or "-",
                s["searched_on"] or "-",
                str(s["records"]),
                str(s["failures"]),
            )
            for s in sources
        ]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        right = {0, 5, 6}
        for row in [header, *rows]:
            cells = [
                c.rjust(w) if i in right else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            click.echo("  " + "  ".join(cells).rstrip())
    stages = report["stages"]
    click.echo("Records:")
    width = max(len(name) for name in stages)
    for name, count in stages.items():
        click.echo(f"  {name.ljust(width)}  {count:>6}")


@click.command()
@review_option
@click.argument("record_id", type=int)
@click.option("--raw", is_flag=True, help="Also print every original field of the export.")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
def show(review_dir: Path, record_id: int, raw: bool, as_json: bool) -> None:
    """Show one record: its fields, identifiers and where it came from."""
    with Review.open(review_dir) as review:
        details = record_details(review.get(record_id), include_raw=raw or as_json)
    if as_json:
        click.echo(json.dumps(details, ensure_ascii=False, indent=2))
        return
    for key, value in details.items():
        if key == "raw":
            click.echo("raw:")
            for name, original in value.items():
                click.echo(f"  {name}: {json.dumps(original, ensure_ascii=False)}")
        elif isinstance(value, list):
            if value:
                click.echo(f"{key}:")
                for item in value:
                    click.echo(f"  - {item}")
        elif isinstance(value, dict):
            if value:
                click.echo(f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items()))
        elif value not in ("", None):
            click.echo(f"{key}: {value}")


COMMANDS = (init, status, show)
