"""Graphs to files: one self-contained HTML page (vis-network from the pyvis package, inlined),
GraphML, GEXF, VOSviewer JSON and CSV edge lists. Each writer writes the one path it is given
and nothing else, in UTF-8."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from slr.cells import markdown_cell, safe_csv_writer
from slr.errors import SlrError
from slr.graphs.build import layout

FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".graphml": "graphml",
    ".gexf": "gexf",
    ".json": "vosviewer",
    ".csv": "csv",
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
            "name the output .html, .graphml, .gexf, .json (VOSviewer) or .csv (edge list)",
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


def colours(graph: nx.Graph, color_by: str) -> tuple[dict[Any, str], list[tuple[str, str]]]:
    """node -> colour, and the legend (label, colour). By community (the `community`
    attribute), or by tag: a study takes its first tag's colour, a tag its own."""
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
        for index in sorted(sizes):
            if index < len(PALETTE):
                legend.append((f"community {index + 1} ({sizes[index]})", PALETTE[index]))
        if len(sizes) > len(PALETTE):
            legend.append((f"{len(sizes) - len(PALETTE)} smaller communities", OTHER))
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
    notes = []
    what = "nodes"
    if graph.graph.get("kind") == "citation":
        alone = sum(1 for node in keep if graph.degree(node) == 0)
        if alone:
            keep = [node for node in keep if graph.degree(node) > 0]
            what = "linked studies"
            notes.append(
                f"{alone:,} of the {len(graph):,} studies have no citation link within the "
                "set and are not drawn"
            )
    if len(keep) > limit:
        # most links first; sorted() keeps the graph's order among equals
        chosen = set(sorted(keep, key=lambda node: -graph.degree(node))[:limit])
        notes.append(f"only the {limit:,} most linked of the {len(keep):,} {what} are drawn")
        keep = [node for node in keep if node in chosen]
    if len(keep) == len(graph):
        return graph, ""
    return graph.subgraph(keep), "; ".join(notes)


def _node_size(value: float, largest: float) -> float:
    return 6 + 24 * (value / largest) ** 0.5 if largest else 10


def page_data(graph: nx.Graph, color_by: str = "community") -> dict[str, Any]:
    graph, note = page_part(graph)
    positions = layout(graph)
    node_colour, legend = colours(graph, color_by)
    largest = max((float(d.get("size", 0) or 0) for _n, d in graph.nodes(data=True)), default=0)
    ids = {node: i for i, node in enumerate(graph.nodes)}
    nodes = []
    for node, data in graph.nodes(data=True):
        label = str(data.get("label", node))
        size = float(data.get("size", 0) or 0)
        hover = [label]
        if data.get("title"):
            hover.append(str(data["title"]))
        if data.get("kind") == "tag":
            hover.append(f"{data.get('count', size):g} studies")
        elif "cited_by" in data:
            hover.append(f"cited {data['cited_by']} times in this set")
        x, y = positions[node]
        nodes.append(
            {
                "id": ids[node],
                "label": label,
                "title": "\n".join(hover),  # plain text: vis-network 9 shows strings as text
                "x": x,
                "y": y,
                "size": round(_node_size(size, largest), 1),
                "color": node_colour[node],
                "studies": [str(s) for s in data.get("studies", ())],
            }
        )
    edges = []
    largest_edge = max((float(d.get("weight", 1)) for *_e, d in graph.edges(data=True)), default=1)
    for index, (a, b, data) in enumerate(graph.edges(data=True)):
        weight = float(data.get("weight", 1))
        hover = [f"{graph.nodes[a].get('label', a)} – {graph.nodes[b].get('label', b)}"]
        if "count" in data:
            hover.append(
                f"{data['count']} studies"
                if graph.graph.get("kind") in ("cooccurrence",)
                else f"weight {weight:g}"
            )
        if graph.graph.get("normalize") not in (None, "count"):
            hover.append(f"{graph.graph['normalize']} {weight:g}")
        if "rule" in data:
            hover.append(f"matched by {data['rule']} (score {data['score']:g})")
        edge = {
            "id": index,
            "from": ids[a],
            "to": ids[b],
            "title": "\n".join(hover),
            "width": round(1 + 5 * weight / largest_edge, 2) if largest_edge else 1,
            "studies": [str(s) for s in data.get("studies", ())],
        }
        if "rule" in data:
            edge["rule"] = data["rule"]
            edge["score"] = data["score"]
            edge["reference"] = data.get("reference", "")
        if "shared" in data:
            edge["shared"] = data["shared"]
        if graph.is_directed():
            edge["arrows"] = "to"
        edges.append(edge)
    return {
        "title": graph.graph.get("title", "graph"),
        "nodes": nodes,
        "edges": edges,
        "studies": _study_rows(graph, whole=not note),
        "legend": legend,
        "note": note,
    }


