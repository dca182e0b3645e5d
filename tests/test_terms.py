"""What a term matches, one table: a rule (`slr screen auto`), a vocabulary (`slr tag`, `vocab:`),
`slr query` and the screen's highlighting find the same words, because they share one term
compiler (`slr.normalize.terms`) and one fold (`slr.normalize.fold`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from slr.cli import main
from slr.models import Record
from slr.normalize import fold
from slr.normalize.terms import term_words
from slr.protocol import Protocol, parse_protocol
from slr.screening import Rule, compile_rules, decide
from slr.screening.highlight import Highlighter
from slr.screening.text import RecordText
from slr.tagging import Tagger


@dataclass(frozen=True)
class Row:
    id: str
    query: str  # the term as a rule or `slr query` writes it
    group: dict[str, list[str]]  # the term as a vocabulary group writes it
    samples: dict[str, tuple[str, ...]]  # title -> the words of it the term matches


ROWS = [
    Row(
        "plain",
        "influencer",
        {"terms": ["influencer"]},
        {
            "Influencers sell abroad": ("Influencers",),
            "An influencer economy": ("influencer",),
            "Social influence at work": (),
            "Influential voices": (),
        },
    ),
    Row(
        "plural",
        "review",
        {"terms": ["review"]},
        {
            "Reviews of shops": ("Reviews",),
            "Reviewed by peers": ("Reviewed",),
            "A reviewer guide": (),
        },
    ),
    Row(
        "inflected",
        "study",
        {"terms": ["study"]},
        {"Two studies compared": ("studies",), "Student voices": ()},
    ),
    Row(
        "wildcard",
        "platform*",
        {"terms": ["platform*"]},
        {
            "Platforms and platformisation": ("Platforms", "platformisation"),
            "Replatforming retail": (),
        },
    ),
    Row(
        "phrase",
        '"live stream"',
        {"terms": ["live stream"]},
        {
            "Live streaming sells": ("Live streaming",),
            "Livestreams at night": ("Livestreams",),
            "Live-stream shopping": ("Live-stream",),
            "Live video streams": (),
        },
    ),
    Row(
        "hyphenated",
        "e-commerce",
        {"terms": ["e-commerce"]},
        {
            "E-commerce adoption": ("E-commerce",),
            "E commerce in villages": ("E commerce",),
            "Ecommerce for farmers": ("Ecommerce",),
            "Commerce alone": (),
        },
    ),
    Row(
        "spaced",
        '"e commerce"',
        {"terms": ["e commerce"]},
        {"Rural e-commerce hubs": ("e-commerce",), "Ecommerces compared": ("Ecommerces",)},
    ),
    Row(
        "diacritics",
        "café",
        {"terms": ["café"]},
        {
            "Café culture": ("Café",),
            "Cafe owners": ("Cafe",),
            "CAFÉS open late": ("CAFÉS",),
            "ｃａｆｅ in full width": ("ｃａｆｅ",),  # NFKC compatibility forms
            "Caffè latte": (),
        },
    ),
    Row(
        "unaccented",
        "cafe",
        {"terms": ["cafe"]},
        {"Le café du coin": ("café",), "Cafeteria menus": ()},
    ),
    Row(
        "exact",
        "exact:SME",
        {"exact": ["SME"]},
        {
            "SME growth paths": ("SME",),
            "SMEs go abroad": ("SMEs",),
            "smes and sme in lower case": (),
            "PSME rules": (),
        },
    ),
    Row(
        "folded",
        "sme",
        {"terms": ["sme"]},
        {"Many SMEs export": ("SMEs",), "smes or sme written small": ("smes", "sme")},
    ),
]
TITLES = [title for row in ROWS for title in row.samples]
assert len(TITLES) == len(set(TITLES))


def protocol_source(rows: list[Row], rules: bool = True, vocabulary: bool = True) -> str:
    lines = ['[review]\ntitle = "terms"\n']
    if vocabulary:
        for row in rows:
            lines.append(f"[vocabularies.v.{row.id}]")
            lines += [f"{key} = {json.dumps(terms)}" for key, terms in row.group.items()]
    if rules:
        for row in rows:
            lines.append(
                f'[[rules]]\nid = "{row.id}"\nstage = "title_abstract"\naction = "include"\n'
                f"reason = \"r\"\nquery = '{row.query}'"
            )
    return "\n".join(lines) + "\n"


def protocol(tmp_path: Path, row: Row, rules: bool = True, vocabulary: bool = True) -> Protocol:
    return parse_protocol(protocol_source([row], rules, vocabulary), tmp_path / "p.toml")


def text(title: str) -> RecordText:
    return RecordText.of(1, Record(title=title, year=2024))


CASES = [(row, title) for row in ROWS for title in row.samples]


def case_id(case: tuple[Row, str]) -> str:
    return f"{case[0].id}: {case[1]}"


@pytest.mark.parametrize(("row", "title"), CASES, ids=[case_id(c) for c in CASES])
def test_a_rule_matches_the_words(row: Row, title: str) -> None:
    rules = compile_rules([Rule(row.id, "title_abstract", "include", "r", row.query)])
    decision = decide(text(title), rules, "title_abstract")
    found = () if decision is None else tuple(s.text for s in decision.evidence)
    assert found == row.samples[title]


@pytest.mark.parametrize(("row", "title"), CASES, ids=[case_id(c) for c in CASES])
def test_a_vocabulary_matches_the_words(tmp_path: Path, row: Row, title: str) -> None:
    tagger = Tagger.of(protocol(tmp_path, row, rules=False))
    found = tuple(e.text for tag in tagger.tag(text(title)) for e in tag.evidence)
    assert found == row.samples[title]
    # `vocab:` in a rule asks the same tagger
    rules = compile_rules(
        [Rule("v", "title_abstract", "include", "r", f"vocab:v.{row.id}")], tagger
    )
    assert (decide(text(title), rules, "title_abstract") is not None) is bool(row.samples[title])


@pytest.mark.parametrize(("row", "title"), CASES, ids=[case_id(c) for c in CASES])
def test_the_screen_highlights_the_words(tmp_path: Path, row: Row, title: str) -> None:
    by_rule = Highlighter.of(protocol(tmp_path, row, vocabulary=False))
    by_vocabulary = Highlighter.of(protocol(tmp_path, row, rules=False))
    for highlighter, kind in ((by_rule, "include"), (by_vocabulary, "vocabulary")):
        found = highlighter.spans(text(title), "title")
        assert tuple(s.text for k, s in found) == row.samples[title], kind
        assert {k for k, _s in found} <= {kind}


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A review of one record per sample title, with every row's vocabulary and rule."""
    folder = tmp_path_factory.mktemp("terms")
    (folder / "protocol.toml").write_text(protocol_source(ROWS), encoding="utf-8")
    ris = "".join(f"TY  - JOUR\nTI  - {title}\nPY  - 2024\nER  - \n\n" for title in TITLES)
    (folder / "records.ris").write_text(ris, encoding="utf-8")
    path = folder / "review"
    runner = CliRunner()
    result = runner.invoke(main, ["init", str(path), "--protocol", str(folder / "protocol.toml")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["import", "--review", str(path), str(folder / "records.ris")])
    assert result.exit_code == 0, result.output
    return path


def query(review: Path, expression: str) -> dict[str, tuple[str, ...]]:
    """`slr query`'s matches: title -> the words it shows in [brackets]."""
    result = CliRunner().invoke(main, ["query", "--review", str(review), expression])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1].endswith(f"of {len(TITLES)} records match")
    found = {}
    for line in lines[:-1]:
        if line.startswith("#"):
            shown = line.split(") ", 1)[1]
            found[shown.replace("[", "").replace("]", "")] = tuple(re.findall(r"\[(.*?)\]", shown))
    return found


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_slr_query_matches_the_words(review: Path, row: Row) -> None:
    expected = {title: words for title, words in row.samples.items() if words}
    found = query(review, row.query)
    assert {title: found[title] for title in row.samples if title in found} == expected
    # and `vocab:` finds the records the vocabulary group tags
    assert set(query(review, f"vocab:v.{row.id}")).intersection(row.samples) == set(expected)


def test_slr_query_rejects_an_exact_term_in_proximity(review: Path) -> None:
    result = CliRunner().invoke(main, ["query", "--review", str(review), "exact:SME NEAR/2 x"])
    assert (result.exit_code, result.output) == (
        1,
        "Error: query syntax error: NEAR/2 cannot take an exact: term\n"
        "  exact:SME NEAR/2 x\n"
        "            ^\n",
    )


@given(st.text(st.characters(blacklist_characters="*?$"), max_size=40))
def test_a_term_is_folded_as_any_text(term: str) -> None:
    # the words a term is compiled from are the words `fold` keeps: one fold for both
    assert " ".join(term_words(term)) == fold(term)
