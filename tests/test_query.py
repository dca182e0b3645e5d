"""The query language: every construct, the three database syntaxes, and exact error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from slr.models import Record
from slr.protocol import QuerySyntaxError, load_protocol, parse_query
from slr.protocol.query import ABSTRACT, ALL_FIELDS, KEYWORDS, TITLE, Near, Term, Year
from slr.screening import Matcher, QueryError, RecordText
from slr.screening.engine import protocol_matcher
from slr.tagging import Tagger

PROTOCOLS = Path(__file__).resolve().parent.parent / "protocols"


def text(
    title: str = "",
    abstract: str = "",
    keywords: tuple[str, ...] = (),
    year: int | None = 2021,
    language: str = "English",
    document_type: str = "Article",
) -> RecordText:
    record = Record(
        title=title,
        abstract=abstract,
        author_keywords=list(keywords),
        year=year,
        language=language,
        document_type=document_type,
    )
    return RecordText.of(1, record)


# the vocabulary matcher `slr tag` uses, as `vocab:` predicates always ask it
VOCABULARIES = Tagger(
    {
        "drivers": {
            "cbec": {"terms": ["cross-border e-commerce"], "exact": ["CBEC"]},
            "influencer": {"terms": ["influencer*", "key opinion leader*"], "exact": ["KOL"]},
            "ugc": {"terms": ["user-generated content", "online review*"], "exact": ["UGC"]},
            "personal_shopper": ["jastip", "daigou", "personal shopper*"],
        }
    }
)
PERIODS = {"covid": (2020, 2022)}


def matches(query: str, record: RecordText) -> bool:
    return Matcher(parse_query(query), VOCABULARIES, PERIODS).matches(record)


# -- words, phrases, wildcards, folding -------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "title", "expected"),
    [
        ("export", "SME Export performance", True),
        ("export", "Exporters in Asia", False),  # whole words only
        ("export*", "Exporters in Asia", True),
        ("influenc*", "How influencers influence", True),
        ("organi?ation", "Organisation and organization", True),
        ("organi?ation", "Organiation", False),  # ? is exactly one letter
        ("behavio$r", "Consumer behavior", True),  # $ is none or one letter
        ("behavio$r", "Consumer behaviour", True),
        ('"cross-border e-commerce"', "Cross border e-commerce in China", True),
        ("cross-border", "CROSS BORDER trade", True),  # hyphen = space
        ('"live streaming"', "Live-streaming commerce", True),
        ('"live streaming"', "Live commerce and streaming", False),
        ("sanchez", "Molina-Sánchez on SMEs", True),  # diacritics folded
        ("MOLINA-SÁNCHEZ", "molina sanchez", True),
        ("{e-commerce}", "E-Commerce adoption", True),  # Scopus exact phrase braces
        ('"influencer* marketing"', "Influencers marketing", True),  # wildcard inside a phrase
    ],
)
def test_words_phrases_wildcards_and_folding(query: str, title: str, expected: bool) -> None:
    assert matches(query, text(title=title)) is expected


def test_exact_terms_keep_their_case() -> None:
    root = parse_query('title:exact:"DOI theory"').root
    assert isinstance(root, Term)
    assert (root.exact, root.fields) == (True, frozenset((TITLE,)))
    assert matches("exact:SME", text(title="SMEs abroad"))
    assert not matches("exact:SME", text(title="smes and sme abroad"))
    assert matches("exact:SME OR exact:KOL", text(abstract="A KOL speaks"))  # merged, as written
    assert not matches("exact:SME OR exact:KOL", text(abstract="A kol speaks"))
    assert matches("exact:SME AND export", text(title="SME exports"))
    assert matches("title:exact:SME", text(title="SME", abstract="x"))
    assert not matches("abstract:exact:SME", text(title="SME", abstract="x"))
    assert matches('exact:"DOI theory"', text(abstract="the DOI-theory view"))


def test_keyword_boundaries_stop_phrases() -> None:
    record = text(keywords=("cross-border", "e-commerce"))
    assert matches('"cross-border"', record)
    assert not matches('"cross-border e-commerce"', record)  # not across two keywords


# -- Boolean operators and precedence ----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sme AND export", True),
        ("sme export", True),  # implicit AND
        ("sme AND china", False),
        ("sme OR china", True),
        ("NOT china", True),
        ("sme AND NOT china", True),
        ("sme AND NOT export", False),
        ("china OR sme AND export", True),  # AND binds tighter than OR
        ("(china OR sme) AND export", True),
        ("china OR (sme AND japan)", False),
        ("sme and export", True),  # operators are case-insensitive
        ("NOT (china OR japan) AND sme", True),
    ],
)
def test_boolean_operators(query: str, expected: bool) -> None:
    assert matches(query, text(title="SME export growth")) is expected


def test_precedence_in_the_tree() -> None:
    root = parse_query("a OR b AND NOT c").root
    assert type(root).__name__ == "Or"
    assert type(root.items[1]).__name__ == "And"  # type: ignore[union-attr]
    assert type(root.items[1].items[1]).__name__ == "Not"  # type: ignore[union-attr]


# -- field scopes ------------------------------------------------------------------------------


def test_field_scopes() -> None:
    record = text(title="Influencer trust", abstract="We survey SMEs", keywords=("eWOM",))
    assert matches("title:influencer", record)
    assert not matches("abstract:influencer", record)
    assert matches("abstract:smes", record)
    assert matches("keywords:ewom", record)
    assert not matches("title:ewom", record)
    assert matches("title:(influencer AND trust)", record)
    assert matches("title:(survey OR abstract:survey)", record)  # the inner scope wins
    assert matches("ewom AND smes AND trust", record)  # default: all three fields


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("TITLE-ABS-KEY(x)", ALL_FIELDS),
        ("TITLE-ABS(x)", {TITLE, ABSTRACT}),
        ("TITLE(x)", {TITLE}),
        ("ABS(x)", {ABSTRACT}),
        ("KEY(x)", {KEYWORDS}),
        ("AUTHKEY(x)", {KEYWORDS}),
        ("TS=x", ALL_FIELDS),
        ("TI=x", {TITLE}),
        ("AB=(x)", {ABSTRACT}),
        ("AK=x", {KEYWORDS}),
        ("x[tiab]", {TITLE, ABSTRACT}),
        ("x[ti]", {TITLE}),
        ("x[ab]", {ABSTRACT}),
        ("x[mh]", {KEYWORDS}),
        ("title:x", {TITLE}),
        ("keywords:x", {KEYWORDS}),
    ],
)
def test_database_field_tags(query: str, fields: set[str]) -> None:
    root = parse_query(query).root
    assert isinstance(root, Term)
    assert root.fields == frozenset(fields)


# -- proximity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("influencer NEAR/3 trust", True),  # 2 words between
        ("influencer NEAR/1 trust", False),
        ("trust NEAR/2 influencer", True),  # NEAR is unordered
        ("influencer W/2 trust", True),  # Scopus W/n
        ("trust PRE/3 influencer", False),  # Scopus PRE/n keeps the order
        ("influencer PRE/3 trust", True),
        ("(kol OR influencer*) NEAR/2 (trust OR credibility)", True),
        ('"key opinion" NEAR/5 trust', False),
        ("influencer NEAR/0 builds", True),  # adjacent
    ],
)
def test_proximity(query: str, expected: bool) -> None:
    record = text(title="Influencer builds consumer trust")
    assert matches(query, record) is expected


def test_proximity_stays_inside_one_field() -> None:
    record = text(title="A study of influencer", abstract="trust matters")
    assert not matches("influencer NEAR/5 trust", record)


def test_proximity_tree() -> None:
    root = parse_query("TS=(influencer* NEAR/5 trust)").root
    assert isinstance(root, Near)
    assert (root.distance, root.ordered, root.operator) == (5, False, "NEAR/5")


# -- metadata and vocabulary predicates --------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "year", "expected"),
    [
        ("year:2018..2026", 2021, True),
        ("year:2018..2026", 2017, False),
        ("year:2021", 2021, True),
        ("year:..2017", 2017, True),
        ("year:2027..", 2026, False),
        ("year:2018..2026", None, False),  # no year: no year predicate matches
        ("PUBYEAR > 2017", 2018, True),
        ("PUBYEAR > 2017", 2017, False),
        ("PUBYEAR < 2027", 2026, True),
        ("PUBYEAR AFT 2020", 2021, True),
        ("PY=(2018-2026)", 2019, True),
        ("PY=2015", 2019, False),
        ("period:covid", 2021, True),
        ("period:covid", 2023, False),
        ("has:year", None, False),
    ],
)
def test_year_predicates(query: str, year: int | None, expected: bool) -> None:
    assert matches(query, text(title="x", year=year)) is expected


def test_type_lang_and_has_predicates() -> None:
    bib = text(title="x", abstract="", document_type="inproceedings", language="id")
    assert matches('type:"conference paper"', bib)
    assert matches("type:conference-paper", bib)  # hyphen = space here too
    assert matches("lang:id", bib)
    assert matches("lang:indonesian", bib)
    assert not matches("lang:en", bib)
    assert matches("has:title AND NOT has:abstract", bib)
    scopus = text(title="x", document_type="Article", language="English")
    assert matches("type:article AND lang:en", scopus)


def test_vocabulary_predicates_count_distinct_groups() -> None:
    record = text(
        title="Influencers and KOLs on cross-border e-commerce",  # influencer twice, cbec once
        abstract="Online reviews matter",
    )
    assert matches("vocab:drivers>=3", record)
    assert not matches("vocab:drivers>=4", record)
    assert matches("vocab:drivers=3", record)
    assert matches("vocab:drivers", record)  # at least one
    assert matches("vocab:drivers.ugc", record)
    assert not matches("vocab:drivers.personal_shopper", record)
    assert matches("vocab:drivers<4", record)


def test_vocabulary_matcher_is_pluggable() -> None:
    class Tagged:
        """What the tagging stage would give: groups decided elsewhere."""

        def groups(self, vocabulary: str) -> list[str] | None:
            return ["a", "b"] if vocabulary == "topics" else None

        def matched(self, vocabulary: str, record: RecordText) -> frozenset[str]:
            return frozenset({"a", "b"})

        def evidence(self, vocabulary: str, group: str, record: RecordText) -> list:
            return []

    matcher = Matcher(parse_query("vocab:topics>=2"), Tagged())
    assert matcher.matches(text(title="anything"))
    assert matcher.explain(text(title="anything")) == []


def test_unknown_vocabulary_group_and_period() -> None:
    with pytest.raises(QueryError, match="unknown vocabulary 'topics'") as error:
        Matcher(parse_query("sme AND vocab:topics>=2"), VOCABULARIES)
    assert error.value.position == 8
    with pytest.raises(QueryError, match="vocabulary 'drivers' has no group 'tv'"):
        Matcher(parse_query("vocab:drivers.tv"), VOCABULARIES)
    with pytest.raises(QueryError, match=r"unknown period 'war' \(periods: covid\)"):
        Matcher(parse_query("period:war"), VOCABULARIES, PERIODS)


# -- evidence ----------------------------------------------------------------------------------


def test_explain_returns_original_spans() -> None:
    record = text(title="Cross-Border E-Commerce for SMEs", abstract="Molina-Sánchez found…")
    matcher = Matcher(parse_query('"cross border e-commerce" AND sanchez'))
    spans = matcher.explain(record)
    assert spans is not None
    assert [(s.field, s.start, s.end, s.text) for s in spans] == [
        ("title", 0, 23, "Cross-Border E-Commerce"),
        ("abstract", 7, 14, "Sánchez"),
    ]
    assert matcher.explain(text(title="nothing")) is None


# -- the three database syntaxes, written out in full ------------------------------------------


def test_a_scopus_string() -> None:
    query = (
        'TITLE-ABS-KEY(("cross-border e-commerce" OR cbec) W/5 (sme* OR msme*)) '
        "AND NOT TITLE(review) AND PUBYEAR > 2017 AND PUBYEAR < 2027"
    )
    hit = text(title="SMEs in cross-border e-commerce", year=2022)
    assert matches(query, hit)
    assert not matches(query, text(title="A review of CBEC for SMEs", year=2022))
    assert not matches(query, text(title="SMEs in cross-border e-commerce", year=2016))


def test_a_web_of_science_string() -> None:
    query = (
        'TS=((influencer* OR "key opinion leader*") NEAR/3 trust) AND TI=(sme*) AND PY=2018-2026'
    )
    assert matches(query, text(title="SME influencers", abstract="Influencer trust grows"))
    assert not matches(query, text(title="Influencer trust", abstract="no small firms"))


def test_a_pubmed_string() -> None:
    query = '("type 2 diabetes"[tiab] OR T2DM[tiab]) AND telehealth[ti] AND hba1c[ab]'
    hit = text(title="Telehealth for adults", abstract="In type 2 diabetes, HbA1c fell.")
    assert matches(query, hit)
    assert not matches(query, text(title="Telehealth, HbA1c", abstract="Type 2 diabetes"))


def test_the_002_search_configurations_written_out_in_full() -> None:
    """Configurations (a)-(d) of the 002 paper's method section, as its protocol writes them."""
    protocol = load_protocol(PROTOCOLS / "msme-digital-drivers.toml")
    searches = {search.id: search for search in protocol.searches}
    assert set(searches) == {"a", "b", "c", "d", "a-wos"}
    samples = {
        "a": "Export performance of Indonesian SMEs on e-commerce marketplaces",
        "b": "Influencer marketing and consumer trust in small businesses",
        "c": "UGC and online reviews for SME internationalization",
        "d": "Jastip personal shoppers and cross-border trade",
        "a-wos": "Export performance of Indonesian SMEs on e-commerce marketplaces",
    }
    for key, title in samples.items():
        matcher = protocol_matcher(protocol, searches[key].string, Tagger.of(protocol))
        assert matcher.matches(text(title=title, year=2022)), key
        assert not matcher.matches(text(title=title, year=2016)), key  # the 2018-2026 window
    b = protocol_matcher(protocol, searches["b"].string, Tagger.of(protocol))
    assert not b.matches(text(title="Social influence on SME trust", year=2022))  # not influencer


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message", "caret"),
    [
        ("sme AND", "the query ends where a term was expected", "  sme AND\n         ^"),
        ("sme AND AND x", "unexpected 'AND'", "  sme AND AND x\n          ^"),
        ("(sme OR msme", "unclosed parenthesis", "  (sme OR msme\n  ^"),
        ('"cross border', "unclosed quote", '  "cross border\n  ^'),
        ("sme OR )", "unexpected ')'", "  sme OR )\n         ^"),
        (
            "a NEAR/3 (b AND c)",
            "NEAR/3 needs a word, a phrase or (words OR phrases) on each side",
            "  a NEAR/3 (b AND c)\n    ^",
        ),
        (
            "year:2026..2018",
            "bad year range '2026..2018': 2026 is after 2018",
            "  year:2026..2018\n  ^",
        ),
        (
            "x AND year:20x",
            "bad year range '20x' (write year:2018..2026, year:2018.., year:..2017 or year:2020)",
            "  x AND year:20x\n        ^",
        ),
        (
            "has:colour",
            "has:colour is not a field (use one of: title, abstract, keywords, "
            "year, lang, type, doi)",
            "  has:colour\n  ^",
        ),
        ("", "empty query", "  \n  ^"),
        (
            "(exact:KOL OR kol) W/3 trust",
            "W/3 cannot take an exact: term",
            "  (exact:KOL OR kol) W/3 trust\n                     ^",
        ),
    ],
)
def test_syntax_errors(query: str, message: str, caret: str) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        parse_query(query)
    assert error.value.message == message
    assert error.value.caret() == caret


