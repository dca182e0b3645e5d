"""Normalisation steps: exact cases and properties (idempotence, no exceptions)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slr.models import Author
from slr.normalize import (
    canonical_doi,
    canonical_issn,
    clean_pieces,
    clean_text,
    find_dois,
    fold,
    latex_to_unicode,
    parse_name,
    parse_year,
    split_copyright,
    strip_markup,
)
from slr.normalize.text import fold_with_offsets


@pytest.mark.parametrize(
    ("raw", "doi"),
    [
        ("10.1016/J.IJRESMAR.2020.01.002", "10.1016/j.ijresmar.2020.01.002"),
        ("https://doi.org/10.1177/02683962211048201", "10.1177/02683962211048201"),
        ("http://dx.doi.org/10.1016/0376-8716%2876%2990010-7", "10.1016/0376-8716(76)90010-7"),
        ("doi:10.2196/22081.", "10.2196/22081"),
        ("10.1080/15332861.2019.1638001 [doi]", "10.1080/15332861.2019.1638001"),
        ("https://dl.acm.org/doi/10.1145/3672608.3707931", "10.1145/3672608.3707931"),
        ("not a doi", ""),
        ("", ""),
    ],
)
def test_canonical_doi(raw: str, doi: str) -> None:
    assert canonical_doi(raw) == doi


def test_find_dois_in_reference_strings() -> None:
    reference = (
        "Smith J., 2019, J MARKETING, V83, P1, DOI 10.1177/0022242919854374; "
        "see also https://doi.org/10.1000/ABC-1."
    )
    assert find_dois(reference) == ["10.1177/0022242919854374", "10.1000/abc-1"]


@pytest.mark.parametrize(
    ("raw", "author"),
    [
        ("Smith, John", Author("Smith", "John")),
        ("Liu R.", Author("Liu", "R.")),
        ("Chrabąszcz P", Author("Chrabąszcz", "P")),
        ("A. Hayashi", Author("Hayashi", "A.")),
        ("S. Raj Paul", Author("Paul", "S. Raj")),
        ("van der Berg J.", Author("van der Berg", "J.")),
        ("Hao, Jie (57221302630)", Author("Hao", "Jie")),
        ("Ludwig van Beethoven", Author("van Beethoven", "Ludwig")),
        ("World Health Organization", Author(literal="World Health Organization")),
        ("Wongkitrungrueng A.", Author("Wongkitrungrueng", "A.")),
    ],
)
def test_parse_name(raw: str, author: Author) -> None:
    assert parse_name(raw) == author


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"Fern\'{a}ndez Guti\'{e}rrez", "Fernández Gutiérrez"),
        (r"\v{S}ustr and {\"o}zt\"{u}rk", "Šustr and öztürk"),
        (r"{Cocker} {Spaniel} 10\% \& more", "Cocker Spaniel 10% & more"),
        (r"\textless{}p\textgreater{} x", "<p> x"),
        (r"{[}1{]} pages 1--2", "[1] pages 1–2"),
        (r"costs \$5 and $\alpha$", "costs $5 and \\alpha"),
        (r"Kuł\k{a}kowski \ss{} x", "Kułąkowski ß x"),
        (r"a\textbackslash{}\& b\textbackslash{}[", "a\\& b\\["),
    ],
)
def test_latex_to_unicode(latex: str, text: str) -> None:
    assert latex_to_unicode(latex) == text


def test_strip_markup_jats_and_entities() -> None:
    jats = "<jats:sec><jats:title>Background</jats:title><jats:p>A&amp;B x<sup>2</sup></jats:p>"
    assert strip_markup(jats) == "Background A&B x2"
    assert strip_markup("CO<inf>2</inf> &#x27;q&#x27;") == "CO2 'q'"


@pytest.mark.parametrize(
    ("abstract", "body", "notice"),
    [
        (
            "We test X. © 2016 Elsevier Ltd. All rights reserved.",
            "We test X.",
            "© 2016 Elsevier Ltd. All rights reserved.",
        ),
        (
            "We test X. Copyright of Journal of Y is the property of Z and its content may not be "
            "copied.",
            "We test X.",
            "Copyright of Journal of Y is the property of Z and its content may not be copied.",
        ),
        (
            "We test X. (C) 2014 Wiley Periodicals, Inc.",
            "We test X.",
            "(C) 2014 Wiley Periodicals, Inc.",
        ),
        ("No notice here.", "No notice here.", ""),
    ],
)
def test_split_copyright(abstract: str, body: str, notice: str) -> None:
    assert split_copyright(abstract) == (body, notice)


def test_small_helpers() -> None:
    assert canonical_issn("00319007; 1873-5592 (ISSN)") == ["0031-9007", "1873-5592"]
    assert parse_year("2021/06//") == 2021
    assert parse_year("n.d.") is None
    assert clean_text("a\u00a0 b\u200b\u2009c \n") == "a b c"
    assert fold("Ça   Marche—Déjà-vu!") == "ca marche deja vu"


def plain_fold(value: str) -> str:
    """`fold` as its docstring defines it, step by step (what the fast paths must equal)."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", stripped.casefold()).split())


@pytest.mark.parametrize(
    ("value", "folded"),
    [
        ("Cross-Border E-Commerce", "cross border e commerce"),
        ("Große Märkte", "grosse markte"),  # ß -> ss
        ("Ｓｍａｌｌ ﬁrms ½", "small firms 1 2"),  # compatibility forms (NFKC's)
        ("cafe\u0301 Việt Nam", "cafe viet nam"),  # a combining mark is part of its letter
        ("snake_case\u00a0and\u200bmore", "snake case and more"),
        ("", ""),
    ],
)
def test_fold_cases(value: str, folded: str) -> None:
    assert fold(value) == folded
    assert fold_with_offsets(value)[0] == folded


