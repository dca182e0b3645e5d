"""Benchmark: slr's screening prioritisation against ASReview LAB's default model on every set.

Run: python tests/bench/screening_bench.py [--seeds 5] [--asreview-only] [--only NAME,...]

Every set in ../shared/benchmarks/screening/ is written once to a plain CSV (title, abstract,
label_included) in the work folder (SYNERGY sets: the OpenAlex works in works_1.zip read with
slr's own OpenAlex importer and joined to labels.csv on the OpenAlex id), so that both tools
read the same text. For each prior seed S (1 included + 1 excluded record, as ASReview draws
them) ASReview runs `asreview simulate CSV --n-prior-included 1 --n-prior-excluded 1
--prior-seed S --seed S` in its own venv (ASREVIEW, default: the `asreview` on PATH, which must
not be the project's venv), and the order it labelled the records in is read from its project file
(results.db). slr then runs `slr simulate CSV --prior-row R ... --seed S --json` from the SAME
prior records, so each pair of runs differs only by the model. Both orderings are scored by
`slr.screening.simulate.metrics` (the definitions of the benchmarks' README), and each command is
timed as a whole (start-up, reading, vectorising, the loop).

ASReview's runs are cached in the work folder (default slr-screening-bench in the system's
temporary folder, or SLR_SCREENING_BENCH): start them early with `--asreview-only` in the
background, `nice`d, and the table is assembled from the cache later.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from slr.importers.json_formats import parse_openalex
from slr.screening.simulate import metrics

REPO = Path(__file__).resolve().parents[2]
SETS = REPO.parent / "shared" / "benchmarks" / "screening"
WORK = Path(
    os.environ.get("SLR_SCREENING_BENCH", Path(tempfile.gettempdir()) / "slr-screening-bench")
)
ASREVIEW = os.environ.get("ASREVIEW", "asreview")
SLR = [sys.executable, "-m", "slr"]
METRICS = ("wss95", "rrf10", "atd", "loss")


@dataclass(frozen=True)
class DataSet:
    name: str
    path: Path
    records: int
    included: int


def _write(name: str, rows: list[tuple[str, str, int]]) -> DataSet:
    target = WORK / "data" / f"{name}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    # written aside and renamed: a run reading the file meanwhile sees the whole of it
    partial = target.with_suffix(f".{os.getpid()}.partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "abstract", "label_included"])
        writer.writerows(rows)
    partial.replace(target)
    return DataSet(name, target, len(rows), sum(row[2] for row in rows))


def _synergy(folder: Path) -> DataSet:
    works = {}
    with zipfile.ZipFile(folder / "works_1.zip") as archive:
        for member in archive.namelist():
            result = parse_openalex(archive.read(member).decode("utf-8"))
            for failure in result.failures:
                print(f"{folder.name}/{member}: line {failure.line}: {failure.reason}")
            for record in result.records:
                works[record.ids["openalex"]] = record
    rows = []
    with (folder / "labels.csv").open(encoding="utf-8", newline="") as handle:
        for label in csv.DictReader(handle):
            record = works.get(label["openalex_id"].rstrip("/").rsplit("/", 1)[-1])
            if record is None:  # kept, with no text, so the counts stay the review's
                print(f"{folder.name}: {label['openalex_id']} has no work in works_1.zip")
            title = (record.title or "") if record else ""
            abstract = (record.abstract or "") if record else ""
            rows.append((title, abstract, int(label["label_included"])))
    return _write(folder.name, rows)


def _plain(path: Path) -> DataSet:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            (row["title"] or "", row["abstract"] or "", int(row["label_included"]))
            for row in csv.DictReader(handle)
        ]
    return _write(path.stem, rows)


def prepare() -> list[DataSet]:
    sets = [_synergy(folder) for folder in sorted((SETS / "synergy").iterdir()) if folder.is_dir()]
    sets += [_plain(path) for path in sorted(SETS.glob("*/*.csv"))]
    return sets


def asreview_cache(data: DataSet, seed: int) -> Path:
    return WORK / "asreview" / f"{data.name}-{seed}.json"


def asreview_run(data: DataSet, seed: int, fresh: bool = False) -> dict:
    """ASReview's labelling order for one seed, from the cache or by running it (`fresh`:
    run it again, for a timing next to slr's under the same load)."""
    cache = asreview_cache(data, seed)
    if cache.is_file() and not fresh:
        return json.loads(cache.read_text())
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "run.asreview"
        command = [ASREVIEW, "simulate", str(data.path), "--n-prior-included", "1"]
        command += ["--n-prior-excluded", "1", "--prior-seed", str(seed), "--seed", str(seed)]
        started = time.perf_counter()
        subprocess.run([*command, "-o", str(project)], check=True, capture_output=True)
        seconds = time.perf_counter() - started
        with zipfile.ZipFile(project) as archive:
            archive.extract("results.db", tmp)
        db = sqlite3.connect(Path(tmp) / "results.db")
        rows = db.execute(
            "SELECT record.dataset_row, results.label, results.classifier IS NULL "
            "FROM results JOIN record USING (record_id) ORDER BY results.rowid"
        ).fetchall()
        db.close()
    run = {
        "seed": seed,
        "seconds": seconds,
        "prior_rows": [row for row, _, prior in rows if prior],
        "order": [row for row, _, prior in rows if not prior],
        "labels": [label for _, label, prior in rows if not prior],
    }
    if not fresh:  # written aside and renamed: a reader never sees half of it
        partial = cache.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(run))
        partial.replace(cache)
    return run


