"""Typed, immutable records for the knowledge base and for answers.

Past the loader nothing handles raw dicts: every module works with these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Literal, TypeVar

import numpy as np

from bot.core.state import (
    Rows,
    StateError,
    array_of,
    decode_columns,
    encode_columns,
    encode_record,
    record_decoder,
)

SourceKind = Literal["paper", "post", "profile"]
Confidence = Literal["high", "low"]


@dataclass(frozen=True, slots=True)
class ProfileCounts:
    """The counts the profile page showed when it was captured."""

    captured: str  # when the page was captured: YYYY, YYYY-MM or YYYY-MM-DD
    posts: int | None = None
    following: int | None = None
    followers: int | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """The researcher's public profile, as captured from X."""

    name: str
    handle: str
    url: str
    bio: str
    location: str
    joined: str  # YYYY-MM
    works: tuple[str, ...]  # the works the bio names, e.g. "BART", "kNN-LM"
    counts: ProfileCounts | None = None


@dataclass(frozen=True, slots=True)
class Paper:
    """One arXiv paper of his, with verified metadata and curated aliases and topics."""

    id: str  # arXiv id, e.g. "1910.13461"
    title: str
    date: str  # YYYY-MM-DD, or YYYY-MM where only the month is known
    venue: str  # "" when unknown
    authors: tuple[str, ...]
    url: str  # https://arxiv.org/abs/<id>
    abstract: str  # the full arXiv abstract, LaTeX kept as written
    aliases: tuple[str, ...] = ()  # short names people use: acronyms, method and model names
    topics: tuple[str, ...] = ()  # from the controlled list in bot.core.schema.TOPICS
    note: str = ""  # a caveat shown with the paper (e.g. a doubtful provenance); "" when none
    categories: tuple[str, ...] = ()  # arXiv categories, primary first, e.g. ("cs.CL", "cs.LG")
    journal_ref: str = ""  # arXiv's journal reference, as the authors wrote it; "" when none
    doi: str = ""  # DOI of the published version, e.g. "10.18653/v1/..."; "" when unknown

    @property
    def year(self) -> int:
        return int(self.date[:4])


@dataclass(frozen=True, slots=True)
class QuotedPost:
    """A post he quoted or replied under, kept apart from his own words."""

    handle: str  # e.g. "@huggingface"; "" when the quoted post is unavailable (see note)
    name: str
    date: str  # YYYY-MM-DD, or "" when the capture has none
    text: str  # "" when the quoted post is unavailable (see note)
    note: str = ""  # why the quoted post's content is missing, e.g. its account no longer exists
    url: str = ""  # the quoted post's status URL, when known (X archive imports)


@dataclass(frozen=True, slots=True)
class Thread:
    """Where a post sits in one of his threads (e.g. the 2022-11-22 Diplomacy thread, 2 of 5)."""

    id: str  # a stable id of the thread, e.g. "2022-11-22-diplomacy"
    position: int
    total: int | None  # None when the post says "1/" without a total