@given(st.text(max_size=60))
def test_one_fold_with_or_without_offsets(value: str) -> None:
    folded, offsets = fold_with_offsets(value)
    assert fold(value) == plain_fold(value) == folded
    assert len(offsets) == len(folded)
    assert offsets == sorted(offsets)
    # each folded letter comes from the original character it points at
    for char, offset in zip(folded, offsets, strict=True):
        assert char == " " or char in fold(value[offset])


@given(st.text())
def test_normalisation_is_idempotent(value: str) -> None:
    for step in (clean_text, fold, canonical_doi):
        once = step(value)
        assert step(once) == once
    body, _ = split_copyright(clean_text(value))
    assert split_copyright(body)[0] == body


@given(st.text())
def test_normalisers_never_raise(value: str) -> None:
    latex_to_unicode(value)
    strip_markup(value)
    parse_name(value)
    find_dois(value)
    parse_year(value)
    canonical_issn(value)


@given(st.text(alphabet="ab \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0é", max_size=150))
def test_clean_text_collapses_whitespace_like_split_and_join(value: str) -> None:
    # the fast path for clean ASCII text must agree with the definition
    import unicodedata

    expected = " ".join(unicodedata.normalize("NFC", value).split())
    assert clean_text(value) == expected


def test_no_author_placeholder_has_a_comma() -> None:
    # parse_name reads "Family, Given" before it looks for placeholders
    from slr.normalize.names import _PLACEHOLDERS

    assert not any("," in placeholder for placeholder in _PLACEHOLDERS)


@given(
    st.lists(st.text(alphabet="ab <&;|\t\n\x1c\x1f\xa0é", max_size=12), max_size=6),
    st.booleans(),
)
def test_clean_pieces_agree_with_one_call_a_piece(values: list[str], markup: bool) -> None:
    # the one check over all pieces must give what cleaning each piece gives, or decline
    cleaned = clean_pieces(values, markup)
    if cleaned is not None:
        clean = strip_markup if markup else clean_text
        assert cleaned == [clean(v) for v in values]


def test_clean_pieces_decline_what_needs_the_full_clean() -> None:
    assert clean_pieces(["Trust", " cross-border  trade"]) is None  # a double space
    assert clean_pieces(["Trust", " caf\u00e9"]) is None  # not ASCII
    assert clean_pieces(["R&amp;D"], markup=True) is None
    assert clean_pieces(["R&amp;D"]) == ["R&amp;D"]
    assert clean_pieces(["Market", " Platform small", " "]) == ["Market", "Platform small", ""]


@given(
    st.tuples(
        st.text(alphabet="0123456789", min_size=7, max_size=7),
        st.sampled_from(["", "", "", "\u0663", "\u00b2", "1"]),
        st.sampled_from(["", "0", "9", "X", "x", "-", " ", "\u00b2", "\u0663", "-1234"]),
    ).map("".join)
)
def test_canonical_issn_short_cut_agrees_with_the_pattern(value: str) -> None:
    from slr.normalize.ids import _ISSN

    expected = list(dict.fromkeys(f"{a}-{b.upper()}" for a, b in _ISSN.findall(value)))
    assert canonical_issn(value) == expected


@given(st.from_regex(r"\A\s?(10\.\d{3,5}/[a-z0-9%().,;\[\] -]{1,12}|doi:10\.1/x)\s?\Z"))
def test_canonical_doi_without_a_prefix_agrees_with_the_pattern(value: str) -> None:
    from slr.normalize.ids import _DOI_PREFIX

    # the regex no longer runs for a value that starts with "10."; with it, the same DOI
    assert canonical_doi(value) == canonical_doi(_DOI_PREFIX.sub("", value.strip()))


@given(st.text(alphabet="0123456789-\u2013\u2014 e", max_size=12))
def test_page_ranges_without_dash_fixes_agree_with_the_pattern(value: str) -> None:
    from slr.importers.common import _PAGE_DASH, _clean_pages

    assert _clean_pages(value) == _PAGE_DASH.sub("-", clean_text(value)).strip("-")


_NOTICE_BITS = ["(c)", "(C) 2014", "©", "copyright", "COPYRIGHT 2019", "Published by X 2020"]
_NOTICE_BITS += ["All rights reserved", "rights", "right", " ", "x", "(", ")", "2019", "."]


@given(st.lists(st.sampled_from(_NOTICE_BITS), max_size=8).map("".join))
def test_copyright_quick_checks_pass_over_no_notice(value: str) -> None:
    from slr.normalize.text import _COPYRIGHT

    abstract = "An abstract. " + value
    _body, notice = split_copyright(abstract)
    # whenever the pattern finds a notice, the quick checks before it let it through
    assert bool(notice) == bool(_COPYRIGHT.search(abstract))
    assert split_copyright("We test X. (c) 2014 Wiley.") == ("We test X.", "(c) 2014 Wiley.")


@given(st.lists(st.text(alphabet="ab ,.;()1\t\u00e9-", max_size=15), max_size=5))
def test_semicolon_authors_short_cut_agrees_with_one_clean_a_name(names: list[str]) -> None:
    from slr.importers.csv_formats import _authors, authors_semicolon

    value = ";".join(names)
    assert authors_semicolon(value) == _authors(value.split(";"), parse_name)


@given(st.text(alphabet="Ab ,.;()12\t\u00e9-", max_size=30))
def test_parse_clean_name_is_parse_name_of_a_clean_text(value: str) -> None:
    from slr.normalize import parse_clean_name

    if clean_text(value) == value:
        assert parse_clean_name(value) == parse_name(value)
