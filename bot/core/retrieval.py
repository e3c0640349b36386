"""The retriever: BM25F over stemmed terms, an exact alias/title layer, rapidfuzz typo correction,
and the confidence rule that decides when a question is outside what the knowledge base covers.

Pipeline for one question:
1. ``content_words``: normalise, tokenise, drop stopwords (bot.core.text).
2. Each word whose stem is in the index counts fully. Each unknown word of 4+ letters is corrected
   against the index's surface vocabulary in one vectorised ``process.cdist`` call; its variants
   count at ``FUZZY_WEIGHT`` x similarity, so a corrected word never outweighs an exact one.
3. BM25F scores every document (bot.core.index); documents whose alias or exact title occurs in the
   question are lifted above every other document. The best ones are re-scored by how much of the
   question they cover and by proximity: how much of what they match one sentence holds.
4. Coverage: the share of the question's information (idf-weighted; a word found nowhere weighs
   ``UNKNOWN_WEIGHT`` x the rarest word's idf) that the best document contains. A question is
   answered only when the coverage is high enough and, for a longer question, at least two of its
   words matched (see ``is_confident``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.core.index import BM25Index, FieldSpec, Hit, IndexedDocument
from bot.core.models import KnowledgeBase, Paper, Post, Profile
from bot.core.text import (
    NUMBER_WORDS,
    STOPWORDS,
    abbreviations,
    content_words,
    name_words,
    normalize,
    render_latex,
    split_sentences,
    stem,
    tokenize,
    word_groups,
)

PROFILE_ID = "profile"

# Field weights: a title or alias word says far more about a paper than one abstract word; his
# quoted posts are someone else's words, so they count less than his own.
FIELDS: dict[str, FieldSpec] = {
    "title": FieldSpec(weight=3.0, b=0.5),
    "aliases": FieldSpec(weight=4.0, b=0.3),
    "abstract": FieldSpec(weight=1.0, b=0.75),
    "authors": FieldSpec(weight=1.0, b=0.3),
    "venue": FieldSpec(weight=0.5, b=0.0),
    "year": FieldSpec(weight=0.5, b=0.0),
    "topics": FieldSpec(weight=1.0, b=0.3),
    "text": FieldSpec(weight=2.0, b=0.5),
    "quoted": FieldSpec(weight=0.7, b=0.5),
    "thread": FieldSpec(weight=0.7, b=0.0),
    "link": FieldSpec(weight=1.0, b=0.5),
    "bio": FieldSpec(weight=2.0, b=0.3),
    "name": FieldSpec(weight=1.0, b=0.0),
}
FUZZY_WEIGHT = 0.7  # a typo-corrected word counts at most this much of an exact one
COMPOUND_SHARE = 1.0  # each of a compound's n terms carries 1/n of the word's weight
FUZZY_MIN_LENGTH = 4
FUZZY_CUTOFF = {4: 85.0, 5: 80.0}  # by word length; longer words use FUZZY_CUTOFF_LONG
FUZZY_CUTOFF_LONG = 78.0
ALIAS_BONUS = 1.0  # added on top of the best plain score, so an alias hit ranks first
TITLE_BONUS = 0.5  # a quoted title ranks first too, but below a named alias
TITLE_CUTOFF = 90.0  # rapidfuzz partial_ratio of the question's content words within a title
TITLE_MIN_WORDS = 3  # shorter questions match too many titles partially
TITLE_CANDIDATES = 10  # only the best-scoring documents are compared, so the layer stays O(1)
RERANK_DEPTH = 20  # documents re-scored by their coverage of the question
COORD_POWER = 1.0  # score x coverage**COORD_POWER
WORK_WORD_SIMILARITY = 0.7  # how much a work's other words count for one of its words
PASSAGE_POWER = 1.0  # ... x proximity**PASSAGE_POWER (see Retriever._proximities)
POST_INTENT_BOOST = 2.0  # "what did he say/think/post about ..." prefers his posts
# Calibrated on eval/questions.yaml by a grid over (UNKNOWN_WEIGHT, MIN_COVERAGE); the held-out
# eval/holdout.yaml was not used (see benchmarks/README.md for the procedure).
UNKNOWN_WEIGHT = 0.8  # a word found nowhere weighs this share of the rarest word's idf
MIN_COVERAGE = 0.45
SINGLE_WORD_COVERAGE = 0.9  # a one-word question: matched (nearly) as written ...
SINGLE_WORD_RARITY = 0.4  # ... and rare: idf >= 0.4 x the highest possible idf
MIN_ALIAS_COVERAGE = 0.35  # a named alias is strong evidence: MIN_COVERAGE - 0.1
MAX_QUERY_WORDS = 64  # a 10k-character question is cut, not scored word by word
_POST_INTENT = frozenset(
    """
    announce announced believe believes feel feels opinion opinions post posted posts reckon
    said say says share shared take takes think thinks thought thoughts tweet tweeted tweets view
    views
    """.split()  # noqa: SIM905 - a word list reads better as text
)


_YEAR = re.compile(r"(19|20)\d\d")
_LOWER_WORD_RE = re.compile(r"\b[a-z]+\b")
_WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class QueryWord:
    """One informative word of a question and the index terms that stand for it."""

    surface: str
    terms: tuple[tuple[int, float], ...]  # (term row, similarity 0..1); empty when unknown
    idf: float  # how informative the word is; UNKNOWN_WEIGHT x the rarest idf when unknown
    exact: bool
    parts: int = 1  # tokens of a compound ("fine-tune": fine, tune, finetune -> 3)


@dataclass(frozen=True, slots=True)
class Retrieval:
    """The ranked documents for a question plus what the confidence rule needs."""

    hits: tuple[Hit, ...]
    words: tuple[QueryWord, ...]
    alias_ids: frozenset[str]  # documents named by an alias or exact title in the question
    coverage: float  # share of the question's information the best document contains
    matched: int  # informative words the best document contains
    confident: bool
    exact_matched: int = 0  # of those, words spelt exactly as in the document


def alias_key(text: str) -> str:
    """Join an alias's word parts, so "kNN-LM", "knn lm" and "KNNLM" all give "knnlm"."""
    return "".join(word_parts(normalize(text)))


