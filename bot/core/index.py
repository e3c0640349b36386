"""A BM25F index over analysed documents, scored eagerly with numpy (the bm25s shape).

Each document has named fields (title, abstract, ...) with their own weight and length
normalisation; a term's per-field frequencies are combined before the BM25 saturation (BM25F), so a
word repeated in the title and the abstract is not counted as two independent matches. Every
(term, document) score is computed at build time; a query only gathers and adds postings.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from bot.core.state import Lines, StateError, array_of, rows_within


class Hit(NamedTuple):
    """One ranked document: its id and its score (higher is better)."""

    doc_id: str
    score: float


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How much a field counts (``weight``) and how strongly its length is normalised (``b``)."""

    weight: float
    b: float = 0.75


class IndexedDocument(NamedTuple):
    """A document ready to index: its id, the analysed terms of each field and, optionally, for
    each term, a bit mask of the document's sentences that hold it (-1: its title or context)."""

    doc_id: str
    fields: Mapping[str, Sequence[str]]
    masks: Mapping[str, int] | None = None


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one per build
class BM25Index:
    """An immutable BM25F index: a CSR matrix of precomputed term scores, one row per term."""

    doc_ids: tuple[str, ...]
    vocabulary: Mapping[str, int]  # term -> row
    idf: np.ndarray  # float32, per term
    indptr: np.ndarray  # int64, len(vocabulary) + 1
    postings: np.ndarray  # int32 document rows, ascending within a term
    scores: np.ndarray  # float32, the BM25F score of (term, document)
    k1: float
    masks: np.ndarray | None = None  # int64 per posting: the sentences holding it (see above)

    @classmethod
    def build(
        cls,
        documents: Sequence[IndexedDocument],
        *,
        fields: Mapping[str, FieldSpec],
        k1: float = 1.2,
    ) -> BM25Index:
        """Index ``documents``; a field not named in ``fields`` is an error, never dropped."""
        field_names = list(fields)
        field_pos = {name: i for i, name in enumerate(field_names)}
        n_docs = len(documents)
        lengths = np.zeros((n_docs, len(field_names)), dtype=np.float64)
        for d, doc in enumerate(documents):
            for name, terms in doc.fields.items():
                if name not in field_pos:
                    raise ValueError(f"unknown field {name!r}; valid: {', '.join(field_names)}")
                lengths[d, field_pos[name]] = len(terms)
        weights = np.array([fields[n].weight for n in field_names])
        bs = np.array([fields[n].b for n in field_names])
        avg = lengths.mean(axis=0) if n_docs else np.ones(len(field_names))
        avg[avg == 0] = 1.0
        norm = (weights / (1.0 - bs + bs * lengths / avg)).tolist()  # per (document, field)

        # One (term, document, field-weighted tf) triple per pair, in document order; compact
        # typed arrays rather than lists of Python objects keep a 100k-document build small.
        vocabulary: dict[str, int] = {}
        term_rows = array("i")
        doc_rows = array("i")
        pair_tf = array("d")
        pair_mask = array("q")
        with_masks = any(doc.masks is not None for doc in documents)
        for d, doc in enumerate(documents):
            combined: dict[str, float] = {}
            doc_norm = norm[d]
            for name, terms in doc.fields.items():
                f_norm = doc_norm[field_pos[name]]
                for term, count in Counter(terms).items():
                    combined[term] = combined.get(term, 0.0) + count * f_norm
            masks = doc.masks or {}
            for term, value in combined.items():
                term_rows.append(vocabulary.setdefault(term, len(vocabulary)))
                doc_rows.append(d)
                pair_tf.append(value)
                if with_masks:
                    pair_mask.append(masks.get(term, 0))

        n_terms = len(vocabulary)
        terms_arr = np.frombuffer(term_rows, dtype=np.int32) if term_rows else np.zeros(0, np.int32)
        # A stable sort by term keeps each term's documents ascending, as ``contains`` needs.
        order = np.argsort(terms_arr, kind="stable")
        pair_term = terms_arr[order]
        postings = (np.frombuffer(doc_rows, dtype=np.int32) if doc_rows else np.zeros(0, np.int32))[
            order
        ]
        tf = (np.frombuffer(pair_tf, dtype=np.float64) if pair_tf else np.zeros(0))[order]
        masks = (
            (np.frombuffer(pair_mask, dtype=np.int64) if pair_mask else np.zeros(0, np.int64))[
                order
            ]
            if with_masks
            else None
        )
        del order, terms_arr

        df = np.bincount(pair_term, minlength=n_terms).astype(np.float64)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        scores = (idf[pair_term] * tf * (k1 + 1.0) / (tf + k1)).astype(np.float32)
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df.astype(np.int64), out=indptr[1:])
        return cls(
            doc_ids=tuple(doc.doc_id for doc in documents),
            vocabulary=vocabulary,
            idf=idf.astype(np.float32),
            indptr=indptr,
            postings=np.ascontiguousarray(postings),
            scores=scores,
            k1=k1,
            masks=masks,
        )

    def to_state(self) -> dict[str, Any]:
        """The arrays and the vocabulary (terms in row order), for the engine cache."""
        state: dict[str, Any] = {
            "doc_ids": Lines(self.doc_ids),
            "terms": Lines(self.vocabulary),  # rows are given in insertion order
            "idf": self.idf,
            "indptr": self.indptr,
            "postings": self.postings,
            "scores": self.scores,
            "k1": self.k1,
        }
        if self.masks is not None:
            state["masks"] = self.masks
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> BM25Index:
        """The index ``to_state`` described; StateError if its arrays do not fit together."""
        terms, doc_ids = state["terms"], tuple(state["doc_ids"])
        idf, indptr = array_of(state, "idf", "float32"), array_of(state, "indptr", "int64")
        postings, scores = (
            array_of(state, "postings", "int32"),
            array_of(state, "scores", "float32"),
        )
        masks = array_of(state, "masks", "int64") if "masks" in state else None
        pairs = postings.size
        if (
            idf.size != len(terms)
            or indptr.size != len(terms) + 1
            or scores.size != pairs
            or (masks is not None and masks.size != pairs)
            or int(indptr[0]) != 0
            or int(indptr[-1]) != pairs
        ):
            raise StateError("index arrays of different lengths")
        return cls(
            doc_ids=doc_ids,
            vocabulary={term: row for row, term in enumerate(terms)},
            idf=idf,
            indptr=indptr,
            postings=rows_within(postings, len(doc_ids), "postings"),
            scores=scores,
            k1=float(state["k1"]),
            masks=masks,
        )

    @property
    def max_idf(self) -> float:
        """The idf a term found in no document would have: how informative an unknown word is."""
        n = len(self.doc_ids)
        return math.log1p((n + 0.5) / 0.5)

    def score_terms(self, weighted_terms: Mapping[int, float]) -> np.ndarray:
        """Return every document's score for ``{term row: query weight}`` (one dense vector)."""
        n = len(self.doc_ids)
        if not weighted_terms:
            return np.zeros(n, dtype=np.float64)
        rows = []
        vals = []
        for row, weight in weighted_terms.items():
            lo, hi = self.indptr[row], self.indptr[row + 1]
            rows.append(self.postings[lo:hi])
            vals.append(self.scores[lo:hi] * weight)
        return np.bincount(np.concatenate(rows), weights=np.concatenate(vals), minlength=n)

    def contains_many(self, term_row: int, doc_rows: np.ndarray) -> np.ndarray:
        """Whether each of ``doc_rows`` contains the term in row ``term_row`` (bool array)."""
        return self.positions_many(term_row, doc_rows) >= 0

    def masks_many(self, term_row: int, doc_rows: np.ndarray) -> np.ndarray:
        """The sentence mask of the term in each of ``doc_rows`` (0 where absent; int64)."""
        return self.masks_at(self.positions_many(term_row, doc_rows))

    def masks_at(self, positions: np.ndarray) -> np.ndarray:
        """The sentence masks at ``positions`` from ``positions_many`` (0 where absent)."""
        out = np.zeros(positions.shape, dtype=np.int64)
        if self.masks is not None:
            found = positions >= 0
            out[found] = self.masks[positions[found]]
        return out

    def positions_many(self, term_row: int, doc_rows: np.ndarray) -> np.ndarray:
        """Where (term, document) is in the postings for each of ``doc_rows``, -1 if absent:
        one look-up that ``>= 0`` and ``masks_at`` both read, so callers asking both pay once."""
        lo, hi = int(self.indptr[term_row]), int(self.indptr[term_row + 1])
        if hi == lo:
            return np.full(doc_rows.shape, -1, dtype=np.int64)
        postings = self.postings[lo:hi]
        i = np.minimum(np.searchsorted(postings, doc_rows), postings.size - 1)
        return np.where(postings[i] == doc_rows, i + lo, -1)

    def search(self, terms: Sequence[str], *, k: int = 10) -> list[Hit]:
        """Rank documents for analysed query ``terms`` (plain BM25F, no typo handling)."""
        weighted: dict[int, float] = {}
        for term in terms:
            row = self.vocabulary.get(term)
            if row is not None:
                weighted[row] = weighted.get(row, 0.0) + 1.0
        return self.top_k(self.score_terms(weighted), k=k)

    def top_k(self, scores: np.ndarray, *, k: int) -> list[Hit]:
        """The ``k`` best positive-scoring documents, best first, ties broken by document order."""
        positive = np.flatnonzero(scores > 0)
        if positive.size == 0 or k <= 0:
            return []
        if positive.size > k:
            part = np.argpartition(-scores[positive], k - 1)[:k]
            positive = positive[part]
        order = np.lexsort((positive, -scores[positive]))
        return [Hit(self.doc_ids[i], float(scores[i])) for i in positive[order]]