_OPTIONS = {
    "physics": {"enabled": False},
    "layout": {"improvedLayout": False},
    "edges": {"smooth": False, "color": {"inherit": "from", "opacity": 0.5}},
    "nodes": {"shape": "dot", "font": {"size": 12}},
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
</style>
</head>
<body>
<div id="graph"></div>
<div id="side">
<h2 id="heading"></h2>
<p id="note" class="muted"></p>
<div id="legend"></div>
<h2>Selection</h2>
<div id="details"><p class="muted">Click a node or an edge to list the studies behind it.</p>
</div>
<h2>Studies</h2>
<ol id="index"></ol>
<p id="slr-status" class="muted">loading</p>
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
  document.title = data.title;
  document.getElementById("heading").textContent = data.title;
  document.getElementById("note").textContent = data.note;
  var legend = document.getElementById("legend");
  data.legend.forEach(function (item) {
    var row = el("div");
    var swatch = el("span", undefined, "swatch");
    swatch.style.background = item[1];
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
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
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
      details.appendChild(el("p", item.shared.length + " shared references:"));
      details.appendChild(shared);
    }
    var list = el("ol");
    item.studies.forEach(function (id) { list.appendChild(studyItem(id)); });
    var count = item.studies.length;
    details.appendChild(el("p", count === 1 ? "1 study:" : count + " studies:"));
    details.appendChild(list);
  }
  var network = new vis.Network(document.getElementById("graph"),
    {nodes: nodes, edges: edges}, options);
  window.slrNetwork = network;
  // fit() frames the nodes, not their labels: step back a little so no label is cut off
  network.fit();
  network.moveTo({scale: network.getScale() * 0.8});
  window.slrShow = show;
  network.on("click", function (params) {
    if (params.nodes.length) {
      var node = nodes.get(params.nodes[0]);
      show(node.label, node);
    } else if (params.edges.length) {
      var edge = edges.get(params.edges[0]);
      show(nodes.get(edge.from).label + " \u2013 " + nodes.get(edge.to).label, edge);
    }
  });
  network.once("afterDrawing", function () {
    var ms = Math.round(performance.now());
    status.textContent = "drawn";
    document.body.setAttribute("data-drawn-ms", String(ms));
  });
}());
</script>
</body>
</html>
"""


def html_page(graph: nx.Graph, color_by: str = "community") -> str:
    return _html(page_data(graph, color_by))


def _html(data: dict[str, Any]) -> str:
    script, style = _vis_files()
    if data["note"]:
        data = {**data, "note": f"{data['note']} (GraphML, GEXF and VOSviewer files hold them)."}
    title = data["title"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    replacements = {
        "@TITLE@": title,
        "@DATA@": _script_json(data),
        "@OPTIONS@": _script_json(_OPTIONS),
        "@VIS_CSS@": style,
        "@VIS_JS@": script,
    }
    page = _PAGE
    # one pass, so that no inserted text is searched for the next placeholder
    for key in ("@TITLE@", "@OPTIONS@", "@DATA@", "@VIS_CSS@", "@VIS_JS@"):
        head, _, tail = page.partition(key)
        page = head + replacements[key] + tail
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
    raise SlrError(f"unknown output format {kind}")


def write_graph(graph: nx.Graph, path: Path, color_by: str = "community") -> str:
    """Write the graph in the format its suffix names; returns the format, and for a page
    what it leaves out ("html; 4,812 of the 5,000 studies have no citation link ...")."""
    kind = format_of(path)
    note = ""
    if kind == "html":
        data = page_data(graph, color_by)
        text, note = _html(data), data["note"]
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