def word_parts(normalized: str) -> list[str]:
    return tokenize(normalized, joined=False)


def paper_document(paper: Paper) -> IndexedDocument:
    """The indexed fields of a paper."""
    return IndexedDocument(
        paper.id,
        {
            "title": _terms(paper.title),
            "aliases": _terms(" ; ".join(paper.aliases)),
            "abstract": _terms(paper.abstract),
            "authors": _terms(" ; ".join(paper.authors)),
            "venue": _terms(paper.venue),
            "year": [str(paper.year)],
            "topics": _terms(" ".join(t.replace("-", " ") for t in paper.topics)),
        },
    )


def post_document(post: Post, *, thread_head: str = "") -> IndexedDocument:
    """The indexed fields of a post: his words; the quoted post, the thread's first post (the
    context a reply lives in: "2/5" of the Diplomacy thread is about Diplomacy) and the link card
    count less."""
    quoted = f"{post.quoted.name} {post.quoted.text}" if post.quoted else ""
    # The word itself too, so "the Diplomacy thread" finds the thread's posts, not a paper.
    thread = f"thread {thread_head}" if post.thread is not None else ""
    return IndexedDocument(
        post.id,
        {
            "text": _terms(post.text),
            "quoted": _terms(quoted),
            "thread": _terms(thread),
            "link": _terms(post.link_title),
        },
    )


def profile_document(profile: Profile) -> IndexedDocument:
    """The indexed fields of the profile; the location is left to the structured profile answers
    so that a place name ("Seattle") alone never matches him."""
    return IndexedDocument(
        PROFILE_ID,
        {"bio": _terms(" ".join((profile.bio, *profile.works))), "name": _terms(profile.name)},
    )


