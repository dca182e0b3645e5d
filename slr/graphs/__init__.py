"""Graphs of a review: tag co-occurrence (synergies), citations, communities; rendered as one
offline HTML page or as GraphML, GEXF, VOSviewer JSON and CSV edge lists."""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from slr.graphs import build
from slr.graphs.citations import Match, Matcher, match_citations, with_fulltext_references
from slr.graphs.data import Study, citation_inputs, load_studies, load_tags, untagged
from slr.normalize.words import counted
from slr.protocol import Protocol
from slr.store import Review
from slr.store import fulltext as fulltext_store


@dataclass(slots=True)
class CooccurrenceResult:
    graphs: dict[str, nx.Graph]  # "" for the whole stage, else one per period
    studies: dict[int, Study]
    tagged: int  # studies with at least one tag of the vocabulary
    rows: dict[str, list[build.SynergyRow]] = field(default_factory=dict)
    untagged: list[int] = field(default_factory=list)  # studies `slr tag` has not read


def cooccurrence_graphs(
    review: Review,
    protocol: Protocol,
    stage: str = "included",
    vocabulary: str | None = "drivers",
    normalize: str = "count",
    periods: bool = False,
    bipartite: bool = False,
) -> CooccurrenceResult:
    studies, _clusters = load_studies(review, stage, protocol)
    study_tags = load_tags(review, list(studies), vocabulary)
    left_out = untagged(review, list(studies))
    title = f"{vocabulary or 'tag'} co-occurrence ({stage})"
    if bipartite:
        graph = build.bipartite(study_tags, studies)
        graph.graph["title"] = f"studies and {vocabulary or 'tags'} ({stage})"
        graphs = {"": graph}
    elif periods:
        graphs = build.by_period(study_tags, studies, protocol.periods, normalize)
        for name, graph in graphs.items():
            graph.graph["title"] = f"{title}, {name}"
    else:
        graphs = {"": build.cooccurrence(study_tags, studies, normalize)}
        graphs[""].graph["title"] = title
    for graph in graphs.values():
        if graph.number_of_nodes():
            build.communities(graph)
        if left_out:
            graph.graph["note"] = untagged_note(len(left_out), len(studies), stage)
    rows = {name: build.synergy_table(graph) for name, graph in graphs.items() if not bipartite}
    tagged = sum(1 for tags in study_tags.values() if tags)
    return CooccurrenceResult(graphs, studies, tagged, rows, left_out)


def untagged_note(count: int, total: int, stage: str) -> str:
    return (
        f"{count:,} of the {counted(total, 'study', grouped=True)} ({stage}) have not been "
        "tagged (`slr tag` ran on another stage) and are not in this map"
    )


def keyword_graphs(
    review: Review,
    protocol: Protocol | None,
    stage: str = "included",
    field: str = "author",
    thesaurus: build.Thesaurus | None = None,
    min_occurrences: int = 2,
    normalize: str = "association",
) -> tuple[nx.Graph, dict[int, Study], dict[str, int]]:
    """The keyword co-occurrence map of a stage, its studies, and how many keywords there were
    before and after the minimum ("keywords", "kept", "studies" with a keyword)."""
    studies, clusters = load_studies(review, stage, protocol)
    terms = None
    if field == "terms":
        terms = {
            study_id: build.text_terms(f"{records[0].title}. {records[0].abstract}")
            for study_id, records in clusters.items()
        }
    study_keys, labels = build.study_keywords(studies, field, thesaurus, terms)
    graph = build.keyword_graph(study_keys, labels, studies, min_occurrences, normalize)
    which = {
        "author": "author keyword",
        "index": "index keyword",
        "both": "author and index keyword",
        "terms": "title and abstract term",
    }[field]
    graph.graph["title"] = f"{which} co-occurrence ({stage})"
    if graph.number_of_nodes():
        build.communities(graph)
    counts = {
        "keywords": len(labels),
        "kept": graph.number_of_nodes(),
        "studies": sum(1 for keys in study_keys.values() if keys),
    }
    return graph, studies, counts


@dataclass(slots=True)
class CitationResult:
    graph: nx.Graph
    citation: nx.DiGraph
    matches: list[Match]
    studies: dict[int, Study]
    references: int  # references read (over duplicates merged)
    citing: int  # studies with a reference list


def citation_graphs(
    review: Review,
    protocol: Protocol | None,
    stage: str = "included",
    kind: str = "direct",
    tag_vocabulary: str | None = None,
) -> CitationResult:
    studies, clusters = load_studies(review, stage, protocol)
    citing, targets = citation_inputs(clusters)
    fulltext = fulltext_store.references(review.db)
    citing, targets = with_fulltext_references(citing, targets, clusters, fulltext)
    matches = match_citations(citing, targets)
    citation = build.citation_graph(matches, studies)
    if kind == "direct":
        graph: nx.Graph = citation
    elif kind == "cocitation":
        graph = build.cocitation_graph(citation)
    else:
        graph = build.coupling_graph(citing, Matcher(targets), studies)
    graph.graph["title"] = {
        "direct": "direct citation",
        "cocitation": "co-citation",
        "coupling": "bibliographic coupling",
    }[kind] + f" ({stage})"
    if tag_vocabulary is not None:
        tags = load_tags(review, list(studies), tag_vocabulary)
        for node in graph.nodes:
            graph.nodes[node]["tags"] = tags.get(node, [])
    if graph.number_of_edges():  # without links every study is its own community
        build.communities(graph)
    references = sum(len(c.references) for c in citing)
    return CitationResult(graph, citation, matches, studies, references, len(citing))


__all__ = [
    "CitationResult",
    "CooccurrenceResult",
    "citation_graphs",
    "cooccurrence_graphs",
    "keyword_graphs",
]
