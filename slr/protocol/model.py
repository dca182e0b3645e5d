"""The protocol file (TOML): its model, and validation that names file, line and what is wrong."""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slr.errors import ProtocolError
from slr.models import STAGES
from slr.normalize.metadata import DOCUMENT_TYPES, canonical_language, canonical_type
from slr.normalize.terms import term_pattern
from slr.protocol.locate import Place, line_of, locate, position_in_file
from slr.protocol.query import Query, QueryError, QuerySyntaxError, check_names, parse_query

# The protocol is data and its validation only: what compiles it into matchers is in
# slr.screening (rules: `protocol_rules`, `protocol_matcher`) and slr.tagging (`Tagger.of`).
ACTIONS = ("exclude", "include", "flag")

# Every key a protocol may use, per table; anything else is reported as unknown.
KEYS: dict[str, tuple[str, ...]] = {
    "": (
        "review",
        "searches",
        "eligibility",
        "periods",
        "vocabularies",
        "screening",
        "rules",
        "extraction",
    ),
    "review": ("title", "question", "reporting", "authors", "registration", "notes"),
    "searches": ("id", "name", "database", "string", "date", "notes"),
    "eligibility": ("years", "languages", "document_types", "include", "exclude"),
    "screening": ("exclusion_reasons", "include_terms", "exclude_terms", "reviewers", "stopping"),
    "rules": ("id", "stage", "action", "reason", "query", "notes"),
    "extraction": ("fields",),
}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_RANGE = re.compile(r"^\s*(\d{4})\s*\.\.\s*(\d{4})\s*$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
YEAR_LIMITS = (1450, 2100)

# `[screening.stopping]`: each rule's parameters as (default, lowest, highest). The rules
# themselves are computed in slr/screening/stopping.py; here they are data to validate.
STOPPING_RULES: dict[str, dict[str, tuple[float, float, float]]] = {
    # Callaghan & Mueller-Hansen 2020: ranked screening, then a random sample and a
    # hypergeometric test; `ranked_until`: irrelevant records in a row that end the ranked phase
    "statistical": {
        "recall": (0.95, 0.5, 0.999),
        "confidence": (0.95, 0.5, 0.999),
        "ranked_until": (50, 1, 1_000_000),
    },
    # Boetje & van de Schoot 2024: random training set, active learning, another model, stop
    "safe": {
        "training_fraction": (0.01, 0.001, 0.5),
        "screened_fraction": (0.1, 0.0, 1.0),
        "estimate_factor": (2, 0, 100),
        "irrelevant_in_a_row": (50, 1, 1_000_000),
    },
    # ASReview's heuristic: stop after n irrelevant records in a row
    "irrelevant_in_a_row": {"n": (100, 1, 1_000_000)},
}
# parameters that are counts of records (whole numbers)
STOPPING_COUNTS = ("ranked_until", "irrelevant_in_a_row", "n")


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """One group of a vocabulary as the protocol writes it."""

    terms: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def all_terms(self) -> tuple[str, ...]:
        return (*self.terms, *self.exact)

    @classmethod
    def of(cls, value: Any) -> GroupSpec:
        if isinstance(value, GroupSpec):
            return value
        if isinstance(value, Mapping):
            return cls(
                tuple(value.get("terms", ())),
                tuple(value.get("exact", ())),
                tuple(value.get("exclude", ())),
            )
        return cls(tuple(value))


GROUP_KEYS = ("terms", "exact", "exclude")


@dataclass(slots=True)
class Rule:
    id: str
    stage: str
    action: str
    reason: str
    query: str
    line: int = 0


@dataclass(slots=True)
class Search:
    id: str
    database: str
    string: str
    date: str = ""
    query: Query | None = None


@dataclass(frozen=True, slots=True)
class StoppingSpec:
    """`[screening.stopping]`: the rule's name and every parameter (defaults filled in)."""

    rule: str
    parameters: dict[str, float]

    @classmethod
    def default(cls, rule: str) -> StoppingSpec:
        return cls(rule, {name: spec[0] for name, spec in STOPPING_RULES[rule].items()})


@dataclass(slots=True)
class Protocol:
    path: Path
    title: str
    question: str = ""
    searches: list[Search] = field(default_factory=list)
    years: tuple[int, int] | None = None
    languages: list[str] = field(default_factory=list)
    document_types: list[str] = field(default_factory=list)
    periods: dict[str, tuple[int, int]] = field(default_factory=dict)
    vocabularies: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # the groups as written (terms, exact abbreviations, exclusions): what tagging matches
    vocabulary_groups: dict[str, dict[str, GroupSpec]] = field(default_factory=dict)
    extraction_fields: dict[str, str] = field(default_factory=dict)
    exclusion_reasons: list[str] = field(default_factory=list)
    # how many reviewers must decide a record at each stage before it is decided
    reviewers: dict[str, int] = field(default_factory=lambda: {"title_abstract": 1, "full_text": 1})
    include_terms: list[str] = field(default_factory=list)  # highlighted for reviewers
    exclude_terms: list[str] = field(default_factory=list)
    stopping: StoppingSpec | None = None  # when title/abstract screening may stop
    rules: list[Rule] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


class _Checker:
    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        self.places: dict[tuple[str | int, ...], Place] = locate(source)
        self.problems: list[str] = []

    def where(self, path: tuple[str | int, ...]) -> str:
        line = line_of(self.places, path)
        return f"{self.path}:{line}" if line else str(self.path)

    def problem(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(f"{self.where(path)}: {message}")

    def name(self, path: tuple[str | int, ...]) -> str:
        out = ""
        for part in path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out

    # -- typed getters ------------------------------------------------------------------------

    def string(
        self, table: dict[str, Any], path: tuple[str | int, ...], required: bool = False
    ) -> str:
        key = path[-1]
        value = table.get(key)  # type: ignore[arg-type]
        if value is None:
            if required:
                self.problem(path[:-1], f"{self.name(path[:-1])} needs `{key}`")
            return ""
        if not isinstance(value, str):
            self.problem(path, f"{self.name(path)} must be a string")
            return ""
        if required and not value.strip():
            self.problem(path, f"{self.name(path)} is empty")
        return value

    def strings(self, table: dict[str, Any], path: tuple[str | int, ...]) -> list[str]:
        value = table.get(path[-1], [])  # type: ignore[arg-type]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(path, f"{self.name(path)} must be a list of strings")
            return []
        return value

    def unknown_keys(self, table: dict[str, Any], path: tuple[str | int, ...], kind: str) -> None:
        allowed = KEYS[kind]
        for key in table:
            if key not in allowed:
                self.problem(
                    (*path, key),
                    f"unknown key `{key}` in {self.name(path) if path else 'the top level'} "
                    f"(known: {', '.join(allowed)})",
                )

    def year_range(self, value: Any, path: tuple[str | int, ...]) -> tuple[int, int] | None:
        low = high = None
        if isinstance(value, str) and (match := _RANGE.match(value)):
            low, high = int(match.group(1)), int(match.group(2))
        elif (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            low, high = value
        if low is None or high is None:
            self.problem(
                path,
                f"bad year range {self.name(path)} = {_show(value)} "
                '(write "2018..2026" or [2018, 2026])',
            )
            return None
        if low > high:
            self.problem(
                path, f"bad year range {self.name(path)} = {_show(value)}: {low} is after {high}"
            )
            return None
        if low < YEAR_LIMITS[0] or high > YEAR_LIMITS[1]:
            self.problem(
                path,
                f"bad year range {self.name(path)} = {_show(value)}: years must be within "
                f"{YEAR_LIMITS[0]}..{YEAR_LIMITS[1]}",
            )
            return None
        return low, high

    def query(
        self,
        text: str,
        path: tuple[str | int, ...],
        label: str,
        protocol: Protocol,
    ) -> Query | None:
        try:
            query = parse_query(text)
            # the names a query uses, checked against the protocol's (no vocabulary compiled)
            vocabularies = protocol.vocabularies
            check_names(
                query,
                lambda name: list(vocabularies[name]) if name in vocabularies else None,
                protocol.periods,
            )
        except QuerySyntaxError as error:
            self._query_problem(
                path, label, f"query syntax error: {error.message}", text, error.position
            )
            return None
        except QueryError as error:
            self._query_problem(path, label, error.message, text, error.position)
            return None
        return query

    def _query_problem(
        self, path: tuple[str | int, ...], label: str, message: str, text: str, position: int
    ) -> None:
        found = position_in_file(self.source, self.places, path, text)
        if found is not None:
            offset = found[0] + position
            line_start = self.source.rfind("\n", 0, offset) + 1
            line_end = self.source.find("\n", offset)
            line = self.source[line_start : line_end if line_end != -1 else len(self.source)]
            number = self.source.count("\n", 0, offset) + 1
            column = offset - line_start
            self.problems.append(
                f"{self.path}:{number}:{column + 1}: {label}: {message}\n"
                f"  {line.rstrip()}\n  {' ' * column}^"
            )
            return
        error = QuerySyntaxError(message, text, position)
        self.problems.append(f"{self.where(path)}: {label}: {message}\n{error.caret()}")


def _valid_date(text: str) -> bool:
    """YYYY, YYYY-MM or YYYY-MM-DD, a real date."""
    if not _DATE.match(text):
        return False
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        datetime.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value).replace("'", '"')


def load_protocol(path: Path) -> Protocol:
    """Read and validate a protocol file; raise ProtocolError listing every problem found."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProtocolError(f"protocol file {path} not found", "check the path") from None
    except UnicodeDecodeError:
        raise ProtocolError(f"{path}: the protocol is not UTF-8 text") from None
    return parse_protocol(source, path)


def parse_protocol(source: str, path: Path) -> Protocol:
    try:
        data = tomllib.loads(source)
    except RecursionError:  # tomllib reads nested arrays and tables recursively
        raise ProtocolError(
            f"{path}: the protocol nests arrays or tables too deeply to be read",
            "a protocol needs only a few levels: check the file",
        ) from None
    except tomllib.TOMLDecodeError as error:
        text = str(error)
        match = re.search(r"\(at line (\d+), column (\d+)\)", text)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", text)
        where = f"{path}:{match.group(1)}:{match.group(2)}" if match else str(path)
        raise ProtocolError(f"{where}: TOML syntax error: {message}") from None
    check = _Checker(path, source)
    protocol = _build(data, check, path)
    if check.problems:
        raise ProtocolError("\n".join(check.problems))
    return protocol


def _vocabulary_group(
    check: _Checker, groups: dict[str, Any], where: tuple[str | int, ...]
) -> GroupSpec | None:
    """A group of a vocabulary: a list of terms, or a table of terms, exact and exclude lists."""
    value = groups[where[-1]]  # type: ignore[index]
    label = ".".join(str(part) for part in where[1:])
    if isinstance(value, dict):
        for key in value:
            if key not in GROUP_KEYS:
                check.problem(
                    (*where, key),
                    f"unknown key `{key}` in vocabulary group `{label}` "
                    f"(known: {', '.join(GROUP_KEYS)})",
                )
        lists = {key: check.strings(value, (*where, key)) for key in GROUP_KEYS}
        spec = GroupSpec(tuple(lists["terms"]), tuple(lists["exact"]), tuple(lists["exclude"]))
    elif isinstance(value, list):
        spec = GroupSpec(tuple(check.strings(groups, where)))
    else:
        check.problem(
            where,
            f"vocabulary group `{label}` must be a list of terms or a table "
            "{ terms = [...], exact = [...], exclude = [...] }",
        )
        return None
    for term in (*spec.terms, *spec.exact, *spec.exclude):
        if not term_pattern(term):
            check.problem(where, f"vocabulary term {term!r} has no letters")
    return spec


_MOST_REVIEWERS = 20


def _reviewers(check: _Checker, value: Any) -> dict[str, int]:
    """`reviewers = 2` (every stage), or `reviewers = { title_abstract = 2, full_text = 1 }`."""
    stages = ("title_abstract", "full_text")
    wanted = dict.fromkeys(stages, value) if not isinstance(value, dict) else {**value}
    found = {"title_abstract": 1, "full_text": 1}
    for stage, number in wanted.items():
        path: tuple[str | int, ...] = ("screening", "reviewers")
        if stage not in stages:
            check.problem((*path, stage), f"unknown stage `{stage}` (known: {', '.join(stages)})")
        elif isinstance(number, bool) or not isinstance(number, int):
            check.problem(path, "screening.reviewers must be a whole number (1, 2 ...)")
            break
        elif not 1 <= number <= _MOST_REVIEWERS:
            check.problem(path, f"screening.reviewers must be 1 to {_MOST_REVIEWERS}")
            break
        else:
            found[stage] = number
    return found


def _stopping(check: _Checker, value: Any) -> StoppingSpec | None:
    """`[screening.stopping]`: `rule = "statistical"` and that rule's parameters (see
    STOPPING_RULES), each a number in its range."""
    path: tuple[str | int, ...] = ("screening", "stopping")
    if not isinstance(value, dict):
        check.problem(path, "screening.stopping must be a table ([screening.stopping])")
        return None
    rule = value.get("rule")
    if rule not in STOPPING_RULES:
        check.problem(
            (*path, "rule") if "rule" in value else path,
            f"screening.stopping.rule must be one of {', '.join(STOPPING_RULES)}"
            + (f" (not {_show(rule)})" if rule is not None else ""),
        )
        return None
    spec = STOPPING_RULES[rule]
    parameters = {name: default for name, (default, _, _) in spec.items()}
    for key, number in value.items():
        if key == "rule":
            continue
        where = (*path, key)
        if key not in spec:
            check.problem(
                where,
                f"unknown key `{key}` in screening.stopping for rule {rule!r} "
                f"(known: rule, {', '.join(spec)})",
            )
            continue
        _, lowest, highest = spec[key]
        whole = key in STOPPING_COUNTS
        if (
            isinstance(number, bool)
            or not isinstance(number, int | float)
            or (whole and not isinstance(number, int))
        ):
            kind = "a whole number" if whole else "a number"
            check.problem(where, f"screening.stopping.{key} must be {kind}")
        elif not lowest <= number <= highest:
            check.problem(
                where, f"screening.stopping.{key} must be {_show(lowest)} to {_show(highest)}"
            )
        else:
            parameters[key] = number
    return StoppingSpec(rule, parameters)


def _table(check: _Checker, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        check.problem((key,), f"`{key}` must be a table ([{key}])")
        return {}
    return value


def _build(data: dict[str, Any], check: _Checker, path: Path) -> Protocol:
    check.unknown_keys(data, (), "")
    review = _table(check, data, "review")
    if "review" not in data:
        check.problems.append(f"{path}: the protocol needs a [review] table with a title")
    else:
        check.unknown_keys(review, ("review",), "review")
    protocol = Protocol(
        path,
        title=check.string(review, ("review", "title"), required="review" in data),
        question=check.string(review, ("review", "question")),
        data=data,
    )

    eligibility = _table(check, data, "eligibility")
    check.unknown_keys(eligibility, ("eligibility",), "eligibility")
    if "years" in eligibility:
        protocol.years = check.year_range(eligibility["years"], ("eligibility", "years"))
    protocol.languages = check.strings(eligibility, ("eligibility", "languages"))
    for language in protocol.languages:
        if not re.fullmatch(r"[a-z]{2}", canonical_language(language)):
            check.problem(
                ("eligibility", "languages"),
                f"unknown language {language!r} in eligibility.languages (use ISO 639-1 codes "
                "such as en, id, zh)",
            )
    protocol.document_types = check.strings(eligibility, ("eligibility", "document_types"))
    known_types = sorted(set(DOCUMENT_TYPES.values()))
    for document_type in protocol.document_types:
        if canonical_type(document_type) not in known_types:
            check.problem(
                ("eligibility", "document_types"),
                f"unknown document type {document_type!r} in eligibility.document_types "
                f"(known: {', '.join(known_types)})",
            )

    for name, value in _table(check, data, "periods").items():
        period = check.year_range(value, ("periods", name))
        if period is not None:
            if protocol.years and not (
                protocol.years[0] <= period[0] and period[1] <= protocol.years[1]
            ):
                check.problem(
                    ("periods", name),
                    f"period `{name}` ({period[0]}..{period[1]}) is outside eligibility.years "
                    f"({protocol.years[0]}..{protocol.years[1]})",
                )
            protocol.periods[name] = period

    for name, groups in _table(check, data, "vocabularies").items():
        where: tuple[str | int, ...] = ("vocabularies", name)
        if not isinstance(groups, dict) or not groups:
            check.problem(
                where, f'vocabulary `{name}` must be a table of groups: group = ["term", ...]'
            )
            continue
        protocol.vocabularies[name] = {}
        protocol.vocabulary_groups[name] = {}
        for group, terms in groups.items():
            known = len(check.problems)
            spec = _vocabulary_group(check, groups, (*where, group))
            if spec is None:
                continue
            values = [*spec.terms, *spec.exact]
            if values:
                protocol.vocabularies[name][group] = values
                protocol.vocabulary_groups[name][group] = spec
            elif isinstance(terms, list | dict) and len(check.problems) == known:
                check.problem((*where, group), f"vocabulary group `{name}.{group}` is empty")

    extraction = _table(check, data, "extraction")
    check.unknown_keys(extraction, ("extraction",), "extraction")
    fields = extraction.get("fields", {})
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        check.problem(
            ("extraction", "fields"),
            'extraction.fields must be a table of descriptions: field = "what to write"',
        )
    else:
        for key in fields:
            if not _ID.match(key):
                check.problem(
                    ("extraction", "fields", key),
                    f"extraction field {key!r}: a name is letters, digits, '-', '_' and '.' only",
                )
        protocol.extraction_fields = dict(fields)

    screening = _table(check, data, "screening")
    check.unknown_keys(screening, ("screening",), "screening")
    protocol.exclusion_reasons = check.strings(screening, ("screening", "exclusion_reasons"))
    for key in ("include_terms", "exclude_terms"):
        terms = check.strings(screening, ("screening", key))
        for term in terms:
            if not any(char.isalnum() for char in term):
                check.problem(("screening", key), f"screening.{key} term {term!r} has no letters")
        setattr(protocol, key, terms)
    if "reviewers" in screening:
        protocol.reviewers = _reviewers(check, screening["reviewers"])
    if "stopping" in screening:
        protocol.stopping = _stopping(check, screening["stopping"])

    searches = data.get("searches", [])
    if not isinstance(searches, list):
        check.problem(("searches",), "`searches` must be an array of tables ([[searches]])")
        searches = []
    for index, search in enumerate(searches):
        where = ("searches", index)
        if not isinstance(search, dict):
            check.problem(("searches",), "`searches` must be an array of tables ([[searches]])")
            break
        check.unknown_keys(search, where, "searches")
        string = check.string(search, (*where, "string"), required=True)
        date = check.string(search, (*where, "date"))
        if date and not _valid_date(date):
            check.problem(
                (*where, "date"), f"searches[{index}].date {date!r} is not a date (YYYY-MM-DD)"
            )
        item = Search(
            check.string(search, (*where, "id")) or str(index + 1),
            check.string(search, (*where, "database")),
            string,
            date,
        )
        if string.strip():
            item.query = check.query(string, (*where, "string"), f"search {item.id!r}", protocol)
        protocol.searches.append(item)

    rules = data.get("rules", [])
    if not isinstance(rules, list):
        check.problem(("rules",), "`rules` must be an array of tables ([[rules]])")
        rules = []
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules):
        where = ("rules", index)
        if not isinstance(rule, dict):
            check.problem(("rules",), "`rules` must be an array of tables ([[rules]])")
            break
        check.unknown_keys(rule, where, "rules")
        rule_id = check.string(rule, (*where, "id"), required=True)
        label = f"rule {rule_id!r}" if rule_id else f"rules[{index}]"
        if rule_id and not _ID.match(rule_id):
            check.problem(
                (*where, "id"), f"{label}: an id is letters, digits, '-', '_' and '.' only"
            )
        if rule_id in seen:
            check.problem(
                (*where, "id"), f"{label}: the id is already used by rule {seen[rule_id] + 1}"
            )
        seen.setdefault(rule_id, index)
        stage = check.string(rule, (*where, "stage")) or "title_abstract"
        if stage not in STAGES:
            check.problem(
                (*where, "stage"), f"{label}: unknown stage {stage!r} (use {' or '.join(STAGES)})"
            )
        action = check.string(rule, (*where, "action"), required=True)
        if action and action not in ACTIONS:
            check.problem(
                (*where, "action"),
                f"{label}: unknown action {action!r} (use {', '.join(ACTIONS)})",
            )
        reason = check.string(rule, (*where, "reason"), required=True)
        if (
            action == "exclude"
            and reason
            and protocol.exclusion_reasons
            and reason not in protocol.exclusion_reasons
        ):
            check.problem(
                (*where, "reason"),
                f"{label}: reason {reason!r} is not one of screening.exclusion_reasons",
            )
        text = check.string(rule, (*where, "query"), required=True)
        if text.strip() and check.query(text, (*where, "query"), label, protocol) is None:
            continue
        line = line_of(check.places, where)
        protocol.rules.append(Rule(rule_id, stage, action, reason, text, line))
    return protocol
