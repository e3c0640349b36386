"""The retriever: ranks papers, posts and the profile for a ``Query`` and decides whether to answer.

Layers, each in its own module and testable alone:
1. **lexical** (``lexical.py``): BM25F over stemmed terms, with the question's coverage and the
   proximity of its words in one sentence;
2. **typo** (``typo.py``) and **synonyms** (``synonyms.py``): alternatives of the question's words,
   resolved while the ``Query`` is built;
3. **alias** (``aliases.py``): documents the question names by a short name or a title;
4. **semantic** (``semantic.py``): cosine similarity of static embeddings, of whole documents and
   of single sentences;
5. **fusion** (``decision.py``, the ranker): a learned linear combination of the layers' evidence
   over the union of the lexical, semantic and named candidates;
6. **answerability** (``decision.py``, the decision): the probability that the best candidate
   answers the question, and the thresholds for answering, answering tentatively or declining.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.core.models import Confidence, KnowledgeBase, SourceKind
from bot.core.query import (
    Cue,
    Intent,
    IntentTable,
    Query,
    QueryWord,
    parse_query,
    person_words,
)
from bot.core.retrieval.aliases import AliasLayer
from bot.core.retrieval.decision import (
    DecisionFileError,
    DecisionModel,
    choose_model,
    load_models,
)
from bot.core.retrieval.documents import PROFILE_ID
from bot.core.retrieval.lexical import LexicalLayer, analyse_corpus
from bot.core.retrieval.semantic import EmbeddingUnavailable, SemanticIndex, load_embedder
from bot.core.retrieval.synonyms import SynonymTable
from bot.core.retrieval.typo import TypoCorrector
from bot.core.state import StateError
from bot.core.text import analyze
from bot.core.tuning import TUNING, Tuning

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Layers:
    """Which optional layers a retriever uses (the evaluation switches them off one by one)."""

    typo: bool = True
    synonyms: bool = True
    aliases: bool = True
    semantic: bool = True
    learned: bool = True  # the fitted ranker and decision; off: the hand-set fallback

    @classmethod
    def without(cls, *names: str) -> Layers:
        """All layers but ``names``; raises ValueError naming the valid layers."""
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = [n for n in names if n not in valid]
        if unknown:
            raise ValueError(f"unknown layer {unknown[0]!r}; valid: {', '.join(valid)}")
        return cls(**{n: False for n in names})


ALL_LAYERS = Layers()
KIND_CODES = {"paper": 0, "post": 1, "profile": 2}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A ranked document with the evidence of each layer (the ranker's features)."""

    doc_id: str
    kind: SourceKind
    score: float  # the ranker's score: higher is better
    coverage: float
    matched: int
    exact: int
    features: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Retrieval:
    """The ranked candidates for a question and the answer-or-decline decision."""

    query: Query
    candidates: tuple[Candidate, ...]  # best first
    features: Mapping[str, float]  # the decision's features
    probability: float  # that the best candidate answers the question
    confidence: Confidence | None  # None: decline
    semantic_stats: tuple[float, float] | None = None  # mean and spread of all documents' cosine
    vector: np.ndarray | None = None  # the question's embedding (None without the semantic layer)

    @property
    def confident(self) -> bool:
        return self.confidence is not None

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    def candidate(self, doc_id: str) -> Candidate | None:
        return next((c for c in self.candidates if c.doc_id == doc_id), None)


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one per build
class Retriever:
    """Ranks the documents of one knowledge base; immutable and thread-safe once built."""

    doc_ids: tuple[str, ...]
    kinds: tuple[SourceKind, ...]  # per document row
    doc_rows: dict[str, int]
    lexical: LexicalLayer
    typo: TypoCorrector | None
    aliases: AliasLayer
    synonyms: SynonymTable | None
    semantic: SemanticIndex | None
    intents: IntentTable
    model: DecisionModel
    stopwords: frozenset[str]  # the words that name the researcher
    layers: Layers
    tuning: Tuning
    post_rows: np.ndarray
    kind_codes: np.ndarray  # per document row: 0 paper, 1 post, 2 profile
    # Above Tuning.semantic_full_scan documents: the vectors and kinds of the documents whose
    # cosines stand for all documents' (up to Tuning.semantic_sample of each kind, evenly
    # spread; copied together, so a question reads 4 MB, not 4,096 scattered rows); None below.
    semantic_sample: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def build(
        cls, kb: KnowledgeBase, *, layers: Layers = ALL_LAYERS, tuning: Tuning = TUNING
    ) -> Retriever:
        """Index every paper, post and the profile of ``kb``."""
        person = frozenset(person_words(kb.profile.name, kb.profile.handle))
        corpus = analyse_corpus(kb, person=person)
        lexical = LexicalLayer.build(corpus.documents, tuning=tuning)
        vocabulary = lexical.index.vocabulary
        semantic = None
        if layers.semantic:
            try:
                embedder = load_embedder()
            except EmbeddingUnavailable as exc:
                log.warning("semantic layer off: %s", exc)
            else:
                semantic = SemanticIndex.build(
                    embedder, [(p.context, p.sentences) for p in corpus.passages]
                )
        typo = None
        if layers.typo:
            typo = TypoCorrector.from_surfaces(corpus.surfaces, vocabulary, tuning=tuning)
        return cls._assemble(
            kb,
            lexical=lexical,
            typo=typo,
            aliases=AliasLayer.build(kb, tuning=tuning),
            semantic=semantic,
            person=person,
            layers=layers,
            tuning=tuning,
        )

    @classmethod
    def _assemble(
        cls,
        kb: KnowledgeBase,
        *,
        lexical: LexicalLayer,
        typo: TypoCorrector | None,
        aliases: AliasLayer,
        semantic: SemanticIndex | None,
        person: frozenset[str],
        layers: Layers,
        tuning: Tuning,
    ) -> Retriever:
        """The retriever over built layers, with the cheap parts (synonyms, intents, the
        decision model, per-row tables) made from the knowledge base and the code."""
        synonyms = None
        if layers.synonyms:
            synonyms = SynonymTable.build(
                kb.synonyms,
                vocabulary=lexical.index.vocabulary,
                idf=lexical.index.idf,
                work_names=_work_names(kb, lexical),
                tuning=tuning,
            )
        model = _decision_model(semantic=semantic is not None, learned=layers.learned)
        doc_ids = lexical.index.doc_ids
        kinds: list[SourceKind] = []
        paper_ids = {p.id for p in kb.papers}
        for doc_id in doc_ids:
            kinds.append(
                "paper" if doc_id in paper_ids else "profile" if doc_id == PROFILE_ID else "post"
            )
        kind_codes = np.array([KIND_CODES[k] for k in kinds], dtype=np.int8)
        return cls(
            doc_ids=doc_ids,
            kinds=tuple(kinds),
            doc_rows={d: i for i, d in enumerate(doc_ids)},
            lexical=lexical,
            typo=typo,
            aliases=aliases,
            synonyms=synonyms,
            semantic=semantic,
            intents=IntentTable.build(person),
            model=model,
            stopwords=person,
            layers=layers,
            tuning=tuning,
            post_rows=np.array([i for i, k in enumerate(kinds) if k == "post"], dtype=np.int64),
            kind_codes=kind_codes,
            semantic_sample=_semantic_sample(semantic, kind_codes, tuning),
        )

    def release_pages(self) -> None:
        """After a question: above ``semantic_full_scan`` each question reads scattered rows of
        the memory-mapped vectors, so give their pages back (``SemanticIndex.release_pages``);
        below it every question reads them all and unmapping would only cost."""
        if self.semantic is not None and self.semantic_sample is not None:
            self.semantic.release_pages()

    def to_state(self) -> dict[str, Any]:
        """The built layers, for the engine cache; what the code and the knowledge base make
        cheaply (synonyms, intents, the decision model) is made again on load."""
        return {
            "layers": dataclasses.asdict(self.layers),
            "lexical": self.lexical.to_state(),
            "typo": self.typo.to_state() if self.typo is not None else None,
            "aliases": self.aliases.to_state(),
            "semantic": self.semantic.to_state() if self.semantic is not None else None,
        }

    @classmethod
    def from_state(
        cls, state: dict[str, Any], kb: KnowledgeBase, *, tuning: Tuning = TUNING
    ) -> Retriever:
        """The retriever ``to_state`` described, over ``kb``; StateError if it does not fit."""
        layers = Layers(**state["layers"])
        lexical = LexicalLayer.from_state(state["lexical"], tuning=tuning)
        if len(lexical.index.doc_ids) != len(kb.papers) + len(kb.posts) + 1:
            raise StateError("an index of another knowledge base")
        semantic = None
        if state["semantic"] is not None:
            try:
                embedder = load_embedder()
            except EmbeddingUnavailable as exc:
                raise StateError(f"saved with embeddings that cannot be read now: {exc}") from exc
            docs = len(lexical.index.doc_ids)
            semantic = SemanticIndex.from_state(state["semantic"], embedder, docs=docs)
        terms = len(lexical.index.vocabulary)
        typo = state["typo"]
        return cls._assemble(
            kb,
            lexical=lexical,
            typo=TypoCorrector.from_state(typo, terms=terms, tuning=tuning) if typo else None,
            aliases=AliasLayer.from_state(state["aliases"], tuning=tuning),
            semantic=semantic,
            person=frozenset(person_words(kb.profile.name, kb.profile.handle)),
            layers=layers,
            tuning=tuning,
        )

    # --- the Lexicon that question analysis reads -------------------------------------------

    def term_row(self, term: str) -> int | None:
        return self.lexical.index.vocabulary.get(term)

    def term_idf(self, row: int) -> float:
        return float(self.lexical.index.idf[row])

    def unknown_idf(self) -> float:
        return self.tuning.unknown_weight * self.lexical.index.max_idf

    def correct(self, words: Sequence[str]) -> Mapping[str, tuple[tuple[int, float], ...]]:
        return self.typo.correct(words) if self.typo is not None else {}

    def expansions(self, normalized: str) -> Sequence[tuple[str, tuple[int, ...], float]]:
        return self.synonyms.expansions(normalized) if self.synonyms is not None else ()

    def named(self, normalized: str, cased: str, *, with_posts: bool) -> frozenset[str]:
        if not self.layers.aliases:
            return frozenset()
        return self.aliases.named(normalized, cased, with_posts=with_posts)

    # --- ranking -------------------------------------------------------------------------------

    def parse(self, question: str) -> Query:
        """Understand ``question`` against this knowledge base."""
        return parse_query(question, table=self.intents, lexicon=self)

    def kind(self, doc_id: str) -> SourceKind | None:
        row = self.doc_rows.get(doc_id)
        return self.kinds[row] if row is not None else None

    def retrieve(self, query: Query, *, k: int = 10) -> Retrieval:
        """Rank documents for ``query`` and decide whether the best one answers it."""
        tuning = self.tuning
        index = self.lexical.index
        scores = self.lexical.scores(query.words)
        opinion = query.intent is Intent.OPINION
        if opinion and self.post_rows.size:
            scores[self.post_rows] *= tuning.opinion_boost
        rows = [self.doc_rows[h.doc_id] for h in index.top_k(scores, k=tuning.lexical_depth)]
        quoted = set()
        if self.layers.aliases and rows:
            best = [index.doc_ids[r] for r in rows[: tuning.title_candidates]]
            quoted = set(self.aliases.quoted_titles(query.normalized, best))
        vector = semantic_scores = None
        # The cosines the statistics are taken over: every document's, or the sample's.
        pool = pool_codes = None
        if self.semantic is not None and query.words:
            vector = self.semantic.embed_question(query.text)
            if self.semantic_sample is None:
                semantic_scores = pool = self.semantic.doc_scores(vector)
                pool_codes = self.kind_codes
                top = np.argsort(-semantic_scores)[: tuning.semantic_depth]
                rows += [int(r) for r in top if semantic_scores[r] > 0]
            else:
                sample_vectors, pool_codes = self.semantic_sample
                pool = sample_vectors @ vector
        rows += [self.doc_rows[d] for d in query.named if d in self.doc_rows]
        rows = list(dict.fromkeys(rows))
        stats = None
        if pool is not None and pool.size > 1:
            stats = (float(pool.mean()), float(pool.std()) or 1.0)
        if not rows:
            return self._decide(query, (), stats, vector)
        row_arr = np.asarray(rows, dtype=np.int32)
        positions = self.lexical.positions(query.words, row_arr)
        coverages, matched, exact = self.lexical.coverages(query.words, row_arr, positions)
        proximity = self.lexical.proximities(query.words, row_arr, coverages, positions)
        lexical = scores[row_arr]
        if vector is not None and self.semantic is not None:
            doc_sims = (
                semantic_scores[row_arr]
                if semantic_scores is not None
                else self.semantic.doc_vectors[row_arr] @ vector
            )
            sentence_sims = self.semantic.best_sentences(vector, row_arr)
        else:
            doc_sims = sentence_sims = np.zeros(len(rows))
        kind_z = self._kind_z(doc_sims, row_arr, pool, pool_codes)
        coord = lexical * coverages * proximity
        top_lexical = float(lexical.max()) or 1.0
        top_coord = float(coord.max()) or 1.0
        kinds = self.kind_codes[row_arr]
        ids = [self.doc_ids[r] for r in rows]
        definition = query.has(Cue.DEFINITION)
        columns: dict[str, np.ndarray] = {
            "lexical": lexical / top_lexical,
            "coverage": coverages,
            "proximity": proximity,
            "coord": coord / top_coord,
            "semantic": np.asarray(doc_sims, dtype=np.float64),
            "semantic_kind": kind_z,
            "sentence": np.asarray(sentence_sims, dtype=np.float64),
            "named": np.fromiter((d in query.named for d in ids), dtype=np.float64, count=len(ids)),
            "quoted_title": np.fromiter(
                (d in quoted for d in ids), dtype=np.float64, count=len(ids)
            ),
            "post_opinion": ((kinds == 1) & opinion).astype(np.float64),
            "profile_about": ((kinds == 2) & query.has(Cue.ABOUT_HIM)).astype(np.float64),
            "paper_definition": ((kinds == 0) & definition).astype(np.float64),
            "is_post": (kinds == 1).astype(np.float64),
            "is_profile": (kinds == 2).astype(np.float64),
        }
        ranker = self.model.ranker
        scores_all = np.full(len(rows), ranker.bias)
        for name, weight in ranker.weights.items():
            if name in columns:
                scores_all += weight * columns[name]
        # Best first; ties go to the lower document row (the knowledge's own order).
        order = np.lexsort((row_arr, -scores_all))[: max(k, 2)]
        candidates = [
            Candidate(
                ids[i],
                self.kinds[rows[i]],
                float(scores_all[i]),
                float(coverages[i]),
                int(matched[i]),
                int(exact[i]),
                {name: float(column[i]) for name, column in columns.items()},
            )
            for i in order
        ]
        return self._decide(query, tuple(candidates), stats, vector)

    def _kind_z(
        self,
        sims: np.ndarray,
        rows: np.ndarray,
        pool: np.ndarray | None,
        pool_codes: np.ndarray | None,
    ) -> np.ndarray:
        """Each candidate's cosine as a z-score among the documents of its kind (those of
        ``pool``, every document's or a sample's cosines, else the candidates'): a short post is
        closer to any question than a long abstract, so raw cosines favour posts."""
        if pool is None or pool_codes is None:
            pool, pool_codes = sims, self.kind_codes[rows]
        codes = self.kind_codes[rows]
        out = np.zeros(len(rows))
        for code in np.unique(codes):
            same = pool[pool_codes == code]
            if same.size < 2:
                same = pool
            spread = float(same.std()) or 1.0
            mine = codes == code
            out[mine] = (sims[mine] - float(same.mean())) / spread
        return out

    def _decide(
        self,
        query: Query,
        candidates: tuple[Candidate, ...],
        stats: tuple[float, float] | None,
        vector: np.ndarray | None,
    ) -> Retrieval:
        features = self.decision_features(query, candidates, stats)
        if not candidates or not query.words:
            return Retrieval(query, candidates, features, 0.0, None, stats, vector)
        probability = self.model.decision.probability(features)
        confidence = self.model.confidence(probability)
        return Retrieval(query, candidates, features, probability, confidence, stats, vector)

    def decision_features(
        self,
        query: Query,
        candidates: Sequence[Candidate],
        stats: tuple[float, float] | None,
    ) -> dict[str, float]:
        """The answer-or-decline model's features (see ``decision.DECISION_FEATURES``)."""
        words = [w for w in query.words if not w.is_year]
        total = sum(w.idf for w in words) or 1.0
        features = {
            "unknown_share": sum(w.idf for w in words if not w.terms) / total,
            "typo_share": sum(w.idf for w in words if w.corrected) / total,
            "words": math.log1p(len(words)),
            "opinion": float(query.intent is Intent.OPINION),
            "number": float(query.has(Cue.NUMBER)),
            "about_him": float(query.has(Cue.ABOUT_HIM)),
        }
        if not candidates:
            return features
        top = candidates[0]
        second = candidates[1].score if len(candidates) > 1 else top.score - 1.0
        exact = top.coverage * (top.exact / top.matched if top.matched else 0.0)
        features.update(
            top_score=top.score,
            margin=top.score - second,
            coverage=top.coverage,
            matched=min(top.matched, 3) / 3,
            exact_share=exact,
            sentence=top.features["sentence"],
            semantic=top.features["semantic"],
            named=top.features["named"],
            is_profile=float(top.kind == "profile"),
            is_post=float(top.kind == "post"),
        )
        features.update(self._residual(words, top.doc_id))
        row = np.asarray([self.doc_rows[top.doc_id]], dtype=np.int32)
        unit = self.term_row(query.unit) if query.unit else None
        # "how many citations ...": the counted thing must be in the source to be counted.
        features["unit_missing"] = float(
            query.unit is not None
            and (unit is None or not bool(self.lexical.index.contains_many(unit, row)[0]))
        )
        sides = sum(1 for c in candidates if c.doc_id in query.named and c.kind != "profile")
        features["compare_one_side"] = float(query.intent is Intent.COMPARE and sides < 2)
        # A named document is strong evidence only for what it holds beyond its name.
        features["named_residual"] = features["named"] * features["residual_coverage"]
        features["named_residual_unknown"] = features["named"] * features["residual_unknown"]
        if stats is not None:
            mean, spread = stats
            features["semantic_z"] = (top.features["semantic"] - mean) / spread
        return features

    def _residual(self, words: Sequence[QueryWord], doc_id: str) -> dict[str, float]:
        """What the question asks beyond naming the document: the share of the information of
        its words outside the document's title (or context) that the document holds, the share
        of it no document holds, and how close in meaning those words are to the document's
        best sentence. "Did LIMA get an oral?" names LIMA and asks "oral"."""
        row = np.asarray([self.doc_rows[doc_id]], dtype=np.int32)
        index = self.lexical.index
        rest = []
        for word in words:
            masks = [int(index.masks_many(r, row)[0]) for r, _ in word.terms]
            if not any(m == -1 for m in masks):
                rest.append((word, any(m != 0 for m in masks) or self._holds(word, row)))
        info = sum(w.idf for w, _ in rest)
        if not info:
            return {"residual_coverage": 1.0, "residual_unknown": 0.0, "residual_sentence": 1.0}
        features = {
            "residual_coverage": sum(w.idf for w, held in rest if held) / info,
            "residual_unknown": sum(w.idf for w, _ in rest if not w.terms) / info,
            "residual_sentence": 0.0,
        }
        if self.semantic is not None:
            vector = self.semantic.embed_question(" ".join(w.surface for w, _ in rest))
            sims = self.semantic.sentence_scores(vector, int(row[0]))[1:]
            features["residual_sentence"] = float(sims.max()) if sims.size else 0.0
        return features

    def _holds(self, word: QueryWord, row: np.ndarray) -> bool:
        return any(bool(self.lexical.index.contains_many(r, row)[0]) for r, _ in word.terms)

    def coverage(self, query: Query, doc_id: str) -> float:
        """The share of the question's information document ``doc_id`` contains."""
        row = self.doc_rows.get(doc_id)
        if row is None:
            return 0.0
        coverage, _, _ = self.lexical.coverages(query.words, np.asarray([row], dtype=np.int32))
        return float(coverage[0])

    def sentence_similarities(self, retrieval: Retrieval, doc_id: str) -> np.ndarray | None:
        """Cosine of the question to each sentence of ``doc_id`` (its context first); None
        without the semantic layer."""
        row = self.doc_rows.get(doc_id)
        if self.semantic is None or row is None or retrieval.vector is None:
            return None
        return self.semantic.sentence_scores(retrieval.vector, row)