def test_year_tree() -> None:
    assert parse_query("year:2018..").root == Year(2018, None)
    assert parse_query("PUBYEAR < 2027").root == Year(None, 2026)


# -- evidence in folded text ------------------------------------------------------------------


def test_spans_in_non_ascii_text_point_at_the_original_words() -> None:
    record = text(title="Ｓｍａｌｌ firms: Große Märkte für KMU in Việt Nam")
    spans = Matcher(parse_query('"viet nam" OR grosse')).explain(record)
    assert spans is not None
    assert sorted(s.text for s in spans) == ["Große", "Việt Nam"]


# -- field codes: authors, source title, metadata, Scopus's refinements -------------------------


def record_with(**fields: object) -> RecordText:
    from slr.models import Author

    base: dict[str, object] = {
        "title": "Live streaming and MSME exports",
        "abstract": "We study sellers.",
        "year": 2021,
        "language": "English",
        "document_type": "Article",
        "source_title": "Sustainability (Switzerland)",
        "doi": "10.3390/su1234",
        "authors": [Author("Sun", "Yongqiang"), Author("Tan", "Mei")],
    }
    base.update(fields)
    return RecordText.of(1, Record(**base))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("AUTH(Sun)", True),
        ("AUTH(Shao)", False),
        ("AU=Tan", True),
        ('AUTHOR-NAME("Sun, Y*")', True),
        ("authors:sun", True),
        ("sun", False),  # title, abstract and keywords only: authors need their field code
        ("SRCTITLE(sustainability)", True),
        ('SO="journal of business research"', False),
        ('source:"sustainability switzerland"', True),
        ("DOCTYPE(ar)", True),
        ("DOCTYPE(re)", False),
        ("DT=(Article OR Review)", True),
        ("LANGUAGE(english)", True),
        ("LA=(Spanish)", False),
        ("DOI(10.3390/SU1234)", True),
        ("DO=https://doi.org/10.3390/su1234", True),
        ("doi:10.3390/other", False),
        ("PUBYEAR > 2017", True),
        ("PUBYEAR > 2021", False),
        ('LIMIT-TO(DOCTYPE,"ar")', True),
        (
            'TITLE-ABS-KEY(msme) AND ( LIMIT-TO ( DOCTYPE , "cp" ) OR '
            'LIMIT-TO ( DOCTYPE , "ar" ) )',
            True,
        ),
        ('LIMIT-TO ( LANGUAGE , "English" ) AND LIMIT-TO ( PUBYEAR , 2021 )', True),
        ("EXCLUDE ( PUBYEAR , 2021 )", False),
        ('EXCLUDE(DOCTYPE, "ar")', False),
        ('LIMIT-TO(EXACTSRCTITLE, "Sustainability (Switzerland)")', True),
        ('LIMIT-TO(EXACTKEYWORD, "live streaming")', False),
        ("exports[ti] AND sun[au] AND sustainability[ta]", True),
    ],
)
def test_field_codes_of_authors_sources_and_metadata(query: str, expected: bool) -> None:
    assert matches(query, record_with()) is expected


