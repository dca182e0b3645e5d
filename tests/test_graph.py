"""Graphs (issue 7): co-occurrence with its normalisations on a hand-computed example, the
synergy table, citation matching on the demo corpus (checked against the seeds' reference
lists), co-citation, coupling, communities, and every output format."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import tracemalloc
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from slr.cli import main
from slr.graphs import build, render
from slr.graphs.citations import (
    EXACT_TITLE,
    Citing,
    Match,
    Target,
    _abbreviation_score,
    match_citations,
    title_pieces,
)
from slr.graphs.data import Study, citation_inputs, load_studies
from slr.importing import import_files
from slr.normalize.text import fold
from slr.store import Review

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
EXPORTS = sorted((REPO / "corpus" / "exports").iterdir())
WORKS = json.loads((REPO / "corpus" / "works.json").read_text(encoding="utf-8"))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


# -- co-occurrence on a hand-computed example ----------------------------------------------------

# s1: a b c, s2: a b, s3: a c, s4: b, s5: d
#   studies per tag s: a 3, b 3, c 2, d 1; together c: ab 2, ac 2, bc 1
#   total link strength k: a 4, b 3, c 3; m = 5
TAGS = {1: ["a", "b", "c"], 2: ["a", "b"], 3: ["a", "c"], 4: ["b"], 5: ["d"]}
STUDIES = {i: Study(i, f"Author{i} (2020)", f"Title {i}", 2020) for i in TAGS}
EXPECTED = {
    "count": {("a", "b"): 2, ("a", "c"): 2, ("b", "c"): 1},
    # VOSviewer's association strength 2 m c / (k_i k_j)
    "association": {("a", "b"): 20 / 12, ("a", "c"): 20 / 12, ("b", "c"): 10 / 9},
    "jaccard": {("a", "b"): 2 / 4, ("a", "c"): 2 / 3, ("b", "c"): 1 / 4},
    "cosine": {("a", "b"): 2 / 3, ("a", "c"): 2 / math.sqrt(6), ("b", "c"): 1 / math.sqrt(6)},
    "inclusion": {("a", "b"): 2 / 3, ("a", "c"): 1.0, ("b", "c"): 1 / 2},
}


@pytest.mark.parametrize("method", build.NORMALIZATIONS)
def test_cooccurrence_counts_and_normalisations_by_hand(method: str) -> None:
    graph = build.cooccurrence(TAGS, STUDIES, method)
    assert dict(graph.nodes(data="count")) == {"a": 3, "b": 3, "c": 2, "d": 1}
    assert graph.nodes["a"]["studies"] == [1, 2, 3]
    edges = {tuple(sorted((a, b))): d for a, b, d in graph.edges(data=True)}
    assert set(edges) == set(EXPECTED[method])
    for pair, value in EXPECTED[method].items():
        assert edges[pair]["weight"] == pytest.approx(value, abs=1e-6)
    assert edges[("a", "b")]["studies"] == [1, 2]
    assert edges[("b", "c")]["count"] == 1
    assert graph.degree("d") == 0


def test_synergy_table_strongest_first_and_its_files() -> None:
    graph = build.cooccurrence(TAGS, STUDIES, "jaccard")
    rows = build.synergy_table(graph)
    assert [(r.pair, r.studies, round(r.strength, 4), r.study_ids) for r in rows] == [
        (("a", "c"), 2, 0.6667, [1, 3]),
        (("a", "b"), 2, 0.5, [1, 2]),
        (("b", "c"), 1, 0.25, [1]),
    ]
    assert render.synergy_markdown(rows, STUDIES).splitlines()[2] == (
        "| a + c | 2 | 0.666667 | Author1 (2020) [#1]; Author3 (2020) [#3] |"
    )
    assert render.synergy_csv(rows, STUDIES).splitlines()[:2] == [
        "tag_a,tag_b,studies,strength,study_ids,study_list",
        "a,c,2,0.666667,1;3,Author1 (2020); Author3 (2020)",
    ]


def test_bipartite_study_tag_graph() -> None:
    graph = build.bipartite(TAGS, STUDIES)
    assert graph.number_of_nodes() == 5 + 4
    assert graph.number_of_edges() == 9
    assert sorted(graph.neighbors("s1")) == ["a", "b", "c"]
    assert graph.nodes["a"]["studies"] == [1, 2, 3] and graph.nodes["s4"]["bipartite"] == 0


def test_periods_split_the_studies() -> None:
    studies = {
        i: Study(i, s.label, s.title, 2019 if i < 3 else 2024, "", "old" if i < 3 else "new")
        for i, s in STUDIES.items()
    }
    graphs = build.by_period(TAGS, studies, ["old", "new"])
    assert sorted(graphs["old"].edges) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert graphs["old"].edges["a", "b"]["count"] == 2
    assert sorted(graphs["new"].nodes) == ["a", "b", "c", "d"]
    assert sorted(graphs["new"].edges) == [("a", "c")]


def test_communities_are_reproducible_and_numbered_by_size() -> None:
    graph = nx.Graph()
    graph.add_edges_from(itertools_pairs(range(5)) + itertools_pairs(range(10, 13)))
    graph.add_edge(4, 10)
    first = build.communities(graph)
    assert first == build.communities(graph.copy())
    assert {n for n, c in first.items() if c == 0} == {0, 1, 2, 3, 4}
    assert {n for n, c in first.items() if c == 1} == {10, 11, 12}
    positions = build.layout(graph)
    assert positions == build.layout(graph) and len(positions) == 8


def itertools_pairs(nodes: range) -> list[tuple[int, int]]:
    items = list(nodes)
    return [(a, b) for i, a in enumerate(items) for b in items[i + 1 :]]


# -- layouts and pages of large graphs -----------------------------------------------------------


def test_large_layouts_grow_with_n_not_n_squared() -> None:
    """Above DENSE_LIMIT nodes, repulsion comes from a grid and unlinked nodes wait in rows
    below: the same positions every time, neighbours drawn nearer than strangers, and memory
    far below one 4,000 x 4,000 matrix (61 MB in float32)."""
    graph = nx.barabasi_albert_graph(4_000, 2, seed=1)
    graph.add_nodes_from(range(4_000, 4_100))
    tracemalloc.start()
    positions = build.layout(graph)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 12 * 2**20, peak
    assert positions == build.layout(graph) and len(positions) == 4_100

    def distance(a: int, b: int) -> float:
        return math.dist(positions[a], positions[b])

    linked = sum(distance(a, b) for a, b in graph.edges) / graph.number_of_edges()
    strangers = sum(distance(i, (i * 7919) % 4_000) for i in range(4_000)) / 4_000
    assert linked < strangers / 2
    lowest = max(y for node, (_x, y) in positions.items() if node < 4_000)
    rows = [positions[node] for node in range(4_000, 4_100)]
    assert min(y for _x, y in rows) > lowest and len(set(rows)) == 100
    assert {y for _x, y in rows} == {rows[0][1] + 60 * i for i in range(10)}


def test_small_layouts_keep_discs_apart_and_edge_middles_clickable() -> None:
    """Up to DENSE_LIMIT nodes: ForceAtlas2, seeded (the same positions every time), no two
    discs closer than their radii and GAP, an unlinked node near the others, and the middle of
    every edge of a small graph away from any disc and any other edge (a click there finds
    it), a complete graph of four (whose square layout crosses its diagonals at their middles)
    included."""
    for graph in (nx.path_graph(5), nx.complete_graph(4), nx.star_graph(40)):
        graph.add_node(99)
        sizes = {node: 10.0 + 5 * (node % 3) for node in graph}
        positions = build.layout(graph, sizes=sizes)
        assert positions == build.layout(graph, sizes=sizes)
        nodes = list(graph)
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                gap = math.dist(positions[a], positions[b]) - sizes[a] - sizes[b]
                assert gap >= build.GAP - 0.2, (a, b, gap)
        pos = np.array([positions[n] for n in nodes])
        radius = np.array([sizes[n] for n in nodes])
        if graph.number_of_edges() <= 10:  # a ring of 40 around a hub has inner leaves
            assert build.blocked_edge_middles(graph, nodes, pos, radius) == []
        assert max(math.dist(positions[99], p) for p in positions.values()) < 1000


def test_a_citation_page_draws_only_linked_studies_and_says_how_many_are_not() -> None:
    studies = {i: Study(i, f"S{i} (2020)", f"Title {i}", 2020) for i in range(1, 6)}
    graph = build.citation_graph([Match(1, 2, "doi", 1.0, "10.1/x")], studies)
    build.communities(graph)
    data = render.page_data(graph)
    assert [n["name"] for n in data["nodes"]] == ["S1 (2020)", "S2 (2020)"]
    assert len(data["edges"]) == 1 and sorted(data["studies"]) == ["1", "2"]
    note = "3 of the 5 studies have no citation link within the set and are not drawn"
    assert data["note"] == note
    page = render.html_page(graph)
    assert f"{note} (GraphML, GEXF and VOSviewer files hold them)." in page
    # the other formats keep every study
    assert nx.read_graphml(io.StringIO(render.graphml_text(graph))).number_of_nodes() == 5
    assert len(render.vosviewer_json(graph)["network"]["items"]) == 5


def test_a_page_keeps_the_most_linked_nodes() -> None:
    graph = nx.star_graph(10)  # centre 0, degree 10
    nx.add_path(graph, [20, 21, 22, 23, 24])  # 21, 22 and 23 have two links
    part, note = render.page_part(graph, limit=3)
    assert list(part.nodes) == [0, 21, 22] and note == (
        "only the 3 most linked of the 16 nodes are drawn"
    )
    assert render.page_part(graph) == (graph, "")


def test_graph_citation_says_what_its_page_leaves_out(demo: Path, tmp_path: Path) -> None:
    page = tmp_path / "c.html"
    code, output = run("graph", "citation", f"--review={demo}", "--stage=full_text", f"-o{page}")
    assert code == 0, output
    assert output.splitlines()[-1] == (
        f"Wrote {page} (html; 4 of the 7 studies have no citation link within the set and "
        "are not drawn)"
    )


@given(
    title=st.text("abcde ", min_size=30, max_size=90),
    edits=st.lists(
        st.tuples(st.integers(0, 89), st.sampled_from(["insert", "delete", "replace"])),
        max_size=6,
    ),
    head=st.text("abcde ,.", max_size=30),
    tail=st.text("abcde ,.", max_size=30),
)
def test_title_pieces_never_hide_a_title_the_reference_holds(
    title: str, edits: list[tuple[int, str]], head: str, tail: str
) -> None:
    """The shortcut of the any-year title rule is exact: whenever partial_ratio >= 97 finds a
    title in a longer reference, the reference holds enough of the title's pieces (so the
    titles compared are only those that have them)."""
    copy = list(title)
    for position, edit in edits:
        at = position % (len(copy) + 1)
        if edit == "insert":
            copy.insert(at, "x")
        elif at < len(copy):
            copy[at : at + 1] = [] if edit == "delete" else ["y"]
    reference = head + "".join(copy) + tail
    if len(title) < len(reference) and fuzz.partial_ratio(title, reference) >= EXACT_TITLE:
        pieces, needed = title_pieces(title)
        assert sum(piece in reference for piece in pieces) >= needed


# -- citation matching rules ---------------------------------------------------------------------


def test_abbreviated_sources_and_truncations() -> None:
    full = "journal of electronic commerce research"
    assert _abbreviation_score("j elect commer res", full) == 100
    # the same abbreviation skips words of a longer title: not a match
    other = "journal of theoretical and applied electronic commerce research"
    assert _abbreviation_score("j elect commer res", other) < 85
    assert (
        _abbreviation_score(
            "int j ebusiness egov", "international journal of e business and e government studies"
        )
        == 100
    )
    # WoS cuts sources at 20 characters
    assert _abbreviation_score("membangun keterlibat", "membangun keterlibatan konsumen") == 100
    assert _abbreviation_score("j bus res", "journal of marketing management") < 50


def target(i: int, family: str, year: int, title: str, source: str, **extra: object) -> Target:
    return Target(
        i,
        family=family,
        year=year,
        title=fold(title),
        source=fold(source),
        venues=(fold(source),),
        **extra,
    )  # type: ignore[arg-type]


def test_rules_in_order_and_ties_left_unlinked() -> None:
    targets = [
        target(
            1,
            "wongkitrungrueng",
            2020,
            "The role of live streaming in building consumer "
            "trust and engagement with social commerce sellers",
            "Journal of Business Research",
            doi="10.1016/j.jbusres.2020.05.032",
        ),
        target(
            2,
            "wongkitrungrueng",
            2020,
            "Live streaming commerce from the sellers' perspective",
            "Journal of Marketing Management",
        ),
        target(
            3,
            "chen",
            2023,
            "The role of influencers",
            "Journal of Theoretical and Applied Electronic Commerce Research",
            ids=("openalex:W123456",),
        ),
        target(
            4,
            "cheng",
            2023,
            "AI-enabled technology innovation in e-commerce",
            "Journal of Electronic Commerce Research",
        ),
        target(5, "smith", 2021, "One title about trust", "Journal A"),
        target(6, "smith", 2021, "Another title about trust", "Journal A"),
    ]
    citing = [
        Citing(
            9,
            [
                "Wongkitrungrueng A, 2020, J BUS RES, V117, P543",  # WoS: source
                "Wongkitrungrueng A., Assarut N., Live streaming commerce from the sellers' "
                "perspective, J. Mark. Manag., 36, (2020)",  # Scopus: title
                "https://openalex.org/W123456",
                "Cheng X, 2023, J ELECT COMMER RES, V24, P1",  # not Chen 2023
                "Smith J, 2021, J A",  # two Smith 2021 in J A: no link
                "Nobody Z, 2021, J A",
            ],
            ["10.1016/j.jbusres.2020.05.032"],
        )
    ]
    found = {(m.cited, m.rule, m.score) for m in match_citations(citing, targets)}
    # target 1 is found by its DOI too: the identifier wins over the fuzzy match
    assert found == {
        (1, "doi", 1.0),
        (2, "fuzzy:title", 1.0),
        (3, "openalex", 1.0),
        (4, "fuzzy:source", 1.0),
    }


# -- the demo corpus -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("graph") / "review"
    with Review.create(path, PROTOCOL) as review:
        import_files(review, EXPORTS)
    assert run("dedup", "--review", str(path))[0] == 0
    assert run("screen", "auto", "--review", str(path))[0] == 0
    assert run("tag", "--review", str(path), "--stage", "all")[0] == 0
    return path


@pytest.fixture
def demo(tagged: Path, tmp_path: Path) -> Path:
    target = tmp_path / "review"
    shutil.copytree(tagged, target)
    return target


def work_of_record(clusters: dict) -> dict[int, str]:
    """Each review record's work in corpus/works.json, by its title or a variant title."""
    titles: dict[str, set[str]] = {}
    for work in WORKS:
        variants = [v["title"] for v in work.get("variants", {}).values() if "title" in v]
        for title in (work["title"], *variants):
            titles.setdefault(fold(title), set()).add(work["key"])
    found = {}
    for record_id, records in clusters.items():
        keys = set().union(*(titles.get(fold(r.title), set()) for r in records))
        assert len(keys) == 1, (record_id, keys)
        found[record_id] = keys.pop()
    return found


