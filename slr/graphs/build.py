"""The graphs, as pure networkx functions: tag co-occurrence (with the usual normalisations),
the study-tag bipartite graph, direct citation, co-citation and bibliographic coupling,
communities and a layout. Every edge carries the studies behind it."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from slr.graphs.citations import Citing, Match, Matcher, reference_key
from slr.graphs.data import Study

NORMALIZATIONS = ("count", "association", "jaccard", "cosine", "inclusion")
SEED = 42


def strength(
    method: str, together: int, count_i: int, count_j: int, links_i: int, links_j: int, total: int
) -> float:
    """The weight of a co-occurrence edge.

    count: c_ij, the number of studies with both tags. jaccard: c_ij / (s_i + s_j - c_ij);
    cosine (Salton): c_ij / sqrt(s_i s_j); inclusion: c_ij / min(s_i, s_j), where s_i is the
    number of studies with tag i. association: VOSviewer's association strength
    2m c_ij / (k_i k_j) (Waltman, van Eck & Noyons 2010), where k_i is the total link strength
    of tag i (the sum of its co-occurrence counts) and m the sum of all co-occurrence counts:
    1 when two tags co-occur as often as chance predicts, above 1 when more often.
    """
    if method == "count":
        return float(together)
    if method == "jaccard":
        return together / (count_i + count_j - together)
    if method == "cosine":
        return together / math.sqrt(count_i * count_j)
    if method == "inclusion":
        return together / min(count_i, count_j)
    if method == "association":
        return 2 * total * together / (links_i * links_j)
    raise ValueError(f"unknown normalisation {method}")


def cooccurrence(
    study_tags: Mapping[int, Sequence[str]],
    studies: Mapping[int, Study],
    normalize: str = "count",
) -> nx.Graph:
    """Tags as nodes (`count` = number of studies, `studies` = their ids), an edge between two
    tags found in the same study, with `count`, `weight` (the normalised strength) and
    `studies`."""
    graph = nx.Graph(kind="cooccurrence", normalize=normalize)
    members: dict[str, list[int]] = {}
    pairs: dict[tuple[str, str], list[int]] = {}
    for study_id in sorted(study_tags):
        tags = sorted(set(study_tags[study_id]))
        for tag in tags:
            members.setdefault(tag, []).append(study_id)
        for pair in itertools.combinations(tags, 2):
            pairs.setdefault(pair, []).append(study_id)
    for tag in sorted(members):
        graph.add_node(tag, label=tag, kind="tag", count=len(members[tag]), studies=members[tag])
    links = {tag: 0 for tag in members}
    for (a, b), ids in pairs.items():
        links[a] += len(ids)
        links[b] += len(ids)
    total = sum(len(ids) for ids in pairs.values())
    for (a, b), ids in sorted(pairs.items()):
        weight = strength(
            normalize, len(ids), len(members[a]), len(members[b]), links[a], links[b], total
        )
        graph.add_edge(a, b, count=len(ids), weight=round(weight, 6), studies=ids)
    for _node, data in graph.nodes(data=True):
        data["size"] = data["count"]
    graph.graph["studies"] = {i: studies[i] for i in study_tags if i in studies}
    return graph


def by_period(
    study_tags: Mapping[int, Sequence[str]],
    studies: Mapping[int, Study],
    periods: Iterable[str],
    normalize: str = "count",
) -> dict[str, nx.Graph]:
    """One co-occurrence graph per protocol period (studies without a period are left out)."""
    graphs = {}
    for period in periods:
        chosen = {
            i: tags for i, tags in study_tags.items() if period in studies[i].period.split("; ")
        }
        graphs[period] = cooccurrence(chosen, studies, normalize)
        graphs[period].graph["period"] = period
    return graphs


def bipartite(study_tags: Mapping[int, Sequence[str]], studies: Mapping[int, Study]) -> nx.Graph:
    """Studies and tags as the two sides; an edge when a study has a tag."""
    graph = nx.Graph(kind="bipartite")
    for study_id in sorted(study_tags):
        tags = study_tags[study_id]
        if not tags:
            continue
        study = studies[study_id]
        graph.add_node(
            f"s{study_id}",
            label=study.label,
            title=study.title,
            tags=sorted(tags),
            kind="study",
            bipartite=0,
            studies=[study_id],
            size=1,
        )
        for tag in tags:
            if tag not in graph:
                graph.add_node(tag, label=tag, kind="tag", bipartite=1, studies=[], size=0)
            graph.nodes[tag]["studies"].append(study_id)
            graph.nodes[tag]["size"] += 1
            graph.add_edge(f"s{study_id}", tag, weight=1.0, count=1, studies=[study_id])
    graph.graph["studies"] = dict(studies)
    return graph


@dataclass(frozen=True, slots=True)
class SynergyRow:
    pair: tuple[str, str]
    studies: int
    strength: float
    study_ids: list[int]


def synergy_table(graph: nx.Graph) -> list[SynergyRow]:
    """The 002 paper's Table 2: each pair of tags, how many studies combine them, the strength,
    the studies; strongest first."""
    rows = [
        SynergyRow((a, b), data["count"], data["weight"], list(data["studies"]))
        for a, b, data in graph.edges(data=True)
    ]
    rows.sort(key=lambda r: (-r.strength, -r.studies, r.pair))
    return rows


# -- citations ---------------------------------------------------------------------------------


def _study_node(graph: nx.Graph, study: Study) -> None:
    graph.add_node(
        study.id,
        label=study.label,
        title=study.title,
        year=study.year or 0,
        doi=study.doi,
        kind="study",
        studies=[study.id],
    )


def citation_graph(matches: Iterable[Match], studies: Mapping[int, Study]) -> nx.DiGraph:
    """Direct citation: an arc from the citing study to the cited one, with the rule and score
    of the match and the reference text. `size` of a node = times cited within the set."""
    graph = nx.DiGraph(kind="citation")
    for study in studies.values():
        _study_node(graph, study)
    for match in matches:
        graph.add_edge(
            match.citing,
            match.cited,
            rule=match.rule,
            score=match.score,
            reference=match.reference,
            weight=1.0,
            count=1,
            studies=[match.citing, match.cited],
        )
    for node, data in graph.nodes(data=True):
        data["size"] = graph.in_degree(node)
        data["cited_by"] = graph.in_degree(node)
    graph.graph["studies"] = dict(studies)
    return graph


def cocitation_graph(citation: nx.DiGraph) -> nx.Graph:
    """Two studies are co-cited when a third study of the set cites both; the weight is how
    many do, and `studies` lists those citing studies."""
    graph = nx.Graph(kind="cocitation")
    pairs: dict[tuple[int, int], list[int]] = {}
    for citing in sorted(citation.nodes):
        cited = sorted(citation.successors(citing))
        for pair in itertools.combinations(cited, 2):
            pairs.setdefault(pair, []).append(citing)
    for node in {n for pair in pairs for n in pair}:
        graph.add_node(node, **citation.nodes[node])
    for (a, b), ids in sorted(pairs.items()):
        graph.add_edge(a, b, weight=float(len(ids)), count=len(ids), studies=ids)
    graph.graph["studies"] = citation.graph["studies"]
    return graph


def coupling_graph(
    citing: Sequence[Citing], matcher: Matcher, studies: Mapping[int, Study]
) -> nx.Graph:
    """Bibliographic coupling: two studies of the set that cite the same work (inside the set
    or not); the weight is the number of shared references, `shared` lists them."""
    keys: dict[int, dict[str, str]] = {}
    for item in citing:
        found: dict[str, str] = {}
        for reference in item.references:
            matched = matcher.match_reference(reference)
            found.setdefault(reference_key(reference, matched[0] if matched else None), reference)
        for doi in item.dois:
            key = f"doi:{doi}"
            target = matcher.by_doi.get(doi)
            if target is not None:
                key = f"record:{target}"
            found.setdefault(key, f"DOI {doi}")
        keys[item.id] = found
    graph = nx.Graph(kind="coupling")
    ids = sorted(keys)
    for a, b in itertools.combinations(ids, 2):
        shared = sorted(set(keys[a]) & set(keys[b]))
        if not shared:
            continue
        for node in (a, b):
            if node not in graph:
                _study_node(graph, studies[node])
        graph.add_edge(
            a,
            b,
            weight=float(len(shared)),
            count=len(shared),
            studies=[a, b],
            shared=[keys[a][k] for k in shared],
        )
    graph.graph["studies"] = dict(studies)
    return graph


def most_cited(citation: nx.DiGraph, top: int = 10) -> list[tuple[int, int]]:
    """(study id, times cited within the set), most cited first, ties by id."""
    ranked = sorted(
        ((node, citation.in_degree(node)) for node in citation.nodes),
        key=lambda item: (-item[1], item[0]),
    )
    return [item for item in ranked if item[1] > 0][:top]


# -- communities and layout --------------------------------------------------------------------


def communities(graph: nx.Graph, seed: int = SEED) -> dict[object, int]:
    """Louvain communities (networkx, fixed seed) numbered by size, largest first; every node
    gets its `community` attribute."""
    undirected = graph.to_undirected() if graph.is_directed() else graph
    found = nx.community.louvain_communities(undirected, weight="weight", seed=seed)
    ordered = sorted(found, key=lambda c: (-len(c), sorted(map(str, c))))
    membership = {node: index for index, group in enumerate(ordered) for node in group}
    for node, index in membership.items():
        graph.nodes[node]["community"] = index
    return membership


def layout(graph: nx.Graph, seed: int = SEED, iterations: int = 60) -> dict[object, tuple]:
    """Fruchterman-Reingold positions computed here (numpy, fixed seed; about 60 px between
    neighbours), so the browser draws at once with physics off."""
    nodes = list(graph.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    index = {node: i for i, node in enumerate(nodes)}
    adjacency = np.zeros((n, n), dtype=np.float32)
    for a, b, data in graph.edges(data=True):
        weight = float(data.get("count", 1) or 1)
        adjacency[index[a], index[b]] += weight
        adjacency[index[b], index[a]] += weight
    if adjacency.max() > 0:
        adjacency /= adjacency.max()
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2), dtype=np.float32)
    k = math.sqrt(1.0 / n)
    temperature = 0.1
    cooling = temperature / (iterations + 1)
    k2 = k * k
    for _ in range(iterations):
        dx = pos[:, 0:1] - pos[:, 0]
        dy = pos[:, 1:2] - pos[:, 1]
        distance = np.hypot(dx, dy)
        np.maximum(distance, 0.01, out=distance)
        # repulsion k^2 / d, attraction d^2 / k (weighted), both along the unit vector
        force = k2 / (distance * distance) - adjacency * (distance / k)
        displacement = np.stack([(dx * force).sum(axis=1), (dy * force).sum(axis=1)], axis=1)
        # a weak pull to the centre keeps unconnected parts on the canvas
        displacement -= (pos - 0.5) * (0.05 * n * k)
        length = np.maximum(np.hypot(displacement[:, 0], displacement[:, 1]), 0.01)
        pos += displacement * (temperature / length)[:, None]
        temperature -= cooling
    pos -= pos.mean(axis=0)
    # about 60 pixels between neighbours at the scale the page opens with
    pos = pos * (60.0 / k)
    return {
        node: (round(float(x), 1), round(float(y), 1))
        for node, (x, y) in zip(nodes, pos, strict=True)
    }
