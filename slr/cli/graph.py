"""`slr graph`: tag co-occurrence (synergies) and citation graphs, as an offline HTML page or
GraphML, GEXF, VOSviewer JSON and CSV edge lists."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.common import review_option
from slr.cli.screen import protocol_option
from slr.errors import SlrError
from slr.graphs import build, citation_graphs, cooccurrence_graphs, render
from slr.normalize.words import counted
from slr.screening.run import review_protocol
from slr.screening.status import STUDY_SETS, STUDY_SETS_HELP, protocol_of
from slr.store import Review

stage_option = click.option(
    "--stage",
    type=click.Choice(STUDY_SETS),
    default="included",
    show_default=True,
    help=STUDY_SETS_HELP,
)
output_option = click.option(
    "--output",
    "-o",
    "outputs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the graph here (repeatable); the suffix names the format: .html (one offline "
    "page), .graphml, .gexf, .json (VOSviewer), .csv (edge list).",
)
color_option = click.option(
    "--color",
    "color_by",
    type=click.Choice(["community", "tag"]),
    default="community",
    show_default=True,
    help="Colour nodes by Louvain community or by tag.",
)


@click.group()
def graph() -> None:
    """Graphs of the review: tag co-occurrence and citations, with the studies behind every
    edge. Layouts are computed here and the HTML page needs no network."""


def _count(count: int, one: str, many: str = "") -> str:
    return f"{count} {one}" if count == 1 else f"{count} {many or one + 's'}"


def _studies(count: int) -> str:
    return _count(count, "study", "studies")


def _period_path(path: Path, period: str) -> Path:
    return path.with_name(f"{path.stem}-{period}{path.suffix}")


def _check_outputs(paths: tuple[Path, ...]) -> None:
    for path in paths:
        render.format_of(path)
        if not path.parent.is_dir():
            raise SlrError(f"folder {path.parent} does not exist", "create it first")


@graph.command()
@review_option
@click.option(
    "--vocab",
    "vocabulary",
    default="drivers",
    show_default=True,
    help="The protocol vocabulary whose tags are the nodes.",
)
@stage_option
@click.option(
    "--normalize",
    type=click.Choice(build.NORMALIZATIONS),
    default="count",
    show_default=True,
    help="Edge strength: count of studies; association (VOSviewer's association strength); "
    "jaccard; cosine; inclusion.",
)
@click.option("--by-period", is_flag=True, help="One graph per protocol period.")
@click.option("--bipartite", is_flag=True, help="The study-tag graph instead.")
@output_option
@click.option(
    "--table",
    "tables",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the synergy table (pair, studies, strength, study list) as .csv or .md.",
)
@color_option
@protocol_option
def cooccurrence(
    review_dir: Path,
    vocabulary: str,
    stage: str,
    normalize: str,
    by_period: bool,
    bipartite: bool,
    outputs: tuple[Path, ...],
    tables: tuple[Path, ...],
    color_by: str,
    protocol_file: Path | None,
) -> None:
    """Which tags appear in the same studies: nodes are tags (size = studies), edges join tags
    of one study, weighted by the count or a normalisation, and list their studies.

    Prints the synergy table (strongest pair first); tags come from `slr tag`.
    """
    _check_outputs(outputs)
    for table in tables:
        if table.suffix.lower() not in (".csv", ".md"):
            raise SlrError(f"cannot tell the table format of {table.name}", "use .csv or .md")
    with Review.open(review_dir) as review:
        protocol, _ = review_protocol(review, protocol_file)
        if vocabulary not in protocol.vocabularies:
            names = ", ".join(protocol.vocabularies) or "none"
            raise SlrError(f"the protocol has no vocabulary {vocabulary}", f"it has: {names}")
        result = cooccurrence_graphs(
            review, protocol, stage, vocabulary, normalize, by_period, bipartite
        )
    studies = counted(len(result.studies), "study")
    click.echo(f"{studies} ({stage}), {result.tagged} with a {vocabulary} tag")
    for name, graph in result.graphs.items():
        what = f"period {name}: " if name else ""
        communities = len({d.get("community") for _n, d in graph.nodes(data=True)})
        click.echo(
            f"{what}{_count(graph.number_of_nodes(), 'node')}, "
            f"{_count(graph.number_of_edges(), 'edge')}, "
            f"{_count(communities if graph.number_of_nodes() else 0, 'community', 'communities')}"
        )
        for row in result.rows.get(name, []):
            click.echo(
                f"  {row.pair[0]} + {row.pair[1]}: {_studies(row.studies)}, {normalize} "
                f"{row.strength:g} ({', '.join(f'#{i}' for i in row.study_ids)})"
            )
        for path in outputs:
            target = _period_path(path, name) if name else path
            kind = render.write_graph(graph, target, color_by)
            click.echo(f"Wrote {target} ({kind})")
        for table in tables:
            target = _period_path(table, name) if name else table
            rows = result.rows.get(name, [])
            text = (
                render.synergy_markdown(rows, result.studies)
                if table.suffix.lower() == ".md"
                else render.synergy_csv(rows, result.studies)
            )
            target.write_text(text, encoding="utf-8", newline="")
            click.echo(f"Wrote {target} (synergy table)")


@graph.command()
@review_option
@stage_option
@click.option(
    "--kind",
    type=click.Choice(["direct", "cocitation", "coupling"]),
    default="direct",
    show_default=True,
    help="direct citation; co-citation (cited together by a study of the set); bibliographic "
    "coupling (citing the same work).",
)
@click.option("--top", default=10, show_default=True, help="How many most-cited studies to list.")
@output_option
@color_option
@click.option(
    "--vocab",
    "vocabulary",
    default="drivers",
    show_default=True,
    help="The vocabulary --color tag uses.",
)
@protocol_option
def citation(
    review_dir: Path,
    stage: str,
    kind: str,
    top: int,
    outputs: tuple[Path, ...],
    color_by: str,
    vocabulary: str,
    protocol_file: Path | None,
) -> None:
    """Citations among the studies: each cited reference is matched to a study by DOI, then
    OpenAlex, Lens, WoS or Scopus id, then first author + year + title or source (fuzzy); every
    edge keeps its rule and score. Lists the most cited studies within the set."""
    _check_outputs(outputs)
    with Review.open(review_dir) as review:
        protocol = protocol_of(review, protocol_file)[0]  # None: a review without a protocol
        result = citation_graphs(
            review, protocol, stage, kind, vocabulary if color_by == "tag" else None
        )
    rules: dict[str, int] = {}
    for match in result.matches:
        rules[match.rule] = rules.get(match.rule, 0) + 1
    by_rule = ", ".join(f"{rule} {count}" for rule, count in sorted(rules.items()))
    click.echo(
        f"{counted(len(result.studies), 'study')} ({stage}), {result.citing} with references "
        f"({counted(result.references, 'reference')})"
    )
    click.echo(f"Citations within the set: {len(result.matches)} ({by_rule or 'none'})")
    graph = result.graph
    if kind != "direct":
        click.echo(
            f"{graph.graph['title']}: {graph.number_of_nodes()} nodes, "
            f"{graph.number_of_edges()} edges"
        )
    ranking = build.most_cited(result.citation, top)
    if ranking:
        click.echo("Most cited within the set:")
        for study_id, times in ranking:
            study = result.studies[study_id]
            click.echo(f"  {times:>3}  #{study_id} {study.label} {study.title}")
    for path in outputs:
        written = render.write_graph(graph, path, color_by)
        click.echo(f"Wrote {path} ({written})")


COMMANDS = (graph,)