@pytest.mark.parametrize(
    ("query", "message", "caret"),
    [
        ("SUBJAREA(busi)", "unknown field code SUBJAREA(", "  SUBJAREA(busi)\n  ^"),
        (
            'sme AND AFFILCOUNTRY ( "Indonesia" )',
            "unknown field code AFFILCOUNTRY(",
            '  sme AND AFFILCOUNTRY ( "Indonesia" )\n          ^',
        ),
        (
            "OG=(Universitas Indonesia)",
            "unknown field code OG=",
            "  OG=(Universitas Indonesia)\n  ^",
        ),
        ("live foo(bar)", "unknown field code foo(", "  live foo(bar)\n       ^"),
        (
            'x AND LIMIT-TO(SUBJAREA, "BUSI")',
            "LIMIT-TO cannot filter on SUBJAREA (it can on DOCTYPE, LANGUAGE, PUBYEAR, SRCTITLE, "
            "EXACTSRCTITLE, EXACTKEYWORD)",
            '  x AND LIMIT-TO(SUBJAREA, "BUSI")\n                 ^',
        ),
        (
            "LIMIT-TO(PUBYEAR, recent)",
            "PUBYEAR needs a year, not 'recent'",
            "  LIMIT-TO(PUBYEAR, recent)\n           ^",
        ),
        ("DOCTYPE()", "DOCTYPE needs a value", "  DOCTYPE()\n  ^"),
    ],
)
def test_unknown_field_codes_are_syntax_errors(query: str, message: str, caret: str) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        parse_query(query)
    assert error.value.message == message
    assert error.value.caret() == caret


