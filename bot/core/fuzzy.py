"""``fuzz.ratio`` searches over many strings that compare only those whose length allows a match.

``fuzz.ratio`` is 100 × (1 − d / (a + b)) for strings of lengths a and b at Indel distance d, and
d ≥ |a − b|: a string much shorter or longer than the query can never reach the cutoff. At
100,000 papers the typo layer compared each unknown word of a question with every word of the
index (7 ms a question) and co-author matching each name-like phrase with every author; sorted by
length, only the window of lengths that can reach the cutoff is scored, with the same results.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process

# Up to this many strings, ``scores_each`` scores every query in one cdist call: on a small
# list (the real knowledge base's few thousand words and authors) a call's fixed cost is most of
# its time, and one call per query word cost a question 0.3 ms.
ONE_CALL_STRINGS = 20_000


class ByLength:
    """Strings kept in order of length, for ratio searches with a cutoff; immutable."""

    __slots__ = ("lengths", "order", "sorted_strings")

    def __init__(self, strings: Sequence[str]) -> None:
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
        self.order = np.argsort(lengths, kind="stable")  # position in length order -> index
        self.lengths = lengths[self.order]
        self.sorted_strings = [strings[i] for i in self.order.tolist()]

    def window(self, length: int, cutoff: float) -> tuple[int, int]:
        """The range of length order holding every string that a string of ``length`` characters
        can reach ``cutoff`` (0..100) with; one point of slack covers rounded scores."""
        share = max(cutoff - 1.0, 0.0) / 100.0
        if share <= 0.0:
            return 0, len(self.sorted_strings)
        shortest = math.floor(length * share / (2.0 - share))
        longest = math.ceil(length * (2.0 - share) / share)
        low = int(np.searchsorted(self.lengths, shortest, side="left"))
        high = int(np.searchsorted(self.lengths, longest, side="right"))
        return low, high

    def scores(
        self, query: str, *, cutoff: float, reach: float | None = None, dtype: type = np.float32
    ) -> tuple[np.ndarray, np.ndarray]:
        """(indexes, scores) of the strings scoring ``cutoff`` or more against ``query``,
        indexes ascending, each scored exactly as ``process.cdist(..., scorer=fuzz.ratio,
        score_cutoff=cutoff, dtype=dtype)`` scores it; only strings whose length lets them reach
        ``reach`` (default ``cutoff``) are scored."""
        low, high = self.window(len(query), cutoff if reach is None else reach)
        if high <= low:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=dtype)
        scores = process.cdist(
            [query],
            self.sorted_strings[low:high],
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
            dtype=dtype,
        )[0]
        return self._found(scores, low)

    def _found(self, scores: np.ndarray, low: int) -> tuple[np.ndarray, np.ndarray]:
        """(indexes, scores) of the nonzero ``scores`` of the length-ordered strings from
        ``low`` on, indexes ascending."""
        hits = np.flatnonzero(scores)
        indexes = self.order[low + hits]
        ascending = np.argsort(indexes, kind="stable")
        return indexes[ascending], scores[hits][ascending]

    def scores_each(
        self,
        queries: Sequence[str],
        *,
        cutoff: float,
        reaches: Sequence[float] | None = None,
        dtype: type = np.float32,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """``scores(query, cutoff=cutoff, reach=reach, dtype=dtype)`` for each query (and its
        reach), the same results; a small list is scored in one call for all of them."""
        reach_of = list(reaches) if reaches is not None else [cutoff] * len(queries)
        if len(self.sorted_strings) > ONE_CALL_STRINGS or len(queries) < 2:
            return [
                self.scores(q, cutoff=cutoff, reach=r, dtype=dtype)
                for q, r in zip(queries, reach_of, strict=True)
            ]
        matrix = process.cdist(
            list(queries), self.sorted_strings, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=dtype
        )
        results = []
        for query, reach, row in zip(queries, reach_of, matrix, strict=True):
            low, high = self.window(len(query), reach)
            results.append(self._found(row[low:high], low))
        return results