def _semantic_sample(
    semantic: SemanticIndex | None, kind_codes: np.ndarray, tuning: Tuning
) -> tuple[np.ndarray, np.ndarray] | None:
    """The vectors and kinds of the documents whose cosines stand for every document's above
    ``semantic_full_scan``: up to ``semantic_sample`` of each kind, evenly spread over the
    knowledge's order, so the same knowledge always gives the same sample; None when every
    document is compared."""
    if semantic is None or kind_codes.size <= tuning.semantic_full_scan:
        return None
    picked = []
    for code in np.unique(kind_codes):
        rows = np.flatnonzero(kind_codes == code)
        if rows.size > tuning.semantic_sample:
            rows = rows[np.linspace(0, rows.size - 1, tuning.semantic_sample).astype(np.int64)]
        picked.append(rows)
    sample = np.sort(np.concatenate(picked))
    return np.ascontiguousarray(semantic.doc_vectors[sample]), kind_codes[sample]


def _decision_model(*, semantic: bool, learned: bool) -> DecisionModel:
    from bot.core.retrieval.decision import FALLBACK

    if not learned:
        return FALLBACK
    try:
        return choose_model(load_models(), semantic=semantic)
    except DecisionFileError as exc:
        log.warning("using the hand-set ranking and decision: %s", exc)
        return FALLBACK


def _work_names(kb: KnowledgeBase, lexical: LexicalLayer) -> list[list[str]]:
    """For each proper name of a work his bio names that no other document uses ("Cicero" of
    "Cicero Diplomacy bot"): that name first, then the work's names the rest of the knowledge
    base does use ("Diplomacy"). The expansion runs one way, from the first name only."""
    index = lexical.index

    def documents_with(word: str) -> int:
        terms = analyze(word)
        row = index.vocabulary.get(terms[0]) if terms else None
        return 0 if row is None else int(index.indptr[row + 1] - index.indptr[row])

    groups = []
    for work in kb.profile.works:
        names = [w for w in work.split() if w[:1].isupper()]
        for name in names:
            others = [o for o in names if o != name and documents_with(o) > 1]
            if documents_with(name) == 1 and others:
                groups.append([name, *others])
    return groups
