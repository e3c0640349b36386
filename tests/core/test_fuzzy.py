"""ByLength scores only strings whose length can reach the cutoff, with cdist's exact results."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from bot.core.fuzzy import ByLength

WORDS = st.text(alphabet="abcdeé -", min_size=0, max_size=14)


@settings(max_examples=300, deadline=None)
@given(
    strings=st.lists(WORDS, min_size=1, max_size=40),
    query=WORDS,
    cutoff=st.sampled_from([0.0, 50.0, 70.0, 78.0, 85.0, 100.0]),
    dtype=st.sampled_from([np.uint8, np.float32]),
)
def test_same_hits_and_scores_as_cdist_over_every_string(
    strings: list[str], query: str, cutoff: float, dtype: type
) -> None:
    """Every string scoring the cutoff or more, in input order, with cdist's own score."""
    full = process.cdist([query], strings, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=dtype)[0]
    indexes, scores = ByLength(strings).scores(query, cutoff=cutoff, dtype=dtype)
    expected = np.flatnonzero(full)
    assert indexes.tolist() == expected.tolist()
    assert scores.tolist() == full[expected].tolist()


def test_a_stricter_reach_skips_only_strings_that_cannot_reach_it() -> None:
    """With reach above cutoff, strings too short or long for reach are not scored at all."""
    strings = ["transformer", "transformers", "trans", "transformerxxxxxxxxxxxx"]
    indexes, scores = ByLength(strings).scores("transformr", cutoff=70.0, reach=85.0)
    assert indexes.tolist() == [0, 1] and scores.min() >= 85


@settings(max_examples=200, deadline=None)
@given(
    strings=st.lists(WORDS, min_size=1, max_size=40),
    queries=st.lists(WORDS, min_size=0, max_size=5),
    cutoff=st.sampled_from([0.0, 50.0, 70.0, 85.0]),
    extra=st.sampled_from([0.0, 5.0, 15.0]),
)
def test_scores_each_gives_what_scores_gives_per_query(
    strings: list[str], queries: list[str], cutoff: float, extra: float
) -> None:
    """One call for a small list, the same hits and scores as a call per query and reach."""
    by_length = ByLength(strings)
    reaches = [min(cutoff + extra * (i % 2), 100.0) for i in range(len(queries))]
    together = by_length.scores_each(queries, cutoff=cutoff, reaches=reaches)
    for query, reach, (indexes, scores) in zip(queries, reaches, together, strict=True):
        alone_indexes, alone_scores = by_length.scores(query, cutoff=cutoff, reach=reach)
        assert indexes.tolist() == alone_indexes.tolist()
        assert scores.tolist() == alone_scores.tolist()
