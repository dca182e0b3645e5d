"""Tagging: the protocol's vocabularies applied to records, each tag with the words that justify
it; reviewers' corrections; the extraction matrix of the included studies."""

from slr.tagging.vocab import Evidence, GroupSpec, Tag, Tagger

__all__ = ["Evidence", "GroupSpec", "Tag", "Tagger"]
