"""Deduplication benchmark: slr against bib-dedupe on the labelled sets (not collected by pytest).

    python tests/bench/dedup_bench.py [--data DIR] [--no-bib-dedupe] [--only NAME]

Records go into a temporary review through the ordinary importers, `slr dedup --report` writes the
report CSV, and the scores are computed from that CSV (the report contract). bib-dedupe, when
importable, runs on the same input with the same metric (record level, as ASySD and bib-dedupe
count): positives are the records removed (role duplicate); a removed record that is a true
singleton, or whose true cluster keeps no member, is a false positive. For the IEBH files, whose
labels only flag membership of a duplicate set, a record is positive when it is in any cluster.

Some labels count an erratum, correction, retraction, reply or comment as a duplicate of the
article it is about; the hard-negative rules keep those apart on purpose. The column `design`
counts them: in a true cluster that slr splits, every group made only of such notices, beside a
group holding the article itself, is one duplicate missed by design. Pooled sensitivity is printed
as-is and with those pairs counted as correct negatives (removed from the true duplicates).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from slr.cli.dedup import write_report
from slr.dedup import deduplicate, features
from slr.importing import ImportOptions, import_files
from slr.store import Review

DATA = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "dedup"
CLUSTER_SETS = (
    ("asysd-diabetes", "asysd-diabetes/labelled_test_set.csv"),
    ("sra/cytology_screening", "sra-rathbone-2015/cytology_screening/records_pre_merged.csv"),
    ("sra/haematology", "sra-rathbone-2015/haematology/records_pre_merged.csv"),
    ("sra/respiratory", "sra-rathbone-2015/respiratory/records_pre_merged.csv"),
    ("sra/stroke", "sra-rathbone-2015/stroke/records_pre_merged.csv"),
    ("bibdedupe-digital-work", "bibdedupe-digital-work/records_pre_merged.csv"),
    ("bibdedupe-special-cases", "bibdedupe-special-cases/records_pre_merged.csv"),
)
FLAG_SETS = (
    ("iebh/copper", "iebh-deduplicator-testsets/copper.xml"),
    ("iebh/tafenoquine", "iebh-deduplicator-testsets/tafenoquine.xml"),
)


@dataclass
class Score:
    records: int
    true_dups: int
    tp: int
    fp: int
    sensitivity: float
    specificity: float
    uncertain: int
    seconds: float
    by_design: int = 0  # missed duplicates that are notices kept apart from their article


def _label_of(raw: dict) -> str:
    if "ID" in raw:
        return str(raw["ID"])
    if "record_id" in raw:
        return f"id_{int(raw['record_id']):07d}"
    return str(raw.get("rec-number", ""))


def _truth_clusters(path: Path) -> dict[str, int]:
    cluster_of: dict[str, int] = {}
    with (path.parent / "merged_record_ids.csv").open(encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            for label in row["merged_ids"].split(";"):
                cluster_of[label.strip()] = number
    return cluster_of


def _cluster_metric(labels: list[str], removed: set[str], truth: dict[str, int]) -> tuple:
    members: dict[int, list[str]] = {}
    for label in labels:
        if label in truth:
            members.setdefault(truth[label], []).append(label)
    true_dups = sum(len(m) - 1 for m in members.values())
    fp = 0
    for label in removed:
        cluster = truth.get(label)
        if cluster is None or all(m in removed for m in members[cluster]):
            fp += 1
    tp = len(removed) - fp
    negatives = len(labels) - true_dups
    return true_dups, tp, fp, tp / true_dups if true_dups else 1.0, (negatives - fp) / negatives


def _by_design(
    labels: list[str], group_of: dict[str, str], notice: dict[str, bool], truth: dict[str, int]
) -> int:
    """Duplicates missed because a rule keeps a notice apart from the article it is about."""
    split: dict[int, dict[str, list[str]]] = {}
    for label in labels:
        if label in truth:
            split.setdefault(truth[label], {}).setdefault(group_of[label], []).append(label)
    missed = 0
    for groups in split.values():
        if len(groups) < 2:
            continue
        notices = sum(1 for members in groups.values() if all(notice[m] for m in members))
        if notices < len(groups):  # some group holds the article itself
            missed += notices
    return missed


def _flag_metric(labels: list[str], in_cluster: set[str], flagged: set[str]) -> tuple:
    tp = len(in_cluster & flagged)
    fp = len(in_cluster - flagged)
    negatives = len(labels) - len(flagged)
    return len(flagged), tp, fp, tp / len(flagged), (negatives - fp) / negatives


def run_slr(path: Path, flags: bool) -> tuple[Score, list[dict]]:
    with tempfile.TemporaryDirectory() as tmp:
        review = Review.create(Path(tmp) / "review")
        import_files(review, [path], ImportOptions(database="benchmark"))
        started = time.perf_counter()
        summary = deduplicate(review)
        seconds = time.perf_counter() - started
        report = Path(tmp) / "report.csv"
        write_report(review, report)
        label_of = {}
        flagged = set()
        records = []
        notice = {}
        for stored in review.iter_records():
            label = _label_of(stored.record.raw)
            label_of[stored.id] = label
            notice[label] = features(stored.id, stored.record).notice
            if str(stored.record.raw.get("caption", "")).strip() == "Duplicate":
                flagged.add(label)
            records.append(stored)
        with report.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        review.close()
    labels = [label_of[int(r["record_id"])] for r in rows]
    by_design = 0
    if flags:
        in_cluster = {
            label_of[int(r["record_id"])] for r in rows if r["role"] in ("kept", "duplicate")
        }
        figures = _flag_metric(labels, in_cluster, flagged)
    else:
        removed = {label_of[int(r["record_id"])] for r in rows if r["role"] == "duplicate"}
        truth = _truth_clusters(path)
        figures = _cluster_metric(labels, removed, truth)
        group_of = {
            label_of[int(r["record_id"])]: r["cluster_id"] or f"single-{r['record_id']}"
            for r in rows
        }
        by_design = _by_design(labels, group_of, notice, truth)
    score = Score(len(labels), *figures, summary.uncertain, round(seconds, 2), by_design)
    return score, records


def run_bib_dedupe(path: Path, records: list, flags: bool) -> Score | None:
    try:
        import pandas as pd
        from bib_dedupe.bib_dedupe import block, cluster, match, prep
    except ImportError:
        return None
    rows = []
    for stored in records:
        r = stored.record
        rows.append(
            {
                "ID": _label_of(r.raw),
                "ENTRYTYPE": str(r.raw.get("ENTRYTYPE", "article")),
                "title": r.title,
                "author": " and ".join(a.display for a in r.authors),
                "year": str(r.year or ""),
                "journal": r.source_title,
                "volume": r.volume,
                "number": r.issue,
                "pages": r.pages,
                "doi": r.doi,
                "abstract": r.abstract,
            }
        )
    frame = pd.DataFrame(rows)
    started = time.perf_counter()
    matched = match(block(prep(frame, verbosity_level=0), verbosity_level=0), verbosity_level=0)
    sets = cluster(matched, verbosity_level=0)
    seconds = time.perf_counter() - started
    maybe = 0
    if "duplicate_label" in matched.columns:
        maybe = int((matched["duplicate_label"] == "maybe").sum())
    labels = [row["ID"] for row in rows]
    if flags:
        flagged = {_label_of(s.record.raw) for s in records if s.record.raw.get("caption")}
        in_cluster = {label for group in sets for label in group}
        figures = _flag_metric(labels, in_cluster, flagged)
    else:
        removed = {label for group in sets for label in sorted(group)[1:]}
        figures = _cluster_metric(labels, removed, _truth_clusters(path))
    return Score(len(labels), *figures, maybe, round(seconds, 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--no-bib-dedupe", action="store_true")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    compare = not args.no_bib_dedupe
    if compare:
        try:
            import bib_dedupe  # noqa: F401
        except ImportError:
            print("bib-dedupe is not installed: pip install bib-dedupe (comparison skipped)")
            compare = False
    header = f"{'set':26} {'tool':10} {'records':>7} {'true':>5} {'TP':>5} {'FP':>3} "
    header += f"{'sens':>6} {'spec':>6} {'uncert':>6} {'sec':>6} {'design':>6}"
    print(header)
    pooled: dict[str, list[int]] = {"slr": [0, 0, 0, 0], "bib-dedupe": [0, 0, 0, 0]}
    for name, relative in (*CLUSTER_SETS, *FLAG_SETS):
        if args.only and args.only not in name:
            continue
        flags = relative.endswith(".xml")
        path = args.data / relative
        score, records = run_slr(path, flags)
        results = [("slr", score)]
        if compare:
            other = run_bib_dedupe(path, records, flags)
            if other is not None:
                results.append(("bib-dedupe", other))
        for tool, s in results:
            if not flags:
                pooled[tool][0] += s.true_dups
                pooled[tool][1] += s.tp
                pooled[tool][2] += s.fp
                pooled[tool][3] += s.by_design
            design = f"{s.by_design:>6}" if tool == "slr" and not flags else f"{'':>6}"
            print(
                f"{name:26} {tool:10} {s.records:>7} {s.true_dups:>5} {s.tp:>5} {s.fp:>3} "
                f"{s.sensitivity:>6.4f} {s.specificity:>6.4f} {s.uncertain:>6} {s.seconds:>6.2f} "
                f"{design}"
            )
        sys.stdout.flush()
    for tool, (true, tp, fp, _design) in pooled.items():
        if true:
            print(
                f"pooled (cluster sets) {tool}: sensitivity {tp / true:.4f}, false positives {fp}"
            )
    true, tp, fp, design = pooled["slr"]
    if true and design:
        print(
            f"pooled (cluster sets) slr, counting the {design} erratum/correction/reply pairs the "
            f"rules keep apart by design as correct negatives: sensitivity "
            f"{tp / (true - design):.4f} ({tp} of {true - design})"
        )


if __name__ == "__main__":
    main()
