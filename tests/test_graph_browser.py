"""The HTML page in a real browser (Debian's headless Chromium, which CI installs): with the
network off it draws at once, logs no error, asks for nothing but itself, shows a hostile title
as text, and a click on a node lists the studies behind it. On the demo (`--stage all`) and on
a 1,000-study citation map: the whole map in view, no disc over another, no drawn label over
another, and a click at the middle of every edge of the synergy graph selects that edge.
Skipped when Chromium is absent."""

from __future__ import annotations

import math
import random
import time
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from browser import Chromium, chromium_binary, coloured_pixels
from click.testing import CliRunner

from slr.cli import main
from slr.graphs import build, render
from slr.graphs.citations import Match
from slr.graphs.data import Study
from slr.importing import import_files
from slr.store import Review

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
EXPORTS = sorted((REPO / "corpus" / "exports").iterdir())
# what survives the importer's markup stripping and could still close the page's script
HOSTILE = "x </script x"
EVIL_RIS = (
    "TY  - JOUR\n"
    "AU  - Evil, Eve\n"
    # escaped as an HTML-minded export writes it: the importer decodes it to the raw title
    "TI  - x &lt;/script x\n"
    "AB  - An influencer study with user-generated content & <b>markup</b>.\n"
    "PY  - 2024\n"
    # it cites a study of the demo, so the citation page (which leaves unlinked studies out)
    # lists it too
    "N1  - References: Author, A., Kebutuhan, 2022, J Commun Spectr, DOI 10.36782/jcs.v14i2.2690\n"
    "ER  - \n"
)


@pytest.fixture(scope="module")
def browser():
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is not installed (CI installs it: apt-get install chromium)")
    with Chromium(binary) as chromium:
        yield chromium


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("browser")
    evil = root / "evil.ris"
    evil.write_text(EVIL_RIS, encoding="utf-8")
    path = root / "review"
    with Review.create(path, PROTOCOL) as review:
        import_files(review, [*EXPORTS, evil])
    assert run("dedup", "--review", str(path))[0] == 0
    assert run("tag", "--review", str(path), "--stage", "all")[0] == 0
    out = root / "out"
    out.mkdir()
    citation = out / "citation.html"
    synergy = out / "synergy.html"
    drivers = out / "drivers.html"
    figures = root / "figures"
    figures.mkdir()
    code, output = run(
        "graph", "cooccurrence", "--review", str(path), "--stage", "all", "-o", str(drivers),
        "-o", str(figures / "drivers.svg"), "--matrix", str(figures / "matrix.html"),
    )  # fmt: skip
    assert code == 0, output
    code, output = run(
        "graph", "citation", "--review", str(path), "--stage", "all",
        "-o", str(figures / "citation.svg"),
    )  # fmt: skip
    assert code == 0, output
    code, output = run(
        "graph", "citation", "--review", str(path), "--stage", "all", "-o", str(citation)
    )
    assert code == 0, output
    code, output = run(
        "graph",
        "cooccurrence",
        "--review",
        str(path),
        "--stage",
        "all",
        "--bipartite",
        "--color",
        "tag",
        "-o",
        str(synergy),
    )
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == [
        "citation.html",
        "drivers.html",
        "synergy.html",
    ]
    large = out / "large.html"
    render.write_graph(thousand_study_map(), large)
    pages = {"citation": citation, "synergy": synergy, "drivers": drivers, "large": large}
    pages["matrix"] = figures / "matrix.html"
    for name in ("drivers", "citation"):
        # the figure as a browser shows an image: loaded, parsed, drawn at its size
        wrapper = figures / f"{name}-figure.html"
        wrapper.write_text(
            f'<!DOCTYPE html><html><body><img id="figure" src="{name}.svg"><script>'
            'var img = document.getElementById("figure");'
            'img.onload = function () { document.body.setAttribute("data-drawn-ms",'
            " String(img.naturalWidth)); };"
            'img.onerror = function () { document.body.setAttribute("data-drawn-ms", "0"); };'
            "</script></body></html>",
            encoding="utf-8",
        )
        pages[f"{name}-figure"] = wrapper
    return pages


