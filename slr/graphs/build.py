"""The graphs, as pure networkx functions: tag co-occurrence (with the usual normalisations)
and its synergy matrix, keyword co-occurrence (with a VOSviewer thesaurus), the study-tag
bipartite graph, direct citation, co-citation and bibliographic coupling, communities and
their names, and a readable layout. Every edge carries the studies behind it."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from slr.graphs.citations import Citing, Match, Matcher, reference_key
from slr.graphs.data import Study
from slr.normalize.text import fold

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


@dataclass(frozen=True, slots=True)
class SynergyMatrix:
    """The co-occurrence graph as a tag x tag table: off the diagonal the edge's count of
    studies, strength and studies (0, 0.0 and [] when the tags never meet); on the diagonal the
    studies of the tag alone. Tags with the most studies first."""

    tags: list[str]
    counts: list[list[int]]
    strengths: list[list[float]]
    studies: list[list[list[int]]]
    normalize: str


def synergy_matrix(graph: nx.Graph, order: Sequence[str] | None = None) -> SynergyMatrix:
    """`order`: the tags of the rows and columns (small multiples share one order, a tag
    absent from a period is a row of zeros); default the graph's tags, most studies first."""
    tags = (
        list(order)
        if order is not None
        else sorted(graph.nodes, key=lambda t: (-graph.nodes[t]["count"], str(t)))
    )
    counts = [[0] * len(tags) for _ in tags]
    strengths = [[0.0] * len(tags) for _ in tags]
    studies: list[list[list[int]]] = [[[] for _ in tags] for _ in tags]
    for i, a in enumerate(tags):
        for j, b in enumerate(tags):
            if i == j:
                if a in graph:
                    counts[i][j] = graph.nodes[a]["count"]
                    studies[i][j] = list(graph.nodes[a]["studies"])
            elif a in graph and b in graph and graph.has_edge(a, b):
                edge = graph.edges[a, b]
                counts[i][j] = edge["count"]
                strengths[i][j] = edge["weight"]
                studies[i][j] = list(edge["studies"])
    return SynergyMatrix(
        [str(t) for t in tags], counts, strengths, studies, graph.graph.get("normalize", "count")
    )


# -- keywords ------------------------------------------------------------------------------------