def test_slr_query_with_field_codes_on_the_demo(demo: Path) -> None:
    from click.testing import CliRunner

    from slr.cli import main

    runner = CliRunner()

    def query(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["query", "--review", str(demo), *args])
        return result.exit_code, result.output

    assert query("AUTH(Sun) OR SO=sustainability") == (
        0,
        "#14 (2019) How Live Streaming Influences Purchase Intentions\n"
        "    authors: [Sun], Y.; Shao, X.; Li, X.; Guo, Y.; Nie, K.\n"
        "#58 (2025) A Comprehensive Micro, Small, and Medium Enterprise Empowerment Model for "
        "Developing Sustainable Tourism Villages in Rural Communities: A Perspective\n"
        "    source: [Sustainability] (Switzerland)\n"
        "#63 (2023) Optimization of the Number, Hub Height and Layout of Offshore Wind Turbines\n"
        "    authors: [Sun], H.; Yang, H.; Tao, S.\n"
        "3 of 124 records match\n",
    )
    counts = {
        "SRCTITLE(sustainability)": "1 of 124 records match\n",
        "DOCTYPE(ar)": "102 of 124 records match\n",
        'LIMIT-TO(DOCTYPE,"ar")': "102 of 124 records match\n",
        'EXCLUDE(DOCTYPE,"ar")': "22 of 124 records match\n",
        "LANGUAGE(english)": "107 of 124 records match\n",
        "AU=Sun": "2 of 124 records match\n",
        "PUBYEAR > 2017": "106 of 124 records match\n",
        "DOI(10.1002/BSE.3765)": "1 of 124 records match\n",
    }
    for expression, expected in counts.items():
        assert query(expression, "--count") == (0, expected), expression
    assert query("SUBJAREA(busi) AND sme") == (
        1,
        "Error: query syntax error: unknown field code SUBJAREA(\n  SUBJAREA(busi) AND sme\n  ^\n",
    )