@pytest.mark.parametrize("name", ["drivers", "citation"])
def test_the_svg_figures_open_in_the_browser(
    browser: Chromium, pages: dict[str, Path], name: str
) -> None:
    page = browser.open(pages[f"{name}-figure"], timeout=20)
    assert page.errors == []
    # 84 mm (a column) for the four driver tags, 174 mm (the text width) for the citations,
    # at 96 pixels an inch
    assert page.marker == {"drivers": "317", "citation": "658"}[name]
    assert page.requests == [
        pages[f"{name}-figure"].resolve().as_uri(),
        (pages[f"{name}-figure"].parent / f"{name}.svg").resolve().as_uri(),
    ]


def test_a_click_on_a_matrix_cell_lists_its_studies(
    browser: Chromium, pages: dict[str, Path]
) -> None:
    page = browser.open(pages["matrix"], timeout=20)
    assert page.marker is not None and page.errors == []
    assert page.requests == [pages["matrix"].resolve().as_uri()]
    found = browser.evaluate(
        "(function () { var cell = Array.prototype.filter.call("
        " document.querySelectorAll('.cell'), function (c) {"
        "   return c.getAttribute('data-title').indexOf('influencer + ugc') === 0; })[0];"
        " var box = cell.getBoundingClientRect();"
        " return {x: box.left + box.width / 2, y: box.top + box.height / 2,"
        "   title: cell.getAttribute('data-title')}; })()"
    )
    assert found["title"] == "influencer + ugc: 9 studies"  # the demo's 8 and the hostile one
    browser.click(found["x"], found["y"])
    details = browser.evaluate("document.getElementById('details').textContent")
    assert details.startswith("influencer + ugc: 9 studies#")
    assert "Rizkita et al. (2026) Integrating E-Commerce, Influencers" in details


def thousand_study_map() -> nx.DiGraph:
    """A citation map of 1,000 studies shaped like a field: 30 reviews citing 20 to 60 studies
    each (the well-known ones far more often), other studies citing a few."""
    rng = random.Random(17)
    studies = {
        i: Study(i, f"Author{i} et al. ({2000 + i % 25})", f"Study {i}", 2000 + i % 25)
        for i in range(1, 1001)
    }
    popular = list(range(1, 1001))
    weights = [1 / (rank**0.8) for rank in range(1, 1001)]
    matches = set()
    for citing in range(1, 1001):
        wanted = rng.randint(20, 60) if citing <= 30 else rng.randint(0, 3)
        for cited in rng.choices(popular, weights, k=wanted):
            if cited != citing:
                matches.add((citing, cited))
    graph = build.citation_graph(
        [Match(a, b, "doi", 1.0, f"ref {b}") for a, b in sorted(matches)], studies
    )
    graph.graph["title"] = "direct citation (1,000 studies)"
    build.communities(graph)
    return graph


# Where the page drew everything, in the page's coordinates: the canvas's box, each disc (its
# centre and radius on screen), each label drawn, and the middle of each edge.
GEOMETRY = """(function () {
  var box = document.getElementById('graph').getBoundingClientRect();
  var scale = slrNetwork.getScale();
  var positions = slrNetwork.getPositions();
  var nodes = slrNetwork.body.data.nodes.get().map(function (n) {
    var p = slrNetwork.canvasToDOM(positions[n.id]);
    return {id: n.id, x: p.x + box.left, y: p.y + box.top, r: n.size * scale};
  });
  var edges = slrNetwork.body.data.edges.get().map(function (e) {
    var p = slrNetwork.canvasToDOM({x: (positions[e.from].x + positions[e.to].x) / 2,
      y: (positions[e.from].y + positions[e.to].y) / 2});
    return {id: e.id, x: p.x + box.left, y: p.y + box.top,
      name: slrNetwork.body.data.nodes.get(e.from).name + ' \u2013 ' +
        slrNetwork.body.data.nodes.get(e.to).name, studies: e.studies};
  });
  var labels = slrLabels.map(function (l) {
    return {text: l.text, x: l.x + box.left, y: l.y + box.top, w: l.w, h: l.h};
  });
  return {box: {left: box.left, top: box.top, right: box.right, bottom: box.bottom},
    nodes: nodes, edges: edges, labels: labels};
})()"""


