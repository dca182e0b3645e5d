"""`slr graph`: tag co-occurrence (synergies), keyword and citation maps, as an offline HTML
page, an SVG figure, GraphML, GEXF, VOSviewer JSON and CSV edge lists; the synergy matrix as a
page or a figure."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.common import protocol_option, review_option
from slr.errors import SlrError
from slr.graphs import (
    build,
    citation_graphs,
    cooccurrence_graphs,
    keyword_graphs,
    render,
    untagged_note,
)
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
    "page), .svg (a figure for the paper, same layout), .graphml, .gexf, .json (VOSviewer), "
    ".csv (edge list).",
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
    """Maps of the review: tag co-occurrence (and its synergy matrix), keywords and citations,
    with the studies behind every edge. Layouts are computed here; the HTML page needs no
    network and the SVG figure is the same map for the paper."""


def _count(count: int, noun: str) -> str:
    return counted(count, noun, grouped=True)


def _studies(count: int) -> str:
    return _count(count, "study")


def _period_path(path: Path, period: str) -> Path:
    return path.with_name(f"{path.stem}-{period}{path.suffix}")


def _check_outputs(paths: tuple[Path, ...]) -> None:
    for path in paths:
        render.format_of(path)
    _check_folders(paths)


def _check_folders(paths: tuple[Path, ...]) -> None:
    for path in paths:
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
    "--matrix",
    "matrices",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the synergy matrix (tag x tag: studies with both, shaded by the strength; "
    "studies with the tag on the diagonal) as .html (click a cell for its studies) or .svg; "
    "with --by-period one panel per period, side by side.",
)
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
    matrices: tuple[Path, ...],
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
    for matrix in matrices:
        if matrix.suffix.lower() not in render.MATRIX_FORMATS:
            raise SlrError(f"cannot tell the matrix format of {matrix.name}", "use .html or .svg")
        if bipartite:
            raise SlrError("--matrix is a tag x tag table", "leave out --bipartite")
    _check_folders(matrices + tables)
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
    if result.untagged:
        click.echo(
            "Note: "
            + untagged_note(len(result.untagged), len(result.studies), stage)
            + f"; tag them with `slr tag --review {review.as_argument} --stage {stage}`"
        )
    for name, graph in result.graphs.items():
        what = f"period {name}: " if name else ""
        communities = len({d.get("community") for _n, d in graph.nodes(data=True)})
        click.echo(
            f"{what}{_count(graph.number_of_nodes(), 'node')}, "
            f"{_count(graph.number_of_edges(), 'edge')}, "
            f"{_count(communities if graph.number_of_nodes() else 0, 'community')}"
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
    for matrix in matrices:
        title = f"{vocabulary} synergy matrix ({stage}, {normalize})"
        render.write_matrix(result.graphs, matrix, title)
        periods = len(result.graphs) if by_period else 0
        click.echo(
            f"Wrote {matrix} (synergy matrix"
            + (f", {_count(periods, 'period')} side by side)" if periods else ")")
        )


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
    if result.matches:
        click.echo(f"Citations within the set: {len(result.matches)} ({by_rule})")
    else:
        click.echo(
            "No citation links within the set"
            + ("" if result.citing else " (no study has a reference list)")
        )
    graph = result.graph
    if kind != "direct":
        click.echo(
            f"{graph.graph['title']}: {_count(graph.number_of_nodes(), 'node')}, "
            f"{_count(graph.number_of_edges(), 'edge')}"
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


@graph.command()
@review_option
@stage_option
@click.option(
    "--field",
    type=click.Choice(build.KEYWORD_FIELDS),
    default="author",
    show_default=True,
    help="Author keywords, the database's index keywords, both, or terms: runs of up to "
    "three words of titles and abstracts between punctuation and stopwords.",
)
@click.option(
    "--thesaurus",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A VOSviewer thesaurus file (tab-separated, header 'label<TAB>replace by'): merge "
    "synonyms into one keyword, or leave a keyword out (nothing after the tab).",
)
@click.option(
    "--min-occurrences",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Keep the keywords of at least this many studies.",
)
@click.option(
    "--normalize",
    type=click.Choice(build.NORMALIZATIONS),
    default="association",
    show_default=True,
    help="Edge strength (VOSviewer normalises co-word maps by association strength).",
)
@click.option("--top", default=10, show_default=True, help="How many keywords to list.")
@output_option
@protocol_option
def keywords(
    review_dir: Path,
    stage: str,
    field: str,
    thesaurus: Path | None,
    min_occurrences: int,
    normalize: str,
    top: int,
    outputs: tuple[Path, ...],
    protocol_file: Path | None,
) -> None:
    """The literature's own keywords as a co-word map (VOSviewer's and bibliometrix's first
    map): nodes are keywords (size = studies), edges join keywords of one study and list
    their studies; keywords are matched case- and accent-folded, merged by the thesaurus, and
    clusters are named by their largest keywords."""
    _check_outputs(outputs)
    merge = None
    if thesaurus is not None:
        merge, problems = build.parse_thesaurus(
            thesaurus.read_text(encoding="utf-8-sig"), thesaurus.name
        )
        if problems:
            raise SlrError(
                f"cannot read the thesaurus: {problems[0]}"
                + (f" (and {_count(len(problems) - 1, 'more line')})" if len(problems) > 1 else ""),
                "VOSviewer's format: a header 'label<TAB>replace by', then a term, a tab and "
                "what it becomes on each line",
            )
    with Review.open(review_dir) as review:
        protocol = protocol_of(review, protocol_file)[0]  # None: a review without a protocol
        graph, studies, counts = keyword_graphs(
            review, protocol, stage, field, merge, min_occurrences, normalize
        )
    click.echo(
        f"{_studies(len(studies))} ({stage}), {counts['studies']:,} with keywords; "
        f"{_count(counts['keywords'], 'keyword')}, {counts['kept']:,} in at least "
        f"{_studies(min_occurrences)}"
    )
    if not graph.number_of_nodes():
        click.echo("No keyword to map: lower --min-occurrences, or try --field index or both")
    communities = len({d.get("community") for _n, d in graph.nodes(data=True)})
    click.echo(
        f"{_count(graph.number_of_nodes(), 'node')}, {_count(graph.number_of_edges(), 'edge')}, "
        f"{_count(communities if graph.number_of_nodes() else 0, 'cluster')}"
    )
    names = build.community_names(graph)
    for index in sorted(names):
        size = sum(1 for _n, d in graph.nodes(data=True) if d.get("community") == index)
        click.echo(f"  cluster {index + 1}: {names[index]} ({_count(size, 'keyword')})")
    ranked = sorted(graph.nodes(data=True), key=lambda item: (-item[1]["count"], item[0]))
    if ranked:
        click.echo("Most frequent:")
    for _key, data in ranked[:top]:
        click.echo(f"  {data['count']:>3}  {data['label']}")
    for path in outputs:
        written = render.write_graph(graph, path)
        click.echo(f"Wrote {path} ({written})")


COMMANDS = (graph,)
