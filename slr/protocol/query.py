"""The rule and search language: a lark grammar, parsed into a small tree of dataclasses.

One language accepts the strings reviewers already have: `slr`'s own (`title:`, `authors:`,
`source:`, `NEAR/3`, `year:2018..2026`, `vocab:drivers>=2`, `doi:`), Scopus (`TITLE-ABS-KEY(...)`,
`AUTH(...)`, `SRCTITLE(...)`, `DOCTYPE(ar)`, `LANGUAGE(english)`, `DOI(...)`, `W/n`, `PRE/n`,
`AND NOT`, `PUBYEAR > 2017`, and the filters `LIMIT-TO(DOCTYPE, "ar")` and `EXCLUDE(...)`),
Web of Science (`TS=(...)`, `TI=`, `AB=`, `AU=`, `SO=`, `DO=`, `LA=`, `DT=`, `NEAR/n`, `PY=`)
and PubMed (`term[tiab]`, `term[ti]`, `term[au]`, `term[ta]`). A field code `slr` does not know
is a syntax error at that code, never a search that silently finds nothing. Precedence,
tightest first: proximity, NOT, AND (also implicit, between two terms), OR. Operators are
case-insensitive; quote a phrase to search for the word "and" itself. What a term matches is
`slr.normalize.terms`' (as in vocabularies); `exact:SME` is an abbreviation matched with its
case, as a vocabulary's `exact` list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from slr.normalize.metadata import document_type_named
from slr.normalize.terms import compile_term

TITLE = "title"
ABSTRACT = "abstract"
KEYWORDS = "keywords"
AUTHORS = "authors"
SOURCE = "source"  # the journal, book or proceedings title
ALL_FIELDS = frozenset((TITLE, ABSTRACT, KEYWORDS))
SCOPED_FIELDS = (AUTHORS, SOURCE)  # searched only by a term scoped to them (`AUTH(sun)`)

# Field scopes of every syntax, one table.
SCOPES: dict[str, frozenset[str]] = {
    # slr
    "title": frozenset((TITLE,)),
    "abstract": frozenset((ABSTRACT,)),
    "keywords": frozenset((KEYWORDS,)),
    "all": ALL_FIELDS,
    "authors": frozenset((AUTHORS,)),
    "source": frozenset((SOURCE,)),
    # Scopus
    "title-abs-key": ALL_FIELDS,
    "title-abs": frozenset((TITLE, ABSTRACT)),
    "abs": frozenset((ABSTRACT,)),
    "key": frozenset((KEYWORDS,)),
    "authkey": frozenset((KEYWORDS,)),
    "auth": frozenset((AUTHORS,)),
    "author-name": frozenset((AUTHORS,)),
    "authlastname": frozenset((AUTHORS,)),
    "authfirst": frozenset((AUTHORS,)),
    "firstauth": frozenset((AUTHORS,)),
    "srctitle": frozenset((SOURCE,)),
    "exactsrctitle": frozenset((SOURCE,)),
    # Web of Science
    "ts": ALL_FIELDS,
    "ti": frozenset((TITLE,)),
    "ab": frozenset((ABSTRACT,)),
    "ak": frozenset((KEYWORDS,)),
    "kp": frozenset((KEYWORDS,)),
    "au": frozenset((AUTHORS,)),
    "so": frozenset((SOURCE,)),
    # PubMed
    "tiab": frozenset((TITLE, ABSTRACT)),
    "tw": ALL_FIELDS,
    "mh": frozenset((KEYWORDS,)),
    "ot": frozenset((KEYWORDS,)),
    "kw": frozenset((KEYWORDS,)),
    "ta": frozenset((SOURCE,)),
}

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND? not_expr)*
?not_expr: _NOT not_expr -> not_
         | prox_expr
?prox_expr: postfix (PROX postfix)*
?postfix: atom
        | atom PUBMED_TAG -> tagged
?atom: WORD -> term
     | PHRASE -> phrase
     | EXACT -> exact
     | BRACED -> phrase
     | "(" or_expr ")"
     | SLR_FIELD atom -> scoped
     | SCOPUS_FIELD or_expr ")" -> scoped
     | WOS_FIELD atom -> scoped
     | PREDICATE -> predicate
     | PUBYEAR -> pubyear
     | WOS_YEAR -> wos_year
     | META_CALL -> meta_call
     | WOS_META -> wos_meta
     | LIMIT_CALL -> limit
     | UNKNOWN_CODE -> unknown_code

_OR.3: /OR(?![^\s()])/i
_AND.3: /AND(?![^\s()])/i
_NOT.3: /NOT(?![^\s()])/i
PROX.4: /(NEAR|W|PRE)\/\d+(?![^\s()])/i
SLR_FIELD.5: /(title|abstract|keywords|all|authors|source):/i
SCOPUS_FIELD.5: /(@SCOPUS_FIELDS@)\s*\(/i
WOS_FIELD.5: /(TS|TI|AB|AK|KP|AU|SO)\s*=\s*/i
WOS_YEAR.6: /PY\s*=\s*\(?\s*\d{4}(\s*-\s*\d{4})?\s*\)?/i
WOS_META.6: /(DO|LA|DT)\s*=\s*(\([^()]*\)|"[^"]*"|[^\s()"]+)/i
PUBYEAR.6: /PUBYEAR\s*(>=|<=|>|<|=|AFT|BEF|IS)\s*\d{4}/i
META_CALL.6: /(DOCTYPE|LANGUAGE|DOI)\s*\(\s*("[^"]*"|[^()"]*?)\s*\)/i
LIMIT_CALL.6: /(LIMIT-TO|EXCLUDE)\s*\(\s*[A-Za-z-]+\s*,\s*("[^"]*"|[^()",]*?)\s*\)/i
PREDICATE.5: /(year|type|lang|has|period|vocab|doi):("[^"]*"|[^\s()\[\]"]+)/i
EXACT.5: /exact:("[^"]*"|[^\s()\[\]"]+)/i
PUBMED_TAG.5: /\[(tiab|ti|ab|tw|mh|ot|kw|all|au|ta)\]/i
// any other field code: a name glued to "(", a hyphenated capital one or a Scopus code before
// " (", a name before "=": a syntax error, never a search for the code as a word
UNKNOWN_CODE.2: /[A-Za-z][A-Za-z0-9-]*\(/
              | /[A-Z][A-Z0-9]*(-[A-Z0-9]+)+\s+\(/
              | /(@SCOPUS_OTHER@)\s*\(/
              | /[A-Za-z][A-Za-z0-9-]*\s*=/
PHRASE: /"[^"]*"/
BRACED: /\{[^{}]*\}/
WORD: /[^\s()"\[\]{}]+/

%import common.WS
%ignore WS
"""
# longer codes first: a regex takes the first alternative that matches
_SCOPUS_FIELDS = (
    "TITLE-ABS-KEY|TITLE-ABS|TITLE|ABS|KEY|AUTHKEY|AUTHOR-NAME|AUTHLASTNAME|AUTHFIRST|FIRSTAUTH|"
    "AUTH|EXACTSRCTITLE|SRCTITLE|ALL"
)
# Scopus codes slr cannot search (a record has no such field), written with a space before "("
_SCOPUS_OTHER = (
    "AFFILCOUNTRY|AFFILORG|AFFILCITY|AFFIL|AF-ID|AU-ID|SUBJAREA|SRCTYPE|EISSN|ISSN|ISBN|CODEN|"
    "PMID|CHEM|CONFNAME|CONF|REFAUTH|REFTITLE|REFSRCTITLE|REFPUBYEAR|REF|VOLUME|ISSUE|PAGES|"
    "PUBLISHER|EDITOR|ARTNUM|OPENACCESS|EMAIL|SEQBANK|PUBYEAR"
)
GRAMMAR = GRAMMAR.replace("@SCOPUS_FIELDS@", _SCOPUS_FIELDS).replace(
    "@SCOPUS_OTHER@", _SCOPUS_OTHER
)

