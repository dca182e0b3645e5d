"""Figures and maps for the paper: the synergy matrix equals the co-occurrence edges, SVG figures
are valid XML with a title, a legend and no label over another, the keyword map with a
VOSviewer thesaurus, and the messages of `slr graph` (untagged studies, no citation links)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from slr.cli import main
from slr.graphs import build, figure, render
from slr.graphs.citations import Match
from slr.graphs.data import Study

SVG = "{http://www.w3.org/2000/svg}"
STUDIES = {i: Study(i, f"S{i} (2020)", f"Title {i}", 2020) for i in range(1, 13)}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


study_tags = st.dictionaries(
    st.sampled_from(sorted(STUDIES)),
    st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=4),
    min_size=1,
)


@given(tags=study_tags, method=st.sampled_from(build.NORMALIZATIONS))
def test_the_synergy_matrix_is_the_cooccurrence_graph(
    tags: dict[int, list[str]], method: str
) -> None:
    """Each cell off the diagonal is its edge's count, strength and studies (zero and none when
    the tags never meet), the diagonal the studies of the tag; the matrix is symmetric."""
    graph = build.cooccurrence(tags, STUDIES, method)
    matrix = build.synergy_matrix(graph)
    assert sorted(matrix.tags) == sorted(graph.nodes)
    assert matrix.normalize == method
    for i, a in enumerate(matrix.tags):
        assert matrix.counts[i][i] == graph.nodes[a]["count"]
        assert matrix.studies[i][i] == graph.nodes[a]["studies"]
        for j, b in enumerate(matrix.tags):
            if i == j:
                continue
            if graph.has_edge(a, b):
                edge = graph.edges[a, b]
                assert matrix.counts[i][j] == edge["count"]
                assert matrix.strengths[i][j] == edge["weight"]
                assert matrix.studies[i][j] == edge["studies"]
            else:
                assert (matrix.counts[i][j], matrix.strengths[i][j]) == (0, 0.0)
                assert matrix.studies[i][j] == []
            assert matrix.counts[i][j] == matrix.counts[j][i]
    # the table the command prints holds the same numbers
    for row in build.synergy_table(graph):
        i, j = matrix.tags.index(row.pair[0]), matrix.tags.index(row.pair[1])
        assert (row.studies, row.strength) == (matrix.counts[i][j], matrix.strengths[i][j])


discs = st.lists(
    st.tuples(st.floats(0, 300), st.floats(0, 200), st.floats(1, 15)), min_size=1, max_size=40
)


@given(discs=discs, names=st.lists(st.text("abcdefgh ()&", min_size=1, max_size=20)))
def test_placed_labels_never_meet_each_other_or_a_larger_disc(
    discs: list[tuple[float, float, float]], names: list[str]
) -> None:
    names = (names * len(discs) or ["x"] * len(discs))[: len(discs)]
    frame = figure.Box(0, 0, 300, 200)
    placed = figure.place_labels(discs, names, range(len(discs)), frame)
    boxes = list(placed.items())
    for k, (index, box) in enumerate(boxes):
        assert frame.x <= box.x and box.x + box.w <= frame.x + frame.w
        assert frame.y <= box.y and box.y + box.h <= frame.y + frame.h
        assert not any(box.meets(other) for _i, other in boxes[k + 1 :])
        for other_index, (x, y, r) in enumerate(discs):
            if other_index != index and r >= discs[index][2]:  # smaller discs may be covered
                assert not box.meets(figure.Box(x - r, y - r, 2 * r, 2 * r))


def svg_root(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    return ET.fromstring(text.encode("utf-8"))


def texts(root: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def test_a_map_figure_has_the_layout_a_title_a_legend_and_fits_a_column() -> None:
    tags = {1: ["influencer", "ugc"], 2: ["influencer", "ugc"], 3: ["cbec", "influencer"]}
    graph = build.cooccurrence(tags, STUDIES)
    graph.graph["title"] = "drivers co-occurrence (included) <&>"
    build.communities(graph)
    root = svg_root(render.render(graph, "svg"))
    assert root.get("width") == "84mm"  # three tags: one column
    assert root.find(f"{SVG}title").text == "drivers co-occurrence (included) <&>"
    circles = [c for c in root.iter(f"{SVG}circle") if c.get("r") != "3"]
    assert len(circles) == 3
    written = texts(root)
    assert written[0] == "drivers co-occurrence (included) <&>"
    assert {"influencer", "ugc", "cbec"} <= set(written)  # every label fits a small map
    assert "2" in written  # the count of the influencer-ugc edge
    assert "influencer, ugc, cbec (3 tags)" in written
    # the key, wrapped to the column
    assert written[-2:] == [
        "Disc area: studies with the tag; line width: studies with",
        "both (the number of studies written on it).",
    ]
    # the same positions as the page: discs ordered as the graph's nodes, centres scaled
    page = render.page_data(graph)
    xs = [float(c.get("cx")) for c in circles]
    page_xs = [n["x"] for n in page["nodes"]]
    assert sorted(range(3), key=xs.__getitem__) == sorted(range(3), key=page_xs.__getitem__)


def test_a_large_citation_figure_is_text_wide_and_rings_its_seed_reviews() -> None:
    studies = {i: Study(i, f"A{i} (2020)", f"T{i}", 2020) for i in range(1, 41)}
    matches = [Match(1, i, "doi", 1.0, "") for i in range(2, 30)]
    matches += [Match(i, i + 1, "doi", 1.0, "") for i in range(30, 40)]
    graph = build.citation_graph(matches, studies)
    graph.graph["title"] = "direct citation"
    build.communities(graph)
    root = svg_root(render.render(graph, "svg"))
    assert root.get("width") == "174mm"
    ringed = [c for c in root.iter(f"{SVG}circle") if c.get("stroke") == render.SEED_RING]
    assert len(ringed) == 2  # study 1, and its swatch in the legend
    assert "dark ring: cites 10 or more studies of the set" in texts(root)


def test_the_matrix_figure_shares_one_tag_order_across_periods() -> None:
    old = build.cooccurrence({1: ["a", "b"], 2: ["a"]}, STUDIES)
    new = build.cooccurrence({3: ["c", "b"], 4: ["c", "b"], 5: ["c"]}, STUDIES)
    totals = ["b", "c", "a"]  # b 3, c 3, a 2
    svg = figure.matrix_svg(
        {"old": build.synergy_matrix(old, totals), "new": build.synergy_matrix(new, totals)},
        "matrix",
    )
    root = svg_root(svg)
    cells = [g for g in root.iter(f"{SVG}g") if g.get("class") == "cell"]
    assert len(cells) == 2 * 9
    assert [c.get("data-title") for c in cells[:3]] == [
        "b: 1 study",
        "b + c: 0 studies",
        "b + a: 1 study",
    ]
    assert cells[9 + 1].get("data-studies") == "3,4"


@pytest.fixture
def tagged(demo: Path) -> Path:
    """The demo with tags for the records included at title/abstract only (what `slr run`
    tags)."""
    code, output = run("tag", "--review", str(demo), "--stage", "full_text")
    assert code == 0, output
    return demo


def test_cooccurrence_of_a_stage_not_tagged_says_so(tagged: Path, tmp_path: Path) -> None:
    page = tmp_path / "all.html"
    code, output = run(
        "graph", "cooccurrence", "--review", str(tagged), "--stage", "all", "-o", str(page)
    )
    assert code == 0, output
    lines = output.splitlines()
    assert lines[:2] == [
        "124 studies (all), 7 with a drivers tag",
        "Note: 117 of the 124 studies (all) have not been tagged (`slr tag` ran on another "
        f"stage) and are not in this map; tag them with `slr tag --review {tagged} --stage all`",
    ]
    assert "117 of the 124 studies (all) have not been tagged" in page.read_text("utf-8")
    # tagged for the stage, the note goes and the map has the 36 tagged studies
    assert run("tag", "--review", str(tagged), "--stage", "all")[0] == 0
    code, output = run("graph", "cooccurrence", "--review", str(tagged), "--stage", "all")
    assert output.splitlines()[:2] == [
        "124 studies (all), 36 with a drivers tag",
        "4 nodes, 6 edges, 1 community",
    ]


def test_matrix_files_and_svg_maps_from_the_command(tagged: Path, tmp_path: Path) -> None:
    svg, html, figure_path = tmp_path / "m.svg", tmp_path / "m.html", tmp_path / "g.svg"
    code, output = run(
        "graph", "cooccurrence", "--review", str(tagged), "--stage", "full_text",
        "--matrix", str(svg), "--matrix", str(html), "-o", str(figure_path),
    )  # fmt: skip
    assert code == 0, output
    assert output.splitlines()[-3:] == [
        f"Wrote {figure_path} (svg)",
        f"Wrote {svg} (synergy matrix)",
        f"Wrote {html} (synergy matrix)",
    ]
    root = svg_root(svg.read_text("utf-8"))
    assert root.find(f"{SVG}title").text == "drivers synergy matrix (full_text, count)"
    page = html.read_text("utf-8")
    assert "<svg " in page and "<script" in page  # the browser test opens it offline
    svg_root(figure_path.read_text("utf-8"))
    code, output = run(
        "graph", "cooccurrence", "--review", str(tagged), "--bipartite", "--matrix", str(svg)
    )
    assert (code, output.splitlines()[-1]) == (
        1,
        "Error: --matrix is a tag x tag table; leave out --bipartite",
    )
    code, output = run("graph", "cooccurrence", "--review", str(tagged), "--matrix", "m.png")
    assert code == 1 and "cannot tell the matrix format of m.png" in output


THESAURUS = "label\treplace by\nUMKM\tMSMEs\nSMEs\tMSMEs\nIndonesia\t\n"


def test_graph_keywords_with_a_vosviewer_thesaurus(demo: Path, tmp_path: Path) -> None:
    thesaurus = tmp_path / "thesaurus.txt"
    thesaurus.write_text(THESAURUS, encoding="utf-8")
    page, json_map = tmp_path / "k.html", tmp_path / "k.json"
    args = ["graph", "keywords", "--review", str(demo), "--stage", "all", "--top", "3"]
    code, plain = run(*args)
    assert code == 0, plain
    assert plain.splitlines()[0] == (
        "124 studies (all), 124 with keywords; 339 keywords, 76 in at least 2 studies"
    )
    code, output = run(
        *args, "--thesaurus", str(thesaurus), "--min-occurrences", "5", "-o", str(page),
        "-o", str(json_map),
    )  # fmt: skip
    assert code == 0, output
    lines = output.splitlines()
    # UMKM (7 studies) and SMEs merged into MSMEs (30): 40 studies, Indonesia left out
    assert lines[0].startswith("124 studies (all), 124 with keywords; 336 keywords, ")
    top = lines[lines.index("Most frequent:") + 1 :][:3]
    assert top[0].split() == ["40", "MSMEs"] and "Indonesia" not in output
    assert all(line.startswith("  cluster ") for line in lines[2 : lines.index("Most frequent:")])
    assert lines[-2:] == [f"Wrote {page} (html)", f"Wrote {json_map} (vosviewer)"]
    items = json.loads(json_map.read_text("utf-8"))["network"]["items"]
    assert "MSMEs" in [item["label"] for item in items]


def test_a_broken_thesaurus_is_refused_with_its_line(demo: Path, tmp_path: Path) -> None:
    thesaurus = tmp_path / "t.txt"
    thesaurus.write_text("label\treplace by\nUMKM MSMEs\n", encoding="utf-8")
    code, output = run("graph", "keywords", "--review", str(demo), "--thesaurus", str(thesaurus))
    assert code == 1
    assert output.splitlines()[0] == (
        "Error: cannot read the thesaurus: t.txt:2: expected a term, a tab and what it becomes; "
        "VOSviewer's format: a header 'label<TAB>replace by', then a term, a tab and what it "
        "becomes on each line"
    )
    thesaurus.write_text("term,replacement\n", encoding="utf-8")
    code, output = run("graph", "keywords", "--review", str(demo), "--thesaurus", str(thesaurus))
    assert output.splitlines()[0].startswith(
        "Error: cannot read the thesaurus: t.txt:1: the first line must be 'label<TAB>replace by'"
    )


def test_thesaurus_and_keyword_labels() -> None:
    thesaurus, problems = build.parse_thesaurus(
        "Label\tReplace by\nSME\tSMEs\nsmall firms\tSMEs\n\nnoise\t\n"
    )
    assert problems == [] and thesaurus.replace == {
        "sme": "SMEs",
        "small firms": "SMEs",
        "noise": "",
    }
    studies = {
        1: Study(1, "A", "", author_keywords=("SME", "INNOVATION", "noise")),
        2: Study(2, "B", "", author_keywords=("small firms", "Innovation")),
        3: Study(3, "C", "", index_keywords=("INNOVATION",)),
    }
    keys, labels = build.study_keywords(studies, "both", thesaurus)
    assert keys == {1: ["smes", "innovation"], 2: ["smes", "innovation"], 3: ["innovation"]}
    # the mixed-case spelling, though the capitals are more frequent
    assert labels == {"smes": "SMEs", "innovation": "Innovation"}
    graph = build.keyword_graph(keys, labels, studies, min_occurrences=3)
    assert list(graph.nodes) == ["innovation"] and graph.nodes["innovation"]["count"] == 3


def test_a_citation_map_without_links_says_so_in_one_line(tmp_path: Path) -> None:
    ris = tmp_path / "plain.ris"
    ris.write_text(
        "".join(
            f"TY  - JOUR\nAU  - Author{i}, A.\nTI  - Study {i}\nPY  - 2020\nER  - \n\n"
            for i in range(1, 4)
        ),
        encoding="utf-8",
    )
    review = tmp_path / "review"
    assert run("init", str(review))[0] == 0
    assert run("import", "--review", str(review), str(ris))[0] == 0
    page = tmp_path / "c.html"
    code, output = run(
        "graph", "citation", "--review", str(review), "--stage", "all", "-o", str(page)
    )
    assert code == 0, output
    assert output.splitlines() == [
        "3 studies (all), 0 with references (0 references)",
        "No citation links within the set (no study has a reference list)",
        f"Wrote {page} (html; 3 of the 3 studies have no citation link within the set and "
        "are not drawn)",
    ]
    assert page.stat().st_size < 2_000  # a sentence, no vis-network to draw nothing


def test_one_of_everything_is_singular() -> None:
    graph = nx.DiGraph(kind="citation")
    graph.add_node(1, label="A (2020)", cited_by=1, size=1)
    graph.add_node(2, label="B (2020)", cited_by=0, size=0)
    graph.add_edge(2, 1)
    assert render._hover(graph, 1, graph.nodes[1]) == "A (2020)\ncited 1 time in this set"
    assert render._hover(graph, 2, graph.nodes[2]) == (
        "B (2020)\ncited 0 times in this set\ncites 1 study of it"
    )


def test_terms_of_titles_and_abstracts() -> None:
    assert build.text_terms(
        "Cross-border e-commerce and TikTok Live: a study of 120 MSMEs (Indonesia); "
        "the results suggest that live streaming commerce builds consumer trust in the "
        "small and medium enterprises' digital marketing strategy adoption"
    ) == [
        "cross-border e-commerce",
        "tiktok live",
        "msmes",
        "indonesia",
        # "live streaming commerce builds consumer trust" and "medium enterprises' digital
        # marketing strategy adoption" run longer than three words: left out
        "small",
    ]
    assert build.text_terms("Live-streaming: consumer trust; consumer TRUST") == [
        "live-streaming",
        "consumer trust",
    ]
