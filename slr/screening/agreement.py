"""Inter-rater agreement: percent agreement, Cohen's kappa (two raters), Fleiss' kappa (more).

Pure functions over ratings: `ratings[i]` holds one category per rater for item i, in the same
rater order for every item. Only items every rater decided are counted (kappa needs them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# Landis & Koch (1977), "The measurement of observer agreement for categorical data".
LANDIS_KOCH = (
    (0.0, "poor"),
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
    (1.0, "almost perfect"),
)


def landis_koch(kappa: float | None) -> str:
    """The Landis–Koch label of a kappa: <0 poor, 0–0.20 slight, 0.21–0.40 fair, 0.41–0.60
    moderate, 0.61–0.80 substantial, 0.81–1 almost perfect."""
    if kappa is None:
        return "undefined"
    if kappa < 0:
        return "poor"
    for upper, label in LANDIS_KOCH[1:]:
        if kappa <= upper + 1e-12:
            return label
    return "almost perfect"


@dataclass(slots=True)
class Agreement:
    raters: int
    items: int
    percent: float | None  # observed agreement, 0..100 (pairwise for more than two raters)
    kappa: float | None  # None when undefined (chance agreement is 1: one category only)
    method: str  # "Cohen" or "Fleiss"
    observed: float | None
    expected: float | None

    @property
    def label(self) -> str:
        return landis_koch(self.kappa)


def cohen(pairs: Sequence[tuple[str, str]]) -> Agreement:
    """Cohen's kappa of two raters: (po - pe) / (1 - pe), pe from each rater's own margins."""
    n = len(pairs)
    if n == 0:
        return Agreement(2, 0, None, None, "Cohen", None, None)
    observed = sum(1 for a, b in pairs if a == b) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in first) / (n * n)
    kappa = None if expected >= 1 else (observed - expected) / (1 - expected)
    return Agreement(2, n, 100 * observed, kappa, "Cohen", observed, expected)


def fleiss(ratings: Sequence[Sequence[str]]) -> Agreement:
    """Fleiss' kappa of m raters over N items: (P̄ - P̄e) / (1 - P̄e)."""
    n_items = len(ratings)
    if n_items == 0:
        return Agreement(0, 0, None, None, "Fleiss", None, None)
    m = len(ratings[0])
    if m < 2 or any(len(r) != m for r in ratings):
        raise ValueError("Fleiss' kappa needs the same number (2 or more) of ratings per item")
    totals: Counter[str] = Counter()
    p_items = []
    for row in ratings:
        counts = Counter(row)
        totals.update(counts)
        p_items.append((sum(c * c for c in counts.values()) - m) / (m * (m - 1)))
    observed = sum(p_items) / n_items
    expected = sum((t / (n_items * m)) ** 2 for t in totals.values())
    kappa = None if expected >= 1 else (observed - expected) / (1 - expected)
    return Agreement(m, n_items, 100 * observed, kappa, "Fleiss", observed, expected)


def agreement(ratings: Sequence[Sequence[str]]) -> Agreement:
    """Cohen's kappa for two raters, Fleiss' for more."""
    if ratings and len(ratings[0]) == 2:
        return cohen([(r[0], r[1]) for r in ratings])
    return fleiss(ratings)