def discs_outside(shape: dict[str, Any]) -> list[dict[str, Any]]:
    box = shape["box"]
    return [
        n
        for n in shape["nodes"]
        if n["x"] - n["r"] < box["left"]
        or n["x"] + n["r"] > box["right"]
        or n["y"] - n["r"] < box["top"]
        or n["y"] + n["r"] > box["bottom"]
    ]


def test_a_resized_window_is_fitted_again_until_the_reader_moves_the_map(
    browser: Chromium, pages: dict[str, Path]
) -> None:
    # the window shrinks, then grows (as a headless screenshot lays the page out again): the
    # map is fitted to the new canvas each time, not scaled along with it
    page = browser.open(pages["citation"], timeout=30)
    assert page.marker is not None and page.errors == []
    small = {"width": 640, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    try:
        browser.call("Emulation.setDeviceMetricsOverride", small, browser.session)
        time.sleep(0.5)
        assert discs_outside(browser.evaluate(GEOMETRY)) == []
        browser.call("Emulation.clearDeviceMetricsOverride", {}, browser.session)
        time.sleep(0.5)
        grown = browser.evaluate(GEOMETRY)
        assert grown["box"]["right"] > 640
        assert discs_outside(grown) == []
        # once the reader zooms, a resize keeps their view
        browser.evaluate("void slrNetwork.moveTo({scale: slrNetwork.getScale() * 3})")
        browser.evaluate("void slrNetwork.emit('zoom', {})")
        browser.call("Emulation.setDeviceMetricsOverride", small, browser.session)
        time.sleep(0.5)
        assert discs_outside(browser.evaluate(GEOMETRY)) != []  # zoomed in: not fitted again
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride", {}, browser.session)


@pytest.mark.parametrize("name", ["drivers", "citation", "large"])
def test_the_whole_map_is_in_view_and_nothing_overlaps(
    browser: Chromium, pages: dict[str, Path], name: str
) -> None:
    page = browser.open(pages[name], timeout=30)
    assert page.marker is not None and page.errors == []
    shape = browser.evaluate(GEOMETRY)
    box, nodes, labels = shape["box"], shape["nodes"], shape["labels"]
    assert discs_outside(shape) == []
    overlapping = [
        (a["id"], b["id"])
        for i, a in enumerate(nodes)
        for b in nodes[i + 1 :]
        if math.dist((a["x"], a["y"]), (b["x"], b["y"])) < a["r"] + b["r"]
    ]
    assert overlapping == []
    crossing = [
        (a["text"], b["text"])
        for i, a in enumerate(labels)
        for b in labels[i + 1 :]
        if a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    ]
    assert crossing == []
    # labels are drawn inside the canvas: all of a small map, at least 1 in 20 of a large one
    assert all(box["left"] <= lb["x"] and lb["x"] + lb["w"] <= box["right"] for lb in labels)
    assert len(labels) >= min(len(nodes), max(4, len(nodes) // 20)), len(labels)


def test_a_click_at_the_middle_of_every_synergy_edge_selects_it(
    browser: Chromium, pages: dict[str, Path]
) -> None:
    page = browser.open(pages["drivers"], timeout=20)
    assert page.marker is not None and page.errors == []
    edges = browser.evaluate(GEOMETRY)["edges"]
    assert len(edges) == 6
    for edge in edges:
        browser.click(edge["x"], edge["y"])
        details = browser.evaluate("document.getElementById('details').textContent")
        count = len(edge["studies"])
        listed = "1 study:" if count == 1 else f"{count} studies:"
        assert details.startswith(edge["name"] + listed), (edge, details)
        assert browser.evaluate("slrNetwork.getSelectedEdges()") == [edge["id"]]
    # the heaviest synergy of the demo: influencer and ugc
    assert any(e["name"] in ("influencer \u2013 ugc", "ugc \u2013 influencer") for e in edges)


@pytest.mark.parametrize("name", ["citation", "synergy", "drivers"])
def test_the_page_draws_offline_without_errors(
    browser: Chromium, pages: dict[str, Path], name: str
) -> None:
    page = browser.open(pages[name], timeout=20)
    assert page.marker is not None, "the graph was never drawn"
    assert page.errors == []
    assert page.requests == [pages[name].resolve().as_uri()]
    # the status line is for errors only (no stray "drawn" in the panel)
    assert browser.evaluate("document.getElementById('slr-status').textContent") == ""
    # the canvas holds coloured nodes and edges (the side panel starts at x = 940)
    assert coloured_pixels(page.screenshot, 900) > 2000
    # the hostile title is text in the list of studies, never an element
    assert browser.evaluate("document.scripts.length") == 3
    listed = browser.evaluate("document.getElementById('index').textContent")
    assert HOSTILE in listed or name == "drivers"  # the drivers map lists the tagged only
    assert browser.evaluate("document.querySelectorAll('#side script, #side b').length") == 0


def test_a_click_on_a_node_lists_its_studies(browser: Chromium, pages: dict[str, Path]) -> None:
    page = browser.open(pages["synergy"], timeout=20)
    assert page.marker is not None and page.errors == []
    # the study node of the hostile record, where the canvas shows it
    found = browser.evaluate(
        "(function () { var n = slrNetwork.body.data.nodes.get().filter(function (n) {"
        " return n.name.indexOf('Evil') === 0; })[0];"
        " var p = slrNetwork.canvasToDOM(slrNetwork.getPositions([n.id])[n.id]);"
        " var box = document.getElementById('graph').getBoundingClientRect();"
        " return {x: p.x + box.left, y: p.y + box.top, studies: n.studies}; })()"
    )
    browser.click(found["x"], found["y"])
    details = browser.evaluate("document.getElementById('details').textContent")
    assert details.startswith("Evil (2024)1 study:")
    assert HOSTILE in details
    # hovering shows the title in the tooltip, as text
    browser.move(found["x"] + 1, found["y"] + 1)
    time.sleep(0.5)
    tooltip = browser.evaluate(
        "(function () { var t = document.querySelector('div.vis-tooltip');"
        " return t ? [t.textContent, Array.prototype.map.call(t.children,"
        "   function (c) { return c.tagName; }), t.style.visibility] : null; })()"
    )
    # set as text: the line break becomes a <br>, the title stays characters
    assert tooltip == [f"Evil (2024){HOSTILE}", ["BR"], "visible"]


def test_a_click_on_an_edge_lists_its_studies(browser: Chromium, pages: dict[str, Path]) -> None:
    page = browser.open(pages["synergy"], timeout=20)
    assert page.marker is not None and page.errors == []
    # the middle of the edge between the hostile study and its influencer tag
    found = browser.evaluate(
        "(function () { var nodes = slrNetwork.body.data.nodes;"
        " var study = nodes.get().filter(function (n) {"
        "   return n.name.indexOf('Evil') === 0; })[0];"
        " var edge = slrNetwork.body.data.edges.get().filter(function (e) {"
        "   var ends = [e.from, e.to].map(function (id) { return nodes.get(id).name; });"
        "   return ends.indexOf(study.name) >= 0 && ends.indexOf('influencer') >= 0; })[0];"
        " var pos = slrNetwork.getPositions([edge.from, edge.to]);"
        " var mid = {x: (pos[edge.from].x + pos[edge.to].x) / 2,"
        "   y: (pos[edge.from].y + pos[edge.to].y) / 2};"
        " var p = slrNetwork.canvasToDOM(mid);"
        " var box = document.getElementById('graph').getBoundingClientRect();"
        " return {x: p.x + box.left, y: p.y + box.top}; })()"
    )
    browser.click(found["x"], found["y"])
    details = browser.evaluate("document.getElementById('details').textContent")
    assert details.startswith(
        ("Evil (2024) \u2013 influencer1 study:", "influencer \u2013 Evil (2024)1 study:")
    ), details
    assert HOSTILE in details
