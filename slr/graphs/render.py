"""Graphs to files: one self-contained HTML page (vis-network from the pyvis package, inlined),
GraphML, GEXF, VOSviewer JSON and CSV edge lists. Each writer writes the one path it is given
and nothing else, in UTF-8."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from slr.cells import markdown_cell, safe_csv_writer
from slr.errors import SlrError
from slr.graphs import build, figure
from slr.graphs.build import layout
from slr.graphs.figure import Drawing
from slr.normalize.words import counted

FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".graphml": "graphml",
    ".gexf": "gexf",
    ".json": "vosviewer",
    ".csv": "csv",
    ".svg": "svg",
}
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
OTHER = "#b0b0b0"
# Nodes one page draws at most: vis-network draws 1,000 at once (tests/bench/graph_bench.py),
# and a map of tens of thousands of dots is neither drawn in time nor read
PAGE_NODES = 2_000


def format_of(path: Path) -> str:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise SlrError(
            f"cannot tell the format of {path.name}",
            "name the output .html, .svg (a figure), .graphml, .gexf, .json (VOSviewer) or .csv "
            "(edge list)",
        )
    return kind


def _vis_files() -> tuple[str, str]:
    import pyvis  # loaded only to write HTML: it imports jinja2 and more

    folder = Path(pyvis.__file__).parent / "lib" / "vis-9.1.2"
    script = (folder / "vis-network.min.js").read_text(encoding="utf-8")
    style = (folder / "vis-network.css").read_text(encoding="utf-8")
    # the source map is a file we do not ship: no reference to it
    script = "\n".join(
        line for line in script.split("\n") if not line.startswith("//# sourceMappingURL")
    )
    style = "\n".join(
        line for line in style.split("\n") if not line.startswith("/*# sourceMappingURL")
    )
    return script.replace("</script", "<\\/script"), style.replace("</style", "<\\/style")


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` that could close it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _unit(graph: nx.Graph) -> str:
    kind = graph.graph.get("kind")
    if kind == "keywords":
        return "keyword"
    if kind == "cooccurrence":
        return "tag"
    return "study" if kind in build.CITATION_KINDS else "node"


def colours(graph: nx.Graph, color_by: str) -> tuple[dict[Any, str], list[tuple[str, str]]]:
    """node -> colour, and the legend (label, colour). By community (the `community`
    attribute, named by its largest tags or keywords), or by tag: a study takes its first
    tag's colour, a tag its own."""
    found: dict[Any, str] = {}
    legend: list[tuple[str, str]] = []
    if color_by == "community":
        sizes: dict[int, int] = {}
        for _node, data in graph.nodes(data=True):
            if "community" in data:
                sizes[data["community"]] = sizes.get(data["community"], 0) + 1
        for node, data in graph.nodes(data=True):
            index = data.get("community")
            found[node] = PALETTE[index] if index is not None and index < len(PALETTE) else OTHER
        names = build.community_names(graph)
        one = _unit(graph)
        for index in sorted(sizes):
            if index < len(PALETTE):
                name = names.get(index) or f"cluster {index + 1}"
                legend.append((f"{name} ({counted(sizes[index], one, True)})", PALETTE[index]))
        if len(sizes) > len(PALETTE):
            smaller = len(sizes) - len(PALETTE)
            legend.append((counted(smaller, "smaller cluster", True), OTHER))
        return found, legend
    tags = sorted({t for _n, d in graph.nodes(data=True) for t in d.get("tags", ())})
    tags += sorted(n for n, d in graph.nodes(data=True) if d.get("kind") == "tag" and n not in tags)
    tag_colour = {t: PALETTE[i] if i < len(PALETTE) else OTHER for i, t in enumerate(tags)}
    for node, data in graph.nodes(data=True):
        if data.get("kind") == "tag":
            found[node] = tag_colour[node]
        else:
            own = data.get("tags") or []
            found[node] = tag_colour[own[0]] if own else OTHER
    legend = [(t, c) for t, c in tag_colour.items()]
    if any(c == OTHER for c in found.values()):
        legend.append(("no tag" if color_by == "tag" else "other", OTHER))
    return found, legend