def _terms(text: str) -> list[str]:
    return stem(content_words(text))


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one per build
class Retriever:
    """Ranks papers, posts and the profile for a free-text question; immutable once built."""

    index: BM25Index
    kinds: dict[str, str]  # doc id -> "paper" | "post" | "profile"
    aliases: dict[str, frozenset[str]]  # alias key -> ids of the papers it names
    alias_posts: dict[str, frozenset[str]]  # alias key -> ids of posts that mention it
    acronyms: dict[str, frozenset[str]]  # case-sensitive acronyms that are also common words
    titles: dict[str, str]  # title key -> doc id
    title_texts: dict[str, str]  # paper id -> title, normalised, for the quoted-title layer
    max_alias_chars: int
    doc_rows: dict[str, int]
    post_rows: np.ndarray
    surfaces: tuple[str, ...]  # surface words of the index, for typo correction
    surface_terms: tuple[int, ...]  # the term row of each surface word
    paper_posts: dict[str, tuple[str, ...]]  # paper id -> his posts naming it, oldest first
    # doc id -> (term row -> bit mask of the sentences holding it; -1: in the title/context)
    passages: dict[str, dict[int, int]]
    # term row of a word found only in a work his bio names ("Cicero" of "Cicero Diplomacy
    # bot") -> the rows of the work's other words, which the rest of the knowledge base uses
    work_words: dict[int, tuple[int, ...]] = dataclasses.field(default_factory=dict)
    # the researcher's name and handle words (``text.name_words``): never a question's subject
    name_words: frozenset[str] = frozenset()

    @classmethod
    def build(cls, kb: KnowledgeBase) -> Retriever:
        """Index every paper, post and the profile of ``kb``."""
        docs = [paper_document(p) for p in kb.papers]
        heads = {
            p.thread.id: p.text for p in kb.posts if p.thread is not None and p.thread.position == 1
        }
        docs += [
            post_document(
                p,
                thread_head=heads.get(p.thread.id, "")
                if p.thread is not None and p.thread.position != 1
                else "",
            )
            for p in kb.posts
        ]
        docs.append(profile_document(kb.profile))
        kinds = {p.id: "paper" for p in kb.papers}
        kinds.update({p.id: "post" for p in kb.posts})
        kinds[PROFILE_ID] = "profile"
        raw = [p.title + " " + p.abstract for p in kb.papers] + [p.text for p in kb.posts]
        lowercase_words = {w for text in raw for w in _LOWER_WORD_RE.findall(text)}
        aliases: dict[str, set[str]] = {}
        acronyms: dict[str, set[str]] = {}
        for paper in kb.papers:
            for alias in paper.aliases:
                key = alias_key(alias)
                if alias.isupper() and key in lowercase_words:
                    # "ART", "BASE": also ordinary words ("state of the art"), so only the
                    # capitalised acronym in a question names the paper.
                    acronyms.setdefault(alias, set()).add(paper.id)
                elif len(key) >= 2:
                    aliases.setdefault(key, set()).add(paper.id)
        for work in kb.profile.works:
            # The works his bio names ("RoBERTa", "top-k sampling") name his profile, which is
            # where the knowledge base mentions the ones that are not among his papers.
            key = alias_key(work)
            if len(key) >= 2:
                aliases.setdefault(key, set()).add(PROFILE_ID)
        titles = {alias_key(p.title): p.id for p in kb.papers}
        max_chars = max((len(k) for k in aliases), default=0)
        alias_posts: dict[str, set[str]] = {}
        for post in kb.posts:
            said = " ".join((post.text, post.link_title, post.quoted.text if post.quoted else ""))
            for key in joined_ngrams(word_parts(normalize(said)), max_chars):
                if key in aliases:
                    alias_posts.setdefault(key, set()).add(post.id)
        texts = [p.title + " " + " ".join(p.aliases) + " " + p.abstract for p in kb.papers]
        texts += [p.text + " " + p.link_title for p in kb.posts]
        texts.append(kb.profile.bio)
        paper_posts = posts_about_papers(kb.papers, kb.posts)
        # Each document's sentences and the context every one of them is read in: a paper's
        # title and aliases, a reply's thread opening, the profile's name.
        passages = {
            p.id: (
                " ".join((p.title, *p.aliases)),
                split_sentences(render_latex(p.abstract)),
            )
            for p in kb.papers
        }
        passages.update(
            {
                p.id: (
                    heads.get(p.thread.id, "")
                    if p.thread is not None and p.thread.position != 1
                    else "",
                    split_sentences(p.text),
                )
                for p in kb.posts
            }
        )
        passages[PROFILE_ID] = (kb.profile.name, split_sentences(kb.profile.bio))
        docs_by_term: dict[str, int] = {}
        for doc in docs:
            for term in {t for terms in doc.fields.values() for t in terms}:
                docs_by_term[term] = docs_by_term.get(term, 0) + 1
        # The capitalised words of each work name ("Cicero", "Diplomacy"): its proper names.
        work_terms = [
            list(dict.fromkeys(_terms(" ".join(w for w in work.split() if w[:1].isupper()))))
            for work in kb.profile.works
        ]
        return cls.from_documents(
            docs,
            kinds=kinds,
            aliases={k: frozenset(v) for k, v in aliases.items()},
            alias_posts={k: frozenset(v) for k, v in alias_posts.items()},
            acronyms={k: frozenset(v) for k, v in acronyms.items()},
            titles=titles,
            title_texts={
                p.id: " ".join(w for w in word_parts(normalize(p.title)) if w not in STOPWORDS)
                for p in kb.papers
            },
            texts=texts,
            paper_posts={k: v for k, v in paper_posts.items() if v},
            passages=passages,
            work_terms=[
                (term, [t for t in terms if t != term and docs_by_term.get(t, 0) > 1])
                for terms in work_terms
                for term in terms
                if docs_by_term.get(term, 0) == 1  # found only in the profile
            ],
            name_words=name_words(kb.profile.name, kb.profile.handle),
        )

    @classmethod
    def from_documents(
        cls,
        docs: Sequence[IndexedDocument],
        *,
        kinds: dict[str, str],
        aliases: dict[str, frozenset[str]],
        alias_posts: dict[str, frozenset[str]] | None = None,
        acronyms: dict[str, frozenset[str]] | None = None,
        titles: dict[str, str],
        title_texts: dict[str, str] | None = None,
        texts: Iterable[str],
        paper_posts: dict[str, tuple[str, ...]] | None = None,
        passages: dict[str, tuple[str, list[str]]] | None = None,
        work_terms: Sequence[tuple[str, list[str]]] = (),
        name_words: frozenset[str] = frozenset(),
    ) -> Retriever:
        """Build from already-analysed documents (the benchmarks use this for synthetic corpora)."""
        index = BM25Index.build(docs, fields=FIELDS)
        surface_rows: dict[str, int] = {}
        for text in texts:
            words = [w for w in content_words(text) if w not in surface_rows]
            for word, term in zip(words, stem(words), strict=True):
                row = index.vocabulary.get(term)
                if row is not None and len(word) >= FUZZY_MIN_LENGTH and not word.isdigit():
                    surface_rows[word] = row
        return cls(
            index=index,
            kinds=kinds,
            aliases=aliases,
            alias_posts=alias_posts or {},
            acronyms=acronyms or {},
            titles=titles,
            title_texts=title_texts or {},
            max_alias_chars=max((len(k) for k in aliases), default=0),
            doc_rows={d: i for i, d in enumerate(index.doc_ids)},
            post_rows=np.array(
                [i for i, d in enumerate(index.doc_ids) if kinds.get(d) == "post"], dtype=np.int64
            ),
            surfaces=tuple(surface_rows),
            surface_terms=tuple(surface_rows.values()),
            paper_posts=paper_posts or {},
            passages={
                doc_id: _sentence_masks(index, header, sentences)
                for doc_id, (header, sentences) in (passages or {}).items()
            },
            work_words={
                index.vocabulary[term]: tuple(index.vocabulary[t] for t in others)
                for term, others in work_terms
                if others and term in index.vocabulary
            },
            name_words=name_words,
        )

    def search(self, query: str, *, k: int = 10) -> list[Hit]:
        """Rank documents for ``query``, best first (no decline decision)."""
        return list(self.retrieve(query, k=k).hits)

    def retrieve(self, query: str, *, k: int = 10) -> Retrieval:
        """Rank documents for ``query`` and decide whether the best one is a confident answer."""
        normalized = normalize(query[:4000])
        words = self._query_words(normalized)
        post_intent = bool(_POST_INTENT & set(tokenize(normalized)))
        alias_ids = self._alias_hits(normalized, with_posts=post_intent)
        if self.acronyms:
            cased = set(_WORD_RE.findall(query[:4000]))
            alias_ids |= {d for a, ids in self.acronyms.items() if a in cased for d in ids}
        weighted: dict[int, float] = {}
        for word in words:
            # A compound's parts and joined form share one word's weight, so "fine-tuning" does
            # not count three times against a document that writes "finetuning".
            share = 1.0 / word.parts**COMPOUND_SHARE
            for row, sim in word.terms:
                weight = share * (1.0 if sim >= 1.0 else FUZZY_WEIGHT * sim)
                weighted[row] = max(weighted.get(row, 0.0), weight)
        scores = self.index.score_terms(weighted)
        if self.post_rows.size and post_intent:
            scores[self.post_rows] *= POST_INTENT_BOOST
        title_ids = self._title_hits(normalized, scores)
        if title_ids:
            top = float(scores.max())
            for doc_id in title_ids:
                scores[self.doc_rows[doc_id]] += top + TITLE_BONUS
        if alias_ids:
            top = float(scores.max()) if scores.size else 0.0
            for doc_id in alias_ids:
                scores[self.doc_rows[doc_id]] += top + ALIAS_BONUS
            # "What did he post about X?": his posts naming X come before the paper named X.
            posts = [d for d in alias_ids if self.kinds.get(d) == "post"]
            if posts:
                top = float(scores.max())
                for doc_id in posts:
                    scores[self.doc_rows[doc_id]] += top + ALIAS_BONUS
        hits = self.index.top_k(scores, k=max(k, RERANK_DEPTH))
        if not hits:
            return Retrieval((), tuple(words), alias_ids, 0.0, 0, False)
        # Coordination: among the best documents, one that contains more of the question's
        # information beats one that repeats a single word (Lucene's classic "coord" factor,
        # idf-weighted). The best document is the one the confidence rule then judges.
        ids = [h.doc_id for h in hits]
        coverages, matches, exacts = self._coverages(words, ids)
        rescored = np.array([h.score for h in hits]) * coverages**COORD_POWER
        if self.passages and PASSAGE_POWER:
            # Proximity: a document whose matched words sit together in one sentence (with its
            # title) answers the question; one that has them spread over its abstract may not.
            proximity = self._proximities(words, ids, coverages)
            rescored *= proximity**PASSAGE_POWER
        order = sorted(range(len(hits)), key=lambda i: (-rescored[i], i))[:k]
        hits = [Hit(ids[i], float(rescored[i])) for i in order]
        best = order[0]
        coverage, matched, exact = float(coverages[best]), int(matches[best]), int(exacts[best])
        confident = is_confident(
            coverage=coverage,
            matched=matched,
            n_words=len(words),
            alias_hit=hits[0].doc_id in alias_ids,
            rarity=max(w.idf for w in words) / self.index.max_idf if words else 0.0,
        )
        return Retrieval(tuple(hits), tuple(words), alias_ids, coverage, matched, confident, exact)

    def coverage(self, retrieval: Retrieval, doc_id: str) -> float:
        """The share of the retrieved question's information that document ``doc_id`` contains."""
        return self._coverage(retrieval.words, doc_id)[0]

    def _query_words(self, normalized: str) -> list[QueryWord]:
        """The question's informative words; a compound ("fine-tune") is one word whose terms are
        its parts and its joined form."""
        groups = []
        for group in word_groups(normalized):
            kept = [
                w
                for w in group
                if w not in STOPWORDS and w not in self.name_words and (len(w) >= 2 or w.isdigit())
            ]
            if kept:
                groups.append(kept)
        groups = groups[:MAX_QUERY_WORDS]
        surfaces = list(dict.fromkeys(w for g in groups for w in g))
        idf = self.index.idf
        tokens: dict[str, QueryWord] = {}
        unknown: list[str] = []
        for surface, term in zip(surfaces, stem(surfaces), strict=True):
            row = self.index.vocabulary.get(term)
            if row is not None:
                tokens[surface] = QueryWord(surface, ((row, 1.0),), float(idf[row]), True)
            elif len(surface) >= FUZZY_MIN_LENGTH and not surface.isdigit() and self.surfaces:
                unknown.append(surface)
            else:
                tokens[surface] = QueryWord(surface, (), self._unknown_idf, False)
        if unknown:
            tokens.update(self._correct(unknown))
        words: dict[str, QueryWord] = {}
        for group in groups:
            members = [tokens[w] for w in group]
            if len(members) == 1:
                words.setdefault(group[0], members[0])
                continue
            known = [m for m in members if m.terms]
            terms = tuple(dict(t for m in known for t in m.terms).items())
            words.setdefault(
                "-".join(group[:-1]),
                QueryWord(
                    "-".join(group[:-1]),
                    terms,
                    max((m.idf for m in known), default=self._unknown_idf),
                    any(m.exact for m in known),
                    len(group),
                ),
            )
        self._add_abbreviations(normalized, words)
        if self.work_words:
            self._add_work_words(words)
        return list(words.values())

    def _add_abbreviations(self, normalized: str, words: dict[str, QueryWord]) -> None:
        """Let a spelt-out phrase also match its abbreviation, as an alternative of its head word
        (so "language model" also finds "LM", without counting as an extra word), and a number
        word its digits ("thousand" also finds "1,000")."""
        pairs = abbreviations(normalized)
        pairs += [(w, NUMBER_WORDS[w]) for w in words if w in NUMBER_WORDS]
        for head, short in pairs:
            row = self.index.vocabulary.get(stem([short])[0])
            key = next((k for k in words if k == head or k.startswith(head + "-")), None)
            if row is None or key is None:
                continue
            word = words[key]
            # A word found nowhere but through its short form counts as that form does.
            idf = float(self.index.idf[row])
            words[key] = QueryWord(
                word.surface,
                (*word.terms, (row, 1.0)),
                max(word.idf, idf) if word.terms else idf,
                True,
                word.parts,
            )

    def _add_work_words(self, words: dict[str, QueryWord]) -> None:
        """Let a word known only from a work his bio names also match that work's other words,
        at ``WORK_WORD_SIMILARITY``: "Cicero" finds his posts about "Diplomacy"."""
        for key, word in words.items():
            extra = [r for row, _ in word.terms for r in self.work_words.get(row, ())]
            known = {row for row, _ in word.terms}
            extra = [r for r in dict.fromkeys(extra) if r not in known]
            if extra:
                terms = (*word.terms, *((r, WORK_WORD_SIMILARITY) for r in extra))
                words[key] = dataclasses.replace(word, terms=terms)

    @property
    def _unknown_idf(self) -> float:
        return UNKNOWN_WEIGHT * self.index.max_idf

    def _correct(self, unknown: list[str]) -> dict[str, QueryWord]:
        """Correct unknown words against the index vocabulary in one vectorised call."""
        cutoff = min(FUZZY_CUTOFF.get(len(w), FUZZY_CUTOFF_LONG) for w in unknown)
        matrix = process.cdist(
            unknown, self.surfaces, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8
        )
        corrected: dict[str, QueryWord] = {}
        for i, word in enumerate(unknown):
            row_scores = matrix[i]
            best = int(row_scores.max()) if row_scores.size else 0
            if best < FUZZY_CUTOFF.get(len(word), FUZZY_CUTOFF_LONG):
                corrected[word] = QueryWord(word, (), self._unknown_idf, False)
                continue
            # Every variant as close as the best one (e.g. "neighbour" -> neighbor, neighbors).
            cols = np.flatnonzero(row_scores >= best)
            terms: dict[int, float] = {}
            for col in cols[:5]:
                terms[self.surface_terms[col]] = best / 100.0
            info = max(float(self.index.idf[t]) for t in terms)
            corrected[word] = QueryWord(word, tuple(terms.items()), info, False)
        return corrected

    def _title_hits(self, normalized: str, scores: np.ndarray) -> list[str]:
        """Papers among the best-scoring ones whose title the question quotes, typos and all
        ("denosing sequence to sequence pretraining")."""
        words = [
            w for w in word_parts(normalized) if w not in STOPWORDS and w not in self.name_words
        ]
        query = " ".join(words)  # compared with the title's own content words
        if len(words) < TITLE_MIN_WORDS or len(query) < 15 or not self.title_texts:
            return []
        candidates = [
            self.index.doc_ids[i]
            for i in np.argsort(-scores)[:TITLE_CANDIDATES]
            if scores[i] > 0 and self.index.doc_ids[i] in self.title_texts
        ]
        choices = {d: self.title_texts[d] for d in candidates}
        hits = process.extract(
            query, choices, scorer=fuzz.partial_ratio, score_cutoff=TITLE_CUTOFF, limit=None
        )
        return [key for _, _, key in hits]

    def _alias_hits(self, normalized: str, *, with_posts: bool = False) -> frozenset[str]:
        """Papers whose alias or whole title the question names (and posts naming the alias)."""
        parts = word_parts(normalized)[:MAX_QUERY_WORDS]
        joined = "".join(parts)
        found: set[str] = {doc for key, doc in self.titles.items() if key and key in joined}
        for key in joined_ngrams(parts, self.max_alias_chars):
            found.update(self.aliases.get(key, ()))
            if with_posts:
                found.update(self.alias_posts.get(key, ()))
        return frozenset(found)

    def _proximities(
        self, words: Sequence[QueryWord], doc_ids: Sequence[str], coverages: np.ndarray
    ) -> np.ndarray:
        """Per document: the share of its matched information that one sentence (read with the
        document's title or context) holds; 1.0 for a document without sentences."""
        info = [0.0 if _YEAR.fullmatch(w.surface) else w.idf for w in words]
        total = sum(info)
        out = np.ones(len(doc_ids))
        if not total:
            return out
        for d, doc_id in enumerate(doc_ids):
            masks = self.passages.get(doc_id)
            if not masks or coverages[d] <= 0:
                continue
            per_sentence: dict[int, float] = {}
            context = 0.0
            for word, weight in zip(words, info, strict=True):
                mask = 0
                for row, _ in word.terms:
                    mask |= masks.get(row, 0)
                if not mask or not weight:
                    continue
                sim = max(s for _, s in word.terms)
                if mask < 0:  # in the title or context: beside every sentence
                    context += weight * sim
                    continue
                while mask:
                    bit = mask & -mask
                    per_sentence[bit] = per_sentence.get(bit, 0.0) + weight * sim
                    mask ^= bit
            held = (context + max(per_sentence.values(), default=0.0)) / total
            out[d] = min(1.0, held / coverages[d])
        return out

    def _coverage(self, words: Sequence[QueryWord], doc_id: str) -> tuple[float, int, int]:
        coverage, matched, exact = self._coverages(words, [doc_id])
        return float(coverage[0]), int(matched[0]), int(exact[0])

    def _coverages(
        self, words: Sequence[QueryWord], doc_ids: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per document: share of the question's information it contains, words it matches, and
        how many of those are spelt exactly (vectorised over the documents)."""
        n = len(doc_ids)
        covered = np.zeros(n)
        matched = np.zeros(n, dtype=np.int64)
        exact = np.zeros(n, dtype=np.int64)
        total = 0.0
        rows = np.fromiter((self.doc_rows[d] for d in doc_ids), dtype=np.int32, count=n)
        for word in words:
            if _YEAR.fullmatch(word.surface):
                continue  # a year matches an eighth of the papers: metadata, not topic evidence
            total += word.idf
            best = np.zeros(n)
            for row, sim in word.terms:
                np.maximum(best, sim * self.index.contains_many(row, rows), out=best)
            covered += word.idf * best
            found = best > 0
            matched += found
            if word.exact:
                exact += found
        return (covered / total if total else covered), matched, exact


def _sentence_masks(index: BM25Index, header: str, sentences: Sequence[str]) -> dict[int, int]:
    """Term row -> bit mask of the sentences that hold it; -1 for a term of the header."""
    masks: dict[int, int] = {}
    for i, sentence in enumerate(sentences[:62]):
        for term in set(_terms(sentence)):
            row = index.vocabulary.get(term)
            if row is not None:
                masks[row] = masks.get(row, 0) | (1 << i)
    for term in _terms(header):
        row = index.vocabulary.get(term)
        if row is not None:
            masks[row] = -1
    return masks


def posts_about_papers(
    papers: Iterable[Paper], posts: Sequence[Post]
) -> dict[str, tuple[str, ...]]:
    """Paper id -> ids of his posts about it, oldest first.

    A post is about a paper when it (or the post it quotes, or its link card) names one of the
    paper's aliases, its title, or its arXiv id.
    """
    papers = list(papers)
    keys = {p.id: {alias_key(a) for a in p.aliases if len(alias_key(a)) >= 2} for p in papers}
    longest = max((len(k) for ks in keys.values() for k in ks), default=0)
    said: list[tuple[Post, str, str, set[str]]] = []
    for post in sorted(posts, key=lambda p: (p.date, p.id)):
        text = " ".join((post.text, post.link_title, post.quoted.text if post.quoted else ""))
        parts = word_parts(normalize(text))
        said.append((post, text, "".join(parts), joined_ngrams(parts, longest)))
    out: dict[str, tuple[str, ...]] = {}
    for paper in papers:
        title = alias_key(paper.title)
        out[paper.id] = tuple(
            post.id
            for post, text, joined, grams in said
            if paper.id in text or (title and title in joined) or keys[paper.id] & grams
        )
    return out


def joined_ngrams(parts: Sequence[str], max_chars: int) -> set[str]:
    """Every run of consecutive word parts, joined, up to ``max_chars`` long."""
    keys: set[str] = set()
    for start in range(len(parts)):
        key = ""
        for end in range(start, len(parts)):
            key += parts[end]
            if len(key) > max_chars:
                break
            keys.add(key)
    return keys


def is_confident(
    *, coverage: float, matched: int, n_words: int, alias_hit: bool, rarity: float = 1.0
) -> bool:
    """Whether the best document answers the question well enough to cite it.

    A named alias needs ``MIN_ALIAS_COVERAGE`` of the question's information. Otherwise the best
    document must cover ``MIN_COVERAGE`` of it and match two words, so a single common word never
    answers a longer question ("pizza in Seattle", "feed my llama"). A one-word question must be
    matched as written and be a rare word (``rarity``: its idf over the highest possible idf), so
    "followers" (stem "follow", in many abstracts) is not enough.
    """
    if alias_hit:
        return coverage >= MIN_ALIAS_COVERAGE
    if n_words == 1:
        return coverage >= SINGLE_WORD_COVERAGE and rarity >= SINGLE_WORD_RARITY
    return coverage >= MIN_COVERAGE and matched >= 2
