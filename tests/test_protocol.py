"""Protocol files: those in protocols/ validate; invalid ones get file, line and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.errors import ProtocolError
from slr.protocol import load_protocol
from slr.protocol.locate import locate

PROTOCOLS = Path(__file__).resolve().parent.parent / "protocols"


@pytest.mark.parametrize("path", sorted(PROTOCOLS.glob("*.toml")), ids=lambda p: p.name)
def test_every_protocol_in_protocols_validates(path: Path) -> None:
    protocol = load_protocol(path)
    assert protocol.title
    assert protocol.rules
    for search in protocol.searches:
        assert search.query is not None


def test_the_002_protocol_follows_its_method_section() -> None:
    protocol = load_protocol(PROTOCOLS / "msme-digital-drivers.toml")
    assert protocol.years == (2018, 2026)
    assert protocol.periods == {
        "pre-pandemic": (2018, 2019),
        "covid": (2020, 2022),
        "industry-5": (2023, 2026),
    }
    assert list(protocol.vocabularies["drivers"]) == [
        "cbec",
        "influencer",
        "ugc",
        "personal_shopper",
    ]
    assert {"KOL", "live stream*", "virtual influencer*"} <= set(
        protocol.vocabularies["drivers"]["influencer"]
    )
    assert {"eWOM", "unboxing", "social commerce", "online review*"} <= set(
        protocol.vocabularies["drivers"]["ugc"]
    )
    assert {"jastip", "daigou", "personal shopper*"} <= set(
        protocol.vocabularies["drivers"]["personal_shopper"]
    )
    assert set(protocol.vocabularies["asia"]) >= {
        "china",
        "indonesia",
        "thailand",
        "vietnam",
        "malaysia",
        "india",
        "asean",
    }
    rules = {rule.id: rule for rule in protocol.rules}
    # "at least two co-occurring drivers": included; single-driver studies go to a human
    assert (rules["two-drivers"].action, rules["two-drivers"].query) == (
        "include",
        "vocab:drivers>=2",
    )
    assert (rules["single-driver"].action, rules["single-driver"].query) == (
        "flag",
        "vocab:drivers=1",
    )
    assert [r.id for r in protocol.rules].index("two-drivers") < [
        r.id for r in protocol.rules
    ].index("single-driver")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ProtocolError) as error:
        load_protocol(path)
    return error.value.message.replace(str(path), "p.toml")


BAD = """\
[review]
title = "Bad"
titel = "typo"

[eligibility]
years = "2026..2018"

[periods]
early = [2019, 2017]
late = "2020-2022"

[vocabularies.drivers]
cbec = ["CBEC"]

[screening]
exclusion_reasons = ["Too old"]

[[rules]]
id = "old"
action = "exclude"
reason = "Too old"
query = "year:..2017"

[[rules]]
id = "topics"
action = "flag"
reason = "Check"
query = "sme AND vocab:topics>=2"

[[rules]]
id = "broken"
action = "include"
reason = "Both"
query = 'sme AND AND cbec'

[[rules]]
id = "multi"
stage = "abstract"
action = "drop"
reason = "Whatever"
query = \"\"\"sme AND
  (cbec OR\"\"\"

[[rules]]
id = "old"
action = "exclude"
reason = "Not a reason"
query = "x"
"""


def test_every_problem_with_file_and_line(tmp_path: Path) -> None:
    assert problems(tmp_path, BAD) == (
        "p.toml:3: unknown key `titel` in review (known: title, question, reporting, authors, "
        "registration, notes)\n"
        'p.toml:6: bad year range eligibility.years = "2026..2018": 2026 is after 2018\n'
        "p.toml:9: bad year range periods.early = [2019, 2017]: 2019 is after 2017\n"
        'p.toml:10: bad year range periods.late = "2020-2022" (write "2018..2026" or '
        "[2018, 2026])\n"
        "p.toml:28:18: rule 'topics': unknown vocabulary 'topics'\n"
        '  query = "sme AND vocab:topics>=2"\n'
        "                   ^\n"
        "p.toml:34:18: rule 'broken': query syntax error: unexpected 'AND'\n"
        "  query = 'sme AND AND cbec'\n"
        "                   ^\n"
        "p.toml:38: rule 'multi': unknown stage 'abstract' (use title_abstract or full_text)\n"
        "p.toml:39: rule 'multi': unknown action 'drop' (use exclude, include, flag)\n"
        "p.toml:42:3: rule 'multi': query syntax error: unclosed parenthesis\n"
        '    (cbec OR"""\n'
        "    ^\n"
        "p.toml:45: rule 'old': the id is already used by rule 1\n"
        "p.toml:47: rule 'old': reason 'Not a reason' is not one of screening.exclusion_reasons"
    )