_PARSER = Lark(
    GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False
)


class QuerySyntaxError(Exception):
    """A query that does not parse: what is wrong and at which 0-based character position."""

    def __init__(self, message: str, text: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.position = position

    def caret(self, indent: str = "  ") -> str:
        """The query (its offending line) with a caret under the offending position."""
        start = self.text.rfind("\n", 0, self.position) + 1
        end = self.text.find("\n", self.position)
        line = self.text[start : end if end != -1 else len(self.text)]
        return f"{indent}{line}\n{indent}{' ' * (self.position - start)}^"

    def __str__(self) -> str:
        return f"{self.message} at column {self.position + 1}\n{self.caret()}"


# -- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase, possibly with wildcards; `pattern` is a regex over folded text (over the
    text as written when `exact`)."""

    text: str
    pattern: str
    fields: frozenset[str] = ALL_FIELDS
    position: int = 0
    literals: tuple[str, ...] = ()  # text one of which any match contains: a prefilter
    exact: bool = False


@dataclass(frozen=True, slots=True)
class Near:
    """Any of `left` within `distance` words of any of `right` (in that order if `ordered`)."""

    left: tuple[Term, ...]
    right: tuple[Term, ...]
    distance: int
    ordered: bool
    fields: frozenset[str] = ALL_FIELDS
    operator: str = ""


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


@dataclass(frozen=True, slots=True)
class Year:
    low: int | None
    high: int | None


@dataclass(frozen=True, slots=True)
class Meta:
    """`type:article`, `lang:en`, `has:abstract`, `period:covid`."""

    kind: str
    value: str
    position: int = 0


@dataclass(frozen=True, slots=True)
class Vocab:
    """`vocab:drivers>=2`: how many distinct groups of a vocabulary match (or one group)."""

    name: str
    group: str = ""
    op: str = ">="
    count: int = 1
    position: int = 0


Node = Term | Near | And | Or | Not | Year | Meta | Vocab


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    root: Node
    vocabularies: tuple[Vocab, ...] = field(default=())
    periods: tuple[Meta, ...] = field(default=())


class QueryError(Exception):
    """A query that parses but names something the protocol does not define."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def check_names(
    query: Query,
    groups: Callable[[str], Sequence[str] | None],
    periods: Mapping[str, tuple[int, int]],
) -> None:
    """Raise QueryError for a vocabulary, group or period the query names and the protocol does
    not define. `groups(name)` is a vocabulary's groups, None when there is no such vocabulary."""
    for vocab in query.vocabularies:
        known = groups(vocab.name)
        if known is None:
            raise QueryError(f"unknown vocabulary {vocab.name!r}", vocab.position)
        if vocab.group and vocab.group not in known:
            raise QueryError(
                f"vocabulary {vocab.name!r} has no group {vocab.group!r}", vocab.position
            )
    for period in query.periods:
        if period.value not in periods:
            names = ", ".join(periods) or "none defined"
            raise QueryError(f"unknown period {period.value!r} (periods: {names})", period.position)


