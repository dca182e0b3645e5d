"""Screening: the automatic rule engine (pure) and the runs that store its decisions."""

from slr.screening.engine import (
    ACTIONS,
    STAGES,
    AutoDecision,
    CompiledRule,
    Matcher,
    QueryError,
    Rule,
    VocabularyMatcher,
    compile_rules,
    decide,
)
from slr.screening.text import RecordText, Span

__all__ = [
    "ACTIONS",
    "STAGES",
    "AutoDecision",
    "CompiledRule",
    "Matcher",
    "QueryError",
    "RecordText",
    "Rule",
    "Span",
    "VocabularyMatcher",
    "compile_rules",
    "decide",
]
