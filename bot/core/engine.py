"""The one object adapters talk to: a knowledge base and its index, built and swapped as one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.core.answer import answer_question
from bot.core.models import Answer, KnowledgeBase, Paper, Post
from bot.core.retrieval import Retriever, alias_key
from bot.core.structured import StructuredMatcher
from bot.core.text import content_words

QUERY_FILTER_CUTOFF = 90.0  # partial_ratio for a title/alias to match a /papers query


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one per build
class Engine:
    """Answers questions and browses papers over one immutable knowledge base."""

    kb: KnowledgeBase
    retriever: Retriever
    structured: StructuredMatcher
    _names: dict[str, str]  # paper id -> "title alias alias ..." for fuzzy title search

    @classmethod
    def build(cls, kb: KnowledgeBase) -> Engine:
        """Index ``kb``; the result is immutable and safe to share between tasks and threads."""
        return cls(
            kb=kb,
            retriever=Retriever.build(kb),
            structured=StructuredMatcher.build(kb),
            _names={p.id: " ".join((p.title, *p.aliases)) for p in kb.papers},
        )

    def ask(self, question: str) -> Answer:
        """Answer ``question`` with citations, or decline; never raises on any string."""
        return answer_question(
            question, kb=self.kb, retriever=self.retriever, structured=self.structured
        )

    def find_papers(self, query: str, *, limit: int = 25) -> list[Paper]:
        """Papers whose title or alias fuzzily matches ``query``, best first (for autocomplete).

        An empty query returns the newest papers. An exact alias ("BART") comes before fuzzy
        title matches, and a typo ("strreaming") still finds the title.
        """
        if limit <= 0:
            return []
        if not utils.default_process(query):
            return list(self.kb.papers_newest_first()[:limit])
        exact = sorted(self.retriever.aliases.get(alias_key(query), ()))
        hits = process.extract(
            query,
            self._names,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            limit=limit + len(exact),
        )
        ids = list(dict.fromkeys([*exact, *(key for _, _, key in hits)]))[:limit]
        return [paper for paper in map(self.kb.paper, ids) if paper is not None]

    def filter_papers(
        self, *, year: int | None = None, topic: str | None = None, query: str | None = None
    ) -> list[Paper]:
        """Papers matching every given filter, newest first (for /papers).

        A query keeps papers whose title or alias matches it fuzzily or whose text the retriever
        finds confidently relevant.
        """
        papers = [
            p
            for p in self.kb.papers_newest_first()
            if (year is None or p.year == year) and (topic is None or topic in p.topics)
        ]
        if query and query.strip():
            wanted = self._matching_ids(query)
            papers = [p for p in papers if p.id in wanted]
        return papers

    def _matching_ids(self, query: str) -> set[str]:
        words = " ".join(content_words(query))
        wanted: set[str] = set(self.retriever.aliases.get(alias_key(query), ()))
        if len(words) >= 3:
            # partial_ratio of the query's content words inside a title: "nearest neighbor"
            # matches both nearest-neighbour titles; WRatio would let "in" match everything.
            hits = process.extract(
                words,
                self._names,
                scorer=fuzz.partial_ratio,
                processor=utils.default_process,
                score_cutoff=QUERY_FILTER_CUTOFF,
                limit=None,
            )
            wanted.update(key for _, _, key in hits)
        retrieval = self.retriever.retrieve(query, k=20)
        if retrieval.confident:
            wanted.update(
                h.doc_id
                for h in retrieval.hits
                if self.retriever.coverage(retrieval, h.doc_id) >= retrieval.coverage * 0.8
            )
        return wanted

    def related_posts(self, paper: Paper) -> list[Post]:
        """His posts about ``paper``, oldest first (for the /paper card).

        See ``bot.core.retrieval.posts_about_papers`` for what makes a post about a paper.
        """
        ids = self.retriever.paper_posts.get(paper.id, ())
        return [post for post in map(self.kb.post, ids) if post is not None]


def load_engine(knowledge_dir: Path) -> Engine:
    """Load, validate and index a knowledge directory; raises KnowledgeError on any problem."""
    from bot.core.knowledge import load_knowledge

    return Engine.build(load_knowledge(knowledge_dir))