# -- terms ------------------------------------------------------------------------------------


def make_term(
    text: str, fields: frozenset[str] = ALL_FIELDS, position: int = 0, exact: bool = False
) -> Term | None:
    """A term of the query, compiled by the one term compiler; None when it has no letters."""
    compiled = compile_term(text, exact)
    if compiled is None:
        return None
    return Term(text, compiled.pattern, fields, position, (compiled.literal,), exact)


# -- parse tree to query tree ------------------------------------------------------------------


def _fields_of(name: str) -> frozenset[str]:
    key = re.sub(r"[\s:=(\[\]]", "", name).lower()
    return SCOPES[key]


LIMIT_FIELDS = ("DOCTYPE", "LANGUAGE", "PUBYEAR", "SRCTITLE", "EXACTSRCTITLE", "EXACTKEYWORD")
_YEAR_VALUE = re.compile(r"^(\d{4})?(\.\.)?(\d{4})?$")
_VOCAB_VALUE = re.compile(r"^([\w-]+)(?:\.([\w-]+))?(?:(>=|<=|=|>|<)(\d+))?$")
_META_KINDS = ("type", "lang", "has", "period")
HAS_FIELDS = ("title", "abstract", "keywords", "year", "lang", "type", "doi")


class _Build(Transformer):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.vocabularies: list[Vocab] = []
        self.periods: list[Meta] = []

    def _error(self, message: str, position: int | None) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.text, position or 0)

    def term(self, items: list[Token]) -> Term:
        token = items[0]
        term = make_term(str(token), position=token.start_pos or 0)
        if term is None:
            raise self._error(
                f"{str(token)!r} has no letters or digits to search for", token.start_pos
            )
        return term

    def phrase(self, items: list[Token]) -> Term:
        token = items[0]
        term = make_term(str(token)[1:-1], position=token.start_pos or 0)
        if term is None:
            raise self._error("empty phrase", token.start_pos)
        return term

    def exact(self, items: list[Token]) -> Term:
        token = items[0]
        text = str(token).partition(":")[2].strip('"')
        term = make_term(text, position=token.start_pos or 0, exact=True)
        if term is None:
            raise self._error("exact: needs an abbreviation", token.start_pos)
        return term

    def or_expr(self, items: list[Node]) -> Or:
        return Or(tuple(items))

    def and_expr(self, items: list[Node]) -> And:
        return And(tuple(items))

    def not_(self, items: list[Node]) -> Not:
        return Not(items[0])

    def prox_expr(self, items: list) -> Node:
        left = items[0]
        for index in range(1, len(items), 2):
            token: Token = items[index]
            right = items[index + 1]
            operator, distance = str(token).split("/")
            operator = operator.upper()
            left = Near(
                self._operand(left, token),
                self._operand(right, token),
                int(distance),
                operator == "PRE",
                operator=f"{operator}/{distance}",
            )
        return left

    def _operand(self, node: Node, token: Token) -> tuple[Term, ...]:
        terms: tuple[Node, ...] = (node,) if isinstance(node, Term) else ()
        if isinstance(node, Or) and all(isinstance(item, Term) for item in node.items):
            terms = node.items
        if any(isinstance(t, Term) and t.exact for t in terms):
            # proximity counts folded words; an exact term is matched in the text as written
            raise self._error(f"{token} cannot take an exact: term", token.start_pos)
        if terms:
            return tuple(t for t in terms if isinstance(t, Term))
        raise self._error(
            f"{token} needs a word, a phrase or (words OR phrases) on each side", token.start_pos
        )

    def scoped(self, items: list) -> Node:
        token: Token = items[0]
        return _scope(items[1], _fields_of(str(token)))

    def tagged(self, items: list) -> Node:
        token: Token = items[1]
        return _scope(items[0], _fields_of(str(token)))

    def predicate(self, items: list[Token]) -> Node:
        token = items[0]
        kind, _, value = str(token).partition(":")
        kind = kind.lower()
        value = value.strip('"')
        position = token.start_pos or 0
        if kind == "year":
            match = _YEAR_VALUE.match(value)
            if not match or not (match.group(1) or match.group(3)):
                raise self._error(
                    f"bad year range {value!r} (write year:2018..2026, year:2018.., year:..2017 "
                    "or year:2020)",
                    position,
                )
            low = int(match.group(1)) if match.group(1) else None
            high = int(match.group(3)) if match.group(3) else None
            if not match.group(2):
                high = low
            if low is not None and high is not None and low > high:
                raise self._error(f"bad year range {value!r}: {low} is after {high}", position)
            return Year(low, high)
        if kind == "vocab":
            match = _VOCAB_VALUE.match(value)
            if not match:
                raise self._error(
                    f"bad vocabulary predicate {value!r} (write vocab:NAME, vocab:NAME>=2 or "
                    "vocab:NAME.GROUP)",
                    position,
                )
            node = Vocab(
                match.group(1),
                match.group(2) or "",
                match.group(3) or ">=",
                int(match.group(4)) if match.group(4) else 1,
                position,
            )
            self.vocabularies.append(node)
            return node
        if kind == "has" and value.lower() not in HAS_FIELDS:
            raise self._error(
                f"has:{value} is not a field (use one of: {', '.join(HAS_FIELDS)})", position
            )
        if not value:
            raise self._error(f"{kind}: needs a value", position)
        meta = Meta(kind, value, position)
        if kind == "period":
            self.periods.append(meta)
        return meta

    def pubyear(self, items: list[Token]) -> Year:
        match = re.match(r"PUBYEAR\s*(>=|<=|>|<|=|AFT|BEF|IS)\s*(\d{4})", str(items[0]), re.I)
        assert match
        op, year = match.group(1).upper(), int(match.group(2))
        return {
            ">": Year(year + 1, None),
            "AFT": Year(year + 1, None),
            ">=": Year(year, None),
            "<": Year(None, year - 1),
            "BEF": Year(None, year - 1),
            "<=": Year(None, year),
            "=": Year(year, year),
            "IS": Year(year, year),
        }[op]

    def meta_call(self, items: list[Token]) -> Node:
        """`DOCTYPE(ar)`, `LANGUAGE(english)`, `DOI(10.1/x)`."""
        token = items[0]
        code, _, rest = str(token).partition("(")
        return self._metadata(code.strip(), rest.rsplit(")", 1)[0], token)

    def wos_meta(self, items: list[Token]) -> Node:
        """`DT=(Article)`, `LA=(English OR Spanish)`, `DO=10.1/x`."""
        token = items[0]
        code, _, value = str(token).partition("=")
        value = value.strip()
        if value.startswith("(") and value.endswith(")"):
            value = value[1:-1]
        options = [v for v in re.split(r"\s+OR\s+", value.strip(), flags=re.I) if v.strip()]
        code = {"DO": "DOI", "LA": "LANGUAGE", "DT": "DOCTYPE"}[code.strip().upper()]
        nodes = [self._metadata(code, option, token) for option in options]
        if not nodes:
            raise self._error(f"{str(token).strip()} needs a value", token.start_pos)
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def limit(self, items: list[Token]) -> Node:
        """Scopus's refinements, `LIMIT-TO(DOCTYPE, "ar")` and `EXCLUDE(PUBYEAR, 2025)`."""
        token = items[0]
        text = str(token)
        match = re.match(r"([\w-]+)\s*\(\s*([\w-]+)\s*,\s*(.*?)\s*\)$", text, re.S)
        assert match
        operator, name, value = match.group(1).upper(), match.group(2).upper(), match.group(3)
        position = (token.start_pos or 0) + match.start(2)
        if name not in LIMIT_FIELDS:
            raise QuerySyntaxError(
                f"{operator} cannot filter on {name} (it can on {', '.join(LIMIT_FIELDS)})",
                self.text,
                position,
            )
        value = value.strip('"')
        node: Node
        if name in ("SRCTITLE", "EXACTSRCTITLE", "EXACTKEYWORD"):
            term = make_term(value, SCOPES["key" if name == "EXACTKEYWORD" else "srctitle"])
            if term is None:
                message = f"{operator}({name}, ...) needs a value"
                raise QuerySyntaxError(message, self.text, position)
            node = replace(term, position=position)
        elif name == "PUBYEAR":
            if not re.fullmatch(r"\d{4}", value):
                raise QuerySyntaxError(f"PUBYEAR needs a year, not {value!r}", self.text, position)
            node = Year(int(value), int(value))
        else:
            node = self._metadata(name, value, token)
        return Not(node) if operator == "EXCLUDE" else node

    def _metadata(self, code: str, value: str, token: Token) -> Node:
        value = value.strip().strip('"').strip()
        if not value:
            raise self._error(f"{code.upper()} needs a value", token.start_pos)
        kind = {"DOCTYPE": "type", "LANGUAGE": "lang", "DOI": "doi"}[code.upper()]
        if kind == "type":
            value = document_type_named(value)
        return Meta(kind, value, token.start_pos or 0)

    def unknown_code(self, items: list[Token]) -> Node:
        token = items[0]
        code = re.sub(r"\s+", "", str(token))
        raise self._error(f"unknown field code {code}", token.start_pos)

    def wos_year(self, items: list[Token]) -> Year:
        years = [int(y) for y in re.findall(r"\d{4}", str(items[0]))]
        low, high = years[0], years[-1]
        if low > high:
            raise self._error(f"bad year range: {low} is after {high}", items[0].start_pos)
        return Year(low, high)