def slr_run(data: DataSet, seed: int, prior_rows: list[int]) -> dict:
    command = [*SLR, "simulate", str(data.path), "--seed", str(seed), "--json"]
    for row in prior_rows:
        command += ["--prior-row", str(row)]
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    result = json.loads(done.stdout)
    return {**result["runs"][0], "seconds": seconds}


def asreview_metrics(data: DataSet, run: dict) -> dict:
    prior_included = sum(1 for row in run["prior_rows"] if _label(data, row))
    values = metrics(
        [bool(label) for label in run["labels"]],
        data.records - len(run["prior_rows"]),
        data.included - prior_included,
    )
    return {**values, "seconds": run["seconds"]}


_LABELS: dict[Path, list[int]] = {}


def _label(data: DataSet, row: int) -> int:
    if data.path not in _LABELS:
        with data.path.open(encoding="utf-8", newline="") as handle:
            _LABELS[data.path] = [int(r["label_included"]) for r in csv.DictReader(handle)]
    return _LABELS[data.path][row]


def _mean(runs: list[dict], key: str) -> float:
    return statistics.fmean(run[key] for run in runs)


# --rules: the protocol's rules as prior knowledge. One include rule per review, written from
# the review's question (its CITATION.txt or SOURCE.md), never from the labels; the records it
# matches seed the model at PRIOR_WEIGHT, and nobody has read them yet (they stay to screen).
RULE_QUERIES = {
    "Donners_2021": "emicizumab",
    "Meijboom_2021": "biosimilar* AND (switch* OR transition* OR retransition*)",
    "Menon_2022": '"systematic review*" AND (environment* OR toxicolog*)',
    "Nelson_2002": '"hormone replacement" OR "hormone therapy" OR postmenopausal',
    "Oud_2018": '"borderline personality" AND (psychotherap* OR therap*)',
    "Sep_2021": '"object in context" OR (object* AND context* AND (rat OR rats OR mice))',
    "Nagtegaal_2019": 'nudg* OR reminder* OR "decision support" OR default*',
    "Kitchenham_2010": '"systematic review*" OR "systematic literature review*" OR "mapping stud*"',
}


