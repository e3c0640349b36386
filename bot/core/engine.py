"""The one object adapters talk to: a knowledge base and its index, built and swapped as one."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.answer import Answerer
from bot.core.catalog import Catalog
from bot.core.conversation import read_in_context, with_focus
from bot.core.models import Answer, KnowledgeBase, Paper, Post, Turn
from bot.core.query import Query
from bot.core.retrieval import ALL_LAYERS, Layers, Retriever
from bot.core.sanitize import clean_text
from bot.core.smalltalk import small_talk
from bot.core.structured import StructuredMatcher
from bot.core.text import content_words


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one per build
class Engine:
    """Answers questions and browses papers over one immutable knowledge base."""

    kb: KnowledgeBase
    retriever: Retriever
    structured: StructuredMatcher
    answerer: Answerer
    catalog: Catalog  # titles, aliases, years and topics, for browsing without a scan

    @classmethod
    def build(cls, kb: KnowledgeBase, *, layers: Layers = ALL_LAYERS) -> Engine:
        """Index ``kb``; the result is immutable and safe to share between tasks and threads.

        ``layers`` switches retrieval layers off (the evaluation measures what each adds).
        """
        retriever = Retriever.build(kb, layers=layers)
        structured = StructuredMatcher.build(kb)
        return cls(
            kb=kb,
            retriever=retriever,
            structured=structured,
            answerer=Answerer(kb, retriever, structured),
            catalog=Catalog.build(kb.papers_newest_first()),
        )

    def to_state(self) -> dict[str, Any]:
        """Everything built, for the on-disk cache (``bot.core.cache``; see ``bot.core.state``)."""
        return {
            "kb": self.kb.to_state(),
            "retriever": self.retriever.to_state(),
            "structured": self.structured.to_state(),
            "catalog": self.catalog.to_state(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Engine:
        """The engine ``to_state`` described; it answers exactly as the one saved did.

        Raises ``StateError`` (or TypeError, ValueError, KeyError) when the state does not fit.
        """
        kb = KnowledgeBase.from_state(state["kb"])
        retriever = Retriever.from_state(state["retriever"], kb)
        structured = StructuredMatcher.from_state(state["structured"], kb)
        return cls(
            kb=kb,
            retriever=retriever,
            structured=structured,
            answerer=Answerer(kb, retriever, structured),
            catalog=Catalog.from_state(state["catalog"], kb.papers_newest_first()),
        )

    def ask(self, question: str, *, history: Sequence[Turn] = ()) -> Answer:
        """Answer ``question`` with citations, or decline; never raises on any string.

        ``history`` holds the earlier turns of the same conversation, oldest first: a
        follow-up ("who wrote it?") is read in their light and the answer says how
        (``Answer.resolved``); a question with its own topic ignores them. Invisible, control
        and bidi characters are removed first, so "B\u200bART" is BART, and the answer echoes
        the question as it was understood.
        """
        question = clean_text(question)
        kind = small_talk(question)
        if kind is not None:  # "thanks!" is neither a question nor a follow-up
            return self.answerer.small_talk(question, kind)
        reading = read_in_context(
            question,
            history,
            kb=self.kb,
            retriever=self.retriever,
            structured=self.structured,
        )
        query = with_focus(self.understand(reading.text), reading)
        answer = self.answerer.answer(query)
        self.retriever.release_pages()
        resolved = (reading.shown or reading.text) if reading.followup else ""
        return dataclasses.replace(answer, question=question, resolved=resolved)

    def replay(self, questions: Sequence[str]) -> list[Turn]:
        """The turns of a conversation given only its questions (oldest first): each is asked
        with the turns before it, as the bot answered them."""
        turns: list[Turn] = []
        for question in questions:
            answer = self.ask(question, history=turns)
            turns.append(turn_of(answer))
        return turns

    def understand(self, question: str) -> Query:
        """The ``Query`` this engine reads ``question`` as."""
        return self.retriever.parse(question)

    def find_papers(self, query: str, *, limit: int = 25) -> list[Paper]:
        """Papers whose title or alias matches ``query``, best first (for autocomplete).

        An empty query returns the newest papers. Each title and alias is scored on its own, so a
        long title cannot dilute a short name: an exact alias ("BART") first, then names with a
        word starting with the query, then fuzzy matches ("strreaming"); newest first on ties.
        Fast at any size (see ``bot.core.catalog``), so it may run on the event loop.
        """
        return self.catalog.find(clean_text(query), limit=limit)

    def resolve_paper(self, text: str) -> Paper | None:
        """The paper ``text`` names (an arXiv id, an alias, or close to a title), or None.

        Stricter than ``find_papers``: a value typed into /paper must name one paper, not merely
        resemble some title.
        """
        text = clean_text(text)
        by_id = self.kb.paper(text)
        return by_id if by_id is not None else self.catalog.resolve(text)

    def filter_papers(
        self, *, year: int | None = None, topic: str | None = None, query: str | None = None
    ) -> list[Paper]:
        """Papers matching every given filter, newest first (for /papers).

        A query keeps papers whose title or alias matches it fuzzily or whose text the retriever
        finds confidently relevant. Year and topic are table lookups; a query runs the retriever,
        so call this off the event loop.
        """
        papers = self.catalog.papers
        ranks = self.catalog.filter(year=year, topic=topic)
        query = clean_text(query) if query else None
        if query:
            wanted = self._matching_ranks(query)
            if ranks is not None:
                wanted &= set(ranks.tolist())
            return [papers[r] for r in sorted(wanted)]
        return list(papers) if ranks is None else [papers[r] for r in ranks.tolist()]

    def _matching_ranks(self, query: str) -> set[int]:
        wanted = set(self.catalog.alias_ranks(query))
        words = " ".join(content_words(query))
        if len(words) >= 3:
            # partial_ratio of the query's content words inside a title: "nearest neighbor"
            # matches both nearest-neighbour titles; WRatio would let "in" match everything.
            wanted |= self.catalog.matching_names(words)
        retrieval = self.retriever.retrieve(self.retriever.parse(query), k=20)
        top = retrieval.top
        if retrieval.confidence == "high" and top is not None:
            for candidate in retrieval.candidates:
                paper = self.kb.paper(candidate.doc_id)
                if (
                    paper is not None
                    and candidate.coverage >= top.coverage * 0.8
                    and (rank := self.catalog.rank(paper)) is not None
                ):
                    wanted.add(rank)
        return wanted

    def related_posts(self, paper: Paper) -> list[Post]:
        """His posts about ``paper``, oldest first (for the /paper card).

        See ``bot.core.retrieval.posts_about_papers`` for what makes a post about a paper.
        """
        ids = self.retriever.aliases.paper_posts.get(paper.id, ())
        return [post for post in map(self.kb.post, ids) if post is not None]


def turn_of(answer: Answer) -> Turn:
    """The turn an answer makes in its conversation: the question as read, the ids it cited."""
    return Turn(answer.resolved or answer.question, tuple(c.id for c in answer.citations))


def load_engine(
    knowledge_dir: Path, *, layers: Layers = ALL_LAYERS, cache_dir: Path | None = None
) -> Engine:
    """Load, validate and index a knowledge directory; raises KnowledgeError on any problem.

    With ``cache_dir``, an engine cached there for these files and this code is read instead,
    and a new one is cached (see ``bot.core.cache``); without it, always built.
    """
    if cache_dir is not None:
        from bot.core.cache import load_or_build

        return load_or_build(knowledge_dir, layers=layers, cache_dir=cache_dir)
    from bot.core.knowledge import load_knowledge

    return Engine.build(load_knowledge(knowledge_dir), layers=layers)