def _study_rows(graph: nx.Graph, whole: bool = True) -> dict[str, dict[str, Any]]:
    """The studies the page lists: all of the graph's, or (`whole` false: part of the graph is
    drawn) those of the nodes and edges drawn."""
    studies = graph.graph.get("studies", {})
    if not whole:
        shown = {i for _n, d in graph.nodes(data=True) for i in d.get("studies", ())}
        shown.update(i for *_e, d in graph.edges(data=True) for i in d.get("studies", ()))
        studies = {i: s for i, s in studies.items() if i in shown}
    return {
        str(i): {"label": s.label, "title": s.title, "year": s.year or "", "doi": s.doi}
        for i, s in studies.items()
    }


def page_part(graph: nx.Graph, limit: int = PAGE_NODES) -> tuple[nx.Graph, str]:
    """The part of a graph one page draws, and what it leaves out (\"\" when nothing).

    A citation map leaves out the studies without a citation link within the set (thousands
    in a large search, and nothing to see); any graph keeps its `limit` most linked nodes."""
    keep = list(graph.nodes)
    notes = [graph.graph["note"]] if graph.graph.get("note") else []
    what = "nodes"
    if graph.graph.get("kind") == "citation":
        alone = sum(1 for node in keep if graph.degree(node) == 0)
        if alone:
            keep = [node for node in keep if graph.degree(node) > 0]
            what = "linked studies"
            notes.append(
                f"{alone:,} of the {counted(len(graph), 'study', grouped=True)} have no citation "
                "link within the set and are not drawn"
            )
    if len(keep) > limit:
        # most links first; sorted() keeps the graph's order among equals
        chosen = set(sorted(keep, key=lambda node: -graph.degree(node))[:limit])
        notes.append(f"only the {limit:,} most linked of the {len(keep):,} {what} are drawn")
        keep = [node for node in keep if node in chosen]
    if len(keep) == len(graph):
        return graph, "; ".join(notes)
    return graph.subgraph(keep), "; ".join(notes)


SEED_RING = "#222222"
SEED_RADIUS = 14.0


def drawing(graph: nx.Graph, color_by: str = "community") -> Drawing:
    graph, note = page_part(graph)
    radius = build.radii(graph)
    seeds = build.seed_reviews(graph)
    for node in seeds:  # large enough for its ring to show among the edges it sends
        radius[node] = max(radius[node], SEED_RADIUS)
    positions = layout(graph, sizes=radius)
    colour, legend = colours(graph, color_by)
    if seeds:
        legend.append(
            (f"dark ring: cites {build.SEED_CITES} or more studies of the set", SEED_RING)
        )
    return Drawing(graph, note, positions, radius, colour, legend, seeds)


def _hover(graph: nx.Graph, node: Any, data: Mapping[str, Any]) -> str:
    hover = [str(data.get("label", node))]
    if data.get("title"):
        hover.append(str(data["title"]))
    if data.get("kind") in ("tag", "keyword"):
        hover.append(counted(int(data.get("count", 0)), "study", True))
    elif "cited_by" in data:
        hover.append(f"cited {counted(int(data['cited_by']), 'time', True)} in this set")
        if graph.is_directed() and graph.out_degree(node):
            hover.append(f"cites {counted(graph.out_degree(node), 'study', True)} of it")
    return "\n".join(hover)  # plain text: vis-network 9 shows strings as text


def _edge_hover(graph: nx.Graph, a: Any, b: Any, data: Mapping[str, Any]) -> str:
    hover = [f"{graph.nodes[a].get('label', a)} – {graph.nodes[b].get('label', b)}"]
    weight = float(data.get("weight", 1))
    if "count" in data:
        hover.append(
            counted(int(data["count"]), "study", True)
            if graph.graph.get("kind") in ("cooccurrence", "keywords")
            else f"weight {weight:g}"
        )
    if graph.graph.get("normalize") not in (None, "count"):
        hover.append(f"{graph.graph['normalize']} {weight:g}")
    if "rule" in data:
        hover.append(f"matched by {data['rule']} (score {data['score']:g})")
    return "\n".join(hover)


# edges get their count written at their middle when a map has no more than this many
EDGE_LABELS = 100


