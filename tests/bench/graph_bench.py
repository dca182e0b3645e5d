"""Benchmark: the first draw of a 1,000-node graph in headless Chromium (goal: under 2 s), side
by side with pyvis's default output of the same graph; and `slr graph citation` on 5,000
records without references (goal: under 2 s, a small page).

Run: python tests/bench/graph_bench.py [--runs 3] [--pyvis-timeout 60] [--skip-pyvis]

The graph is the direct citation graph of the 1,000 records of the real Lens export in
../shared/real-exports/lens-csv (imported into a temporary review; every record is a node,
citations among them are matched from their Lens reference lists). Timings are taken in the page
itself: performance.now() at vis-network's first `afterDrawing` event, from the start of
navigation, with the network off. Three pages:

- slr: `slr graph citation -o graph.html`: vis-network inlined, layout computed in Python,
  physics off;
- pyvis default: `Network().from_nx(graph); write_html()`: loads vis-network from a CDN (so with
  the network off it never draws) and writes a lib/ folder into the working directory;
- pyvis in_line: the same with `cdn_resources="in_line"`, pyvis's own offline option, physics
  and its stabilisation on as pyvis sets them.

Without ../shared the 1,000-node graph is the made-up citation map of the browser tests (30
reviews citing 20-60 studies each, the others a few). The empty case imports 5,000 made-up RIS
records without reference lists and times the whole command in a fresh interpreter, as a user
waits for it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from browser import Chromium, chromium_binary  # noqa: E402
from test_graph_browser import thousand_study_map  # noqa: E402

from slr.graphs import build, citation_graphs  # noqa: E402
from slr.graphs.render import write_graph  # noqa: E402
from slr.importing import import_files  # noqa: E402
from slr.store import Review  # noqa: E402

LENS = REPO.parent / "shared" / "real-exports" / "lens-csv" / "lens-export.csv"
MARKER = (
    "<script>network.once('afterDrawing', function () {"
    " document.body.setAttribute('data-drawn-ms', String(Math.round(performance.now())));"
    " });</script>\n</body>"
)


def pyvis_page(graph, folder: Path, in_line: bool) -> tuple[Path, list[str]]:
    """pyvis's output for the graph (ids and labels only), and what it wrote besides."""
    from pyvis.network import Network

    plain = graph.__class__()
    for node, data in graph.nodes(data=True):
        plain.add_node(node, label=str(data.get("label", node)), title=str(data.get("title", "")))
    plain.add_edges_from(graph.edges)
    folder.mkdir()
    before = os.getcwd()
    os.chdir(folder)  # pyvis writes lib/ into the working directory
    try:
        net = Network(directed=graph.is_directed(), cdn_resources="in_line" if in_line else "local")
        net.from_nx(plain)
        net.write_html("pyvis.html")
    finally:
        os.chdir(before)
    page = folder / "pyvis.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("</body>", MARKER, 1), encoding="utf-8")
    extra = sorted(p.name for p in folder.iterdir() if p.name != "pyvis.html")
    return page, extra


def first_draw(chromium: Chromium, page_path: Path, runs: int) -> None:
    times = []
    for _ in range(runs):
        page = chromium.open(page_path, timeout=30)
        assert page.marker is not None and not page.errors, page.errors
        times.append(int(page.marker) / 1000)
    print(
        f"slr: first draw {statistics.median(times):.2f} s (median of {runs}: "
        f"{', '.join(f'{t:.2f}' for t in times)}); goal < 2 s"
    )


def empty_citations(records: int = 5_000) -> None:
    """`slr graph citation` on records without reference lists, timed as a user waits."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ris = root / "plain.ris"
        ris.write_text(
            "".join(
                f"TY  - JOUR\nAU  - Family{i % 997}, A.\nTI  - A study of topic {i}\n"
                f"PY  - {2000 + i % 25}\nDO  - 10.5555/bench.{i}\nER  - \n\n"
                for i in range(records)
            ),
            encoding="utf-8",
        )
        with Review.create(root / "review") as review:
            import_files(review, [ris])
        page = root / "citations.html"
        command = [sys.executable, "-m", "slr", "graph", "citation", "--review",
                   str(root / "review"), "--stage", "all", "-o", str(page)]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - started
        print(
            f"graph citation on {records:,} records without references: {seconds:.2f} s "
            f"(goal < 2 s), page {page.stat().st_size / 1e6:.2f} MB; it says: "
            + " / ".join(done.stdout.splitlines())
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pyvis-timeout", type=float, default=60.0)
    parser.add_argument("--skip-pyvis", action="store_true")
    args = parser.parse_args()
    empty_citations()
    binary = chromium_binary()
    if binary is None:
        print("chromium is not installed (apt-get install chromium)")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if LENS.is_file():
            with Review.create(root / "review") as review:
                import_files(review, [LENS])
                started = time.perf_counter()
                result = citation_graphs(review, None, "all", "direct")
                built = time.perf_counter() - started
            graph = result.graph
            rules: dict[str, int] = {}
            for match in result.matches:
                rules[match.rule] = rules.get(match.rule, 0) + 1
            print(
                f"graph (Lens export): {graph.number_of_nodes()} nodes, "
                f"{graph.number_of_edges()} edges "
                f"({', '.join(f'{k} {v}' for k, v in sorted(rules.items()))}); "
                f"matching + communities {built:.2f} s"
            )
        else:
            graph = thousand_study_map()
            print(
                f"{LENS} is not present; the made-up map: {graph.number_of_nodes()} nodes, "
                f"{graph.number_of_edges()} edges"
            )
        started = time.perf_counter()
        build.layout(graph)
        print(f"layout in Python: {time.perf_counter() - started:.2f} s")
        ours = root / "slr.html"
        started = time.perf_counter()
        write_graph(graph, ours)
        print(
            f"slr page: written in {time.perf_counter() - started:.2f} s, "
            f"{ours.stat().st_size / 1e6:.2f} MB, nothing else written"
        )
        if args.skip_pyvis:
            with Chromium(binary) as chromium:
                first_draw(chromium, ours, args.runs)
            return 0
        default_page, default_extra = pyvis_page(graph, root / "default", in_line=False)
        inline_page, _inline_extra = pyvis_page(graph, root / "inline", in_line=True)
        print(f"pyvis default wrote besides the page: {default_extra or 'nothing'}")
        with Chromium(binary) as chromium:
            first_draw(chromium, ours, args.runs)
            page = chromium.open(default_page, timeout=10)
            outside = [u for u in page.requests if not u.startswith("file:")]
            print(
                "pyvis default: "
                + (
                    f"first draw {int(page.marker) / 1000:.2f} s"
                    if page.marker
                    else "never drew in 10 s with the network off"
                )
                + f"; asked {len(outside)} outside URLs ({', '.join(outside[:3])}...); "
                f"{len(page.errors)} errors"
            )
            page = chromium.open(inline_page, timeout=args.pyvis_timeout)
            print(
                "pyvis in_line: "
                + (
                    f"first draw {int(page.marker) / 1000:.2f} s"
                    if page.marker
                    else f"not drawn after {args.pyvis_timeout:.0f} s (physics stabilising)"
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
