"""Tagging (issue 6): the vocabulary matcher, the hand-labelled set, `slr tag` and its
corrections on the demo corpus, `vocab:` predicates that count the tags, and `slr extract`."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from slr.cli import main
from slr.errors import ProtocolError
from slr.importing import import_files
from slr.models import Record
from slr.normalize.terms import search_pattern, term_pattern
from slr.protocol import load_protocol, parse_protocol
from slr.screening.engine import protocol_matcher
from slr.screening.status import review_statuses
from slr.screening.text import RecordText
from slr.store import Review
from slr.store import screening as screening_store
from slr.store.schema import SCHEMA_VERSION
from slr.tagging import Tagger

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
EXPORTS = sorted((REPO / "corpus" / "exports").iterdir())
LABELS = REPO / "tests" / "data" / "driver_labels.json"
DRIVERS = ("cbec", "influencer", "ugc", "personal_shopper")


def text(title: str, abstract: str = "", keywords: tuple[str, ...] = ()) -> RecordText:
    return RecordText.of(
        1, Record(title=title, abstract=abstract, author_keywords=list(keywords), year=2024)
    )


def tags(tagger: Tagger, record: RecordText) -> dict[str, list[tuple[str, int, int, str]]]:
    return {
        f"{t.vocabulary}.{t.group}": [(e.field, e.start, e.end, e.text) for e in t.evidence]
        for t in tagger.tag(record)
    }


# -- the matcher -------------------------------------------------------------------------------

TAGGER = Tagger(
    {
        "d": {
            "cbec": {
                "terms": ["cross-border e-commerce", "e-commerce NEAR/3 export*|overseas"],
                "exact": ["CBEC"],
            },
            "inf": {"terms": ["influencer*", "live stream"], "exclude": ["live stream* lecture*"]},
            "ugc": {
                "terms": ["online review"],
                "exact": ["UGC"],
                "exclude": [
                    "online review of the literature",
                    "University Grants Commission (UGC)",
                ],
            },
            "ps": ["personal shopper", "jasa titip"],
        }
    }
)


def test_folding_inflections_hyphens_and_evidence_offsets() -> None:
    record = text(
        "Crossborder E-Commerce, Influencers and Personal Shoppers",
        "Livestreaming sellers and online reviews; jasa-titip (Jastíp) and JASA TITIP services.",
    )
    found = tags(TAGGER, record)
    assert found == {
        "d.cbec": [("title", 0, 22, "Crossborder E-Commerce")],
        "d.inf": [("title", 24, 35, "Influencers"), ("abstract", 0, 13, "Livestreaming")],
        "d.ugc": [("abstract", 26, 40, "online reviews")],
        "d.ps": [
            ("title", 40, 57, "Personal Shoppers"),
            ("abstract", 42, 52, "jasa-titip"),
            ("abstract", 66, 76, "JASA TITIP"),
        ],
    }
    # offsets are into the original field text
    assert record.title[0:22] == "Crossborder E-Commerce"
    assert record.abstract[42:52] == "jasa-titip"


def test_traps_influence_literature_reviews_commerce_alone_and_word_boundaries() -> None:
    record = text(
        "The influence of e-commerce adoption on influential SMEs: a literature review",
        "This review of online studies and this online review of the literature discuss "
        "commerce, mainstream media and streaming video.",
    )
    assert tags(TAGGER, record) == {}


def test_abbreviations_keep_their_case_and_plural() -> None:
    assert tags(TAGGER, text("UGC and CBEC", "ugcs? cbec. UGCs")) == {
        "d.cbec": [("title", 8, 12, "CBEC")],
        "d.ugc": [("title", 0, 3, "UGC"), ("abstract", 12, 16, "UGCs")],
    }
    assert tags(TAGGER, text("ugc and cbec in lower case")) == {}
    assert tags(TAGGER, text("PUGC, UGCX")) == {}


def test_exclusions_void_false_senses_and_redefined_abbreviations() -> None:
    assert tags(TAGGER, text("Live-streamed lectures and student engagement")) == {}
    assert "d.inf" in tags(TAGGER, text("Live-streamed lectures and live streaming sellers"))
    # an abbreviation spelt out in another sense means that sense in the whole record
    indian = text(
        "University Grants Commission (UGC) rules",
        "UGC regulations changed publication patterns.",
    )
    assert tags(TAGGER, indian) == {}


def test_near_terms_in_either_order_within_the_distance() -> None:
    found = tags(TAGGER, text("Exporters sell through e-commerce", "E-commerce is used at home."))
    assert found == {"d.cbec": [("title", 0, 33, "Exporters sell through e-commerce")]}
    assert tags(TAGGER, text("Exporters in many provinces of the country use e-commerce")) == {}


WORDS = st.lists(
    st.text("abcdefghijklmnopqrstuvwxyzé", min_size=2, max_size=9), min_size=1, max_size=3
)


@given(WORDS, st.sampled_from(["-", " ", ""]), st.booleans())
def test_a_term_always_finds_itself_and_its_plural(
    words: list[str], joiner: str, upper: bool
) -> None:
    term = " ".join(words)
    tagger = Tagger({"v": {"g": [term]}})
    for written in (joiner.join(words), joiner.join(words) + "s"):
        shown = written.upper() if upper else written
        record = text(f"1 {shown} 2")  # no other word the term could match
        assert tagger.matched("v", record) == {"g"}, shown
        [tag] = tagger.tag(record)
        assert tag.evidence[0].text == shown


def test_full_text_is_an_extra_field() -> None:
    record = text("A study of small firms")
    body = "Sellers ship overseas through e-commerce platforms."
    assert [(t.group, t.evidence[0].field, t.evidence[0].text) for t in TAGGER.tag(record)] == []
    found = TAGGER.tag(record, {"fulltext": body})
    assert [(t.group, t.evidence[0].field, t.evidence[0].text) for t in found] == [
        ("cbec", "fulltext", "overseas through e-commerce")
    ]


def test_vocab_predicates_count_tags_with_reviewer_corrections() -> None:
    protocol = load_protocol(PROTOCOL)
    record = RecordText.of(7, Record(title="User-generated reviews and influencers", year=2024))
    assert protocol_matcher(protocol, "vocab:drivers>=2", Tagger.of(protocol)).matches(record)
    corrected = Tagger.of(protocol).with_overrides({7: {("drivers", "ugc"): "remove"}})
    assert not protocol_matcher(protocol, "vocab:drivers>=2", corrected).matches(record)
    added = Tagger.of(protocol).with_overrides({7: {("drivers", "cbec"): "add"}})
    record7 = RecordText.of(7, record_of(record))
    assert protocol_matcher(protocol, "vocab:drivers=3", added).matches(record7)


def test_a_protocols_vocabularies_are_compiled_once(tmp_path: Path) -> None:
    protocol = load_protocol(PROTOCOL)
    assert Tagger.of(protocol) is Tagger.of(load_protocol(PROTOCOL))  # the same vocabularies
    assert Tagger.of(protocol) is Tagger.of(protocol)
    other = parse_protocol(BASE + '[vocabularies.d]\ng = ["x"]\n', tmp_path / "p.toml")
    assert Tagger.of(other) is not Tagger.of(protocol)
    assert Tagger.of(other).vocabularies == ["d"]


def record_of(record: RecordText) -> Record:
    return Record(title=record.title, year=record.year)


# -- the hand-labelled set ---------------------------------------------------------------------


def figures(split: str) -> dict[str, tuple[float, float]]:
    tagger = Tagger.of(load_protocol(PROTOCOL))
    items = [i for i in json.loads(LABELS.read_text("utf-8"))["items"] if i["split"] == split]
    counts = {d: [0, 0, 0] for d in DRIVERS}
    for index, item in enumerate(items):
        record = Record(
            title=item["title"], abstract=item["abstract"], author_keywords=item["keywords"]
        )
        found = {
            t.group for t in tagger.tag(RecordText.of(index, record)) if t.vocabulary == "drivers"
        }
        for driver in DRIVERS:
            wanted = driver in item["drivers"]
            if driver in found:
                counts[driver][0 if wanted else 1] += 1
            elif wanted:
                counts[driver][2] += 1
    return {d: (tp / (tp + fp), tp / (tp + fn)) for d, (tp, fp, fn) in counts.items()}


def test_the_labelled_set_has_traps_and_both_splits() -> None:
    items = json.loads(LABELS.read_text("utf-8"))["items"]
    assert len(items) >= 60
    assert len({item["id"] for item in items}) == len(items)
    assert {item["split"] for item in items} == {"tuning", "holdout"}
    traps = [item for item in items if item["note"].startswith("trap")]
    assert len(traps) >= 20
    assert sum(1 for item in items if item["source"].startswith("demo corpus")) == 50


def test_precision_and_recall_per_driver_on_the_labelled_set() -> None:
    # the full figures, both splits, are printed by tests/bench/tagging_bench.py
    for split in ("tuning", "holdout"):
        for driver, (precision, recall) in figures(split).items():
            assert precision >= 0.9 and recall >= 0.9, (split, driver)


def test_the_fast_vocab_path_agrees_with_tagging() -> None:
    # `vocab:` predicates ask `matched` (prefilters, no offsets); `slr tag` stores `tag`
    tagger = Tagger.of(load_protocol(PROTOCOL))
    for index, item in enumerate(json.loads(LABELS.read_text("utf-8"))["items"]):
        record = Record(
            title=item["title"], abstract=item["abstract"], author_keywords=item["keywords"]
        )
        tagged = tagger.tag(RecordText.of(index, record))
        for vocabulary in tagger.vocabularies:
            assert tagger.matched(vocabulary, RecordText.of(index, record)) == {
                t.group for t in tagged if t.vocabulary == vocabulary
            }, (item["id"], vocabulary)


@pytest.mark.parametrize(
    "term",
    ["influencer*", "Thai", "e-commerce export*", "?abc", "*commerce", "behavio$r*", "a", "shop"],
)
def test_search_patterns_match_what_term_patterns_match(term: str) -> None:
    # `vocab:` looks for each term with a regex that starts with its letters: the same matches
    texts = ["abc xabc thai thais thailand that", "xe commerce e commerce exports ecommerce export"]
    texts += ["influencers xinfluencer behaviour behavior shop shopping shopped a ab", "commerce"]
    for text in texts:
        expected = [m.span() for m in re.finditer(term_pattern(term), text)]
        assert [m.span() for m in re.finditer(search_pattern(term), text)] == expected, text


def test_the_words_a_tagger_keeps_are_bounded() -> None:
    tagger = Tagger(load_protocol(PROTOCOL).vocabulary_groups)  # its own: not the shared one
    tagger._pieces.LIMIT = 5  # forget the words seen, record after record
    for index, item in enumerate(json.loads(LABELS.read_text("utf-8"))["items"][:20]):
        record = Record(
            title=item["title"], abstract=item["abstract"], author_keywords=item["keywords"]
        )
        tagged = {t.key for t in tagger.tag(RecordText.of(index, record))}
        text = RecordText.of(index, record)
        assert {f"{v}.{g}" for v in tagger.vocabularies for g in tagger.matched(v, text)} == tagged
        assert len(tagger._pieces.by_word) <= max(5, len(set(text.combined.split())))


# -- protocol ----------------------------------------------------------------------------------

BASE = '[review]\ntitle = "t"\n'


def test_vocabulary_group_tables_and_extraction_fields_are_checked(tmp_path: Path) -> None:
    protocol = parse_protocol(
        BASE + '[vocabularies.d.ugc]\nterms = ["online review*"]\nexact = ["UGC"]\n'
        '[extraction.fields]\nfindings = "Main findings"\n',
        tmp_path / "p.toml",
    )
    assert protocol.vocabularies == {"d": {"ugc": ["online review*", "UGC"]}}
    assert protocol.extraction_fields == {"findings": "Main findings"}
    with pytest.raises(ProtocolError) as error:
        parse_protocol(
            BASE + '[vocabularies.d.ugc]\nterms = ["x"]\nexcluded = ["y"]\n'
            '[vocabularies.d.kol]\nterms = "KOL"\n'
            "[vocabularies.d.none]\n"
            "[extraction.fields]\nfindings = 3\n",
            tmp_path / "p.toml",
        )
    assert error.value.message.splitlines() == [
        f"{tmp_path / 'p.toml'}:5: unknown key `excluded` in vocabulary group `d.ugc` "
        "(known: terms, exact, exclude)",
        f"{tmp_path / 'p.toml'}:7: vocabularies.d.kol.terms must be a list of strings",
        f"{tmp_path / 'p.toml'}:8: vocabulary group `d.none` is empty",
        f"{tmp_path / 'p.toml'}:9: extraction.fields must be a table of descriptions: "
        'field = "what to write"',
    ]


# -- the demo corpus ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tagging") / "review"
    with Review.create(path, PROTOCOL) as review:
        import_files(review, EXPORTS)
    assert run("screen", "auto", "--review", str(path))[0] == 0
    # a reviewer includes at full text every record the rules included at title/abstract:
    # those are the studies `slr tag` and `slr extract` work on by default
    with Review.open(path) as review:
        for record_id in review_statuses(review).ids("full_text"):
            screening_store.record_human_decision(
                review.db, record_id, "full_text", "ana", "include"
            )
    return path


@pytest.fixture
def demo(screened: Path, tmp_path: Path) -> Path:
    target = tmp_path / "review"
    shutil.copytree(screened, target)
    return target


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.output


TAG_OUTPUT = (
    "Tagged 21 records (included) with 8 vocabularies (run {run})\n"
    "Tags: {added} added, 0 changed, 0 removed; {kept} reviewer corrections kept\n"
    "  drivers: cbec {cbec}, influencer 21, ugc {ugc}, personal_shopper 3\n"
    "  context: msme 3, internationalisation 3\n"
    "  asia: china 3, indonesia 3, asean 3\n"
    "  region: east_asia 3, southeast_asia 3\n"
    "  method: survey_sem 8, qualitative 5, literature_review 7\n"
    "  theory: signalling 2\n"
    "  platform: -\n"
    "  risk: -\n"
)


def log_entities(path: Path, entity: str) -> list[tuple[str, int, dict]]:
    with Review.open(path) as review:
        return [
            (row["action"], row["entity_id"], json.loads(row["detail"]))
            for row in review.log()
            if row["entity"] == entity
        ]


def test_tag_the_included_records_show_correct_and_rerun(demo: Path) -> None:
    # 21 included by `slr screen auto`: w003 x3 (all four drivers), and 18 records of six works
    # on live streaming, social commerce, UGC and influencers; w076 x2 also name signalling theory
    assert run("tag", "--review", str(demo)) == (
        0,
        TAG_OUTPUT.format(run=1, added=91, kept=0, cbec=3, ugc=21),
    )
    code, output = run("tag", "show", "53", "--review", str(demo))
    assert code == 0
    lines = output.splitlines()
    assert lines[:2] == [
        "#53 (2026) Integrating E-Commerce, Influencers, UGC, and Personal Shoppers to Drive "
        "Asian MSME Internationalization",
        "period: industry-5",
    ]
    start = lines.index("drivers:ugc                  auto")
    assert lines[start : start + 5] == [
        "drivers:ugc                  auto",
        '    title 37-40: "UGC" (term UGC)',
        '    abstract 169-183: "user-generated" (term user-generated)',
        '    abstract 193-196: "UGC" (term UGC)',
        '    keywords 74-88: "user-generated" (term user-generated)',
    ]
    with Review.open(demo) as review:
        record = review.get(53).record
    assert record.title[37:40] == "UGC" and record.abstract[169:183] == "user-generated"

    assert run("query", "--review", str(demo), "--count", "vocab:drivers.cbec") == (
        0,
        "11 of 254 records match\n",
    )
    # record 12 (live streaming in social commerce): a reviewer drops UGC, adds CBEC to 13
    assert run("tag", "rm", "12", "drivers:ugc", "--reviewer", "ana", "--review", str(demo)) == (
        0,
        "Record 12: drivers:ugc removed by a reviewer\n",
    )
    assert run(
        "tag",
        "add",
        "13",
        "drivers:cbec",
        "--reviewer",
        "ana",
        "--note",
        "sells abroad",
        "--review",
        str(demo),
    ) == (0, "Record 13: drivers:cbec added by a reviewer\n")
    assert run("tag", "add", "13", "drivers:cbec", "--reviewer", "ana", "--review", str(demo)) == (
        0,
        "Record 13: drivers:cbec was already added by a reviewer\n",
    )
    # a re-run changes no automatic tag and keeps both corrections
    assert run("tag", "--review", str(demo)) == (
        0,
        TAG_OUTPUT.format(run=2, added=0, kept=2, cbec=4, ugc=20),
    )
    code, output = run("tag", "show", "12", "--review", str(demo))
    assert "drivers:ugc                  removed by ana" in output.splitlines()
    assert '    (auto) abstract 114-129: "social commerce" (term social commerce)' in output
    code, output = run("tag", "show", "13", "--review", str(demo))
    assert "drivers:cbec                 added by ana: sells abroad" in output.splitlines()
    assert [(a, i, d["action"], d["group"]) for a, i, d in log_entities(demo, "tag_override")] == [
        ("insert", 12, "remove", "ugc"),
        ("insert", 13, "add", "cbec"),
    ]
    assert len(log_entities(demo, "tag")) == 91
    assert [d["records"] for _a, _i, d in log_entities(demo, "tag_run")][-1] == 21

    # `vocab:` predicates count the corrected tags: record 12 keeps one driver, 13 has three
    assert run("query", "--review", str(demo), "--count", "vocab:drivers.cbec") == (
        0,
        "12 of 254 records match\n",
    )
    code, output = run("screen", "auto", "--review", str(demo), "--dry-run")
    assert "~ record 12 title_abstract: include by auto:two-drivers" in output
    assert "-> flag by auto:single-driver" in output


def test_an_empty_stage_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "review"
    with Review.create(path, PROTOCOL) as review:
        import_files(review, EXPORTS[:1])
    assert run("tag", "--review", str(path)) == (
        0,
        "No records at stage included: screen first (`slr screen auto`), or use --stage all\n",
    )
    assert log_entities(path, "tag_run") == []
    assert run("extract", "--review", str(path))[1].count("\n") == 1  # the header only


def test_tag_errors(demo: Path) -> None:
    assert run("tag", "add", "12", "drivers:kol", "--review", str(demo)) == (
        1,
        "Error: vocabulary 'drivers' has no group 'kol' (groups: cbec, influencer, ugc, "
        "personal_shopper)\n",
    )
    assert run("tag", "rm", "12", "topics:x", "--review", str(demo))[1].startswith(
        "Error: unknown vocabulary 'topics'"
    )
    assert run("tag", "add", "9999", "drivers:ugc", "--review", str(demo))[1].startswith(
        "Error: no record with id 9999"
    )
    assert run("tag", "show", "1", "--review", str(demo)) == (
        0,
        "#1 (2024) TikTok Live as a digital marketing innovation for micro, small, and medium "
        "enterprises: implications for brand communications and competitive advantages.\n"
        "period: industry-5\n"
        "not tagged by a run yet (run `slr tag`)\n",
    )


def test_all_stage_and_attached_full_text(demo: Path) -> None:
    with Review.open(demo) as review, review.db:
        (demo / "fulltext").mkdir()
        (demo / "fulltext" / "1.txt").write_text(
            "The firms export through cross-border e-commerce.", encoding="utf-8"
        )
        review.db.execute(  # attached before slr stored texts: read from the file
            "INSERT INTO fulltext_files (record_id, path, original_name, sha256, attached_at) "
            "VALUES (1, 'fulltext/1.txt', '1.txt', '', '2026-01-01T00:00:00Z')"
        )
    code, output = run("tag", "--stage", "all", "--review", str(demo))
    assert code == 0
    assert (
        output.splitlines()[0] == "Tagged 254 records (all, 1 with full text) with 8 "
        "vocabularies (run 1)"
    )
    code, output = run("tag", "show", "1", "--review", str(demo))
    assert '    fulltext 25-48: "cross-border e-commerce" (term cross-border e-commerce)' in output


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_extract_matrix_csv_markdown_xlsx_and_edit(demo: Path, tmp_path: Path) -> None:
    assert run("tag", "--review", str(demo))[0] == 0
    code, output = run(
        "extract",
        "edit",
        "53",
        "--set",
        "findings=Four drivers form an ecosystem",
        "--set",
        "gap=No longitudinal data",
        "--review",
        str(demo),
    )
    assert (code, output) == (0, "Record 53: 2 fields changed\n")
    # in the terminal: Enter keeps a value, "-" clears it
    code, output = run(
        "extract", "edit", "53", "--review", str(demo), input="SLR of 60 sources\n\n-\n"
    )
    assert code == 0 and output.endswith("Record 53: 2 fields changed\n")
    assert "design: Design, sample and analysis" in output

    code, output = run("extract", "--review", str(demo))
    assert code == 0
    rows = read_csv(output)
    assert rows[0] == [
        "id",
        "author_year",
        "title",
        "year",
        "period",
        "source",
        "doi",
        "drivers",
        "context",
        "asia",
        "region",
        "method",
        "theory",
        "platform",
        "risk",
        "design",
        "findings",
        "gap",
    ]
    assert len(rows) == 22  # the 21 included studies
    seed = next(row for row in rows if row[0] == "53")
    assert seed[1:5] == [
        "Rizkita et al. (2026)",
        "Integrating E-Commerce, Influencers, UGC, and Personal Shoppers to Drive Asian MSME "
        "Internationalization",
        "2026",
        "industry-5",
    ]
    assert seed[7] == "cbec; influencer; ugc; personal_shopper"
    assert seed[10:12] == ["east_asia; southeast_asia", "literature_review"]
    assert seed[15:] == ["SLR of 60 sources", "Four drivers form an ecosystem", ""]
    assert rows[1][:2] == ["12", "Sun et al. (2019)"]

    xlsx = tmp_path / "matrix.xlsx"
    assert run("extract", "--format", "xlsx", "-o", str(xlsx), "--review", str(demo)) == (
        0,
        f"Wrote 21 studies (included) to {xlsx}\n",
    )
    sheet = load_workbook(xlsx).active
    cells = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert sheet.title == "Extraction" and cells == rows

    code, output = run("extract", "--format", "md", "--review", str(demo))
    lines = output.splitlines()
    assert lines[0].startswith(r"| id | author\_year | title |") and lines[1].startswith("|---|")
    assert len(lines) == 23 and all(line.count(" | ") == 17 for line in lines[2:])
    assert run("extract", "--format", "xlsx", "--review", str(demo))[0] == 2
    assert run("extract", "edit", "53", "--set", "colour=red", "--review", str(demo)) == (
        1,
        "Error: --set 'colour=red': write FIELD=VALUE with a field of the protocol "
        "(design, findings, gap)\n",
    )
    assert [d["field"] for _a, _i, d in log_entities(demo, "extraction_value")] == [
        "findings",
        "gap",
        "design",
        "gap",
    ]


def test_schema_version_includes_tagging() -> None:
    from slr.store.schema import MIGRATIONS

    assert any(m.__name__ == "_v5_tagging" for m in MIGRATIONS)
    assert len(MIGRATIONS) == SCHEMA_VERSION
