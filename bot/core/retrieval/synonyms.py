"""Query expansion from the admins' synonym groups (``knowledge/synonyms.yaml``) and the profile.

A group lists equivalent terms, in the spirit of Elasticsearch's equivalent synonyms or
Meilisearch's multi-way synonyms: ``[language model, LM]``. A question holding one member (matched
on stems, so plurals match too) lets the word that member stands for also match the other
members, at ``Tuning.synonym_similarity`` of an exact match: an expansion is an alternative of a
word of the question, never an extra word, so it cannot outweigh what was asked.

The works his bio names give one-way expansions of the same kind: a proper name found only in the
profile ("Cicero" of "Cicero Diplomacy bot") also matches the work's other proper names, which the
rest of the knowledge base uses ("Diplomacy").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.text import STOPWORDS, normalize, stem, tokenize
from bot.core.tuning import TUNING, Tuning


@dataclass(frozen=True, slots=True)
class _Member:
    stems: tuple[str, ...]  # every token's stem, stopwords included, for phrase matching
    head: int  # position of the first informative token: the question word it stands for
    rows: tuple[int, ...]  # the index term it adds when another member is asked


@dataclass(frozen=True, slots=True, eq=False)
class SynonymTable:
    """Phrase -> equivalent index terms, for one knowledge base; immutable once built."""

    groups: tuple[tuple[_Member, ...], ...]
    similarity: tuple[float, ...]  # per group
    one_way: tuple[bool, ...]  # per group: only its first member expands (a bio work's name)
    first_stems: dict[str, tuple[tuple[int, int], ...]]  # first stem -> (group, member) pairs

    @classmethod
    def build(
        cls,
        groups: Sequence[Sequence[str]],
        *,
        vocabulary: Mapping[str, int],
        idf: np.ndarray,
        work_names: Sequence[Sequence[str]] = (),
        tuning: Tuning = TUNING,
    ) -> SynonymTable:
        """Compile ``groups`` (and the bio's ``work_names``) against one index vocabulary."""
        compiled: list[tuple[_Member, ...]] = []
        similarity: list[float] = []
        one_way: list[bool] = []
        for group, weight, directed in [
            *((g, tuning.synonym_similarity, False) for g in groups),
            *((w, tuning.work_word_similarity, True) for w in work_names),
        ]:
            members = tuple(m for m in (_member(t, vocabulary, idf) for t in group) if m)
            if len(members) >= 2:
                compiled.append(members)
                similarity.append(weight)
                one_way.append(directed)
        first: dict[str, list[tuple[int, int]]] = {}
        for g, members in enumerate(compiled):
            for m, member in enumerate(members[:1] if one_way[g] else members):
                first.setdefault(member.stems[0], []).append((g, m))
        return cls(
            tuple(compiled),
            tuple(similarity),
            tuple(one_way),
            {k: tuple(v) for k, v in first.items()},
        )

    def expansions(self, normalized: str) -> list[tuple[str, tuple[int, ...], float]]:
        """(question word, index terms it may also match, similarity) for each member the
        question holds; the question word is the member's first informative token as written."""
        tokens = tokenize(normalized, joined=False)
        stems = stem(tokens)
        out: list[tuple[str, tuple[int, ...], float]] = []
        for start, first in enumerate(stems):
            for g, m in self.first_stems.get(first, ()):
                member = self.groups[g][m]
                end = start + len(member.stems)
                if tuple(stems[start:end]) != member.stems:
                    continue
                rows = tuple(
                    row for i, other in enumerate(self.groups[g]) if i != m for row in other.rows
                )
                if rows:
                    out.append((tokens[start + member.head], rows, self.similarity[g]))
        return out


def _member(text: str, vocabulary: Mapping[str, int], idf: np.ndarray) -> _Member | None:
    tokens = tokenize(normalize(text), joined=False)
    if not tokens:
        return None
    stems = stem(tokens)
    informative = [i for i, t in enumerate(tokens) if t not in STOPWORDS]
    if not informative:
        return None
    # A member stands for its most specific indexed term (the rarest of its words, or its
    # joined form: "low-bit" -> "lowbit" where the index has it).
    rows = [vocabulary[s] for s in (stems[i] for i in informative) if s in vocabulary]
    joined = stem(["".join(tokens)])[0]
    if len(tokens) > 1 and joined in vocabulary:
        rows.append(vocabulary[joined])
    best = max(rows, key=lambda r: float(idf[r]), default=None)
    return _Member(tuple(stems), informative[0], (best,) if best is not None else ())
