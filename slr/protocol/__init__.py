"""Protocol files (TOML) and the query language their rules and searches are written in."""

from slr.protocol.model import Protocol, Search, load_protocol, parse_protocol
from slr.protocol.query import Query, QuerySyntaxError, parse_query

__all__ = [
    "Protocol",
    "Query",
    "QuerySyntaxError",
    "Search",
    "load_protocol",
    "parse_protocol",
    "parse_query",
]
