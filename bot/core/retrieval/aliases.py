"""The alias layer: which documents a question names, by a short name, an acronym or a title.

"kNN-LM", "knn lm" and "KNNLM" name the same paper (``alias_key`` joins word parts). An alias
that is also an ordinary word ("ART", "BASE") names its paper only when written in capitals. A
question quoting a whole title names that paper, and one quoting most of a title, typos and all,
names it among the documents the text search already ranks high. The works the profile's bio
names ("RoBERTa", "top-k sampling") name the profile, which is where the knowledge base mentions
the ones that are not among the papers. Every look-up is a dictionary probe with the question's
joined word runs, so its cost does not grow with the number of papers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from bot.core.models import KnowledgeBase
from bot.core.retrieval.documents import (
    PROFILE_ID,
    alias_key,
    joined_ngrams,
    posts_about_papers,
    word_parts,
)
from bot.core.state import Rows, pairs
from bot.core.text import STOPWORDS, normalize
from bot.core.tuning import TUNING, Tuning

_LOWER_WORD_RE = re.compile(r"\b[a-z]+\b")
_CASED_WORD_RE = re.compile(r"[^\W_]+")
MAX_QUESTION_PARTS = 64


TITLE_NAME_MAX_WORDS = 5


def title_names(title: str) -> tuple[str, ...]:
    """The short name a title gives itself before its colon ("MEGABYTE: Predicting ..." ->
    "MEGABYTE", "Tidal Attention: Linear-Time ..." -> "Tidal Attention"): what people call the
    paper, so it names the paper as a curated alias does, even before anyone curates one."""
    head, colon, _ = title.partition(":")
    words = head.split()
    if not colon or not words or len(words) > TITLE_NAME_MAX_WORDS or len(alias_key(head)) < 3:
        return ()
    return (head.strip(),)


def _cased_acronym(alias: str, lowercase_words: set[str]) -> bool:
    """Whether ``alias`` holds an acronym that is also an ordinary word of the knowledge base
    ("ART", "BASE Layers"): such an alias names its paper only as written, in capitals."""
    words = _CASED_WORD_RE.findall(alias)
    return any(
        len(w) > 1 and w.isupper() and w.isalpha() and w.lower() in lowercase_words for w in words
    )


@dataclass(frozen=True, slots=True, eq=False)
class AliasLayer:
    """Names of documents and the documents they name; immutable once built."""

    aliases: dict[str, frozenset[str]]  # alias key -> ids of the papers (or profile) it names
    acronyms: dict[str, frozenset[str]]  # aliases whose capitalised acronym is a common word
    titles: dict[str, frozenset[str]]  # title key -> paper ids
    title_texts: dict[str, str]  # paper id -> the title's content words, for partial quotes
    alias_posts: dict[str, frozenset[str]]  # alias key -> ids of his posts naming it
    paper_posts: dict[str, tuple[str, ...]]  # paper id -> his posts about it, oldest first
    max_alias_chars: int
    max_title_chars: int
    tuning: Tuning = TUNING

    @classmethod
    def build(cls, kb: KnowledgeBase, *, tuning: Tuning = TUNING) -> AliasLayer:
        """Collect every alias, acronym and title of ``kb``."""
        raw = [p.title + " " + p.abstract for p in kb.papers] + [p.text for p in kb.posts]
        lowercase_words = {w for text in raw for w in _LOWER_WORD_RE.findall(text)}
        aliases: dict[str, set[str]] = {}
        acronyms: dict[str, set[str]] = {}
        for paper in kb.papers:
            for alias in (*paper.aliases, *title_names(paper.title)):
                key = alias_key(alias)
                if _cased_acronym(alias, lowercase_words):
                    acronyms.setdefault(alias, set()).add(paper.id)
                elif len(key) >= 2:
                    aliases.setdefault(key, set()).add(paper.id)
        said = {w.casefold() for text in raw for w in _CASED_WORD_RE.findall(text)}
        for work in kb.profile.works:
            # The work, and a proper name in it found nowhere else ("Cicero" of "Cicero
            # Diplomacy bot"): either names the profile, the one place that knows the work.
            proper = [w for w in _CASED_WORD_RE.findall(work) if w[:1].isupper()]
            names = [work, *(w for w in proper if w.casefold() not in said)]
            for name in names:
                key = alias_key(name)
                if len(key) >= 2:
                    aliases.setdefault(key, set()).add(PROFILE_ID)
        titles: dict[str, set[str]] = {}
        for paper in kb.papers:
            key = alias_key(paper.title)
            if key:
                titles.setdefault(key, set()).add(paper.id)
        max_alias = max((len(k) for k in aliases), default=0)
        alias_posts: dict[str, set[str]] = {}
        for post in kb.posts:
            said = " ".join((post.text, post.link_title, post.quoted.text if post.quoted else ""))
            for key in joined_ngrams(word_parts(normalize(said)), max_alias):
                if key in aliases:
                    alias_posts.setdefault(key, set()).add(post.id)
        return cls(
            aliases={k: frozenset(v) for k, v in aliases.items()},
            acronyms={k: frozenset(v) for k, v in acronyms.items()},
            titles={k: frozenset(v) for k, v in titles.items()},
            title_texts={
                p.id: " ".join(w for w in word_parts(normalize(p.title)) if w not in STOPWORDS)
                for p in kb.papers
            },
            alias_posts={k: frozenset(v) for k, v in alias_posts.items()},
            paper_posts=posts_about_papers(kb.papers, kb.posts),
            max_alias_chars=max_alias,
            max_title_chars=max((len(k) for k in titles), default=0),
            tuning=tuning,
        )

    def to_state(self) -> dict[str, Any]:
        """The tables as [key, value] rows, for the engine cache."""

        def rows(table: dict[str, Any]) -> Rows:
            return Rows([k, sorted(v) if isinstance(v, frozenset) else v] for k, v in table.items())

        return {
            "aliases": rows(self.aliases),
            "acronyms": rows(self.acronyms),
            "titles": rows(self.titles),
            "title_texts": rows(self.title_texts),
            "alias_posts": rows(self.alias_posts),
            "paper_posts": rows(self.paper_posts),
            "max_alias_chars": self.max_alias_chars,
            "max_title_chars": self.max_title_chars,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], *, tuning: Tuning = TUNING) -> AliasLayer:
        """The layer ``to_state`` described."""

        def sets(name: str) -> dict[str, frozenset[str]]:
            return {k: frozenset(v) for k, v in pairs(state[name])}

        return cls(
            aliases=sets("aliases"),
            acronyms=sets("acronyms"),
            titles=sets("titles"),
            title_texts=dict(pairs(state["title_texts"])),
            alias_posts=sets("alias_posts"),
            paper_posts={k: tuple(v) for k, v in pairs(state["paper_posts"])},
            max_alias_chars=int(state["max_alias_chars"]),
            max_title_chars=int(state["max_title_chars"]),
            tuning=tuning,
        )

    def named(self, normalized: str, cased: str, *, with_posts: bool = False) -> frozenset[str]:
        """Documents whose alias or whole title ``normalized`` names (and, ``with_posts``, his
        posts naming the alias); ``cased`` is the question as typed, for acronyms."""
        parts = word_parts(normalized)[:MAX_QUESTION_PARTS]
        longest = max(self.max_alias_chars, self.max_title_chars)
        keys = joined_ngrams(parts, longest)
        # A question makes about a hundred keys and few name anything: intersect, then look up.
        found: set[str] = set()
        tables = [self.titles, self.aliases]
        if with_posts:
            tables.append(self.alias_posts)
        for table in tables:
            for key in keys & table.keys():
                found.update(table[key])
        if self.acronyms:
            spaced = " " + " ".join(_CASED_WORD_RE.findall(cased)) + " "
            found.update(
                d
                for acronym, ids in self.acronyms.items()
                if f" {' '.join(_CASED_WORD_RE.findall(acronym))} " in spaced
                for d in ids
            )
        return frozenset(found)

    def papers_named(self, text: str) -> frozenset[str]:
        """Papers ``text`` names exactly as an alias (for autocomplete and look-ups)."""
        return self.aliases.get(alias_key(text), frozenset()) - {PROFILE_ID}

    def quoted_titles(self, normalized: str, candidates: Sequence[str]) -> list[str]:
        """Among ``candidates`` (ids ranked high already), papers whose title the question
        quotes, typos and all ("denoisng seq to seq pre training")."""
        words = [w for w in word_parts(normalized) if w not in STOPWORDS]
        query = " ".join(words)
        if len(words) < self.tuning.title_min_words or len(query) < 15:
            return []
        choices = {d: self.title_texts[d] for d in candidates if d in self.title_texts}
        hits = process.extract(
            query,
            choices,
            scorer=fuzz.partial_ratio,
            score_cutoff=self.tuning.title_cutoff,
            limit=None,
        )
        return [key for _, _, key in hits]