def names_scoped_fields(query: Query) -> bool:
    """Whether a term of the query searches the authors or the source title (`AUTH(sun)`):
    only then need the records be read with them."""
    pending: list[Node] = [query.root]
    while pending:
        node = pending.pop()
        if isinstance(node, Term | Near) and not node.fields.isdisjoint(SCOPED_FIELDS):
            return True
        if isinstance(node, And | Or):
            pending.extend(node.items)
        elif isinstance(node, Not):
            pending.append(node.item)
    return False


def _scope(node: Node, fields: frozenset[str]) -> Node:
    """Give every term under `node` the field scope, unless an inner scope already set one."""
    if isinstance(node, Term):
        return node if node.fields != ALL_FIELDS else replace(node, fields=fields)
    if isinstance(node, Near):
        return node if node.fields != ALL_FIELDS else replace(node, fields=fields)
    if isinstance(node, And):
        return And(tuple(_scope(item, fields) for item in node.items))
    if isinstance(node, Or):
        return Or(tuple(_scope(item, fields) for item in node.items))
    if isinstance(node, Not):
        return Not(_scope(node.item, fields))
    return node


_TOKEN_NAMES = {
    "_OR": "OR",
    "_AND": "AND",
    "_NOT": "NOT",
    "RPAR": '")"',
    "LPAR": '"("',
    "PROX": "a proximity operator",
    "$END": "the end of the query",
}


