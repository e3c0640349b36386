"""The baselines our retriever is compared with, on the same knowledge base and questions.

- ``BM25sBaseline``: plain bm25s (Lucene BM25, English stopwords, PyStemmer) over each document's
  concatenated text; it declines only when no document shares a word with the question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.models import KnowledgeBase
from bot.core.retrieval import PROFILE_ID
from bot.errors import BotError


def document_texts(kb: KnowledgeBase) -> dict[str, str]:
    """Each document's whole text, fields concatenated (what a plain BM25 indexes)."""
    texts = {
        p.id: " ".join(
            (p.title, " ".join(p.aliases), p.abstract, " ".join(p.authors), p.venue, p.date)
        )
        for p in kb.papers
    }
    for post in kb.posts:
        quoted = post.quoted.text if post.quoted else ""
        texts[post.id] = " ".join((post.text, quoted, post.link_title))
    profile = kb.profile
    texts[PROFILE_ID] = " ".join(
        (profile.name, profile.handle, profile.bio, profile.location, " ".join(profile.works))
    )
    return texts


def _bm25s() -> Any:
    try:
        import bm25s
    except ImportError as exc:  # an optional dependency: say how to get it
        raise BotError(
            "the evaluation needs bm25s for its baseline: pip install -e '.[test]'"
        ) from exc
    return bm25s


@dataclass(frozen=True, slots=True)
class BM25sBaseline:
    """bm25s over concatenated document text, stemmed with PyStemmer."""

    name: str
    model: Any
    doc_ids: tuple[str, ...]
    stemmer: Any

    @classmethod
    def build(cls, kb: KnowledgeBase) -> BM25sBaseline:
        """Index every document of ``kb`` with bm25s."""
        bm25s = _bm25s()
        import Stemmer

        texts = document_texts(kb)
        stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(
            list(texts.values()), stopwords="en", stemmer=stemmer, show_progress=False
        )
        model = bm25s.BM25()
        model.index(tokens, show_progress=False)
        return cls("bm25s", model, tuple(texts), stemmer)

    def rank(self, question: str, *, k: int = 10) -> list[str] | None:
        """Document ids best first, or None (declined) when nothing shares a word."""
        bm25s = _bm25s()
        tokens = bm25s.tokenize(
            [question], stopwords="en", stemmer=self.stemmer, show_progress=False
        )
        if not tokens.ids[0]:
            return None
        k = min(k, len(self.doc_ids))
        docs, scores = self.model.retrieve(tokens, k=k, show_progress=False)
        ranked = [self.doc_ids[int(d)] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
        return ranked or None
