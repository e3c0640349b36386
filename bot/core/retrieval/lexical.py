"""The lexical layer: BM25F over stemmed terms, with coverage and proximity of a question's words.

Each document is analysed once, sentence by sentence: the sentences' terms make its main field
(a paper's abstract, a post's text, the bio), a bit mask per term records which sentences hold it
(-1: the title or context every sentence is read with), and the surface words feed the typo
layer. ``coverage`` is the share of a question's information (idf-weighted) a document contains;
``proximity`` is the share of what it matches that one sentence (read with its context) holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.core.index import BM25Index, IndexedDocument
from bot.core.models import KnowledgeBase, Post
from bot.core.query import QueryWord
from bot.core.retrieval.documents import (
    FIELDS,
    PROFILE_ID,
    Passages,
    passages,
    thread_context,
    thread_heads,
)
from bot.core.text import analyze, content_words, stem
from bot.core.tuning import TUNING, Tuning

MAX_SENTENCES = 62  # sentences with their own bit in a mask (bit 63 is the sign: context)


@dataclass(frozen=True, slots=True)
class AnalysedCorpus:
    """The output of the one analysis pass: indexable documents and surface -> stem pairs."""

    documents: list[IndexedDocument]
    surfaces: dict[str, str]  # surface word (casefolded) -> its stem, for the typo layer
    passages: list[Passages]


def _sentence_masks(
    context: str, sentences: Sequence[str], person: frozenset[str]
) -> tuple[list[str], dict[str, int]]:
    """The terms of ``sentences`` in order, and term -> mask (-1 for a term of ``context``)."""
    terms: list[str] = []
    masks: dict[str, int] = {}
    for i, sentence in enumerate(sentences):
        sentence_terms = analyze(sentence, extra=person)
        terms += sentence_terms
        if i < MAX_SENTENCES:
            bit = 1 << i
            for term in sentence_terms:
                masks[term] = masks.get(term, 0) | bit
    for term in analyze(context, extra=person):
        masks[term] = -1
    return terms, masks


def analyse_corpus(kb: KnowledgeBase, *, person: frozenset[str]) -> AnalysedCorpus:
    """Analyse every paper, post and the profile of ``kb`` once."""
    texts = passages(kb)
    by_id = {p.doc_id: p for p in texts}
    heads = thread_heads(kb.posts)
    docs: list[IndexedDocument] = []
    for paper in kb.papers:
        passage = by_id[paper.id]
        abstract, masks = _sentence_masks(passage.context, passage.sentences, person)
        docs.append(
            IndexedDocument(
                paper.id,
                {
                    "title": analyze(paper.title, extra=person),
                    "aliases": analyze(" ; ".join(paper.aliases), extra=person),
                    "abstract": abstract,
                    "authors": analyze(" ; ".join(paper.authors), extra=person),
                    "venue": analyze(paper.venue),
                    "year": [str(paper.year)],
                    "topics": analyze(" ".join(t.replace("-", " ") for t in paper.topics)),
                },
                masks,
            )
        )
    for post in kb.posts:
        passage = by_id[post.id]
        text, masks = _sentence_masks(passage.context, passage.sentences, person)
        docs.append(IndexedDocument(post.id, _post_fields(post, text, heads, person), masks))
    profile = kb.profile
    passage = by_id[PROFILE_ID]
    bio, masks = _sentence_masks(passage.context, passage.sentences, frozenset())
    docs.append(
        IndexedDocument(
            PROFILE_ID,
            {"bio": bio + analyze(" ".join(profile.works)), "name": analyze(profile.name)},
            masks,
        )
    )
    surface_texts: Iterable[str] = (
        *(f"{p.title} {' '.join(p.aliases)} {p.abstract}" for p in kb.papers),
        *(f"{p.text} {p.link_title}" for p in kb.posts),
        profile.bio,
    )
    surfaces: dict[str, str] = {}
    for text in surface_texts:
        words = [w for w in dict.fromkeys(content_words(text, extra=person)) if w not in surfaces]
        surfaces.update(zip(words, stem(words), strict=True))
    return AnalysedCorpus(docs, surfaces, texts)


def _post_fields(
    post: Post, text: list[str], heads: dict[str, str], person: frozenset[str]
) -> dict[str, list[str]]:
    quoted = f"{post.quoted.name} {post.quoted.text}" if post.quoted else ""
    # The word itself too, so "the ... thread" finds the thread's posts, not a paper.
    thread = f"thread {thread_context(post, heads)}" if post.thread is not None else ""
    return {
        "text": text,
        "quoted": analyze(quoted, extra=person),
        "thread": analyze(thread, extra=person),
        "link": analyze(post.link_title, extra=person),
    }


@dataclass(frozen=True, slots=True, eq=False)
class LexicalLayer:
    """BM25F scores, coverage and proximity over one index; immutable once built."""

    index: BM25Index
    tuning: Tuning = TUNING

    @classmethod
    def build(
        cls, documents: Sequence[IndexedDocument], *, tuning: Tuning = TUNING
    ) -> LexicalLayer:
        """Index ``documents`` with the BM25F field weights."""
        return cls(BM25Index.build(documents, fields=FIELDS), tuning)

    def to_state(self) -> dict[str, Any]:
        """The index, for the engine cache (the tuning is the code's)."""
        return self.index.to_state()

    @classmethod
    def from_state(cls, state: dict[str, Any], *, tuning: Tuning = TUNING) -> LexicalLayer:
        """The layer ``to_state`` described."""
        return cls(BM25Index.from_state(state), tuning)

    def query_weights(self, words: Sequence[QueryWord]) -> dict[int, float]:
        """Term row -> query weight: a compound's terms share one word's weight, and a word found
        through a typo correction or a synonym counts less than one found as written."""
        weighted: dict[int, float] = {}
        for word in words:
            share = 1.0 / word.parts**self.tuning.compound_share
            for row, sim in word.terms:
                weight = share * (1.0 if sim >= 1.0 else self.tuning.fuzzy_weight * sim)
                weighted[row] = max(weighted.get(row, 0.0), weight)
        return weighted

    def scores(self, words: Sequence[QueryWord]) -> np.ndarray:
        """Every document's BM25F score for the question's words."""
        return self.index.score_terms(self.query_weights(words))

    def positions(self, words: Sequence[QueryWord], rows: np.ndarray) -> dict[int, np.ndarray]:
        """Each term of ``words`` -> its postings positions in ``rows`` (-1: absent), for
        ``coverages`` and ``proximities`` to share."""
        return {
            term: self.index.positions_many(term, rows) for word in words for term, _ in word.terms
        }

    def coverages(
        self,
        words: Sequence[QueryWord],
        rows: np.ndarray,
        positions: dict[int, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per document row: the share of the question's information it contains, how many of
        its words it matches, and how many of those are spelt as written. Years are left out:
        a year matches an eighth of the papers, metadata rather than topic evidence."""
        if positions is None:
            positions = self.positions(words, rows)
        n = len(rows)
        covered = np.zeros(n)
        matched = np.zeros(n, dtype=np.int64)
        exact = np.zeros(n, dtype=np.int64)
        total = 0.0
        for word in words:
            if word.is_year:
                continue
            total += word.idf
            best = np.zeros(n)
            for row, sim in word.terms:
                np.maximum(best, sim * (positions[row] >= 0), out=best)
            covered += word.idf * best
            found = best > 0
            matched += found
            if word.exact:
                exact += found
        return (covered / total if total else covered), matched, exact

    def proximities(
        self,
        words: Sequence[QueryWord],
        rows: np.ndarray,
        coverages: np.ndarray,
        positions: dict[int, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Per document row: the share of its matched information one sentence (with the
        document's context) holds; 1.0 for an index built without sentence masks."""
        out = np.ones(len(rows))
        info = [0.0 if w.is_year else w.idf for w in words]
        total = sum(info)
        if not total or self.index.masks is None:
            return out
        if positions is None:
            positions = self.positions(words, rows)
        masks_per_word = []
        for word in words:
            combined = np.zeros(len(rows), dtype=np.int64)
            for row, _ in word.terms:
                combined |= self.index.masks_at(positions[row])
            masks_per_word.append(combined)
        for d in range(len(rows)):
            if coverages[d] <= 0:
                continue
            per_sentence: dict[int, float] = {}
            context = 0.0
            for word, weight, masks in zip(words, info, masks_per_word, strict=True):
                mask = int(masks[d])
                if not mask or not weight:
                    continue
                sim = max(s for _, s in word.terms)
                if mask < 0:
                    context += weight * sim
                    continue
                while mask:
                    bit = mask & -mask
                    per_sentence[bit] = per_sentence.get(bit, 0.0) + weight * sim
                    mask ^= bit
            held = (context + max(per_sentence.values(), default=0.0)) / total
            out[d] = min(1.0, held / coverages[d])
        return out