def rule_prior_study(sets: list[DataSet], seeds: range) -> None:
    from slr.models import Record  # (only this part matches rules)
    from slr.protocol.query import parse_query
    from slr.screening.engine import Matcher
    from slr.screening.simulate import read_labelled_csv, simulate
    from slr.screening.text import RecordText

    print("rule-seeded prior knowledge: mean over seeds of loss, WSS@95, records read to the")
    print("first include; cold start (no prior) and 1 include + 1 exclude, each without / with")
    print("the rule's matches as prior knowledge")
    for data in sets:
        if data.name not in RULE_QUERIES:
            continue
        labelled = read_labelled_csv(data.path)
        matcher = Matcher(parse_query(RULE_QUERIES[data.name]))
        with data.path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        matched = [
            index
            for index, row in enumerate(rows)
            if matcher.matches(
                RecordText.of(index, Record(title=row["title"], abstract=row["abstract"]))
            )
        ]
        hits = sum(labelled.labels[i] for i in matched)
        seeded = type(labelled)(
            labelled.source, labelled.texts, labelled.labels, dict.fromkeys(matched, True)
        )
        cells = []
        for prior in (0, 1):
            for use in (False, True):
                result = simulate(
                    seeded,
                    prior_included=prior,
                    prior_excluded=prior,
                    seed=seeds.start,
                    runs=len(seeds),
                    use_rule_prior=use,
                )
                first = statistics.fmean(r.screened_labels.index(True) + 1 for r in result.runs)
                mean = result.mean()
                cells.append(f"{mean['loss']:.3f} {mean['wss95']:.3f} {first:5.1f}")
        print(
            f"{data.name:<16} rule matches {len(matched):>4} ({hits:>3} included) | "
            + " | ".join(cells),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--asreview-only", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated set names")
    parser.add_argument(
        "--rules", action="store_true", help="only the rule-seeded prior study (slr alone)"
    )
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="only the sets whose ASReview runs are all cached (the table while they run)",
    )
    parser.add_argument(
        "--speed-set",
        default="Nagtegaal_2019",
        help="time ASReview afresh on this set's first seed, right before slr's (same load)",
    )
    options = parser.parse_args()
    if not SETS.is_dir():
        print(f"skipped: {SETS} is not present")
        return
    if shutil.which(ASREVIEW) is None:
        print(
            f"ASReview not found at {ASREVIEW}: install it in a venv of its own "
            "(python3 -m venv DIR && DIR/bin/pip install asreview), "
            "then set ASREVIEW=DIR/bin/asreview"
        )
        return
    sets = prepare()
    if options.only:
        sets = [data for data in sets if data.name in options.only.split(",")]
    seeds = range(1, options.seeds + 1)
    if options.rules:
        rule_prior_study(sets, seeds)
        return
    if options.cached_only:
        sets = [d for d in sets if all(asreview_cache(d, seed).is_file() for seed in seeds)]
    rows = []
    for data in sets:
        ours, theirs = [], []
        if data.name == options.speed_set and not options.asreview_only:
            _speed(data)
        for seed in seeds:
            run = asreview_run(data, seed)
            if options.asreview_only:
                print(f"{data.name} seed {seed}: asreview {run['seconds']:.1f} s", flush=True)
                continue
            theirs.append(asreview_metrics(data, run))
            ours.append(slr_run(data, seed, run["prior_rows"]))
        if not options.asreview_only:
            rows.append((data, ours, theirs))
            _print_row(data, ours, theirs)
    if rows:
        _summary(rows)


def _speed(data: DataSet) -> None:
    """One whole simulation each, one after the other, so both run under the same load."""
    theirs = asreview_run(data, 1, fresh=True)
    ours = slr_run(data, 1, theirs["prior_rows"])
    print(
        f"{data.name}, seed 1, timed in this run: ASReview {theirs['seconds']:.1f} s, slr "
        f"{ours['seconds']:.1f} s ({theirs['seconds'] / ours['seconds']:.1f} times faster)",
        flush=True,
    )


HEADER = (
    f"{'set':<24} {'records':>7} {'incl':>4} | {'WSS@95':>13} | {'RRF@10':>13} | {'ATD':>13} | "
    f"{'loss':>13} | {'seconds':>13}"
)


def _print_row(data: DataSet, ours: list[dict], theirs: list[dict]) -> None:
    if not getattr(_print_row, "headed", False):
        print("each cell: slr / ASReview (mean over seeds)")
        print(HEADER)
        _print_row.headed = True  # type: ignore[attr-defined]
    cells = [f"{data.name:<24} {data.records:>7} {data.included:>4}"]
    for key in (*METRICS, "seconds"):
        cells.append(f"{_mean(ours, key):>6.3f}/{_mean(theirs, key):<6.3f}")
    print(" | ".join(cells), flush=True)


def _summary(rows: list[tuple[DataSet, list[dict], list[dict]]]) -> None:
    ours_loss = statistics.fmean(_mean(ours, "loss") for _, ours, _ in rows)
    theirs_loss = statistics.fmean(_mean(theirs, "loss") for _, _, theirs in rows)
    gaps = {data.name: _mean(ours, "wss95") - _mean(theirs, "wss95") for data, ours, theirs in rows}
    at_least = sum(1 for gap in gaps.values() if gap >= 0)
    worst = min(gaps, key=gaps.__getitem__)
    print(f"mean loss over all sets: slr {ours_loss:.4f}, ASReview {theirs_loss:.4f}")
    print(
        f"WSS@95 at least as high on {at_least} of {len(rows)} sets; "
        f"largest shortfall {gaps[worst]:+.3f} ({worst})"
    )
    for data, ours, theirs in rows:
        if data.name == "Nagtegaal_2019":
            speed = _mean(theirs, "seconds") / _mean(ours, "seconds")
            print(
                f"Nagtegaal_2019: WSS@95 {_mean(ours, 'wss95'):.3f}, "
                f"{speed:.1f} times faster than ASReview"
            )


if __name__ == "__main__":
    main()