KEYWORD_FIELDS = ("author", "index", "both", "terms")
# words that end a term in a title or abstract: function words, and the words of a paper
# about itself (VOSviewer leaves these to its thesaurus; a default list saves every review
# writing the same one)
_STOPWORD_TEXT = """a about above after again against all also am among an and any are as at be
    because
    been before being below between both but by can could did do does doing down during each
    either et few for from further had has have having he her here hers him his how i if in
    into is it its itself just less many may might more most much must my no nor not of off
    on once one only or other our out over own per same she should since so some such than
    that the their them then there these they this those three through thus to too two under
    until up upon us very via was we were what when where whether which while who whom why
    will with within without would yet you your
    aim aims al analysis approach article based finding findings implication implications
    method methods methodology new originality paper purpose research result results show
    shows showed study studies use used uses using value well
    adopt adopted adopts analyse analysed analyses analyze analyzed analyzes apply applied
    applies conduct conducted conducts discuss discussed discusses draw drawing drawn draws
    employ employed employs examine examined examines explore explored explores find finds
    found identify identified identifies indicate indicated indicates investigate
    investigated investigates offer offered offers propose proposed proposes provide provided
    provides reveal revealed reveals suggest suggested suggests describe described describes
    recommend recommended recommends"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_TERM_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”‘’/|]+|\s[-–—]\s|'s\b")
_TERM_WORD = re.compile(r"\w+(?:[-‐]\w+)*")
LONGEST_TERM = 3  # words


def text_terms(text: str) -> list[str]:
    """The terms of a title or abstract, as VOSviewer's text mining finds candidates: runs of
    up to LONGEST_TERM words between punctuation, stopwords and numbers (longer runs are left
    out: rarely a term), in lower case; each term once (as `fold` compares them)."""
    found: dict[str, str] = {}
    for chunk in _TERM_BREAK.split(text):
        run: list[str] = []
        # a hyphenated word is one word ("e-commerce" folds to "e commerce", not "commerce")
        for token in [*_TERM_WORD.findall(chunk), ""]:
            word = fold(token)
            if word and word not in STOPWORDS and not word.isdigit() and len(word) > 1:
                run.append(token.lower())
                continue
            if 0 < len(run) <= LONGEST_TERM:
                term = " ".join(run)
                found.setdefault(fold(term), term)
            run = []
    return list(found.values())


@dataclass(frozen=True, slots=True)
class Thesaurus:
    """VOSviewer's thesaurus file as data: folded term -> the label it becomes ("" removes the
    term)."""

    replace: dict[str, str]


def parse_thesaurus(text: str, name: str = "thesaurus") -> tuple[Thesaurus, list[str]]:
    """A VOSviewer thesaurus: a header line `label<TAB>replace by`, then one term a line with
    what it becomes (nothing after the tab: the term is left out). Returns the thesaurus and
    the lines it could not read ("name:line: reason")."""
    replace: dict[str, str] = {}
    problems = []
    lines = text.splitlines()
    header = [cell.strip().lower() for cell in lines[0].split("\t")] if lines else []
    if header[:2] != ["label", "replace by"]:
        problems.append(f"{name}:1: the first line must be 'label<TAB>replace by'")
        return Thesaurus(replace), problems
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        label, tab, target = line.partition("\t")
        if not tab or not fold(label):
            problems.append(f"{name}:{number}: expected a term, a tab and what it becomes")
            continue
        replace[fold(label)] = target.strip()
    return Thesaurus(replace), problems


def study_keywords(
    studies: Mapping[int, Study],
    field: str = "author",
    thesaurus: Thesaurus | None = None,
    terms: Mapping[int, Sequence[str]] | None = None,
) -> tuple[dict[int, list[str]], dict[str, str]]:
    """study id -> its keywords as folded keys (the thesaurus applied), and key -> the label
    shown (the thesaurus's target, else the spelling most studies use, ties alphabetical).
    `field` "terms": the `terms` given for each study (`text_terms` of its title and
    abstract)."""
    replace = thesaurus.replace if thesaurus else {}
    spellings: dict[str, dict[str, int]] = {}
    found: dict[int, list[str]] = {}
    for study_id, study in studies.items():
        values = [
            *(study.author_keywords if field in ("author", "both") else ()),
            *(study.index_keywords if field in ("index", "both") else ()),
            *((terms or {}).get(study_id, ()) if field == "terms" else ()),
        ]
        keys: dict[str, None] = {}
        for value in values:
            key = fold(value)
            shown = value.strip()
            if key in replace:
                shown = replace[key]
                key = fold(shown)
            if not key:
                continue
            keys[key] = None
            counted = spellings.setdefault(key, {})
            counted[shown] = counted.get(shown, 0) + 1
        found[study_id] = list(keys)
    # the spelling most studies use; a database's all-capitals form only when there is no other
    labels = {
        key: min(counted, key=lambda text: (_shouted(text), -counted[text], text))
        for key, counted in spellings.items()
    }
    return found, labels


def _shouted(text: str) -> bool:
    """All capitals and longer than an acronym: INNOVATION, not UMKM."""
    return text.isupper() and len(text) > 5


def keyword_graph(
    study_keys: Mapping[int, Sequence[str]],
    labels: Mapping[str, str],
    studies: Mapping[int, Study],
    min_occurrences: int = 2,
    normalize: str = "association",
) -> nx.Graph:
    """Keyword co-occurrence (as VOSviewer's co-word map): the keywords of at least
    `min_occurrences` studies as nodes, edges as `cooccurrence` builds them."""
    occurrences: dict[str, int] = {}
    for keys in study_keys.values():
        for key in keys:
            occurrences[key] = occurrences.get(key, 0) + 1
    kept = {key for key, count in occurrences.items() if count >= min_occurrences}
    chosen = {i: [k for k in keys if k in kept] for i, keys in study_keys.items()}
    graph = cooccurrence(chosen, studies, normalize)
    graph.graph["kind"] = "keywords"
    for key, data in graph.nodes(data=True):
        data["label"] = labels.get(key, key)
        data["kind"] = "keyword"
    return graph


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


def community_names(graph: nx.Graph, top: int = 3) -> dict[int, str]:
    """Each community named as VOSviewer users name clusters: by its `top` largest tags or
    keywords (a map of tags or keywords), or by the tags, else the author keywords, most
    frequent among its studies (a map of studies); "" when there is nothing to name it by."""
    members: dict[int, list] = {}
    for node, data in graph.nodes(data=True):
        if "community" in data:
            members.setdefault(data["community"], []).append(node)
    study_keywords = {
        study_id: study.author_keywords or study.index_keywords
        for study_id, study in graph.graph.get("studies", {}).items()
    }
    names = {}
    for index, nodes in members.items():
        terms: dict[str, int] = {}
        shown: dict[str, str] = {}
        for node in nodes:
            data = graph.nodes[node]
            if data.get("kind") in ("tag", "keyword"):
                words = [str(data.get("label", node))] * int(data.get("count", 1) or 1)
            else:
                words = list(data.get("tags") or ()) or list(study_keywords.get(node, ()))
            for word in words:
                key = fold(word)
                terms[key] = terms.get(key, 0) + 1
                shown.setdefault(key, word)
        ranked = sorted(terms, key=lambda key: (-terms[key], key))[:top]
        names[index] = ", ".join(shown[key] for key in ranked)
    return names


SEED_CITES = 10  # a study citing this many studies of the set is marked as a seed review


def seed_reviews(graph: nx.Graph) -> set[object]:
    """The studies of a direct citation map whose reference list links them to SEED_CITES or
    more studies of the set: the reviews a search was seeded with, usually."""
    if graph.graph.get("kind") != "citation" or not graph.is_directed():
        return set()
    return {node for node in graph.nodes if graph.out_degree(node) >= SEED_CITES}


# Up to this many nodes the layout is ForceAtlas2 (networkx) with every pair compared, then
# discs pushed apart until none overlaps; above it, repulsion comes from a grid (memory and time
# grow with n, not n^2) and nodes without a link wait in rows below the others.
DENSE_LIMIT = 1_000
SPACING = 60.0  # pixels between neighbours at the scale the page opens with
GAP = 4.0  # pixels kept free between two discs
# a citation map where the most cited study is cited fewer times than this draws smaller discs
# (cited once is not "the most important study" of a set)
CITED_SCALE = 10.0
CITATION_KINDS = ("citation", "cocitation", "coupling")


def radii(graph: nx.Graph) -> dict[object, float]:
    """Disc radius of each node in pixels at the scale a page opens with (6 to 30): its area
    grows with `size`, the studies of a tag or keyword, the times a study is cited within the
    set."""
    values = {node: float(data.get("size", 0) or 0) for node, data in graph.nodes(data=True)}
    largest = max(values.values(), default=0.0)
    if graph.graph.get("kind") in CITATION_KINDS:
        largest = max(largest, CITED_SCALE)
    if not largest:
        return {node: 10.0 for node in values}
    return {node: round(6 + 24 * math.sqrt(value / largest), 1) for node, value in values.items()}


def layout(
    graph: nx.Graph,
    seed: int = SEED,
    iterations: int = 60,
    sizes: Mapping[object, float] | None = None,
) -> dict[object, tuple]:
    """Positions in pixels computed here (fixed seed), so the browser draws at once with
    physics off and the SVG figure has the same map.

    Up to DENSE_LIMIT nodes, each connected part on its own, then the parts packed in rows:
    ForceAtlas2 for a part of up to FORCE_ATLAS_LIMIT nodes (hubs push harder, so a study
    citing a hundred others gets a readable ring, not a ball), Fruchterman-Reingold above,
    scaled to about SPACING px per edge, then the discs of radius `sizes` (default
    `radii(graph)`) pushed apart until none overlaps; a small part tries a few seeds and
    stretches until a click at the middle of each edge finds that edge. Above DENSE_LIMIT the
    linked nodes are laid out with repulsion from a grid (`_grid_layout`), their discs pushed
    apart when `sizes` is given (a page or a figure), and the nodes without a link are put in
    rows below them."""
    nodes = list(graph.nodes)
    if len(nodes) <= DENSE_LIMIT:
        return _readable_layout(graph, nodes, seed, sizes if sizes is not None else radii(graph))
    linked = [node for node in nodes if graph.degree(node) > 0]
    alone = [node for node in nodes if graph.degree(node) == 0]
    if len(linked) <= DENSE_LIMIT:
        found = _pixels(linked, _dense_layout(graph, linked, seed, iterations))
    else:
        # a large graph settles more slowly: at least 100 rounds (about 6 s for 100,000 nodes)
        found = _pixels(linked, _grid_layout(graph, linked, seed, max(iterations, 100)))
    if sizes is not None and linked:  # a page or a figure: no disc over another
        radius = np.array([float(sizes.get(node, 10.0)) for node in linked])
        spread = _separate(np.array([found[node] for node in linked]), radius)
        found = {
            node: (round(float(x), 1), round(float(y), 1))
            for node, (x, y) in zip(linked, spread, strict=True)
        }
    found.update(_rows(alone, found))
    return found


# ForceAtlas2 as networkx computes it takes seconds on a loaded machine above this many nodes;
# larger maps use the float32 Fruchterman-Reingold below (5 times faster), then the same
# scaling and separation
FORCE_ATLAS_LIMIT = 400
# a graph with at most this many edges gets up to CLICK_TRIES seeds for clear edge middles
CLICK_EDGES = 60
CLICK_TRIES = 12


def _readable_layout(
    graph: nx.Graph, nodes: list, seed: int, sizes: Mapping[object, float]
) -> dict[object, tuple]:
    """Each connected part laid out on its own, then the parts packed in rows, largest first
    (a force layout alone sends small parts to the far corners and shrinks the map)."""
    if not nodes:
        return {}
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    order = {node: i for i, node in enumerate(nodes)}
    parts = sorted(
        (sorted(part, key=order.__getitem__) for part in nx.connected_components(undirected)),
        key=lambda part: (-len(part), order[part[0]]),
    )
    laid = [_part_layout(graph.subgraph(part), part, seed, sizes) for part in parts]
    pos = _pack(laid, [np.array([sizes.get(n, 10.0) for n in part]) for part in parts])
    every = [node for part in parts for node in part]
    pos -= (pos.min(axis=0) + pos.max(axis=0)) / 2
    found = {
        node: (round(float(x), 1), round(float(y), 1))
        for node, (x, y) in zip(every, pos, strict=True)
    }
    return {node: found[node] for node in nodes}


def _pack(laid: list[np.ndarray], radii: list[np.ndarray]) -> np.ndarray:
    """The parts' boxes (discs included, a margin around) in rows of about the width of a
    square holding them all, largest first; the parts' positions moved into their boxes."""
    margin = 2 * SPACING / 3
    boxes = []
    for pos, radius in zip(laid, radii, strict=True):
        low = (pos - radius[:, None]).min(axis=0)
        high = (pos + radius[:, None]).max(axis=0)
        boxes.append((low, high - low + margin))
    width = max(
        math.sqrt(sum(float(size[0] * size[1]) for _low, size in boxes)) * 1.3,
        max(float(size[0]) for _low, size in boxes),
    )
    x = y = row = 0.0
    moved = []
    for pos, (low, size) in zip(laid, boxes, strict=True):
        if x > 0 and x + size[0] > width:
            x, y, row = 0.0, y + row, 0.0
        moved.append(pos - low + np.array([x, y]))
        x += float(size[0])
        row = max(row, float(size[1]))
    return np.concatenate(moved)


def _part_layout(
    graph: nx.Graph, nodes: list, seed: int, sizes: Mapping[object, float]
) -> np.ndarray:
    """One connected part: ForceAtlas2, the discs pushed apart, and for a small part the first
    of a few seeds whose edge middles are all clear."""
    if len(nodes) == 1:
        return np.zeros((1, 2))
    radius = np.array([float(sizes.get(node, 10.0)) for node in nodes])
    tries = CLICK_TRIES if graph.number_of_edges() <= CLICK_EDGES else 1
    best: tuple[int, np.ndarray] | None = None
    spacing = max(SPACING, 4 * float(radius.mean()))
    for attempt in range(tries):
        start = _force_layout(graph, nodes, seed + attempt, spacing)
        # longer edges move their middles out of the discs at their ends
        if tries == 1:  # a large part: no search for clear edge middles
            return _separate(start, radius)
        for stretch in (1.0, 1.4, 2.0):
            pos = _separate(start * stretch, radius)
            blocked = len(blocked_edge_middles(graph, nodes, pos, radius))
            if best is None or blocked < best[0]:
                best = (blocked, pos)
            if not blocked:
                return pos
    assert best is not None
    return best[1]


def _force_layout(graph: nx.Graph, nodes: list, seed: int, spacing: float) -> np.ndarray:
    """ForceAtlas2 (networkx, seeded start), scaled so that an edge is about `spacing` px."""
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    if len(nodes) <= FORCE_ATLAS_LIMIT:
        rng = np.random.default_rng(seed)
        start = {node: rng.random(2) for node in nodes}
        found = nx.forceatlas2_layout(undirected, pos=start, max_iter=100, seed=seed)
        pos = np.array([found[node] for node in nodes], dtype=np.float64)
    else:
        pos = _dense_layout(graph, nodes, seed, 60).astype(np.float64)
    index = {node: i for i, node in enumerate(nodes)}
    lengths = [math.dist(pos[index[a]], pos[index[b]]) for a, b in undirected.edges() if a != b]
    typical = float(np.median(lengths)) if lengths else 0.0
    if typical <= 1e-9:
        span = float((pos.max(axis=0) - pos.min(axis=0)).max())
        typical = span / math.sqrt(len(nodes)) if span > 1e-9 else 1.0
    return (pos - pos.mean(axis=0)) * (spacing / typical)


def _separate(pos: np.ndarray, radius: np.ndarray, rounds: int = 60) -> np.ndarray:
    """Push overlapping discs apart until every pair is at least GAP px apart.

    First the whole map is spread (never shrunk) so that most nodes are as far from their
    nearest neighbour as their discs need; then each overlapping pair is pushed apart along the
    line between them, neighbours found with a k-d tree (a round costs about n log n); a map
    still crowded after `rounds` is spread by a tenth and pushed again."""
    pos = pos.copy()
    if len(pos) < 2:
        return pos
    centre = pos.mean(axis=0)
    distance, nearest = _nearest(pos)
    need = (radius + radius[nearest] + GAP) / np.maximum(distance, 1e-6)
    spread = min(max(float(np.quantile(need, 0.9)), 1.0), 10.0)
    pos = centre + (pos - centre) * spread
    reach = 2 * float(radius.max()) + GAP
    rng = np.random.default_rng(SEED)
    for _attempt in range(20):
        for _ in range(rounds):
            pairs = _close_pairs(pos, reach)
            if not len(pairs):
                return pos
            i, j = pairs[:, 0], pairs[:, 1]
            delta = pos[i] - pos[j]
            distance = np.hypot(delta[:, 0], delta[:, 1])
            overlap = radius[i] + radius[j] + GAP - distance
            keep = overlap > 1e-6
            if not keep.any():
                return pos
            i, j, delta, distance = i[keep], j[keep], delta[keep], distance[keep]
            overlap = overlap[keep]
            same = distance < 1e-9  # two nodes at one point: a random direction
            delta[same] = rng.normal(size=(int(same.sum()), 2))
            distance[same] = np.hypot(delta[same, 0], delta[same, 1])
            # a little more than half each, so the pair ends apart rather than just touching
            push = delta * (overlap * 0.55 / distance)[:, None]
            for axis in (0, 1):
                pos[:, axis] += np.bincount(i, push[:, axis], len(pos))
                pos[:, axis] -= np.bincount(j, push[:, axis], len(pos))
        centre = pos.mean(axis=0)
        pos = centre + (pos - centre) * 1.1
    return pos


def _nearest(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point's distance to its nearest other point, and that point's index."""
    if len(pos) <= DENSE_LIMIT:
        distance = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(distance, np.inf)
        nearest = distance.argmin(axis=1)
        return distance[np.arange(len(pos)), nearest], nearest
    from scipy.spatial import cKDTree  # large maps only: scipy.spatial takes a second to load

    distance, nearest = cKDTree(pos).query(pos, k=2)
    return distance[:, 1], nearest[:, 1]


def _close_pairs(pos: np.ndarray, reach: float) -> np.ndarray:
    """The pairs (i < j) of points closer than `reach`: every pair compared up to DENSE_LIMIT
    points (a few milliseconds), a k-d tree above."""
    if len(pos) <= DENSE_LIMIT:
        points = pos.astype(np.float32)
        dx = points[:, 0:1] - points[:, 0]
        dy = points[:, 1:2] - points[:, 1]
        i, j = np.nonzero(dx * dx + dy * dy < reach * reach)
        keep = i < j
        return np.stack([i[keep], j[keep]], axis=1)
    from scipy.spatial import cKDTree  # large maps only: scipy.spatial takes a second to load

    return cKDTree(pos).query_pairs(reach, output_type="ndarray")


def blocked_edge_middles(
    graph: nx.Graph, nodes: list, pos: np.ndarray, radius: np.ndarray, clear: float = 4.0
) -> list[tuple]:
    """The edges whose middle a click would not find: inside a node's box (the page picks
    nodes first, by their square box), or as near another edge as to their own."""
    index = {node: i for i, node in enumerate(nodes)}
    edges = [(a, b) for a, b in graph.edges() if a != b and a in index and b in index]
    ends = np.array([[pos[index[a]], pos[index[b]]] for a, b in edges]).reshape(-1, 2, 2)
    blocked = []
    for k, (a, b) in enumerate(edges):
        middle = ends[k].mean(axis=0)
        inside = np.abs(pos - middle).max(axis=1) <= radius + clear
        if inside.any():
            blocked.append((a, b))
            continue
        others = np.delete(ends, k, axis=0)
        if len(others) and _segment_distances(middle, others).min() < clear:
            blocked.append((a, b))
    return blocked


def _segment_distances(point: np.ndarray, segments: np.ndarray) -> np.ndarray:
    start, end = segments[:, 0], segments[:, 1]
    along = end - start
    length = np.maximum((along * along).sum(axis=1), 1e-12)
    t = np.clip(((point - start) * along).sum(axis=1) / length, 0, 1)
    nearest = start + along * t[:, None]
    return np.hypot(*(nearest - point).T)


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