def page_data(graph: nx.Graph, color_by: str = "community") -> dict[str, Any]:
    drawn = drawing(graph, color_by)
    dropped = len(drawn.graph) < len(graph)
    graph = drawn.graph
    ids = {node: i for i, node in enumerate(graph.nodes)}
    nodes = []
    for node, data in graph.nodes(data=True):
        x, y = drawn.positions[node]
        item = {
            "id": ids[node],
            # our own name for the label: the page draws labels where they fit, not vis-network
            "name": str(data.get("label", node)),
            "title": _hover(graph, node, data),
            "x": x,
            "y": y,
            "size": drawn.radius[node],
            "color": drawn.colour[node],
            "studies": [str(s) for s in data.get("studies", ())],
        }
        if node in drawn.seeds:
            item["borderWidth"] = 4
            item["color"] = {"background": drawn.colour[node], "border": SEED_RING}
        nodes.append(item)
    edges = []
    weights = [float(d.get("weight", 1)) for *_e, d in graph.edges(data=True)]
    largest_edge = max(weights, default=1.0)
    # one weight for all (a citation is a citation): thin lines, not all at the widest
    same = not weights or min(weights) == largest_edge
    counted = graph.graph.get("kind") in ("cooccurrence", "keywords")
    for index, (a, b, data) in enumerate(graph.edges(data=True)):
        weight = float(data.get("weight", 1))
        edge = {
            "id": index,
            "from": ids[a],
            "to": ids[b],
            "title": _edge_hover(graph, a, b, data),
            "width": 1.5 if same or not largest_edge else round(1 + 5 * weight / largest_edge, 2),
            "studies": [str(s) for s in data.get("studies", ())],
        }
        if counted and graph.number_of_edges() <= EDGE_LABELS:
            edge["name"] = str(data.get("count", ""))
        if "rule" in data:
            edge["rule"] = data["rule"]
            edge["score"] = data["score"]
            edge["reference"] = data.get("reference", "")
        if "shared" in data:
            edge["shared"] = data["shared"]
        if graph.is_directed():
            edge["arrows"] = {"to": {"enabled": True, "scaleFactor": 0.5}}
        edges.append(edge)
    result = {
        "title": graph.graph.get("title", "graph"),
        "nodes": nodes,
        "edges": edges,
        "studies": _study_rows(graph, whole=not dropped),
        "legend": drawn.legend,
        "note": drawn.note,
        "dropped": dropped,
        "matrix": None,
    }
    if graph.graph.get("kind") == "cooccurrence" and 1 < len(graph) <= MATRIX_TAGS:
        result["matrix"] = _matrix_data(build.synergy_matrix(graph))
    return result


MATRIX_TAGS = 30  # the page shows the synergy matrix beside the graph up to this many tags


def _matrix_data(matrix: build.SynergyMatrix) -> dict[str, Any]:
    largest = max(
        (v for i, row in enumerate(matrix.strengths) for j, v in enumerate(row) if i != j),
        default=0.0,
    )
    return {
        "tags": matrix.tags,
        "normalize": matrix.normalize,
        "cells": [
            [
                {
                    "count": matrix.counts[i][j],
                    "strength": matrix.strengths[i][j],
                    "shade": round(matrix.strengths[i][j] / largest, 3) if largest else 0,
                    "studies": [str(s) for s in matrix.studies[i][j]],
                }
                for j in range(len(matrix.tags))
            ]
            for i in range(len(matrix.tags))
        ],
    }


_OPTIONS = {
    "physics": {"enabled": False},
    "layout": {"improvedLayout": False},
    "edges": {"smooth": False, "color": {"inherit": "from", "opacity": 0.5}},
    "nodes": {"shape": "dot", "borderWidth": 1},
    "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": True},
}

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; \
script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>@TITLE@</title>
<style>@VIS_CSS@</style>
<style>
body { margin: 0; font: 14px sans-serif; display: flex; height: 100vh; }
#graph { flex: 1; min-width: 0; border-right: 1px solid #ddd; }
#side { width: 340px; overflow: auto; padding: 8px 12px; }
#side h2 { font-size: 15px; margin: 8px 0 4px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 6px;
  margin-right: 6px; vertical-align: middle; }
#details li, #index li { margin-bottom: 4px; }
.muted { color: #666; }
#slr-status:empty { display: none; }
#matrix table { border-collapse: collapse; font-size: 12px; }
#matrix th { font-weight: normal; text-align: right; padding: 2px 4px; white-space: nowrap; }
#matrix thead th { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left;
  vertical-align: bottom; }
#matrix td { width: 26px; height: 22px; text-align: center; border: 1px solid #fff;
  cursor: pointer; }
