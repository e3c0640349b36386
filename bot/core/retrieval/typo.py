"""The typo layer: correct a question's unknown words against the index's own surface words.

One vectorised ``rapidfuzz.process.cdist`` call per unknown word of a question corrects it,
over the index words whose length allows a match (``bot.core.fuzzy``). A corrected word stands
for every index word as close as the best one ("neighbour" -> neighbor, neighbors), with its
similarity (0..1) as the share of an exact match it is worth. A word that is itself a common
English word ("president") is not a typo: it is never corrected into a rare look-alike of the
index ("present"), so an everyday question does not borrow a topic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.core.fuzzy import ByLength
from bot.core.state import Lines, StateError, array_of, rows_within
from bot.core.text import content_words, stem
from bot.core.tuning import TUNING, Tuning

VARIANTS = 5  # index words a corrected word may stand for


@dataclass(frozen=True, slots=True, eq=False)
class TypoCorrector:
    """Corrects words against the surface words of one index; immutable once built."""

    surfaces: tuple[str, ...]  # index words as written (casefolded), 4+ letters
    surface_terms: tuple[int, ...]  # the term row of each surface word
    tuning: Tuning = TUNING
    is_common_word: Callable[[str], bool] | None = None  # an ordinary English word?
    by_length: ByLength = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_length", ByLength(self.surfaces))

    @classmethod
    def build(
        cls, texts: Iterable[str], vocabulary: Mapping[str, int], *, tuning: Tuning = TUNING
    ) -> TypoCorrector:
        """Collect the surface words of ``texts`` whose stem is an index term."""
        surfaces: dict[str, str] = {}
        for text in texts:
            words = [w for w in dict.fromkeys(content_words(text)) if w not in surfaces]
            surfaces.update(zip(words, stem(words), strict=True))
        return cls.from_surfaces(surfaces, vocabulary, tuning=tuning)

    @classmethod
    def from_surfaces(
        cls,
        surfaces: Mapping[str, str],
        vocabulary: Mapping[str, int],
        *,
        tuning: Tuning = TUNING,
        is_common_word: Callable[[str], bool] | None = None,
    ) -> TypoCorrector:
        """Keep the surface words (word -> stem) of 4+ letters whose stem is an index term."""
        rows = {
            word: vocabulary[term]
            for word, term in surfaces.items()
            if term in vocabulary and len(word) >= tuning.fuzzy_min_length and not word.isdigit()
        }
        return cls(tuple(rows), tuple(rows.values()), tuning, is_common_word)

    def to_state(self) -> dict[str, Any]:
        """The surface words and their term rows, for the engine cache."""
        if self.is_common_word is not None:
            raise ValueError("a corrector with a common-word test cannot be saved")
        return {
            "surfaces": Lines(self.surfaces),
            "surface_terms": np.asarray(self.surface_terms, dtype=np.int32),
        }

    @classmethod
    def from_state(
        cls, state: dict[str, Any], *, terms: int, tuning: Tuning = TUNING
    ) -> TypoCorrector:
        """The corrector ``to_state`` described, for an index of ``terms`` term rows."""
        surfaces = tuple(state["surfaces"])
        rows = rows_within(array_of(state, "surface_terms", "int32"), terms, "surface_terms")
        if rows.size != len(surfaces):
            raise StateError("surface words and their terms differ in number")
        return cls(surfaces, tuple(rows.tolist()), tuning)

    def cutoff(self, word: str) -> float:
        """The rapidfuzz ratio a correction of ``word`` needs (stricter for short words)."""
        return self.tuning.fuzzy_cutoffs.get(len(word), self.tuning.fuzzy_cutoff_long)

    def correct(self, words: Sequence[str]) -> dict[str, tuple[tuple[int, float], ...]]:
        """Word -> ((term row, similarity), ...) for each word that has a correction."""
        candidates = [
            w
            for w in words
            if len(w) >= self.tuning.fuzzy_min_length
            and not w.isdigit()
            and not (self.is_common_word is not None and self.is_common_word(w))
        ]
        if not candidates or not self.surfaces:
            return {}
        cutoff = min(self.cutoff(w) for w in candidates)
        corrected: dict[str, tuple[tuple[int, float], ...]] = {}
        # Only the index words whose length can reach a word's own cutoff are scored.
        scored = self.by_length.scores_each(
            candidates, cutoff=cutoff, reaches=[self.cutoff(w) for w in candidates], dtype=np.uint8
        )
        for word, (cols, row_scores) in zip(candidates, scored, strict=True):
            best = int(row_scores.max()) if row_scores.size else 0
            if best < self.cutoff(word):
                continue
            terms: dict[int, float] = {}
            for col in cols[row_scores >= best][:VARIANTS].tolist():
                terms[self.surface_terms[col]] = best / 100.0
            corrected[word] = tuple(terms.items())
        return corrected