def test_demo_citations_match_the_seeds_reference_lists(tagged: Path) -> None:
    # the three seeds cite 38 + 23 + 60 works, all in the corpus: 121 true citations
    truth = {(w["key"], cited) for w in WORKS for cited in w["cites"]}
    assert len(truth) == 121
    with Review.open(tagged) as review:
        studies, clusters = load_studies(review, "all")
        work = work_of_record(clusters)
        citing, targets = citation_inputs(clusters)
        by_source: dict[str, list[Citing]] = {}
        for stored in review.iter_records():
            record = stored.record
            if record.cited_references:
                by_source.setdefault(stored.source_file, []).append(
                    Citing(
                        stored.duplicate_of or stored.id, record.cited_references, record.cited_dois
                    )
                )
    assert len(studies) == 124
    matches = match_citations(citing, targets)
    found = {(work[m.citing], work[m.cited]) for m in matches}
    assert len(matches) == 121 and found == truth
    assert Counter(m.rule for m in matches) == {"doi": 74, "fuzzy:title": 46, "fuzzy:source": 1}
    # each export's reference list alone: WoS CR (author, year, abbreviated source, DOI) and
    # Scopus References (authors, title, source, year, no DOI) both find all 121
    for source, rules in (
        ("wos.txt", {"doi": 74, "fuzzy:source": 46, "fuzzy:title": 1}),
        ("scopus.csv", {"fuzzy:title": 120, "fuzzy:source": 1}),
    ):
        alone = match_citations(by_source[source], targets)
        assert {(work[m.citing], work[m.cited]) for m in alone} == truth, source
        assert Counter(m.rule for m in alone) == rules, source