@dataclass(frozen=True, slots=True)
class Post:
    """One of his posts on X."""

    id: str  # derived: date + sequence, e.g. "2022-11-22-1"
    date: str  # YYYY-MM-DD
    text: str  # his own words only
    url: str  # the post's status URL; the profile URL for posts captured without ids
    reply_to: str = ""  # handle replied to, e.g. "@ml_perception"; "" when not a reply
    thread: Thread | None = None
    quoted: QuotedPost | None = None
    links: tuple[str, ...] = ()  # links he mentions or attaches, as captured (may be shortened)
    link_title: str = ""  # title of an attached link card; "" when none
    status_id: str = ""  # X's id of the post (from the archive); "" when captured without one


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An arXiv id kept out of the knowledge base on every import (e.g. a namesake's paper)."""

    id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """Everything the bot knows; swapped as one object on reload."""

    profile: Profile
    papers: tuple[Paper, ...]
    posts: tuple[Post, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()  # groups of equivalent terms (synonyms.yaml)
    excluded: tuple[Exclusion, ...] = ()  # ids importers must never add (exclude.yaml)
    _papers_by_id: dict[str, Paper] = field(init=False, repr=False, compare=False)
    _posts_by_id: dict[str, Post] = field(init=False, repr=False, compare=False)
    _papers_newest: tuple[Paper, ...] = field(init=False, repr=False, compare=False)
    _posts_newest: tuple[Post, ...] = field(init=False, repr=False, compare=False)
    _topics: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._derive(_newest_first(self.papers), _newest_first(self.posts))

    def _derive(self, papers_newest: tuple[Paper, ...], posts_newest: tuple[Post, ...]) -> None:
        object.__setattr__(self, "_papers_by_id", {p.id: p for p in self.papers})
        object.__setattr__(self, "_posts_by_id", {p.id: p for p in self.posts})
        # Newest first, ties broken by id (also newest first); sorted once, read on every list.
        object.__setattr__(self, "_papers_newest", papers_newest)
        object.__setattr__(self, "_posts_newest", posts_newest)
        # /papers checks its topic option against these on the event loop: compute them once.
        object.__setattr__(
            self, "_topics", tuple(sorted({t for p in self.papers for t in p.topics}))
        )

    def paper(self, paper_id: str) -> Paper | None:
        """Return the paper with this arXiv id, or None."""
        return self._papers_by_id.get(paper_id)

    def post(self, post_id: str) -> Post | None:
        """Return the post with this id, or None."""
        return self._posts_by_id.get(post_id)

    @property
    def topics(self) -> tuple[str, ...]:
        """Topics used by at least one paper, sorted."""
        return self._topics

    def papers_newest_first(self) -> tuple[Paper, ...]:
        """Papers sorted newest first; ties broken by arXiv id, also newest first."""
        return self._papers_newest

    def posts_newest_first(self) -> tuple[Post, ...]:
        """Posts sorted newest first; ties broken by post id, also newest first."""
        return self._posts_newest

    def to_state(self) -> dict[str, Any]:
        """The records, for the engine cache (``bot.core.state``)."""
        return {
            "profile": encode_record(self.profile),
            "papers": encode_columns(self.papers, Paper),
            "posts": Rows(encode_record(p) for p in self.posts),
            "synonyms": [list(group) for group in self.synonyms],
            "excluded": [encode_record(e) for e in self.excluded],
            # The newest-first orders as positions: sorting 100k papers again on load held the
            # interpreter lock for 120 ms (a /reload reads the entry beside the event loop).
            "papers_newest": _positions(self.papers, self._papers_newest),
            "posts_newest": _positions(self.posts, self._posts_newest),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> KnowledgeBase:
        """The knowledge base ``to_state`` described, in the same order."""
        post = record_decoder(Post)
        exclusion = record_decoder(Exclusion)
        kb = cls.__new__(cls)
        papers = tuple(decode_columns(state["papers"], Paper, shared=_SHARED_PAPER_FIELDS))
        posts = tuple(post(row) for row in state["posts"])
        for name, value in (
            ("profile", record_decoder(Profile)(state["profile"])),
            ("papers", papers),
            ("posts", posts),
            ("synonyms", tuple(tuple(group) for group in state["synonyms"])),
            ("excluded", tuple(exclusion(row) for row in state["excluded"])),
        ):
            object.__setattr__(kb, name, value)
        kb._derive(
            _in_order(papers, array_of(state, "papers_newest", "int32")),
            _in_order(posts, array_of(state, "posts_newest", "int32")),
        )
        return kb


_Dated = TypeVar("_Dated", Paper, Post)
# Fields whose few distinct values 100,000 papers repeat: one string object each (the loader too).
_SHARED_PAPER_FIELDS = ("date", "venue", "authors", "topics", "categories")


def _newest_first(records: tuple[_Dated, ...]) -> tuple[_Dated, ...]:
    return tuple(sorted(records, key=attrgetter("date", "id"), reverse=True))


def _positions(records: tuple[_Dated, ...], ordered: tuple[_Dated, ...]) -> np.ndarray:
    """Where each of ``ordered`` is in ``records``."""
    position = {id(r): i for i, r in enumerate(records)}
    return np.array([position[id(r)] for r in ordered], dtype=np.int32)


def _in_order(records: tuple[_Dated, ...], positions: np.ndarray) -> tuple[_Dated, ...]:
    """``records`` in the order of ``positions``, which must name each of them once."""
    if not np.array_equal(np.sort(positions), np.arange(len(records))):
        raise StateError("an order that is not one of the records")
    return tuple(records[i] for i in positions.tolist())


@dataclass(frozen=True, slots=True)
class Citation:
    """A source backing an answer; its number is its 1-based position in Answer.citations."""

    kind: SourceKind
    id: str
    title: str
    date: str | None  # YYYY-MM-DD, YYYY-MM, or None (the profile)
    url: str
    text: str  # the post's own text for a post; the cited excerpt for a paper or the profile
    score: float
    note: str = ""  # a caveat to show with the source (a doubtful record); "" when none


@dataclass(frozen=True, slots=True)
class Statement:
    """One sentence of an answer and the 1-based number of the citation that backs it."""

    text: str
    citation: int


@dataclass(frozen=True, slots=True)
class Answer:
    """A formatting-neutral answer: adapters render it, they never re-rank or re-parse."""

    question: str
    text: str  # the whole answer, each statement followed by its marker, e.g. "... [1]"
    citations: tuple[Citation, ...]  # best first; empty when declined
    declined: bool
    statements: tuple[Statement, ...] = ()
    intro: str = ""  # a lead-in line without a citation (e.g. "His 5 most recent papers:")
    suggestions: tuple[str, ...] = ()  # close matches offered with a decline
    # "high": answered; "low": a tentative answer ("Not sure this is what you mean ...");
    # None when declined.
    confidence: Confidence | None = "high"
    resolved: str = ""  # the question as it was read (a follow-up made explicit); "" = as asked
    notes: tuple[str, ...] = ()  # the citations' caveats, "[n] caveat", for every interface


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier turn of a conversation: what was asked and the ids its answer cited."""

    question: str
    cited: tuple[str, ...] = ()
