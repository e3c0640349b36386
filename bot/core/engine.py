"""The one object adapters talk to: a knowledge base plus its index, built together, swapped as one.

PLACEHOLDER BODIES: the retrieval workstream replaces them; the signatures are the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.core.models import Answer, KnowledgeBase, Paper, Post


@dataclass(frozen=True, slots=True)
class Engine:
    """Answers questions and browses papers over one immutable knowledge base."""

    kb: KnowledgeBase

    @classmethod
    def build(cls, kb: KnowledgeBase) -> Engine:
        """Index ``kb``; the result is immutable and safe to share between tasks and threads."""
        return cls(kb=kb)

    def ask(self, question: str) -> Answer:
        """Answer ``question`` with citations, or decline; never raises on any string."""
        return Answer(question=question, text="", citations=(), declined=True)

    def find_papers(self, query: str, *, limit: int = 25) -> list[Paper]:
        """Papers whose title or alias fuzzily matches ``query``, best first (for autocomplete).

        An empty query returns the newest papers.
        """
        if not query.strip():
            return list(self.kb.papers_newest_first()[:limit])
        choices = {p.id: " ".join((p.title, *p.aliases)) for p in self.kb.papers}
        hits = process.extract(
            query, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit
        )
        return [self.kb.paper(key) for _, _, key in hits if self.kb.paper(key) is not None]  # type: ignore[misc]

    def filter_papers(
        self, *, year: int | None = None, topic: str | None = None, query: str | None = None
    ) -> list[Paper]:
        """Papers matching every given filter, newest first (for /papers)."""
        papers = [
            p
            for p in self.kb.papers_newest_first()
            if (year is None or p.year == year) and (topic is None or topic in p.topics)
        ]
        if query:
            wanted = {p.id for p in self.find_papers(query, limit=len(self.kb.papers))[:10]}
            papers = [p for p in papers if p.id in wanted]
        return papers

    def related_posts(self, paper: Paper) -> list[Post]:
        """His posts about ``paper``, oldest first (for the /paper card)."""
        return []


def load_engine(knowledge_dir: Path) -> Engine:
    """Load, validate and index a knowledge directory; raises KnowledgeError on any problem."""
    from bot.core.knowledge import load_knowledge

    return Engine.build(load_knowledge(knowledge_dir))