def test_graph_citation_command_and_files(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    code, output = run(
        "graph",
        "citation",
        "--review",
        str(demo),
        "--stage",
        "all",
        "--top",
        "2",
        "-o",
        str(out / "c.csv"),
        "-o",
        str(out / "c.graphml"),
    )
    assert code == 0
    assert output == (
        "124 studies (all), 3 with references (242 references)\n"
        "Citations within the set: 121 (doi 74, fuzzy:source 1, fuzzy:title 46)\n"
        "Most cited within the set:\n"
        "    1  #54 Amelia (2024) Visual content strategies for increasing online visibility of "
        "culinary MSMEs\n"
        "    1  #55 Aulia & Harto (2024) Membangun Keterlibatan Konsumen Melalui Strategi Konten "
        "Marketing dalam Live Streaming: Analisis Kualitatif Terhadap Brand yang Berhasil di "
        "Shopee\n"
        f"Wrote {out / 'c.csv'} (csv)\n"
        f"Wrote {out / 'c.graphml'} (graphml)\n"
    )
    rows = list(csv.DictReader(io.StringIO((out / "c.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 121
    wong = next(r for r in rows if r["rule"] == "fuzzy:source")
    assert (wong["source"], wong["target"], wong["score"]) == ("51", "150", "0.87")
    assert wong["reference"].startswith("Wongkitrungrueng A., Assarut N., The Role of Live")
    graph = nx.read_graphml(out / "c.graphml")
    assert graph.is_directed() and graph.number_of_edges() == 121
    assert graph.edges["51", "150"]["rule"] == "fuzzy:source"
    assert sorted(p.name for p in out.iterdir()) == ["c.csv", "c.graphml"]

    # co-citation: every pair of works one seed cites: C(38,2) + C(23,2) + C(60,2)
    code, output = run(
        "graph",
        "citation",
        "--review",
        str(demo),
        "--stage",
        "all",
        "--kind",
        "cocitation",
        "--top",
        "0",
        "-o",
        str(out / "co.gexf"),
    )
    assert code == 0 and "co-citation (all): 121 nodes, 2,726 edges\n" in output
    assert nx.read_gexf(out / "co.gexf").number_of_edges() == 703 + 253 + 1770
    # the seeds' reference lists do not overlap: no bibliographic coupling
    code, output = run(
        "graph",
        "citation",
        "--review",
        str(demo),
        "--stage",
        "all",
        "--kind",
        "coupling",
        "--top",
        "0",
    )
    assert code == 0 and "bibliographic coupling (all): 0 nodes, 0 edges\n" in output


def test_bibliographic_coupling_counts_shared_references() -> None:
    studies = {i: Study(i, f"S{i}", f"T{i}") for i in (1, 2, 3)}
    targets = [Target(i) for i in studies]
    citing = [
        Citing(
            1,
            [
                "Hung K, 2022, J ADVERTISING, V51, P486, DOI 10.1080/00913367.2022.1",
                "X Y, 2001, J OTHER",
            ],
        ),
        Citing(
            2,
            ["Hung K., Title, Journal of Advertising, (2022)", "X Y, 2001, J OTHER"],
            ["10.1080/00913367.2022.1"],
        ),
        Citing(3, ["Z Q, 1999, J NONE"]),
    ]
    from slr.graphs.citations import Matcher

    graph = build.coupling_graph(citing, Matcher(targets), studies)
    assert list(graph.edges(data="count")) == [(1, 2, 2)]
    assert graph.edges[1, 2]["shared"] == [
        "Hung K, 2022, J ADVERTISING, V51, P486, DOI 10.1080/00913367.2022.1",
        "X Y, 2001, J OTHER",
    ]


# association strength by hand: counts influencer+ugc 8, cbec+influencer 2, cbec+ugc 2, and 1 for
# each pair with personal_shopper; total link strength k: cbec 5, influencer 11, ugc 11,
# personal_shopper 3; m = 15; so cbec+personal_shopper = 2*15*1/(5*3) = 2,
# influencer+ugc = 2*15*8/(11*11) = 1.98347, cbec+influencer = 2*15*2/(5*11) = 1.09091,
# influencer+personal_shopper = 2*15*1/(11*3) = 0.909091
COOCCURRENCE_OUTPUT = """124 studies (all), 36 with a drivers tag
4 nodes, 6 edges, 1 community
  cbec + personal_shopper: 1 study, association 2 (#53)
  influencer + ugc: 8 studies, association 1.98347 (#53, #78, #125, #148, #150, #151, #153, #170)
  cbec + influencer: 2 studies, association 1.09091 (#53, #78)
  cbec + ugc: 2 studies, association 1.09091 (#53, #78)
  influencer + personal_shopper: 1 study, association 0.909091 (#53)
  personal_shopper + ugc: 1 study, association 0.909091 (#53)
"""


def test_graph_cooccurrence_command_tables_and_formats(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    names = ("g.html", "g.csv", "g.graphml", "g.gexf", "g.json")
    args = [f"-o{out / name}" for name in names]
    code, output = run(
        "graph",
        "cooccurrence",
        "--review",
        str(demo),
        "--stage",
        "all",
        "--normalize",
        "association",
        *args,
        "--table",
        str(out / "t.md"),
        "--table",
        str(out / "t.csv"),
    )
    assert code == 0, output
    written = "".join(f"Wrote {out / n} ({render.FORMATS['.' + n.split('.')[1]]})\n" for n in names)
    assert output == (
        COOCCURRENCE_OUTPUT
        + written
        + f"Wrote {out / 't.md'} (synergy table)\nWrote {out / 't.csv'} (synergy table)\n"
    )
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "t.md", "t.csv"])
    rows = list(csv.DictReader(io.StringIO((out / "g.csv").read_text(encoding="utf-8"))))
    assert [(r["source"], r["target"], r["count"], r["studies"]) for r in rows] == [
        ("cbec", "influencer", "2", "53;78"),
        ("cbec", "personal_shopper", "1", "53"),
        ("cbec", "ugc", "2", "53;78"),
        ("influencer", "personal_shopper", "1", "53"),
        ("influencer", "ugc", "8", "53;78;125;148;150;151;153;170"),
        ("personal_shopper", "ugc", "1", "53"),
    ]
    vos = json.loads((out / "g.json").read_text(encoding="utf-8"))["network"]
    assert [(i["label"], i["weights"]["Occurrences"]) for i in vos["items"]] == [
        ("cbec", 5),
        ("influencer", 28),
        ("personal_shopper", 3),
        ("ugc", 11),
    ]
    assert len(vos["links"]) == 6 and {i["cluster"] for i in vos["items"]} == {1}
    graphml = nx.read_graphml(out / "g.graphml")
    assert graphml.nodes["influencer"]["count"] == 28
    assert graphml.edges["influencer", "ugc"]["studies"] == "53;78;125;148;150;151;153;170"
    assert nx.read_gexf(out / "g.gexf").number_of_edges() == 6
    table = (out / "t.md").read_text(encoding="utf-8").splitlines()
    assert table[2] == r"| cbec + personal\_shopper | 1 | 2 | Rizkita et al. (2026) [#53] |"
    page = (out / "g.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "physics" in page


def test_cooccurrence_needs_tags_and_good_names(tmp_path: Path) -> None:
    path = tmp_path / "review"
    with Review.create(path, PROTOCOL) as review:
        import_files(review, EXPORTS[:1])
    base = ("graph", "cooccurrence", "--review", str(path), "--stage", "all")
    assert run(*base) == (
        1,
        "Error: the records of this stage have no tags yet; run `slr tag` (with the same "
        "--stage) first\n",
    )
    assert run(*base, "--vocab", "nope") == (
        1,
        "Error: the protocol has no vocabulary nope; it has: drivers, context, asia, region, "
        "method, theory, platform, risk\n",
    )
    assert run(*base, "-o", str(tmp_path / "g.png")) == (
        1,
        "Error: cannot tell the format of g.png; name the output .html, .svg (a figure), "
        ".graphml, .gexf, .json (VOSviewer) or .csv (edge list)\n",
    )
    assert run("graph", "citation", "--review", str(path)) == (
        1,
        "Error: no records at stage included; screen first (`slr screen auto`), or use "
        "--stage all\n",
    )


def test_by_period_writes_one_file_per_period(demo: Path, tmp_path: Path) -> None:
    code, output = run(
        "graph",
        "cooccurrence",
        "--review",
        str(demo),
        "--stage",
        "all",
        "--by-period",
        "-o",
        str(tmp_path / "p.csv"),
    )
    assert code == 0
    assert output.splitlines()[1:4] == [
        "period pre-pandemic: 4 nodes, 1 edge, 3 communities",
        "  influencer + ugc: 1 study, count 1 (#148)",
        f"Wrote {tmp_path / 'p-pre-pandemic.csv'} (csv)",
    ]
    assert sorted(p.name for p in tmp_path.glob("p-*.csv")) == [
        "p-covid.csv",
        "p-industry-5.csv",
        "p-pre-pandemic.csv",
    ]
    code, output = run(
        "graph",
        "cooccurrence",
        "--review",
        str(demo),
        "--stage",
        "all",
        "--bipartite",
        "--color",
        "tag",
        "-o",
        str(tmp_path / "b.graphml"),
    )
    assert code == 0 and "40 nodes, 47 edges" in output
    graph = nx.read_graphml(tmp_path / "b.graphml")
    assert sorted(graph.neighbors("s53")) == ["cbec", "influencer", "personal_shopper", "ugc"]


def test_html_is_self_contained_and_escapes_text() -> None:
    studies = {
        1: Study(1, "Evil (2024)", "<script>alert(1)</script>", 2024),
        2: Study(2, "Good & Co (2023)", "A </script><b>bold</b> title", 2023),
    }
    graph = build.cooccurrence({1: ["x", "y"], 2: ["x"]}, studies)
    graph.graph["title"] = "<i>co</i>"
    build.communities(graph)
    page = render.html_page(graph)
    assert "<script>alert(1)</script>" not in page and "</script><b>" not in page
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page
    assert "<title>&lt;i&gt;co&lt;/i&gt;</title>" in page
    lowered = page.lower()
    for outside in ("cdnjs", "bootstrap", "sourcemappingurl", "@import", "<link", "<iframe"):
        assert outside not in lowered, outside
    # no attribute or CSS url() that loads anything but inline data
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:)""", page)
    style = page[page.index("<style>") : page.index("</style>")]
    assert all(u.strip("\"' ").startswith("data:") for u in re.findall(r"url\(([^)]*)\)", style))
    # the data, vis-network, ours; and nothing inside them closes a script element
    assert len(re.findall(r"^<script", page, re.MULTILINE)) == 3
    assert page.count("</script>") == 3
    assert '"physics":{"enabled":false}' in page


# -- real exports: precision and recall against the hand-checked truth set ------------------------

TRUTH = json.loads((REPO / "tests" / "data" / "citation_truth.json").read_text(encoding="utf-8"))
ID_OF = {"wos-plaintext/": "wos", "scopus-csv/": "eid", "openalex/": "openalex"}


@pytest.mark.parametrize("name", [k for k in TRUTH if not k.startswith("_")])
def test_real_exports_citations_against_the_truth_set(
    real_exports: Path, tmp_path: Path, name: str
) -> None:
    kind = next(v for k, v in ID_OF.items() if name.startswith(k))
    with Review.create(tmp_path / "review") as review:
        import_files(review, [real_exports / name])
        _studies, clusters = load_studies(review, "all")
    citing, targets = citation_inputs(clusters)
    ids = {record_id: records[0].ids[kind] for record_id, records in clusters.items()}
    found = {(ids[m.citing], ids[m.cited]) for m in match_citations(citing, targets)}
    truth = {tuple(pair) for pair in TRUTH[name]}
    hits = len(found & truth)
    precision, recall = hits / len(found), hits / len(truth)
    assert precision >= 0.98 and recall >= 0.95, (name, precision, recall)
    assert found == truth  # today's figures: both 1.0
