"""`slr screen --order relevance`: a reviewer's queue in the ranking model's order, retrained in
a background thread as decisions arrive, so that a key press never waits for a model.

Each reviewer's ranking is trained on that reviewer's own decisions only (include and maybe as
relevant, exclude as not), with the protocol rules' includes and excludes as prior knowledge
(weighted below a person's decision, slr/screening/ranking.py): blind screening stays blind.
Until the reviewer has one include and one exclude, the order is the rules' includes first,
then the rest in a random order drawn from the seed. When the stopping rule asks for records
drawn at random (the statistical rule's sample, SAFE's training set), they come from a seeded
permutation of the queue; when SAFE moves to its third phase, another model ranks.

The thread reads no database: the texts are read before it starts, and it publishes each new
order by swapping one reference under a lock. A key press takes the first record of the latest
order that the reviewer has not decided.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from slr.screening.ranking import DEFAULT_MODEL, Ranker, model_named
from slr.screening.stopping import RANDOM

SECOND_MODEL = "nb"  # SAFE's third phase: a different model over the same features


@dataclass(frozen=True, slots=True)
class Ranked:
    """The record to show next, where it stands and why."""

    record_id: int
    rank: int  # 1 = the likeliest inclusion among the records the reviewer has not decided
    score: float | None  # the model's score (None before the model has ranked)
    source: str  # "model", "rules first, then random" or "random sample"


class RelevanceOrder:
    """The order of one reviewer's queue (record ids), kept fresh by a background thread."""

    def __init__(
        self,
        ids: Sequence[int],
        texts: Sequence[str] | Callable[[], Sequence[str]],
        prior: Mapping[int, bool],
        seed: int = 0,
        model: str = DEFAULT_MODEL,
        candidates: Iterable[int] | None = None,
    ) -> None:
        """`ids` and `texts`: every record the model learns from (the rules' exclusions too);
        `texts` may be a function, called in the background thread (reading 100,000 records
        takes seconds the reviewer should not wait for); `candidates`: those the reviewer is
        asked about (default: all of `ids`)."""
        self.ids = list(ids)
        self.position = {rid: index for index, rid in enumerate(self.ids)}
        self.prior = {self.position[r]: v for r, v in prior.items() if r in self.position}
        self.seed = seed
        self.model = model
        wanted = set(self.ids if candidates is None else candidates)
        self.candidates = [rid for rid in self.ids if rid in wanted]
        rng = np.random.default_rng(seed)
        shuffled = [self.candidates[i] for i in rng.permutation(len(self.candidates))]
        # the cold start: the rules' includes first, then random (seeded)
        self.fallback = [r for r in shuffled if prior.get(r) is True] + [
            r for r in shuffled if prior.get(r) is not True
        ]
        self.random = [
            self.candidates[i]
            for i in np.random.default_rng(seed + 1).permutation(len(self.candidates))
        ]
        self._texts = texts
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._closed = False
        self._labels: dict[int, bool] = {}
        self._asked_model = model
        self._version = 0
        self._order: list[int] = self.fallback
        self._scores: np.ndarray | None = None
        self._modelled = False  # the order is the model's (not the cold start's)
        self._ranked_version = -1  # the version of the labels the order was trained on
        self.trained_on = 0
        self.failure = ""  # why the model could not rank, shown on the screen
        self._ranker: Ranker | None = None
        self._thread = threading.Thread(target=self._work, name="slr-ranking", daemon=True)
        self._thread.start()

    # -- the main thread ---------------------------------------------------------------------------

    def update(self, labels: Mapping[int, bool], model: str | None = None) -> None:
        """The reviewer's decisions now (record id -> relevant); retraining starts in the
        background and this returns at once."""
        with self._lock:
            self._labels = dict(labels)
            self._asked_model = model or self.model
            self._version += 1
        self._wanted.set()

    def next(self, skip: set[int], source: str = "ranking") -> Ranked | None:
        """The first record of the latest order not in `skip` (decided or skipped); from the
        random permutation when the stopping rule asks for a random sample."""
        with self._lock:
            order, scores, ranked = self._order, self._scores, self._modelled
        if source == RANDOM:
            order, scores, kind = self.random, None, "random sample"
        else:
            kind = "model" if ranked else "rules first, then random"
        rank = 0
        for rid in order:
            if rid in skip:
                continue
            rank += 1
            score = None if scores is None else float(scores[self.position[rid]])
            return Ranked(rid, rank, score, kind)
        return None

    def ready(self) -> bool:
        """True when the latest labels have been ranked (tests and benchmarks wait for it)."""
        with self._lock:
            return self._ranked_version == self._version

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait until the latest labels are ranked (or the cold start keeps its order)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready():
                return True
            time.sleep(0.005)
        return False

    def close(self) -> None:
        self._closed = True
        self._wanted.set()

    # -- the background thread ---------------------------------------------------------------------

    def _work(self) -> None:
        ids = np.asarray(self.ids, dtype=np.int64)
        wanted = np.zeros(len(self.ids), dtype=bool)
        wanted[[self.position[rid] for rid in self.candidates]] = True
        while not self._closed:
            self._wanted.wait()
            self._wanted.clear()
            if self._closed:
                return
            with self._lock:
                labels, version, model = dict(self._labels), self._version, self._asked_model
            known = {self.position[r]: v for r, v in labels.items() if r in self.position}
            if not (any(known.values()) and not all(known.values())):
                with self._lock:  # the cold start: the rules' includes first, then random
                    self._order, self._scores, self._modelled = self.fallback, None, False
                    self._ranked_version = version
                if version != self._version:
                    self._wanted.set()
                continue
            try:
                scores = self._scores_for(known, model)
            except Exception as error:  # the screen goes on in its last order, and says why
                with self._lock:
                    self.failure = f"the ranking failed ({type(error).__name__}: {error})"
                    self._ranked_version = version
                continue
            ranked = np.argsort(-scores, kind="stable")
            # numpy, not a Python loop: the key presses share this interpreter's lock
            order = ids[ranked[wanted[ranked]]].tolist()
            with self._lock:
                self._order, self._scores, self._modelled = order, scores, True
                self._ranked_version = version
                self.trained_on = len(known)
            if version != self._version:
                self._wanted.set()  # labels arrived while training: train again

    def _scores_for(self, known: dict[int, bool], model: str) -> np.ndarray:
        if self._ranker is None:
            texts = self._texts() if callable(self._texts) else self._texts
            self._ranker = Ranker.fit(texts, self.model)  # the slow part, once
        ranker = self._ranker
        if model != ranker.model.name:
            ranker = Ranker(ranker.matrix, model_named(model))
        return ranker.scores(known, self.prior, self.seed)


def own_labels(decisions: Iterable[tuple[int, str]]) -> dict[int, bool]:
    """A reviewer's decisions as labels: include and maybe relevant, exclude not."""
    return {rid: decision in ("include", "maybe", "flag") for rid, decision in decisions}