def test_rules_and_queries_read_authors_only_when_they_search_them(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from slr.cli import main
    from slr.protocol.query import names_scoped_fields

    assert names_scoped_fields(parse_query("x AND NOT (y OR AU=sun)"))
    assert names_scoped_fields(parse_query('"live stream" NEAR/2 x OR source:journal'))
    assert not names_scoped_fields(parse_query("title:x AND DOCTYPE(ar) AND vocab:drivers"))
    protocol = tmp_path / "p.toml"
    protocol.write_text(
        "[review]\ntitle = 'Authors'\n\n[[rules]]\nid = 'smith'\nstage = 'title_abstract'\n"
        "action = 'flag'\nreason = 'A study by Smith'\n"
        "query = 'AUTH(smith) OR SRCTITLE(\"journal of testing\")'\n",
        encoding="utf-8",
    )
    export = tmp_path / "a.ris"
    export.write_text(
        "TY  - JOUR\nTI  - One\nAU  - Smith, John\nPY  - 2021\nER  - \n\n"
        "TY  - JOUR\nTI  - Two\nAU  - Tan, Mei\nT2  - Journal of Testing\nPY  - 2021\nER  - \n\n"
        "TY  - JOUR\nTI  - Three\nAU  - Doe, Jane\nPY  - 2021\nER  - \n",
        encoding="utf-8",
    )
    review = str(tmp_path / "r")
    runner = CliRunner()
    assert runner.invoke(main, ["init", review, "--protocol", str(protocol)]).exit_code == 0
    assert runner.invoke(main, ["import", "--review", review, str(export)]).exit_code == 0
    result = runner.invoke(main, ["screen", "auto", "--review", review])
    assert "title_abstract: 0 excluded, 0 included, 2 flagged, 1 no rule matched\n" in (
        result.output
    )
