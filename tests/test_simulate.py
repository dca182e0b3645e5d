"""`slr simulate`: the metrics by hand, the JSON it promises, determinism, its input, priors."""

from __future__ import annotations

import csv
import json
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from slr.cli import main
from slr.screening.simulate import LabelledData, metrics, read_labelled_csv, simulate

TOPIC = ("mindfulness", "stress", "reduction", "randomised", "trial", "anxiety", "nurses", "care")
OTHER = (
    *("supply", "chain", "logistics", "inventory", "warehouse", "soil", "nitrogen", "crop"),
    *("irrigation", "wheat", "image", "segmentation", "network", "policy", "inflation", "bank"),
    *("reef", "ocean", "temperature", "tourism"),
)
COMMON = ("study", "results", "method", "analysis", "data", "effect", "sample", "group", "paper")


def labelled_rows(records: int = 120, included: int = 8, seed: int = 3) -> list[list[str]]:
    """Synthetic records: the included ones draw half their words from the topic."""
    rng = random.Random(seed)
    rows = []
    for number in range(records):
        relevant = (
            number % (records // included) == 0 and number // (records // included) < included
        )
        words = rng.sample(COMMON, 4) + rng.sample(TOPIC if relevant else OTHER, 4)
        words += rng.sample(OTHER, 2)
        rng.shuffle(words)
        rows.append(
            [f"Record {number}: {' '.join(words[:4])}", " ".join(words[4:]), str(int(relevant))]
        )
    return rows


def write_csv(path: Path, rows: list[list[str]], header: tuple[str, ...] = ()) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header or ("title", "abstract", "label_included"))
        writer.writerows(rows)
    return path


# -- the metrics, by hand ----------------------------------------------------------------------


def test_metrics_of_a_tiny_ordering_by_hand() -> None:
    # 10 records, 2 included, found 1st and 3rd; the simulation stopped after the 3rd
    result = metrics([True, False, True], records=10, included=2)
    # 95% of 2 is 2 includes, found after 3 records: (10 - 3)/10 - 0.05
    assert result["wss95"] == pytest.approx(0.65)
    # the first 10% is 1 record, holding 1 of the 2
    assert result["rrf10"] == pytest.approx(0.5)
    # found after 1 and 3 of 10: (0.1 + 0.3)/2
    assert result["atd"] == pytest.approx(0.2)
    # found after each record: 1,1,2,2,2,2,2,2,2,2 = 18; ideal 1,2,...,2 = 19; worst 1+2 = 3
    assert result["loss"] == pytest.approx((19 - 18) / (19 - 3))


def test_metrics_of_the_best_and_the_worst_order() -> None:
    best = metrics([True] * 3 + [False] * 17, records=20, included=3)
    assert best == pytest.approx({"wss95": 17 / 20 - 0.05, "rrf10": 2 / 3, "atd": 0.1, "loss": 0})
    worst = metrics([False] * 17 + [True] * 3, records=20, included=3)
    assert worst == pytest.approx({"wss95": -0.05, "rrf10": 0, "atd": 0.95, "loss": 1})


@given(st.lists(st.booleans(), min_size=2, max_size=200).filter(lambda x: 0 < sum(x) < len(x)))
def test_loss_is_asreviews_formula(labels: list[bool]) -> None:
    """ASReview 2.x's loss (asreview/metrics.py), written out independently."""
    ny, nx = sum(labels), len(labels)
    expected = (ny * (nx - (ny - 1) / 2) - np.cumsum(labels).sum()) / (ny * (nx - ny))
    assert metrics(labels, nx, ny)["loss"] == pytest.approx(expected)
    # an ordering that stops after its last include scores as the whole ordering
    last = max(i for i, label in enumerate(labels) if label)
    assert metrics(labels[: last + 1], nx, ny) == metrics(labels, nx, ny)


def test_metrics_refuse_an_ordering_that_misses_an_include() -> None:
    with pytest.raises(ValueError, match="does not hold every included record"):
        metrics([True, False], records=10, included=2)


# -- the command -------------------------------------------------------------------------------


