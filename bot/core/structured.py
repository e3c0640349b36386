"""Questions answered from metadata rather than text: lists of papers and posts, one paper's record.

"His latest papers", "papers from 2021", "his ICML papers", "papers on retrieval", "how many papers
with Sewon Min", "his oldest paper", "papers he first-authored". Detection reads the ``Query``'s
cues and years and this knowledge base's venues, co-authors and topics; a question whose other
words the metadata cannot answer goes to the retriever. Every filter is a precomputed index (by
year, venue, author, topic), so a list costs the same for 100 papers as for 100,000.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

import numpy as np
from rapidfuzz import fuzz, process

from bot.core.fuzzy import ByLength
from bot.core.models import KnowledgeBase, Paper, Post
from bot.core.query import Cue, Query, person_words
from bot.core.state import (
    Lines,
    StateError,
    array_of,
    decode_groups,
    encode_groups,
    rows_within,
)
from bot.core.text import NUMBER_WORDS, STOPWORDS, normalize, stem, tokenize
from bot.core.tuning import TUNING, Tuning

# "his latest three papers": the number words up to ten ("one" is a stopword in retrieval, so
# text.NUMBER_WORDS leaves it out; here it is a count).
_NUMBERS = {"one": 1} | {w: int(d) for w, d in NUMBER_WORDS.items() if int(d) <= 10}
_SINGLE_PAPER = re.compile(r"\b(paper|publication|article|work|thing|one|anything|something)\b")
_WITH = re.compile(
    r"\b(with|w/|w|co-?authors?|co-?authored|co-?wrote|collaborat\w*|alongside|and|together)\b"
)
_YEAR_WORD = re.compile(r"(?:19|20)\d{2}")
_K = TypeVar("_K", bound=Hashable)
_NONE = np.empty(0, dtype=np.int32)
# Question words that never describe the papers wanted ("which papers did he write on ...").
_FILLER = frozenset(
    """
    accepted actually all appear appeared appears area areas article articles authored back came
    co coauthor coauthored collaborate collaborated collaborating collaboration come conference
    conferences count cowrote done earliest ever field first give have how last latest lead list
    many newest number oldest on out paper papers post posted posts presented publication
    publications publish published put recent related release released show subject together
    topic topics total tweet tweeted tweets venue venues work works write written wrote author
    authors thing things one ones any anything pls please w far together couple few several bunch
    right
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# A venue's former name, so a question using it still finds the venue's papers.
VENUE_SYNONYMS = {"nips": "neurips"}
# Up to this many co-author names every name is compared with each phrase of a question; above
# it, only names sharing a word, or a near spelling of one, with the phrase (a 14-word question
# against 25,000 names took 33 ms).
EXHAUSTIVE_AUTHORS = 2_000
NAME_WORD_CUTOFF = 80.0  # fuzz.ratio for a question word to stand for a word of a name
_FINDINGS = re.compile(r"^findings of\s+", re.IGNORECASE)
_VENUE_YEAR = re.compile(r"\s*\b((?:19|20)\d{2})$")
# The words of a question about one paper's record that do not name the paper.
FACT_WORDS = re.compile(
    r"\b(who|wrote|write|written|authored|authors?|co-?authors?|worked|else|when|where|what|which|"
    r"publish\w*|release\w*|come|came|out|appear\w*|present\w*|accepted|submit\w*|venue|"
    r"conference|journal|year|date|link|url|pdf|arxiv|id|page|with|did|was|were|is|the|on|of|"
    r"for|first|author|list|in|at|it|main|lead|senior|last|other|that|this|co|s|conf|writer"
    r"|writers|coauthors?|called|name|named|title|titled|day|month|get|got|paper|pls|please"
    r"|under|some)\b"
)


def venue_family(venue: str) -> str:
    """The conference or journal a venue string belongs to, without its year: "ICLR 2024" ->
    "ICLR". "Findings of ACL 2023" -> "ACL": Findings papers are accepted by the ACL
    conference's own review and published in its companion volume, so asking for his ACL papers
    includes them (saying so); "NAACL", "EMNLP" and the TACL journal are venues of their own."""
    return _VENUE_YEAR.sub("", _FINDINGS.sub("", venue.strip())).strip()


class RankedPapers(Sequence[Paper]):
    """Papers by rank in the newest-first order, made only when read: a list answer shows ten
    of what may be 20,000 matches, and counts the rest."""

    __slots__ = ("_newest", "_ranks")

    def __init__(self, newest: Sequence[Paper], ranks: np.ndarray) -> None:
        self._newest = newest
        self._ranks = ranks

    def __len__(self) -> int:
        return int(self._ranks.size)

    @overload
    def __getitem__(self, index: int) -> Paper: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Paper, ...]: ...
    def __getitem__(self, index: int | slice) -> Paper | tuple[Paper, ...]:
        if isinstance(index, slice):
            return tuple(self._newest[r] for r in self._ranks[index].tolist())
        return self._newest[int(self._ranks[index])]


