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
    # only the pairs that share a reference, not every pair of citing studies
    citing_of: dict[str, list[int]] = {}
    for item_id in sorted(keys):
        for key in keys[item_id]:
            citing_of.setdefault(key, []).append(item_id)
    pairs = {pair for ids in citing_of.values() for pair in itertools.combinations(ids, 2)}
    for a, b in sorted(pairs):
        shared = sorted(set(keys[a]) & set(keys[b]))
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


# Up to this many nodes the layout compares every pair (n x n matrices of 4 MB at most), as it
# always has; above it, repulsion comes from a grid (memory and time grow with n, not n^2) and
# nodes without a link wait in rows below the others.
DENSE_LIMIT = 1_000
SPACING = 60.0  # pixels between neighbours at the scale the page opens with


def layout(graph: nx.Graph, seed: int = SEED, iterations: int = 60) -> dict[object, tuple]:
    """Fruchterman-Reingold positions computed here (numpy, fixed seed; about 60 px between
    neighbours), so the browser draws at once with physics off.

    Up to DENSE_LIMIT nodes every pair of nodes repels; above it the linked nodes are laid out
    with repulsion from a grid (`_grid_layout`) and the nodes without a link are put in rows
    below them."""
    nodes = list(graph.nodes)
    if len(nodes) <= DENSE_LIMIT:
        return _pixels(nodes, _dense_layout(graph, nodes, seed, iterations))
    linked = [node for node in nodes if graph.degree(node) > 0]
    alone = [node for node in nodes if graph.degree(node) == 0]
    if len(linked) <= DENSE_LIMIT:
        found = _pixels(linked, _dense_layout(graph, linked, seed, iterations))
    else:
        # a large graph settles more slowly: at least 100 rounds (about 6 s for 100,000 nodes)
        found = _pixels(linked, _grid_layout(graph, linked, seed, max(iterations, 100)))
    found.update(_rows(alone, found))
    return found


def _pixels(nodes: list, pos: np.ndarray) -> dict[object, tuple]:
    """Unit-square positions centred and scaled so that the ideal distance is SPACING px."""
    if not nodes:
        return {}
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    pos = (pos - pos.mean(axis=0)) * (SPACING / math.sqrt(1.0 / len(nodes)))
    return {
        node: (round(float(x), 1), round(float(y), 1))
        for node, (x, y) in zip(nodes, pos, strict=True)
    }


def _rows(nodes: list, placed: Mapping[object, tuple]) -> dict[object, tuple]:
    """Nodes without a link, in a square block of rows below the laid-out ones."""
    if not nodes:
        return {}
    xs = [x for x, _y in placed.values()] or [0.0]
    top = max((y for _x, y in placed.values()), default=-2 * SPACING) + 2 * SPACING
    columns = math.ceil(math.sqrt(len(nodes)))
    left = (min(xs) + max(xs)) / 2 - (columns - 1) * SPACING / 2
    return {
        node: (round(left + (i % columns) * SPACING, 1), round(top + (i // columns) * SPACING, 1))
        for i, node in enumerate(nodes)
    }


def _dense_layout(graph: nx.Graph, nodes: list, seed: int, iterations: int) -> np.ndarray:
    """Every pair of nodes repels: n x n arrays, for small graphs only."""
    n = len(nodes)
    if n < 2:
        return np.zeros((n, 2), dtype=np.float32)
    index = {node: i for i, node in enumerate(nodes)}
    adjacency = np.zeros((n, n), dtype=np.float32)
    for a, b, data in graph.edges(nodes, data=True):
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
    return pos


def _grid_layout(graph: nx.Graph, nodes: list, seed: int, iterations: int) -> np.ndarray:
    """The same forces for large graphs, in O(n + edges) memory: attraction along the edges,
    repulsion k^2/d from the node density on a grid of about 2 sqrt(n) cells a side, convolved
    with the force of one node by FFT (a particle-mesh method; nodes in one cell do not push
    each other, and a cell is about half the distance wanted between neighbours)."""
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    weights: dict[tuple[int, int], float] = {}
    for a, b, data in graph.edges(nodes, data=True):
        i, j = sorted((index[a], index[b]))
        if i != j:
            weights[i, j] = weights.get((i, j), 0.0) + float(data.get("count", 1) or 1)
    pairs = np.array(list(weights), dtype=np.int64).reshape(-1, 2)
    strength = np.array(list(weights.values()), dtype=np.float64)
    if strength.size:
        strength /= strength.max()
    cells = int(min(512, max(32, 2 * math.sqrt(n))))
    # the repulsion of one node in cell units, (a, b) / (a^2 + b^2), laid out for a circular
    # convolution of size 2 * cells (offsets from -(cells - 1) to cells - 1 never wrap onto
    # each other)
    offsets = np.fft.fftfreq(2 * cells, 1 / (2 * cells))
    a, b = np.meshgrid(offsets, offsets, indexing="ij")
    square = a * a + b * b
    square[0, 0] = np.inf
    kernel_x = np.fft.rfft2(a / square)
    kernel_y = np.fft.rfft2(b / square)
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2))
    k = math.sqrt(1.0 / n)
    temperature = 0.1
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        low = pos.min(axis=0)
        span = max(float((pos.max(axis=0) - low).max()), 1e-9)
        cell = np.minimum(((pos - low) * (cells / span)).astype(np.int64), cells - 1)
        flat = cell[:, 0] * cells + cell[:, 1]
        density = np.bincount(flat, minlength=cells * cells).reshape(cells, cells)
        spectrum = np.fft.rfft2(density, s=(2 * cells, 2 * cells))
        scale = k * k * cells / span  # k^2 / (cell size)
        field_x = np.fft.irfft2(spectrum * kernel_x, s=(2 * cells, 2 * cells))[:cells, :cells]
        field_y = np.fft.irfft2(spectrum * kernel_y, s=(2 * cells, 2 * cells))[:cells, :cells]
        displacement = np.stack(
            [field_x.ravel()[flat] * scale, field_y.ravel()[flat] * scale], axis=1
        )
        if pairs.size:
            delta = pos[pairs[:, 0]] - pos[pairs[:, 1]]
            pull = delta * (np.hypot(delta[:, 0], delta[:, 1]) * strength / k)[:, None]
            for axis in (0, 1):
                displacement[:, axis] -= np.bincount(pairs[:, 0], pull[:, axis], n)
                displacement[:, axis] += np.bincount(pairs[:, 1], pull[:, axis], n)
        displacement -= (pos - 0.5) * (0.05 * n * k)
        length = np.maximum(np.hypot(displacement[:, 0], displacement[:, 1]), 0.01)
        pos += displacement * (temperature / length)[:, None]
        temperature -= cooling
    return pos