def test_json_has_exactly_the_promised_shape_and_a_seed_gives_the_same_figures(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = write_csv(tmp_path / "set.csv", labelled_rows())
    args = ["simulate", str(data), "--runs", "3", "--seed", "5", "--json"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    result = json.loads(first.output)
    assert list(result) == ["records", "included", "runs", "mean"]
    assert (result["records"], result["included"]) == (120, 8)
    assert [run["seed"] for run in result["runs"]] == [5, 6, 7]
    for run in result["runs"]:
        assert list(run) == ["seed", "wss95", "rrf10", "atd", "loss"]
    assert list(result["mean"]) == ["wss95", "rrf10", "atd", "loss"]
    for name in ("wss95", "rrf10", "atd", "loss"):
        mean = sum(run[name] for run in result["runs"]) / 3
        assert result["mean"][name] == pytest.approx(mean, abs=1e-4)
    assert result["mean"]["loss"] < 0.2  # the topic is easy to learn: far from random (0.5)
    again = runner.invoke(main, args)
    assert again.output == first.output
    other = runner.invoke(main, ["simulate", str(data), "--seed", "9", "--json"])
    assert json.loads(other.output)["runs"][0]["seed"] == 9


def test_text_report_and_recall_curve(runner: CliRunner, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "set.csv", labelled_rows())
    curve = tmp_path / "curve.svg"
    result = runner.invoke(main, ["simulate", str(data), "--runs", "2", "--curve", str(curve)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "set.csv: 120 records, 8 included; model svm; prior 1 included + 1 excluded at "
        "random; retrained after each include and every 5% more labels"
    )
    assert lines[1].split() == ["seed", "WSS@95", "RRF@10", "ATD", "loss"]
    assert [line.split()[0] for line in lines[2:6]] == ["1", "2", "mean", "sd"]
    assert lines[6] == f"Wrote the recall curve to {curve}"
    svg = ET.parse(curve).getroot()
    lines_drawn = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines_drawn) == 2 + 2  # the ideal and the random-order lines, one per run
    assert lines_drawn[1].get("stroke-dasharray") == "6 4"


def test_a_stopping_rule_reports_where_it_stopped(runner: CliRunner, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "set.csv", labelled_rows())
    args = ["simulate", str(data), "--stopping", "irrelevant_in_a_row", "--json"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    stop = json.loads(result.output)["runs"][0]["stop"]
    # ASReview's heuristic at its default: 100 irrelevant in a row, after the last include
    assert stop["verdict"]["rule"] == "irrelevant_in_a_row"
    assert stop["verdict"]["figures"]["irrelevant_in_a_row"] == 100
    assert stop["recall"] == 1.0
    assert stop["work_saved"] == pytest.approx(1 - stop["screened"] / 120, abs=1e-4)


def test_prior_rows_replace_the_random_draw(tmp_path: Path) -> None:
    data = read_labelled_csv(write_csv(tmp_path / "set.csv", labelled_rows()))
    run = simulate(data, prior_rows=[0, 1]).runs[0]
    assert run.prior == [0, 1]
    assert 0 not in run.screened and 1 not in run.screened


# -- the input ---------------------------------------------------------------------------------


def test_a_csv_with_keywords_and_semicolons_is_read(tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    path.write_text(
        "Title;Abstract;Keywords;label_included\nA;one;k;1\nB;two;;0\n\nC;;x;0\n",
        encoding="utf-8",
    )
    data = read_labelled_csv(path)
    assert (data.texts, data.labels) == (["A one k", "B two", "C x"], [True, False, False])


# printable text with the characters a CSV must quote (control characters make a binary file)
CELL_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from(',";\n\t'), max_size=40
)


@given(
    st.lists(
        st.tuples(CELL_TEXT, CELL_TEXT, st.booleans()),
        min_size=2,
        max_size=20,
    ).filter(lambda rows: 0 < sum(row[2] for row in rows) < len(rows))
)
def test_any_text_in_a_csv_keeps_every_record_and_its_label(
    rows: list[tuple[str, str, bool]],
) -> None:
    """Commas, quotes, line breaks and empty cells in the text lose no record and no label."""
    import tempfile  # (hypothesis runs many examples: a folder each, not pytest's tmp_path)

    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(
            Path(folder) / "set.csv",
            [[title, abstract, str(int(label))] for title, abstract, label in rows],
        )
        data = read_labelled_csv(path)
    assert data.labels == [label for _, _, label in rows]


def test_rows_without_a_label_are_reported_with_their_lines(
    runner: CliRunner, tmp_path: Path
) -> None:
    rows = labelled_rows()
    rows[2][2] = "yes"
    rows[5][2] = ""
    data = write_csv(tmp_path / "set.csv", rows)
    result = runner.invoke(main, ["simulate", str(data)])
    assert result.exit_code == 1
    assert result.output == (
        "Error: 2 row(s) of set.csv cannot be simulated: line 4: label_included is 'yes', not "
        "0 or 1; line 7: label_included is '', not 0 or 1; give every record a label_included "
        "of 1 (included) or 0 (excluded)\n"
    )


def test_a_file_without_the_label_column_or_without_includes(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = write_csv(tmp_path / "a.csv", [["T", "A"]], header=("title", "abstract"))
    result = runner.invoke(main, ["simulate", str(data)])
    assert (result.exit_code, result.output) == (
        1,
        "Error: a.csv has no label_included column; add one with 1 for each included record "
        "and 0 for each excluded one\n",
    )
    data = write_csv(tmp_path / "b.csv", [["T", "A", "0"], ["U", "B", "0"]])
    result = runner.invoke(main, ["simulate", str(data)])
    assert result.exit_code == 1
    assert "2 labelled records, 0 included" in result.output


def test_data_or_review_one_of_them(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["simulate"])
    assert result.exit_code == 2
    assert "give a DATA file or --review DIR (one of them)" in result.output


# -- prior knowledge from rules ----------------------------------------------------------------


def test_rule_seeded_prior_knowledge_finds_the_inclusions_sooner(tmp_path: Path) -> None:
    """No human label to start from: with the rules' includes and excludes of a few records as
    prior knowledge, the first includes come sooner than from a cold start."""
    rows = labelled_rows(records=200, included=10, seed=11)
    labels = [row[2] == "1" for row in rows]
    texts = [f"{row[0]} {row[1]}" for row in rows]
    included = [i for i, label in enumerate(labels) if label]
    excluded = [i for i, label in enumerate(labels) if not label]
    rule_prior = {**dict.fromkeys(included[:2], True), **dict.fromkeys(excluded[:20], False)}
    data = LabelledData("rules", texts, labels, rule_prior)

    def replay(use_rule_prior: bool) -> tuple[float, list[int]]:
        result = simulate(
            data, prior_included=0, prior_excluded=0, runs=5, use_rule_prior=use_rule_prior
        )
        first = [run.screened_labels.index(True) + 1 for run in result.runs]
        return result.mean()["loss"], first

    seeded_loss, seeded_first = replay(True)
    cold_loss, cold_first = replay(False)
    assert seeded_first == [1, 1, 1, 1, 1]  # the rules' includes point at the topic at once
    assert min(cold_first) > 1  # a cold start reads until its first include
    assert seeded_loss < cold_loss


# -- an existing review ------------------------------------------------------------------------


def test_a_reviews_human_decisions_are_replayed(runner: CliRunner, demo: Path) -> None:
    """The people's final decisions at title/abstract are the labels; records nobody decided
    are left out; with --rule-prior the rules' decisions on them seed the model."""
    from slr.store import Review
    from slr.store.screening import load_text_records, record_human_decision

    with Review.open(demo) as review:
        records = list(load_text_records(review.db))[:40]
        for number, (record_id, record) in enumerate(records):
            included = "digital" in (record.title or "").lower() or number in (0, 1)
            decision = "include" if included else "exclude"
            record_human_decision(review.db, record_id, "title_abstract", "ana", decision)
        expected = sum(
            "digital" in (r.title or "").lower() or n in (0, 1) for n, (_, r) in enumerate(records)
        )
    for extra in ([], ["--rule-prior"]):
        args = ["simulate", "--review", str(demo), "--json", "--runs", "2", *extra]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        figures = json.loads(result.output)
        assert (figures["records"], figures["included"]) == (40, expected)
    result = runner.invoke(main, ["simulate", "x.csv", "--rule-prior"])
    assert (result.exit_code, result.output) == (
        1,
        "Error: --rule-prior needs --review: a CSV has no protocol rules; drop it\n",
    )