@dataclass(frozen=True, slots=True)
class PaperList:
    """A metadata question's answer: the matching papers in the order asked, and how chosen."""

    papers: Sequence[Paper]  # every match, newest first (oldest first when asked)
    description: str  # e.g. "from 2021 with Tim Dettmers"
    count_question: bool  # "how many ...": the intro leads with the number
    recent: int | None = None  # "latest N" / "oldest N": only the N first were asked for
    oldest: bool = False


@dataclass(frozen=True, slots=True)
class PostList:
    """His posts newest first ("his latest posts"); ``recent``: how many were asked for."""

    posts: tuple[Post, ...]
    recent: int | None = None


def fact_topic(query: Query) -> str:
    """The words of a question about one paper's record that name the paper."""
    return " ".join(FACT_WORDS.sub(" ", query.normalized).split())


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one per build
class StructuredMatcher:
    """Answers metadata questions over one knowledge base; immutable once built."""

    kb: KnowledgeBase
    author_names: tuple[str, ...]  # normalised full names and distinctive surnames
    author_keys: tuple[str, ...]  # the full name each entry of author_names stands for
    topic_stems: dict[str, frozenset[str]]
    venues: dict[str, str]  # a venue family's last word -> the family
    # Papers are numbered by rank (their position in kb.papers_newest_first()), and each index
    # below is a sorted int32 array of ranks, so filters intersect arrays, never scan papers.
    by_year: dict[int, np.ndarray]
    by_family: dict[str, np.ndarray]
    by_author: dict[str, np.ndarray]
    by_topic: dict[str, np.ndarray]
    first_authored: np.ndarray  # papers whose first author is the researcher
    venue_years: np.ndarray  # int16 per rank: the year its venue names ("ICLR 2024"), or 0
    findings: np.ndarray  # bool per rank: its venue is "Findings of ..."
    person: frozenset[str]  # the words naming him ("what did Lewis publish" asks no topic)
    tuning: Tuning = TUNING
    names_by_length: ByLength = field(init=False, repr=False, compare=False)
    name_words: tuple[str, ...] = field(init=False, repr=False, compare=False)  # sorted
    words_by_length: ByLength = field(init=False, repr=False, compare=False)
    word_names: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names_by_length", ByLength(self.author_names))
        holders: dict[str, list[int]] = {}
        if len(self.author_names) > EXHAUSTIVE_AUTHORS:
            for index, name in enumerate(self.author_names):
                for word in dict.fromkeys(name.split()):
                    holders.setdefault(word, []).append(index)
        words = tuple(sorted(holders))
        object.__setattr__(self, "name_words", words)
        object.__setattr__(self, "words_by_length", ByLength(words))
        object.__setattr__(self, "word_names", tuple(tuple(holders[w]) for w in words))

    @classmethod
    def build(cls, kb: KnowledgeBase, *, tuning: Tuning = TUNING) -> StructuredMatcher:
        """Index the co-authors, venues, years and topics of ``kb``."""
        me = normalize(kb.profile.name)
        person = frozenset(person_words(kb.profile.name, kb.profile.handle))
        full = sorted({a for p in kb.papers for a in p.authors if a and "et al" not in a})
        full = [a for a in full if normalize(a) != me]
        surnames: dict[str, list[str]] = {}
        for author in full:
            parts = normalize(author).split()
            # A co-author sharing his surname ("Patrick Lewis") is named in full, never by it.
            if len(parts) > 1 and len(parts[-1]) >= 4 and parts[-1] not in person:
                surnames.setdefault(parts[-1], []).append(author)
        names = [normalize(a) for a in full]
        keys = list(full)
        for surname, owners in surnames.items():
            if len(owners) == 1:  # an ambiguous surname ("Smith") only counts with a first name
                names.append(surname)
                keys.append(owners[0])
        topics = {
            t: frozenset(stem([w for w in tokenize(t.replace("-", " ")) if w not in STOPWORDS]))
            for t in kb.topics
        }
        # A family is named by its last word ("IEEE/ACM TASLP" by "taslp"), casefolded.
        venues: dict[str, str] = {}
        for family in sorted({venue_family(p.venue) for p in kb.papers if p.venue}):
            words = tokenize(normalize(family), joined=False)
            if words:
                venues.setdefault(words[-1], family)
        for old, new in VENUE_SYNONYMS.items():
            family = venues.get(new)
            if family is not None:
                venues.setdefault(old, family)
        newest = kb.papers_newest_first()
        venue_years = [_VENUE_YEAR.search(p.venue) for p in newest]
        return cls(
            kb=kb,
            author_names=tuple(names),
            author_keys=tuple(keys),
            topic_stems=topics,
            venues=venues,
            by_year=_group(newest, lambda p: [p.year]),
            by_family=_group(newest, lambda p: [venue_family(p.venue)] if p.venue else []),
            by_author=_group(newest, lambda p: list(p.authors)),
            by_topic=_group(newest, lambda p: list(p.topics)),
            first_authored=np.array(
                [r for r, p in enumerate(newest) if p.authors and normalize(p.authors[0]) == me],
                dtype=np.int32,
            ),
            venue_years=np.array([int(m.group(1)) if m else 0 for m in venue_years], np.int16),
            findings=np.array([bool(_FINDINGS.match(p.venue)) for p in newest], dtype=bool),
            person=person,
            tuning=tuning,
        )

    def to_state(self) -> dict[str, Any]:
        """The tables, for the engine cache (papers by rank, see above)."""

        return {
            "author_names": Lines(self.author_names),
            "author_keys": Lines(self.author_keys),
            "topic_stems": {t: sorted(s) for t, s in self.topic_stems.items()},
            "venues": self.venues,
            "by_year": encode_groups(self.by_year),
            "by_family": encode_groups(self.by_family),
            "by_author": encode_groups(self.by_author),
            "by_topic": encode_groups(self.by_topic),
            "first_authored": self.first_authored,
            "venue_years": self.venue_years,
            "findings": self.findings,
        }

    @classmethod
    def from_state(
        cls, state: dict[str, Any], kb: KnowledgeBase, *, tuning: Tuning = TUNING
    ) -> StructuredMatcher:
        """The matcher ``to_state`` described, over ``kb``."""
        count = len(kb.papers)

        def groups(name: str) -> dict[Any, np.ndarray]:
            return decode_groups(state[name], count, name)

        names, keys = tuple(state["author_names"]), tuple(state["author_keys"])
        venue_years = array_of(state, "venue_years", "int16")
        findings = array_of(state, "findings", "bool")
        if len(names) != len(keys) or venue_years.size != count or findings.size != count:
            raise StateError("structured tables of different lengths")
        return cls(
            kb=kb,
            author_names=names,
            author_keys=keys,
            topic_stems={t: frozenset(s) for t, s in state["topic_stems"].items()},
            venues=dict(state["venues"]),
            by_year={int(y): v for y, v in groups("by_year").items()},
            by_family=groups("by_family"),
            by_author=groups("by_author"),
            by_topic=groups("by_topic"),
            first_authored=rows_within(
                array_of(state, "first_authored", "int32"), count, "first_authored"
            ),
            venue_years=venue_years,
            findings=findings,
            person=frozenset(person_words(kb.profile.name, kb.profile.handle)),
            tuning=tuning,
        )

    def post_list(self, query: Query) -> PostList | None:
        """ "His latest posts", "list his tweets": his posts newest first, when nothing else is
        asked about them (a topic goes to the retriever)."""
        text = query.normalized
        recent = query.has(Cue.RECENT)
        if not (query.has(Cue.POSTS) or (recent and re.search(r"\b(post|tweet)", text))):
            return None
        rest = [w for w in self._rest(query, set()) if w not in _NUMBERS and not w.isdigit()]
        if rest:
            return None
        posts = self.kb.posts_newest_first()
        return PostList(posts, self._how_many(text) if recent else None)

    def paper_list(self, query: Query) -> PaperList | None:
        """The papers a metadata question asks for, or None when it asks something else."""
        text = query.normalized
        listy = query.has(Cue.LIST)
        recent, oldest = query.has(Cue.RECENT), query.has(Cue.OLDEST)
        words = tokenize(text, joined=False)
        families = list(dict.fromkeys(self.venues[w] for w in words if w in self.venues))
        first_author = query.has(Cue.FIRST_AUTHOR)
        single = bool(_SINGLE_PAPER.search(text))
        if not (listy or families or first_author or ((recent or oldest) and single)):
            return None
        selected: np.ndarray | None = None  # ranks, ascending; None: every paper

        def narrow(ranks: np.ndarray) -> None:
            nonlocal selected
            selected = ranks if selected is None else _intersect(selected, ranks)

        parts: list[str] = []
        used: set[str] = set()
        years = list(query.years)
        if families:
            # "NeurIPS 2023" is the venue's year (an ICLR 2024 paper is on arXiv in 2023).
            at_venue = _union(self.by_family.get(f) for f in families)
            if "findings" in text:
                at_venue = at_venue[self.findings[at_venue]]
            if years:
                at_venue = at_venue[np.isin(self.venue_years[at_venue], years)]
            narrow(at_venue)
            parts.append(self._venue_description(families, years, text))
            used.update(w for w in words if w in self.venues or w == "findings")
            used.update(str(y) for y in years)
            years = []
        if years:
            narrow(_union(self.by_year.get(y) for y in years))
            parts.append("from " + " and ".join(str(y) for y in years))
            used.update(str(y) for y in years)
        if first_author:
            narrow(self.first_authored)
            parts.append("as first author")
            used.update(("first", "author", "authored", "lead"))
        authors, name_words = self._coauthors(words) if _WITH.search(text) else ([], set())
        if authors:
            for author in authors:
                narrow(self.by_author[author])
            parts.append("with " + " and ".join(authors))
            used.update(name_words)
        rest = self._rest(query, used)
        topic = self._topic(rest)
        if topic:
            narrow(self.by_topic.get(topic, _NONE))
            parts.append("on " + topic.replace("-", " "))
            rest = []
        count: int | None = None
        if (recent or oldest) and not query.years:
            count = self._how_many(text)
            rest = [w for w in rest if w not in _NUMBERS and not w.isdigit()]
        if rest and authors and listy:
            # "his prompt tuning papers with Anastasia": her papers that hold the other words.
            assert selected is not None  # the co-authors narrowed it
            newest = self.kb.papers_newest_first()
            held = [r for r in selected.tolist() if _holds(newest[r], rest)]
            if len(held) < 2:
                return None  # one paper or none: the retriever quotes it or declines
            said = [w.strip(".,;:!?\"'()") for w in text.split()]
            shown = [w for w in said if set(tokenize(w)) & set(rest)]
            parts.append(f"about “{' '.join(shown)}”")
            selected = np.array(held, dtype=np.int32)
            rest = []
        if rest:  # words the metadata cannot answer: let the retriever rank them
            return None
        if not parts and count is None and not query.has(Cue.COUNT) and not listy:
            return None
        newest = self.kb.papers_newest_first()
        ranks = np.arange(len(newest), dtype=np.int32) if selected is None else selected
        if oldest and not recent:
            ranks = ranks[::-1]
        return PaperList(
            papers=RankedPapers(newest, ranks),
            description=" ".join(parts),
            count_question=query.has(Cue.COUNT),
            recent=count,
            oldest=oldest and not recent,
        )

    def _rest(self, query: Query, used: set[str]) -> list[str]:
        """Content words the metadata cannot answer (not filler, a year, his name or ``used``)."""
        return [
            w
            for w in query.tokens
            if w not in STOPWORDS
            and w not in _FILLER
            and w not in used
            and not _YEAR_WORD.fullmatch(w)
            and w not in self.person
        ]

    def _venue_description(self, families: list[str], years: list[int], text: str) -> str:
        names = " or ".join(families)
        when = " " + " and ".join(str(y) for y in years) if years else ""
        if "findings" in text:
            return f"in Findings of {names}{when}"
        findings = [f for f in families if bool(self.findings[self.by_family.get(f, _NONE)].any())]
        also = f" (including Findings of {' and '.join(findings)})" if findings else ""
        return f"at {names}{when}{also}"

    def _how_many(self, text: str) -> int:
        match = re.search(r"\b(\d{1,2}|" + "|".join(_NUMBERS) + r")\b", text)
        if match:
            word = match.group(1)
            limit = self.tuning.list_limit
            return max(1, min(limit, int(word) if word.isdigit() else _NUMBERS[word]))
        if re.search(r"\b(papers|publications|articles|works|posts|tweets)\b", text):
            return self.tuning.default_recent
        return 1

    def matching(self, query: Query, ids: Sequence[str]) -> list[str] | None:
        """The papers among ``ids`` that have the co-authors and are from the years the
        question names; None when it names neither."""
        authors, _ = self._coauthors(tokenize(query.normalized, joined=False))
        if not authors and not query.years:
            return None
        found = []
        for doc_id in ids:
            paper = self.kb.paper(doc_id)
            if paper is None or (query.years and paper.year not in query.years):
                continue
            if all(a in paper.authors for a in authors):
                found.append(doc_id)
        return found

    def only_people(self, query: Query) -> bool:
        """Whether the question's content words are all co-authors' names ("who is Luke
        Zettlemoyer?"): a question about a person, not about any paper."""
        content = self._rest(query, set())
        if not content:
            return False
        authors, used = self._coauthors(tokenize(query.normalized, joined=False))
        return bool(authors) and all(w in used for w in content)

    def _coauthors(self, words: list[str]) -> tuple[list[str], set[str]]:
        """Co-authors named by ``words`` (typo-tolerant: "Luke Zettelmoyer") and the words used;
        his own name is not a co-author's."""
        words = words[:64]
        grams = [" ".join(words[i : i + n]) for n in (3, 2, 1) for i in range(len(words) - n + 1)]
        grams = [
            g
            for g in grams
            if len(g) >= 4 and g not in STOPWORDS and not set(g.split()) <= self.person
        ]
        if not grams or not self.author_names:
            return [], set()
        cutoff = self.tuning.author_cutoff
        found: dict[str, float] = {}
        used: set[str] = set()
        near: dict[str, set[int]] = {}  # question word -> names holding it or a near spelling
        if len(self.author_names) > EXHAUSTIVE_AUTHORS:
            scored = [self._score_near_names(gram, cutoff, near) for gram in grams]
        else:
            # Only the names whose length can reach the cutoff are scored (bot.core.fuzzy).
            scored = self.names_by_length.scores_each(grams, cutoff=cutoff)
        for gram, (cols, row) in zip(grams, scored, strict=True):
            if not row.size:
                continue
            best = int(row.argmax())
            if row[best] >= cutoff:
                key = self.author_keys[int(cols[best])]
                found[key] = max(found.get(key, 0.0), float(row[best]))
                used.update(gram.split())
        authors = sorted(found, key=lambda a: -found[a])[:2]
        # The other words of a found name ("devendra" of Devendra Singh Sachan) are used too.
        used.update(w for a in authors for w in tokenize(normalize(a), joined=False))
        return authors, used

    def _score_near_names(
        self, gram: str, cutoff: float, near: dict[str, set[int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(name indexes, scores) as ``ByLength.scores`` gives them, over the names sharing a
        word or a near spelling of one with ``gram`` (``near`` keeps each word's names)."""
        candidates: set[int] = set()
        for word in gram.split():
            if word not in near:
                near[word] = set()
                row = bisect.bisect_left(self.name_words, word)
                if row < len(self.name_words) and self.name_words[row] == word:
                    rows = [row]
                else:
                    rows = self.words_by_length.scores(word, cutoff=NAME_WORD_CUTOFF)[0].tolist()
                for r in rows:
                    near[word].update(self.word_names[r])
            candidates |= near[word]
        if not candidates:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        cols = np.array(sorted(candidates), dtype=np.int64)
        scores = process.cdist(
            [gram],
            [self.author_names[i] for i in cols.tolist()],
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
        )[0]
        hits = np.flatnonzero(scores)
        return cols[hits], scores[hits]

    def _topic(self, words: list[str]) -> str | None:
        """The topic whose name covers every remaining content word of the question."""
        if not words:
            return None
        stems = set(stem(words))
        best: tuple[int, str] | None = None
        for topic, topic_stems in self.topic_stems.items():
            overlap = len(stems & topic_stems)
            if overlap and stems <= topic_stems and (best is None or overlap > best[0]):
                best = (overlap, topic)
        return best[1] if best else None


def _group(papers: Iterable[Paper], keys_of: Callable[[Paper], list[_K]]) -> dict[_K, np.ndarray]:
    """The ranks (positions in ``papers``) of the papers under each key ``keys_of`` gives."""
    groups: dict[_K, list[int]] = {}
    for rank, paper in enumerate(papers):
        for key in keys_of(paper):
            groups.setdefault(key, []).append(rank)
    return {k: np.array(v, dtype=np.int32) for k, v in groups.items()}


def _union(groups: Iterable[np.ndarray | None]) -> np.ndarray:
    """The sorted ranks in any of ``groups`` (None: an empty group)."""
    found = [g for g in groups if g is not None]
    if not found:
        return _NONE
    return found[0] if len(found) == 1 else np.unique(np.concatenate(found))


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The ranks in both sorted arrays, sorted: a binary search of the longer per rank of the
    shorter, so a small filter costs little against a big one."""
    if a.size > b.size:
        a, b = b, a
    if a.size == 0 or b.size == 0:
        return _NONE
    positions = np.minimum(np.searchsorted(b, a), b.size - 1)
    return a[b[positions] == a]


def _holds(paper: Paper, words: list[str]) -> bool:
    """Whether every word (by its stem) is in the paper's title or abstract."""
    stems = set(stem(tokenize(normalize(f"{paper.title} {paper.abstract}"))))
    return all(s in stems for s in stem(words))