def _describe(token: Token) -> str:
    if token.type == "$END":
        return "the end of the query"
    return repr(str(token)) if str(token) else _TOKEN_NAMES.get(token.type, token.type)


def parse_query(text: str) -> Query:
    """Parse a query; raise QuerySyntaxError (message and position) when it does not parse."""
    if not text.strip():
        raise QuerySyntaxError("empty query", text, 0)
    unknown = _unknown_code(text)
    if unknown is not None:
        code = re.sub(r"\s+", "", str(unknown))
        raise QuerySyntaxError(f"unknown field code {code}", text, unknown.start_pos or 0)
    try:
        tree = _PARSER.parse(text)
    except UnexpectedToken as error:
        token = error.token
        position = _position(text, error)
        if token.type == "$END":
            unclosed = _unclosed_parenthesis(text)
            if unclosed is not None:
                raise QuerySyntaxError("unclosed parenthesis", text, unclosed) from None
            raise QuerySyntaxError(
                "the query ends where a term was expected", text, len(text.rstrip())
            ) from None
        raise QuerySyntaxError(f"unexpected {_describe(token)}", text, position) from None
    except UnexpectedCharacters as error:
        at = error.pos_in_stream or 0
        char = text[at] if at < len(text) else ""
        message = "unclosed quote" if char == '"' else f"unexpected character {char!r}"
        raise QuerySyntaxError(message, text, at) from None
    except UnexpectedEOF:
        raise QuerySyntaxError("unexpected end of the query", text, len(text)) from None
    except UnexpectedInput as error:  # pragma: no cover - lark's other cases
        raise QuerySyntaxError(str(error).splitlines()[0], text, error.pos_in_stream or 0) from None
    builder = _Build(text)
    try:
        root = builder.transform(tree)
    except Exception as error:  # lark wraps errors raised inside the transformer
        original = getattr(error, "orig_exc", error)
        if isinstance(original, QuerySyntaxError):
            raise original from None
        raise
    if isinstance(root, Tree):  # pragma: no cover - every rule has a handler
        raise QuerySyntaxError("could not understand the query", text, 0)
    return Query(text, root, tuple(builder.vocabularies), tuple(builder.periods))


def _unknown_code(text: str) -> Token | None:
    """The first field code the language does not know (`SUBJAREA(`, `OG=`), if any: found by
    the lexer, so that it is the error reported rather than what the parser trips on after it."""
    try:
        return next((t for t in _PARSER.lex(text) if t.type == "UNKNOWN_CODE"), None)
    except UnexpectedInput:  # the parser reports the text it cannot read
        return None


def _unclosed_parenthesis(text: str) -> int | None:
    opened: list[int] = []
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            opened.append(index)
        elif not quoted and char == ")" and opened:
            opened.pop()
    return opened[-1] if opened else None


def _position(text: str, error: UnexpectedToken) -> int:
    token = error.token
    if token.type == "$END" or token.start_pos is None:
        return len(text)
    return token.start_pos
