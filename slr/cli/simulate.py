"""`slr simulate`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from slr.errors import SlrError
from slr.normalize.words import counted
from slr.protocol.model import STOPPING_RULES
from slr.screening.ranking import DEFAULT_MODEL, MODELS
from slr.screening.simulate import (
    METRICS,
    RETRAIN_GROWTH,
    Simulation,
    read_labelled_csv,
    recall_curve_svg,
    review_labels,
    simulate,
)
from slr.screening.stopping import spec_named
from slr.store import Review

_HEADINGS = {"wss95": "WSS@95", "rrf10": "RRF@10", "atd": "ATD", "loss": "loss"}


@click.command()
@click.argument("data", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--review",
    "review_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Replay this review's human decisions at title/abstract instead of a DATA file.",
)
@click.option(
    "--model",
    type=click.Choice(list(MODELS)),
    default=DEFAULT_MODEL,
    show_default=True,
    help="; ".join(f"{m.name}: {m.description}" for m in MODELS.values()) + ".",
)
@click.option(
    "--prior-included",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    help="Included records known before screening, drawn at random.",
)
@click.option(
    "--prior-excluded",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    help="Excluded records known before screening, drawn at random.",
)
@click.option(
    "--prior-row",
    "prior_rows",
    type=click.IntRange(0),
    multiple=True,
    help="A row of DATA (0: the first record) known before screening, instead of the "
    "random draw; repeat it for several.",
)
@click.option(
    "--rule-prior",
    is_flag=True,
    help="With --review: the protocol rules' includes and excludes seed the model "
    "(weighted below a person's decision), as in `slr screen`.",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Seed of the first run (prior draw, model, ties); run i uses seed + i - 1.",
)
@click.option("--runs", type=click.IntRange(1), default=1, show_default=True)
@click.option(
    "--stopping",
    type=click.Choice(list(STOPPING_RULES)),
    help="Check this stopping rule (its default parameters) after every record and "
    "report where it stopped: the recall reached and the work saved.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--curve",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the recall curve (SVG, with the random-order line) to this file.",
)
def simulate_command(
    data: Path | None,
    review_dir: Path | None,
    model: str,
    prior_included: int,
    prior_excluded: int,
    prior_rows: tuple[int, ...],
    rule_prior: bool,
    seed: int,
    runs: int,
    stopping: str | None,
    as_json: bool,
    curve: Path | None,
) -> None:
    """Replay labelled screening decisions in the order a ranking model proposes, and measure
    the reading it saves.

    DATA is a CSV with title, abstract (optionally keywords) and label_included (1 or 0, the
    ASReview convention); or --review DIR replays a review's human decisions. Each run starts
    from prior records (1 included and 1 excluded, drawn with the run's seed), screens the
    model's likeliest inclusion next and retrains after every include found and every 5% more
    labels, until every included record is found. Reported per run and as mean and sd:
    WSS@95 (work saved at 95% recall), RRF@10 (recall after 10% read), ATD (mean fraction read
    to find an included record) and loss (0: ideal order, 1: worst). Same seed, same figures.
    """
    if (data is None) == (review_dir is None):
        raise click.UsageError("give a DATA file or --review DIR (one of them)")
    if rule_prior and review_dir is None:
        raise SlrError("--rule-prior needs --review: a CSV has no protocol rules", "drop it")
    if data is not None:
        labelled = read_labelled_csv(data)
    else:
        assert review_dir is not None
        with Review.open(review_dir) as review:
            labelled = review_labels(review)
    result = simulate(
        labelled,
        model,
        prior_included,
        prior_excluded,
        seed,
        runs,
        spec_named(stopping) if stopping else None,
        prior_rows,
        rule_prior,
    )
    if curve is not None:
        title = f"{Path(labelled.source).name}: model {model}, {runs} run(s)"
        curve.write_text(recall_curve_svg(result, title), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    click.echo(_report(result, labelled.source, prior_included, prior_excluded, prior_rows))
    if curve is not None:
        click.echo(f"Wrote the recall curve to {curve}")


def _report(
    result: Simulation,
    source: str,
    prior_included: int,
    prior_excluded: int,
    prior_rows: tuple[int, ...],
) -> str:
    prior = (
        f"rows {', '.join(map(str, prior_rows))}"
        if prior_rows
        else f"{prior_included} included + {prior_excluded} excluded at random"
    )
    lines = [
        f"{Path(source).name}: {counted(result.records, 'record', grouped=True)}, "
        f"{result.included:,} included; "
        f"model {result.model}; prior {prior}; retrained after each include and every "
        f"{RETRAIN_GROWTH:.0%} more labels",
    ]
    stops = any(run.stop is not None for run in result.runs)
    heading = f"{'seed':>6}" + "".join(f"{_HEADINGS[name]:>9}" for name in METRICS)
    if stops:
        heading += f"{'stopped at':>12}{'recall':>8}{'saved':>8}"
    lines.append(heading)
    for run in result.runs:
        line = f"{run.seed:>6}" + "".join(f"{run.metrics[name]:>9.3f}" for name in METRICS)
        if run.stop is not None:
            saved = 1 - run.stop.screened / run.stop.total
            line += f"{run.stop.screened:>12,}{run.stop_recall or 0:>8.3f}{saved:>8.3f}"
        elif stops:
            line += f"{'never':>12}"
        lines.append(line)
    mean, sd = result.mean(), result.sd()
    lines.append(f"{'mean':>6}" + "".join(f"{mean[name]:>9.3f}" for name in METRICS))
    lines.append(f"{'sd':>6}" + "".join(f"{sd[name]:>9.3f}" for name in METRICS))
    return "\n".join(lines)


simulate_command.name = "simulate"
COMMANDS = (simulate_command,)