#matrix td.diagonal { background: #eee; color: #444; }
</style>
</head>
<body>
<div id="graph"></div>
<div id="side">
<h2 id="heading"></h2>
<p id="note" class="muted"></p>
<p id="slr-status" class="muted"></p>
<div id="legend"></div>
<div id="matrix"></div>
<h2>Selection</h2>
<div id="details"><p class="muted">Click a node or an edge to list the studies behind it.</p>
</div>
<h2>Studies</h2>
<ol id="index"></ol>
</div>
<script type="application/json" id="graph-data">@DATA@</script>
<script>@VIS_JS@</script>
<script>
(function () {
  "use strict";
  var status = document.getElementById("slr-status");
  window.addEventListener("error", function (event) {
    status.textContent = "error: " + event.message;
    document.body.setAttribute("data-error", event.message);
  });
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var options = @OPTIONS@;
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function plural(count, one, many) { return count === 1 ? "1 " + one : count + " " + many; }
  document.title = data.title;
  document.getElementById("heading").textContent = data.title;
  document.getElementById("note").textContent = data.note;
  var legend = document.getElementById("legend");
  data.legend.forEach(function (item) {
    var row = el("div");
    var swatch = el("span", undefined, "swatch");
    if (item[1] === "@RING@") {
      swatch.style.border = "3px solid " + item[1];
      swatch.style.width = swatch.style.height = "8px";
    } else {
      swatch.style.background = item[1];
    }
    row.appendChild(swatch);
    row.appendChild(document.createTextNode(item[0]));
    legend.appendChild(row);
  });
  function studyItem(id) {
    var study = data.studies[id];
    var item = el("li");
    if (!study) { item.textContent = "#" + id; return item; }
    item.appendChild(el("strong", "#" + id + " " + study.label + " "));
    item.appendChild(el("span", study.title));
    if (study.doi) { item.appendChild(el("span", " doi:" + study.doi, "muted")); }
    return item;
  }
  var index = document.getElementById("index");
  Object.keys(data.studies).sort(function (a, b) { return a - b; }).forEach(function (id) {
    index.appendChild(studyItem(id));
  });
  function show(title, item) {
    var details = document.getElementById("details");
    details.textContent = "";
    details.appendChild(el("p", title));
    if (item.rule) {
      details.appendChild(el("p", "matched by " + item.rule + " (score " + item.score + ")"));
      details.appendChild(el("p", "reference: " + item.reference, "muted"));
    }
    if (item.shared) {
      var shared = el("ul");
      item.shared.forEach(function (text) { shared.appendChild(el("li", text)); });
      details.appendChild(el("p", plural(item.shared.length, "shared reference:",
        "shared references:")));
      details.appendChild(shared);
    }
    var list = el("ol");
    item.studies.forEach(function (id) { list.appendChild(studyItem(id)); });
    details.appendChild(el("p", plural(item.studies.length, "study:", "studies:")));
    details.appendChild(list);
  }
  window.slrShow = show;
  if (data.matrix) {
    var matrix = data.matrix;
    var box = document.getElementById("matrix");
    box.appendChild(el("h2", "Synergy matrix (" + matrix.normalize + ")"));
    box.appendChild(el("p", "Studies with both tags; on the diagonal, with the tag. " +
      "Click a cell for its studies.", "muted"));
    var table = el("table");
    var head = el("thead");
    var top = el("tr");
    top.appendChild(el("th"));
    matrix.tags.forEach(function (tag) { top.appendChild(el("th", tag)); });
    head.appendChild(top);
    table.appendChild(head);
    var body = el("tbody");
    matrix.cells.forEach(function (row, i) {
      var line = el("tr");
      line.appendChild(el("th", matrix.tags[i]));
      row.forEach(function (cell, j) {
        var td = el("td", cell.count ? String(cell.count) : "");
        if (i === j) {
          td.className = "diagonal";
          td.title = matrix.tags[i] + ": " + plural(cell.count, "study", "studies");
        } else {
          var shade = cell.shade;
          td.style.background = "rgba(31, 119, 180, " + (0.08 + 0.85 * shade) + ")";
          td.style.color = shade > 0.5 ? "#fff" : "#000";
          td.title = matrix.tags[i] + " + " + matrix.tags[j] + ": " +
            plural(cell.count, "study", "studies") +
            (matrix.normalize === "count" ? "" : ", " + matrix.normalize + " " + cell.strength);
        }
        td.addEventListener("click", function () {
          show(i === j ? matrix.tags[i] : matrix.tags[i] + " + " + matrix.tags[j], cell);
        });
        line.appendChild(td);
      });
      body.appendChild(line);
    });
    table.appendChild(body);
    box.appendChild(table);
  }
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var container = document.getElementById("graph");
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
  window.slrNetwork = network;
  // Labels are drawn here, not by vis-network: at one size on screen whatever the zoom,
  // largest nodes first, each below, above, right or left of its disc where it covers no
  // other label and no disc as large as its own; those that do not fit wait for a zoom (or
  // show on hover).
  var byImportance = data.nodes.slice().sort(function (a, b) { return b.size - a.size; });
  var FONT = 12, LINE = 15, CELL = 48, MAX_SCALE = 3;
  window.slrLabels = [];
  function drawLabels(ctx) {
    var scale = network.getScale();
    var width = container.clientWidth, height = container.clientHeight;
    var ratio = window.devicePixelRatio || 1;
    var grid = {};
    function cells(b, visit) {
      for (var gx = Math.floor(b.x / CELL); gx <= Math.floor((b.x + b.w) / CELL); gx++) {
        for (var gy = Math.floor(b.y / CELL); gy <= Math.floor((b.y + b.h) / CELL); gy++) {
          if (visit(gx + ":" + gy)) { return true; }
        }
      }
      return false;
    }
    function add(b) {
      cells(b, function (key) { (grid[key] = grid[key] || []).push(b); return false; });
    }
    function free(b) {
      if (b.x < 0 || b.y < 0 || b.x + b.w > width || b.y + b.h > height) { return false; }
      return !cells(b, function (key) {
        return (grid[key] || []).some(function (o) {
          // a label may cover the discs of nodes smaller than its own, never a label
          if (o.owner === b.owner || (o.disc !== undefined && o.disc < b.r)) { return false; }
          return b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h;
        });
      });
    }
    var where = {};
    var positions = network.getPositions();
    data.nodes.forEach(function (n) {
      var p = network.canvasToDOM(positions[n.id]);
      var r = n.size * scale;
      where[n.id] = {x: p.x, y: p.y, r: r};
      if (p.x + r > 0 && p.y + r > 0 && p.x - r < width && p.y - r < height) {
        add({x: p.x - r, y: p.y - r, w: 2 * r, h: 2 * r, owner: "n" + n.id, disc: n.size});
      }
    });
    ctx.save();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.textBaseline = "top";
    var drawn = [];
    function place(text, owner, size, spots, font, colour) {
      ctx.font = font;
      var w = ctx.measureText(text).width;
      for (var k = 0; k < spots.length; k++) {
        var b = {x: spots[k](w).x, y: spots[k](w).y, w: w, h: LINE, owner: owner, r: size};
        if (free(b)) {
          add(b);
          ctx.fillStyle = "rgba(255, 255, 255, 0.8)";
          ctx.fillRect(b.x, b.y, b.w, b.h);
          ctx.fillStyle = colour;
          ctx.fillText(text, b.x, b.y + 1);
          drawn.push({text: text, x: b.x, y: b.y, w: b.w, h: b.h});
          return;
        }
      }
    }
    var selected = network.getSelectedNodes();
    var order = byImportance.filter(function (n) { return selected.indexOf(n.id) >= 0; })
      .concat(byImportance.filter(function (n) { return selected.indexOf(n.id) < 0; }));
    // the counts first: each has one place, at its edge's middle; the names then go around
    data.edges.forEach(function (e) {
      if (!e.name) { return; }
      var a = where[e.from], b = where[e.to];
      place(e.name, "e" + e.id, 0, [function (w) {
        return {x: (a.x + b.x) / 2 - w / 2, y: (a.y + b.y) / 2 - LINE / 2};
      }], (FONT - 1) + "px sans-serif", "#555");
    });
    order.forEach(function (n) {
      var at = where[n.id];
      place(n.name, "n" + n.id, n.size, [
        function (w) { return {x: at.x - w / 2, y: at.y + at.r + 2}; },
        function (w) { return {x: at.x - w / 2, y: at.y - at.r - 2 - LINE}; },
        function () { return {x: at.x + at.r + 3, y: at.y - LINE / 2}; },
        function (w) { return {x: at.x - at.r - 3 - w, y: at.y - LINE / 2}; }
      ], FONT + "px sans-serif", "#222");
    });
    ctx.restore();
    window.slrLabels = drawn;
  }
  network.on("afterDrawing", drawLabels);
  // the whole map in view, a margin around it and room for the labels of the outer nodes;
  // vis-network's fit() never zooms in beyond 1, which left a small map in an empty canvas
  function fitAll() {
    if (!data.nodes.length) { return; }
    var left = Infinity, right = -Infinity, top = Infinity, bottom = -Infinity;
    data.nodes.forEach(function (n) {
      left = Math.min(left, n.x - n.size);
      right = Math.max(right, n.x + n.size);
      top = Math.min(top, n.y - n.size);
      bottom = Math.max(bottom, n.y + n.size);
    });
    var margin = 2 * LINE;
    var scale = Math.min(MAX_SCALE,
      (container.clientWidth - 2 * margin) / Math.max(right - left, 1),
      (container.clientHeight - 2 * margin) / Math.max(bottom - top, 1));
    network.moveTo({position: {x: (left + right) / 2, y: (top + bottom) / 2}, scale: scale,
      animation: false});
  }
  fitAll();
  // a window resized (or laid out again, as headless screenshots do) before the reader has
  // moved the map is fitted again; after a zoom or a drag the reader's view is kept
  var moved = false;
  network.on("zoom", function () { moved = true; });
  network.on("dragEnd", function () { moved = true; });
  window.addEventListener("resize", function () { if (!moved) { fitAll(); } });
  network.on("click", function (params) {
    if (params.nodes.length) {
      var node = nodes.get(params.nodes[0]);
      show(node.name, node);
    } else if (params.edges.length) {
      var edge = edges.get(params.edges[0]);
      show(nodes.get(edge.from).name + " \u2013 " + nodes.get(edge.to).name, edge);
    }
  });
  network.once("afterDrawing", function () {
    document.body.setAttribute("data-drawn-ms", String(Math.round(performance.now())));
  });
}());
</script>
</body>
</html>
"""


def html_page(graph: nx.Graph, color_by: str = "community") -> str:
    return _html(page_data(graph, color_by))


_EMPTY_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>@TITLE@</title>
<style>body { margin: 24px; font: 14px sans-serif; } .muted { color: #666; }</style>
</head>
<body data-drawn-ms="0">
<h2>@TITLE@</h2>
<p>Nothing to draw.</p>
<p class="muted">@NOTE@</p>
</body>
</html>
"""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _html(data: dict[str, Any]) -> str:
    if not data["nodes"]:  # a map with nothing to draw is a sentence, not 700 kB of script
        replacements = {"@TITLE@": _escape(data["title"]), "@NOTE@": _escape(data["note"])}
        return _fill(_EMPTY_PAGE, replacements)
    script, style = _vis_files()
    if data["dropped"]:
        data = {**data, "note": f"{data['note']} (GraphML, GEXF and VOSviewer files hold them)."}
    title = data["title"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    replacements = {
        "@TITLE@": title,
        "@DATA@": _script_json(data),
        "@OPTIONS@": _script_json(_OPTIONS),
        "@RING@": SEED_RING,
        "@VIS_CSS@": style,
        "@VIS_JS@": script,
    }
    page = _fill(_PAGE, replacements)
    return page


# -- file formats ------------------------------------------------------------------------------


def _flat(graph: nx.Graph) -> nx.Graph:
    """A copy whose attributes are all strings or numbers (GraphML and GEXF take no lists)."""
    flat = graph.__class__()
    for node, data in graph.nodes(data=True):
        flat.add_node(str(node), **{k: _scalar(v) for k, v in data.items() if v is not None})
    for a, b, data in graph.edges(data=True):
        flat.add_edge(str(a), str(b), **{k: _scalar(v) for k, v in data.items() if v is not None})
    for key, value in graph.graph.items():
        if key != "studies":
            flat.graph[key] = _scalar(value)
    return flat


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def graphml_text(graph: nx.Graph) -> str:
    return "\n".join(nx.generate_graphml(_flat(graph))) + "\n"


def gexf_text(graph: nx.Graph) -> str:
    return "\n".join(nx.generate_gexf(_flat(graph))) + "\n"


def vosviewer_json(graph: nx.Graph) -> dict[str, Any]:
    """VOSviewer's JSON map format: items with id, label, x, y, cluster and weights; links with
    source_id, target_id and strength."""
    positions = layout(graph)
    ids = {node: i + 1 for i, node in enumerate(graph.nodes)}
    items = []
    for node, data in graph.nodes(data=True):
        x, y = positions[node]
        item: dict[str, Any] = {
            "id": ids[node],
            "label": str(data.get("label", node)),
            "x": round(x / 100, 4),
            "y": round(-y / 100, 4),
            "weights": {
                "Links": graph.degree(node),
                "Total link strength": round(
                    sum(float(d.get("weight", 1)) for *_e, d in graph.edges(node, data=True)), 4
                ),
                "Occurrences": int(data.get("size", 0) or 0),
            },
        }
        if "community" in data:
            item["cluster"] = data["community"] + 1
        if data.get("title"):
            item["description"] = str(data["title"])
        items.append(item)
    links = [
        {"source_id": ids[a], "target_id": ids[b], "strength": float(d.get("weight", 1))}
        for a, b, d in graph.edges(data=True)
    ]
    return {"network": {"items": items, "links": links}}


def edge_csv(graph: nx.Graph) -> str:
    """One row per edge: source, target, their labels, weight, count, the studies and, for
    citations, the rule, score and reference."""
    columns = ["source", "target", "source_label", "target_label", "weight", "count", "studies"]
    extra = [k for k in ("rule", "score", "reference", "shared") if _any_edge_has(graph, k)]
    out = io.StringIO()
    writer = safe_csv_writer(out)  # labels are titles and tags; references are cited text
    writer.writerow(columns + extra)
    for a, b, data in graph.edges(data=True):
        writer.writerow(
            [
                a,
                b,
                graph.nodes[a].get("label", a),
                graph.nodes[b].get("label", b),
                f"{float(data.get('weight', 1)):g}",
                data.get("count", 1),
                ";".join(str(s) for s in data.get("studies", ())),
                *(_scalar(data.get(k, "")) for k in extra),
            ]
        )
    return out.getvalue()


def _any_edge_has(graph: nx.Graph, key: str) -> bool:
    return any(key in d for *_e, d in graph.edges(data=True))


def render(graph: nx.Graph, kind: str, color_by: str = "community") -> str:
    if kind == "html":
        return html_page(graph, color_by)
    if kind == "graphml":
        return graphml_text(graph)
    if kind == "gexf":
        return gexf_text(graph)
    if kind == "vosviewer":
        return json.dumps(vosviewer_json(graph), ensure_ascii=False, indent=1) + "\n"
    if kind == "csv":
        return edge_csv(graph)
    if kind == "svg":
        return figure.map_svg(drawing(graph, color_by), SEED_RING)
    raise SlrError(f"unknown output format {kind}")


def write_graph(graph: nx.Graph, path: Path, color_by: str = "community") -> str:
    """Write the graph in the format its suffix names; returns the format, and for a page
    what it leaves out ("html; 4,812 of the 5,000 studies have no citation link ...")."""
    kind = format_of(path)
    note = ""
    if kind == "html":
        data = page_data(graph, color_by)
        text, note = _html(data), data["note"]
    elif kind == "svg":
        drawn = drawing(graph, color_by)
        text, note = figure.map_svg(drawn, SEED_RING), drawn.note
    else:
        text = render(graph, kind, color_by)
    path.write_text(text, encoding="utf-8", newline="")
    return f"{kind}; {note}" if note else kind


def synergy_csv(rows: list[Any], studies: Mapping[int, Any]) -> str:
    out = io.StringIO()
    writer = safe_csv_writer(out)
    writer.writerow(["tag_a", "tag_b", "studies", "strength", "study_ids", "study_list"])
    for row in rows:
        writer.writerow(
            [
                row.pair[0],
                row.pair[1],
                row.studies,
                f"{row.strength:g}",
                ";".join(str(i) for i in row.study_ids),
                "; ".join(studies[i].label for i in row.study_ids),
            ]
        )
    return out.getvalue()


def synergy_markdown(rows: list[Any], studies: Mapping[int, Any]) -> str:
    lines = [
        "| Pair | Studies | Strength | Study list |",
        "|---|---:|---:|---|",
    ]
    for row in rows:
        # the labels escaped; "[#id]" is ours, and no link without "(url)" after it
        listed = "; ".join(f"{markdown_cell(studies[i].label)} [#{i}]" for i in row.study_ids)
        pair = f"{markdown_cell(row.pair[0])} + {markdown_cell(row.pair[1])}"
        lines.append(f"| {pair} | {row.studies} | {row.strength:g} | {listed} |")
    return "\n".join(lines) + "\n"


# -- the synergy matrix as a page and a figure ---------------------------------------------------

MATRIX_FORMATS = (".html", ".svg")


def write_matrix(graphs: Mapping[str, nx.Graph], path: Path, title: str) -> str:
    """The synergy matrix of each co-occurrence graph ("" the whole stage, else a period) in
    one SVG figure, or in one offline page where a click on a cell lists its studies."""
    totals: dict[str, int] = {}
    for graph in graphs.values():
        for tag, data in graph.nodes(data=True):
            totals[tag] = totals.get(tag, 0) + data["count"]
    order = sorted(totals, key=lambda tag: (-totals[tag], tag))
    panels = {name: build.synergy_matrix(graph, order) for name, graph in graphs.items()}
    svg = figure.matrix_svg(panels, title)
    if path.suffix.lower() == ".svg":
        text = svg
    elif path.suffix.lower() in (".html", ".htm"):
        studies: dict[int, Any] = {}
        for graph in graphs.values():
            studies.update(graph.graph.get("studies", {}))
        text = _matrix_page(svg, title, studies)
    else:
        raise SlrError(f"cannot tell the matrix format of {path.name}", "use .html or .svg")
    path.write_text(text, encoding="utf-8", newline="")
    return "synergy matrix"


_MATRIX_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; \
script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>@TITLE@</title>
<style>
body { margin: 16px; font: 14px sans-serif; }
#figure svg { max-width: 100%; height: auto; }
.cell { cursor: pointer; }
.muted { color: #666; }
#details li { margin-bottom: 4px; }
</style>
</head>
<body>
<div id="figure">@SVG@</div>
<h2>Selection</h2>
<div id="details"><p class="muted">Click a cell to list the studies behind it.</p></div>
<script type="application/json" id="studies">@DATA@</script>
<script>
(function () {
  "use strict";
  var studies = JSON.parse(document.getElementById("studies").textContent);
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  Array.prototype.forEach.call(document.querySelectorAll(".cell"), function (cell) {
    cell.addEventListener("click", function () {
      var details = document.getElementById("details");
      details.textContent = "";
      details.appendChild(el("p", cell.getAttribute("data-title")));
      var ids = cell.getAttribute("data-studies");
      var list = el("ol");
      (ids ? ids.split(",") : []).forEach(function (id) {
        var study = studies[id];
        var item = el("li");
        item.appendChild(el("strong", "#" + id + " " + (study ? study.label : "") + " "));
        if (study) { item.appendChild(el("span", study.title)); }
        list.appendChild(item);
      });
      details.appendChild(list);
    });
  });
  document.body.setAttribute("data-drawn-ms", String(Math.round(performance.now())));
}());
</script>
</body>
</html>
"""


def _matrix_page(svg: str, title: str, studies: Mapping[int, Any]) -> str:
    rows = {str(i): {"label": s.label, "title": s.title} for i, s in studies.items()}
    inline = svg.split("?>", 1)[1].strip() if svg.startswith("<?xml") else svg
    # on screen at twice its print size (a point is 4/3 px), never wider than the window
    box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', inline)
    if box:
        width, height = (float(v) * 8 / 3 for v in box.groups())
        inline = re.sub(
            r'width="[\d.]+mm" height="[\d.]+mm"',
            f'width="{width:.0f}" height="{height:.0f}"',
            inline,
            count=1,
        )
    replacements = {
        "@TITLE@": title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
        "@SVG@": inline,
        "@DATA@": _script_json(rows),
    }
    return _fill(_MATRIX_PAGE, replacements)


def _fill(template: str, replacements: Mapping[str, str]) -> str:
    """The template's @NAME@ placeholders replaced in one pass: no inserted text (a title
    reading "@DATA@") is searched again."""
    return re.sub(r"@[A-Z_]+@", lambda m: replacements.get(m.group(), m.group()), template)
