"""Negated evidence: a vocabulary term after "no", "not", "without", "lack of" ... in the same
sentence tags nothing; `vocab:` predicates agree with the tags."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from slr.cli import main
from slr.models import Record
from slr.screening.text import RecordText
from slr.tagging.negation import NEGATION_WINDOW, is_negated, negation_cue
from slr.tagging.vocab import Tagger

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("No export activity was reported", "no"),
        ("The firms did not engage in any export", "not"),
        ("They didn't export", "not"),
        ("Firms without export experience", "without"),
        ("There is a lack of export support", "lack of"),
        ("in the absence of export credit", "absence of"),
        ("neither exports nor imports", "neither"),
        ("never exported", "never"),
        # contrast, "not only", another sentence or too far away: affirmed
        ("not domestic but export markets", ""),
        ("not only export but import too", ""),
        ("There is no doubt export matters", ""),
        ("The study has no control group. Export grew", ""),
        ("no sign that the owners of these firms ever export", ""),
        ("Exports grew", ""),
    ],
)
def test_negation_cue_in_the_same_sentence_shortly_before(sentence: str, cue: str) -> None:
    start = sentence.lower().index("export")
    assert negation_cue(sentence, start) == cue


def test_the_window_counts_words_between_the_cue_and_the_term() -> None:
    gap = " ".join(["word"] * NEGATION_WINDOW)
    assert is_negated(f"not {gap} export", len(f"not {gap} "))
    assert not is_negated(f"not {gap} more export", len(f"not {gap} more "))


WORDS = st.sampled_from(["no", "not", "but", "lack", "of", "firms", "export", "grew", ".", ","])


@given(st.lists(WORDS, max_size=12))
def test_a_tag_stands_on_an_affirmed_mention_and_vocab_agrees_with_tags(words: list[str]) -> None:
    tagger = Tagger({"context": {"internationalisation": ["export*"]}})
    abstract = " ".join([*words, "export"])
    record = RecordText.of(1, Record(title="A study", abstract=abstract))
    tagged = {t.group for t in tagger.tag(record)}
    fresh = RecordText.of(1, Record(title="A study", abstract=abstract))  # no cached tags
    assert tagger.matched("context", fresh) == tagged
    mentions = [m.start() for m in re.finditer("export", abstract)]
    affirmed = [start for start in mentions if not is_negated(abstract, start)]
    assert tagged == ({"internationalisation"} if affirmed else set())


def test_a_negated_mention_tags_nothing_but_an_affirmed_one_does() -> None:
    tagger = Tagger({"context": {"internationalisation": ["export*"]}})

    def groups(abstract: str) -> set[str]:
        record = RecordText.of(1, Record(title="Digital marketing of MSMEs", abstract=abstract))
        return {t.group for t in tagger.tag(record)}

    assert groups("No export activity was reported.") == set()
    assert groups("No export activity was reported. Later, exports rose.") == {
        "internationalisation"
    }


def test_slr_tag_does_not_tag_a_negated_mention(tmp_path: Path, runner: CliRunner) -> None:
    protocol = tmp_path / "p.toml"
    protocol.write_text(
        "[review]\ntitle = 'Negation'\n\n[vocabularies.context]\n"
        'internationalisation = ["export*", "international market*"]\n',
        encoding="utf-8",
    )
    export = tmp_path / "a.ris"
    export.write_text(
        "TY  - JOUR\nTI  - Live commerce in village shops\nPY  - 2024\n"
        "AB  - No export activity was reported by the shops.\nER  - \n\n"
        "TY  - JOUR\nTI  - Exporting through marketplaces\nPY  - 2024\n"
        "AB  - The firms did not reach international markets until 2020.\nER  - \n\n"
        "TY  - JOUR\nTI  - Going abroad\nPY  - 2024\n"
        "AB  - Most shops export to Malaysia.\nER  - \n",
        encoding="utf-8",
    )
    review = tmp_path / "r"
    assert runner.invoke(main, ["init", str(review), "--protocol", str(protocol)]).exit_code == 0
    assert runner.invoke(main, ["import", "--review", str(review), str(export)]).exit_code == 0
    result = runner.invoke(main, ["tag", "--review", str(review), "--stage", "all"])
    assert result.exit_code == 0, result.output
    assert "  context: internationalisation 2\n" in result.output
    shown = runner.invoke(main, ["tag", "show", "--review", str(review), "2"]).output
    assert "Exporting" in shown and "international markets" not in shown
    assert (
        "internationalisation"
        not in runner.invoke(main, ["show", "--review", str(review), "1"]).output
    )