def test_unknown_tables_and_missing_review(tmp_path: Path) -> None:
    assert problems(tmp_path, "[reveiw]\ntitle = 'x'\n") == (
        "p.toml:1: unknown key `reveiw` in the top level (known: review, searches, eligibility, "
        "periods, vocabularies, screening, rules, extraction)\n"
        "p.toml: the protocol needs a [review] table with a title"
    )


def test_eligibility_languages_and_document_types(tmp_path: Path) -> None:
    text = (
        "[review]\ntitle = 'x'\n[eligibility]\nlanguages = ['English', 'klingon']\n"
        "document_types = ['Journal Article', 'poster']\n"
    )
    assert problems(tmp_path, text) == (
        "p.toml:4: unknown language 'klingon' in eligibility.languages (use ISO 639-1 codes such "
        "as en, id, zh)\n"
        "p.toml:5: unknown document type 'poster' in eligibility.document_types (known: article, "
        "book, chapter, conference paper, editorial, erratum, letter, note, other, preprint, "
        "report, review, thesis)"
    )


def test_rules_must_be_tables(tmp_path: Path) -> None:
    assert problems(tmp_path, "rules = [1, 2]\n[review]\ntitle = 'x'\n") == (
        "p.toml:1: `rules` must be an array of tables ([[rules]])"
    )


def test_search_strings_are_parsed(tmp_path: Path) -> None:
    text = (
        "[review]\ntitle = 'x'\n\n[[searches]]\nid = 's1'\ndatabase = 'Scopus'\n"
        "date = '2025-13'\nstring = 'TITLE-ABS-KEY(sme AND)'\n"
    )
    assert problems(tmp_path, text) == (
        "p.toml:7: searches[0].date '2025-13' is not a date (YYYY-MM-DD)\n"
        "p.toml:8:32: search 's1': query syntax error: unexpected ')'\n"
        "  string = 'TITLE-ABS-KEY(sme AND)'\n"
        "                                 ^"
    )


def test_toml_syntax_errors_have_line_and_column(tmp_path: Path) -> None:
    message = problems(tmp_path, "[review]\ntitle = 'x'\n[[rules]\n")
    assert (
        message == "p.toml:3:8: TOML syntax error: Expected ']]' at the end of an array declaration"
    )


def test_locate_skips_multiline_values() -> None:
    places = locate(
        '[a]\nq = """\nfake = 1\n"""\nlist = [\n  "x = 2",\n]\nafter = 3\n'
        "[[r]]\nid = 1\n[[r]]\nid = 2\n"
    )
    assert places[("a", "q")].line == 2
    assert ("a", "fake") not in places
    assert places[("a", "after")].line == 8
    assert places[("r", 1, "id")].line == 12


def test_init_validates_the_protocol(tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "[review]\ntitle = 'x'\n[[rules]]\nid = 'r'\naction = 'flag'\n"
        "reason = 'y'\nquery = 'a OR'\n",
    )
    target = tmp_path / "rev"
    result = CliRunner().invoke(main, ["init", str(target), "--protocol", str(bad)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {bad}:7:14: rule 'r': query syntax error: the query ends where a term was "
        "expected\n"
        "  query = 'a OR'\n"
        "               ^\n"
    )
    assert not target.exists()


def test_protocol_check_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["protocol", "check", str(PROTOCOLS / "msme-digital-drivers.toml")]
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "msme-digital-drivers.toml: valid\n"
        "  review: Digital drivers of Asian MSME internationalisation\n"
        "  rules: 7 (title_abstract 6, full_text 1)\n"
        "  searches: 5\n"
        "  vocabularies: drivers (4 groups), context (2 groups), asia (7 groups), "
        "region (4 groups), method (6 groups), theory (5 groups), platform (13 groups), "
        "risk (4 groups)\n"
        "  periods: pre-pandemic 2018..2019, covid 2020..2022, industry-5 2023..2026\n"
        "  exclusion reasons: 7\n"
    )
