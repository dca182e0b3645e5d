"""A broken protocol copy is refused the same way by every command that uses the protocol: the
screen included (it once started with its rules silently off and `c` saying "This review has no
protocol"). One loader, `slr.screening.status.protocol_of`, reads it for all of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.errors import NoProtocol, ProtocolError
from slr.protocol import load_protocol
from slr.screening.run import review_protocol
from slr.screening.status import protocol_of
from slr.store import Review

# every command that reads the review's protocol, with the input it needs to get that far
COMMANDS: list[tuple[list[str], str | None]] = [
    (["screen", "--reviewer", "ana"], "iq"),
    (["screen", "auto"], None),
    (["screen", "conflicts"], None),
    (["screen", "resolve", "--reviewer", "cy"], "q"),
    (["screen", "agreement"], None),
    (["screen", "decide", "5", "include", "--reviewer", "ana"], None),
    (["screen", "import", "DECISIONS"], None),
    (["screen", "export"], None),
    (["status"], None),
    (["prisma"], None),
    (["export", "--format", "csv", "--stage", "included"], None),
    (["tag"], None),
    (["tag", "show", "1"], None),
    (["query", "digital"], None),
    (["extract"], None),
    (["graph", "cooccurrence", "--vocab", "drivers", "-o", "OUT.html"], None),
    (["graph", "citation", "-o", "OUT.html"], None),
]
IDS = [" ".join(args[:2]) for args, _ in COMMANDS]


def broken_toml(copy: Path) -> None:
    copy.write_text(copy.read_text(encoding="utf-8") + "\n[[[broken\n", encoding="utf-8")


def invalid_value(copy: Path) -> None:
    text = copy.read_text(encoding="utf-8")
    assert "\n[screening]\n" in text
    copy.write_text(text.replace("\n[screening]\n", "\n[screening]\nreviewers = 0\n"), "utf-8")


def deleted(copy: Path) -> None:
    copy.unlink()


BREAKAGES = {"toml syntax": broken_toml, "invalid value": invalid_value, "deleted": deleted}


def expected_error(copy: Path) -> str:
    """What load_protocol says of the broken copy: every command must say exactly this."""
    with pytest.raises(ProtocolError) as error:
        load_protocol(copy)
    hint = f"; {error.value.hint}" if error.value.hint else ""
    return f"Error: {error.value.message}{hint}\n"


def snapshot(review: Path) -> bytes:
    return (review / "review.db").read_bytes()


@pytest.mark.parametrize("breakage", list(BREAKAGES))
@pytest.mark.parametrize(("args", "keys"), COMMANDS, ids=IDS)
def test_every_command_refuses_a_broken_protocol_the_same_way(
    demo: Path, tmp_path: Path, args: list[str], keys: str | None, breakage: str
) -> None:
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("record_id,reviewer,decision,reason,note\n5,ana,include,,\n", "utf-8")
    args = [
        str(decisions) if a == "DECISIONS" else str(tmp_path / a) if a == "OUT.html" else a
        for a in args
    ]
    copy = demo / "protocol.toml"
    BREAKAGES[breakage](copy)
    message = expected_error(copy)
    if breakage == "deleted":  # the review's copy is missing: where it was and how to restore it
        message = (
            "Error: the review's protocol protocol.toml (the copy of msme-digital-drivers.toml "
            f"made by `slr init`) is missing from {demo}; copy the protocol back: cp "
            f"msme-digital-drivers.toml {copy}\n"
        )
    before = snapshot(demo)
    result = CliRunner().invoke(main, [*args, "--review", str(demo)], input=keys)
    assert (result.exit_code, result.output) == (1, message)
    assert snapshot(demo) == before  # nothing changed
    assert not (tmp_path / "OUT.html").exists()


def test_the_one_loader(demo: Path, tmp_path: Path) -> None:
    with Review.open(demo) as review:
        protocol, sha256 = protocol_of(review)
        assert (
            protocol is not None and protocol.exclusion_reasons[1] == "Not a peer-reviewed source"
        )
        assert sha256 == review_protocol(review)[1]
    bare = tmp_path / "bare"
    assert CliRunner().invoke(main, ["init", str(bare)]).exit_code == 0
    with Review.open(bare) as review:
        assert protocol_of(review) == (None, "")  # made without one: nothing to refuse
        with pytest.raises(NoProtocol):
            review_protocol(review)  # ... but the commands that need one say so
