"""The one object adapters talk to: a knowledge base and its index, built and swapped as one."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.core.answer import Answerer
from bot.core.conversation import read_in_context, with_focus
from bot.core.models import Answer, KnowledgeBase, Paper, Post, Turn
from bot.core.query import Query
from bot.core.retrieval import ALL_LAYERS, Layers, Retriever
from bot.core.sanitize import clean_text
from bot.core.structured import StructuredMatcher
from bot.core.text import content_words

QUERY_FILTER_CUTOFF = 90.0  # partial_ratio for a title/alias to match a /papers query
# partial_ratio a title or alias needs to be offered while typing: "atention sink" finds
# "attention sinks" (92) while "weather" or "pizza" find nothing (< 70).
FIND_CUTOFF = 75.0
RESOLVE_CUTOFF = 88.0  # WRatio a typed /paper value needs against a whole title or alias
RESOLVE_WHOLE_NAME = 70.0  # ratio against a whole title or alias, for values not a prefix
RESOLVE_MIN_CHARS = 4  # shorter typed values resolve only as an exact alias ("RAG", "BLT")


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one per build
class Engine:
    """Answers questions and browses papers over one immutable knowledge base."""

    kb: KnowledgeBase
    retriever: Retriever
    structured: StructuredMatcher
    answerer: Answerer
    _names: dict[str, str]  # paper id -> "title alias alias ..." for fuzzy title search
    _name_entries: tuple[tuple[str, str], ...]  # (processed title or alias, paper id), one each

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
            _names={p.id: " ".join((p.title, *p.aliases)) for p in kb.papers},
            _name_entries=tuple(
                (_fold(name), p.id)
                for p in kb.papers_newest_first()
                for name in (p.title, *p.aliases)
            ),
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
        reading = read_in_context(
            question,
            history,
            kb=self.kb,
            retriever=self.retriever,
            structured=self.structured,
        )
        query = with_focus(self.understand(reading.text), reading)
        answer = self.answerer.answer(query)
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
        """
        return [paper for paper, _ in self._ranked_papers(clean_text(query))[: max(limit, 0)]]

    def resolve_paper(self, text: str) -> Paper | None:
        """The paper ``text`` names (an arXiv id, an alias, or close to a title), or None.

        Stricter than ``find_papers``: a value typed into /paper must name one paper, not merely
        resemble some title.
        """
        text = clean_text(text)
        by_id = self.kb.paper(text)
        if by_id is not None:
            return by_id
        exact = self._alias_papers(text)
        if exact:
            return exact[0]
        processed = _fold(text)
        if len(processed) < RESOLVE_MIN_CHARS:
            return None
        hits = process.extract(
            processed,
            [name for name, _ in self._name_entries],
            scorer=fuzz.WRatio,
            processor=None,
            score_cutoff=RESOLVE_CUTOFF,
            limit=None,
        )
        for name, _, index in hits:
            # Close to a whole name ("megabyt", "atention sink") or the start of a title
            # ("trusting your evidence"); a word found inside a long title ("model") is not.
            if fuzz.ratio(processed, name) >= RESOLVE_WHOLE_NAME or name.startswith(processed):
                return self.kb.paper(self._name_entries[index][1])
        return None

    def _alias_papers(self, text: str) -> list[Paper]:
        """Papers with ``text`` as an exact alias, newest first."""
        ids = self.retriever.aliases.papers_named(text)
        return [p for p in self.kb.papers_newest_first() if p.id in ids] if ids else []

    def _ranked_papers(self, query: str) -> list[tuple[Paper, float]]:
        processed = _fold(query)
        if not processed:
            return [(p, 0.0) for p in self.kb.papers_newest_first()]
        best: dict[str, tuple[int, float]] = {}  # paper id -> (match class, score); higher wins
        for paper in self._alias_papers(query):
            best[paper.id] = (3, 100.0)
        hits = process.extract(
            processed,
            [name for name, _ in self._name_entries],
            scorer=fuzz.partial_ratio,
            processor=None,
            score_cutoff=FIND_CUTOFF,
            limit=None,
        )
        for name, score, index in hits:
            paper_id = self._name_entries[index][1]
            starts_word = name.startswith(processed) or f" {processed}" in name
            best[paper_id] = max(best.get(paper_id, (0, 0.0)), (2 if starts_word else 1, score))
        order = {p.id: rank for rank, p in enumerate(self.kb.papers_newest_first())}
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], -kv[1][1], order[kv[0]]))
        return [
            (paper, rank[1])
            for paper_id, rank in ranked
            if (paper := self.kb.paper(paper_id)) is not None
        ]

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
        query = clean_text(query) if query else None
        if query:
            wanted = self._matching_ids(query)
            papers = [p for p in papers if p.id in wanted]
        return papers

    def _matching_ids(self, query: str) -> set[str]:
        words = " ".join(content_words(query))
        wanted: set[str] = set(self.retriever.aliases.papers_named(query))
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
        retrieval = self.retriever.retrieve(self.retriever.parse(query), k=20)
        top = retrieval.top
        if retrieval.confidence == "high" and top is not None:
            wanted.update(
                c.doc_id for c in retrieval.candidates if c.coverage >= top.coverage * 0.8
            )
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


def _fold(text: str) -> str:
    """rapidfuzz's default processing with runs of spaces folded ("LIMA: Less" -> "lima less")."""
    return " ".join(utils.default_process(text).split())


def load_engine(knowledge_dir: Path, *, layers: Layers = ALL_LAYERS) -> Engine:
    """Load, validate and index a knowledge directory; raises KnowledgeError on any problem."""
    from bot.core.knowledge import load_knowledge

    return Engine.build(load_knowledge(knowledge_dir), layers=layers)
