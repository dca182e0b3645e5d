"""The HTML page in a real browser (Debian's headless Chromium, which CI installs): with the
network off it draws at once, logs no error, asks for nothing but itself, shows a hostile title
as text, and a click on a node lists the studies behind it. Skipped when Chromium is absent."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser import Chromium, chromium_binary, coloured_pixels
from click.testing import CliRunner

from slr.cli import main
from slr.importing import import_files
from slr.store import Review

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
EXPORTS = sorted((REPO / "corpus" / "exports").iterdir())
HOSTILE = "<script>alert(1)</script>"
EVIL_RIS = (
    "TY  - JOUR\n"
    "AU  - Evil, Eve\n"
    # escaped as an HTML-minded export writes it: the importer decodes it to the raw title
    "TI  - &lt;script&gt;alert(1)&lt;/script&gt;\n"
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
    assert sorted(p.name for p in out.iterdir()) == ["citation.html", "synergy.html"]
    return {"citation": citation, "synergy": synergy}


@pytest.mark.parametrize("name", ["citation", "synergy"])
def test_the_page_draws_offline_without_errors(
    browser: Chromium, pages: dict[str, Path], name: str
) -> None:
    page = browser.open(pages[name], timeout=20)
    assert page.marker is not None, "the graph was never drawn"
    assert page.errors == []
    assert page.requests == [pages[name].resolve().as_uri()]
    assert browser.evaluate("document.getElementById('slr-status').textContent") == "drawn"
    # the canvas holds coloured nodes and edges (the side panel starts at x = 940)
    assert coloured_pixels(page.screenshot, 900) > 2000
    # the hostile title is text in the list of studies, never an element
    assert browser.evaluate("document.scripts.length") == 3
    listed = browser.evaluate("document.getElementById('index').textContent")
    assert HOSTILE in listed
    assert browser.evaluate("document.querySelectorAll('#side script, #side b').length") == 0


def test_a_click_on_a_node_lists_its_studies(browser: Chromium, pages: dict[str, Path]) -> None:
    page = browser.open(pages["synergy"], timeout=20)
    assert page.marker is not None and page.errors == []
    # the study node of the hostile record, where the canvas shows it
    found = browser.evaluate(
        "(function () { var n = slrNetwork.body.data.nodes.get().filter(function (n) {"
        " return n.label.indexOf('Evil') === 0; })[0];"
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
        "   return n.label.indexOf('Evil') === 0; })[0];"
        " var edge = slrNetwork.body.data.edges.get().filter(function (e) {"
        "   var ends = [e.from, e.to].map(function (id) { return nodes.get(id).label; });"
        "   return ends.indexOf(study.label) >= 0 && ends.indexOf('influencer') >= 0; })[0];"
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
