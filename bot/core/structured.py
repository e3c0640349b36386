"""Questions answered from metadata rather than text match: lists of papers and profile facts.

"His latest papers", "papers from 2021", "papers on retrieval", "how many papers with Sewon Min",
"where is he based", "when did he join X". Detection is deliberately narrow (a list or profile cue
plus a filter the metadata can answer); anything else goes to the retriever.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.core.models import KnowledgeBase, Paper, Post, Profile
from bot.core.text import NUMBER_WORDS, STOPWORDS, name_words, normalize, stem, tokenize

ProfileAspect = Literal["location", "joined", "handle", "bio"]
FactAspect = Literal["authors", "date", "venue", "link"]

LIST_LIMIT = 10  # papers cited in one list answer; the rest are counted in the intro
DEFAULT_RECENT = 5
AUTHOR_CUTOFF = 85.0  # rapidfuzz ratio for a name in the question to count as a co-author

# "his latest three papers": the number words up to ten ("one" is a stopword in retrieval, so
# text.NUMBER_WORDS leaves it out; here it is a count).
_NUMBERS = {"one": 1} | {w: int(d) for w, d in NUMBER_WORDS.items() if int(d) <= 10}
_LIST_CUE = re.compile(
    r"\b(papers|publications|articles|works|published|publish|wrote|written|list|how many|"
    r"co-?authored|co-?wrote|collaborat\w*|worked with|work with|done with|done on|worked on|"
    r"work on)\b"
)
_SINGLE_PAPER = re.compile(r"\b(paper|publication|article|work)\b")
_RECENT = re.compile(r"\b(latest|newest|most recent|recent|last|new)\b")
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
_POSTS = re.compile(r"\b(posts|tweets)\b")
_POST = re.compile(r"\b(post|tweet|posted|tweeted)\b")
_COUNT = re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b")
_WITH = re.compile(r"\b(with|co-?authors?|co-?authored|co-?wrote|collaborat\w*|alongside|and)\b")
_PRONOUNS = ("he", "him", "his", "she", "her", "hers")
ProfilePatterns = tuple[tuple[ProfileAspect, re.Pattern[str], re.Pattern[str]], ...]


def profile_patterns(profile: Profile) -> ProfilePatterns:
    """The profile questions, each a cue and a sign it is about the researcher (or their
    account): a pronoun, their name, a part of it, or their handle, all from ``profile``."""
    name = normalize(profile.name)
    handle = normalize(profile.handle.lstrip("@"))
    names = sorted({name, *name.split(), handle} - {""}, key=len, reverse=True)
    person = "|".join([*_PRONOUNS, *map(re.escape, names)])
    full = "|".join(["him", "her", *map(re.escape, names)])
    # Each aspect needs both patterns to match: the cue and a sign it is about them.
    return (
        (
            "location",
            re.compile(
                r"\b(where|which city|what city|what town|location|based|located|live in|lives)\b"
            ),
            re.compile(rf"\b({person})\b|\b(based|located)\b"),
        ),
        (
            "joined",
            re.compile(
                r"\b(join|joined|joining|sign(ed)? up|start(ed)? (using|tweeting|posting))\b"
            ),
            re.compile(rf"\b({person}|x|twitter)\b"),
        ),
        (
            "handle",
            re.compile(r"\b(handle|username|user name|account)\b"),
            re.compile(rf"\b({person}|x|twitter)\b"),
        ),
        (
            "bio",
            re.compile(
                r"\bwho is\b|\bwho's\b|\bknown for\b|\bfamous for\b|\bbio\b|\btell me about\b"
                r"|\bwhat does (he|she) do\b|\b(role|job|position)\b"
            ),
            re.compile(
                rf"^\W*(who is|who's) ({person})\W*$|\b(he|his|she|her) (known|famous)\b"
                rf"|\b(his|her|x|twitter) bio\b|tell me about ({full})\W*$"
                r"|\bwhat does (he|she) do\b|\b(his|he|her|she) (role|job|position)\b"
            ),
        ),
    )


# Question words that never describe the papers wanted ("which papers did he write on ...").
_FILLER = frozenset(
    """
    accepted all appear appeared appears area areas article articles authored came co coauthor
    coauthored collaborate collaborated collaborating collaboration come conference conferences
    count cowrote done
    field give how last latest list many newest number paper papers post posted posts presented
    publication publications publish published put recent related release released show subject
    together topic topics total tweet tweeted tweets venue venues work works write written wrote
    """.split()  # noqa: SIM905 - a word list reads better as text
)


# A venue's former name, so a question using it still finds the venue's papers.
VENUE_SYNONYMS = {"nips": "neurips"}
_FINDINGS = re.compile(r"^findings of\s+", re.IGNORECASE)
_VENUE_YEAR = re.compile(r"\s*\b((?:19|20)\d{2})$")


def venue_family(venue: str) -> str:
    """The conference or journal a venue string belongs to, without its year: "ICLR 2024" ->
    "ICLR". "Findings of ACL 2023" -> "ACL": Findings papers are accepted by the ACL
    conference's own review and published in its companion volume, so asking for his ACL papers
    includes them (saying so); "NAACL", "EMNLP" and the TACL journal are venues of their own."""
    return _VENUE_YEAR.sub("", _FINDINGS.sub("", venue.strip())).strip()


@dataclass(frozen=True, slots=True)
class PaperList:
    """A metadata question's answer: the matching papers newest first and how they were chosen."""

    papers: tuple[Paper, ...]  # every match, newest first
    description: str  # e.g. "from 2021 with Tim Dettmers"
    count_question: bool  # "how many ...": the intro leads with the number
    recent: int | None = None  # "latest N": only the N newest were asked for


@dataclass(frozen=True, slots=True)
class PostList:
    """His posts newest first ("his latest posts"); ``recent``: how many were asked for."""

    posts: tuple[Post, ...]
    recent: int | None = None


@dataclass(frozen=True, slots=True)
class PaperFactQuestion:
    """A question about one paper's record (who wrote it, when or where it appeared, its link);
    ``topic`` is the question without the cue words, to find the paper with."""

    aspect: FactAspect
    topic: str


_FACT_PATTERNS: tuple[tuple[FactAspect, re.Pattern[str]], ...] = (
    (
        "authors",
        re.compile(
            r"\bwho\b.*\b(wrote|write|written|authored|authors?|co-?authors?|worked on|else)\b"
            r"|\b(co-?)?authors? (of|on|for)\b|\bwho (did|was|were)\b.*\bwith\b"
        ),
    ),
    (
        "venue",
        re.compile(
            r"\b(which|what) (venue|conference|journal)\b"
            r"|\bwhere\b.*\b(publish\w*|appear\w*|present\w*|accepted)\b"
        ),
    ),
    (
        "date",
        re.compile(
            r"\bwhen\b.*\b(publish\w*|release\w*|come out|came out|out|appear\w*|submit\w*"
            r"|written|wrote)\b|\b(what|which) year\b"
        ),
    ),
    ("link", re.compile(r"\b(link|url|pdf|arxiv (id|link|page))\b")),
)
_FACT_WORDS = re.compile(
    r"\b(who|wrote|write|written|authored|authors?|co-?authors?|worked|else|when|where|what|which|"
    r"publish\w*|release\w*|come|came|out|appear\w*|present\w*|accepted|submit\w*|venue|"
    r"conference|journal|year|link|url|pdf|arxiv|id|page|with|did|was|were|is|the|on|of|for)\b"
)


_ABOUT_POSTS = re.compile(r"\b(post|posted|posts|tweet|tweeted|tweets|say|said|says)\b")


def match_paper_fact(question: str) -> PaperFactQuestion | None:
    """Detect a question about a paper's record; the caller finds which paper it names."""
    text = normalize(question[:500])
    if _ABOUT_POSTS.search(text):  # "what did he post when Llama 3 came out?" is about a post
        return None
    for aspect, pattern in _FACT_PATTERNS:
        if pattern.search(text):
            return PaperFactQuestion(aspect, " ".join(_FACT_WORDS.sub(" ", text).split()))
    return None


@dataclass(frozen=True, slots=True)
class ProfileQuestion:
    """A question about the profile itself (where he is based, when he joined X, who he is)."""

    aspect: ProfileAspect


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one per build
class StructuredMatcher:
    """Detects metadata questions over one knowledge base; immutable once built."""

    kb: KnowledgeBase
    author_names: tuple[str, ...]  # normalised full names and distinctive surnames
    author_keys: tuple[str, ...]  # the full name each entry of author_names stands for
    topic_stems: dict[str, frozenset[str]]
    years: frozenset[int]
    venues: dict[str, str] = dataclasses.field(default_factory=dict)  # word -> venue family
    profile_patterns: ProfilePatterns = ()  # from the profile: see ``profile_patterns``
    name_words: frozenset[str] = frozenset()  # the researcher's name words: never a topic

    @classmethod
    def build(cls, kb: KnowledgeBase) -> StructuredMatcher:
        """Collect co-author names, topics and years of ``kb``."""
        full = sorted({a for p in kb.papers for a in p.authors if a and "et al" not in a})
        full = [a for a in full if normalize(a) != normalize(kb.profile.name)]
        surnames: dict[str, list[str]] = {}
        for author in full:
            parts = normalize(author).split()
            if len(parts) > 1 and len(parts[-1]) >= 4:
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
        return cls(
            kb=kb,
            author_names=tuple(names),
            author_keys=tuple(keys),
            topic_stems=topics,
            years=frozenset(p.year for p in kb.papers),
            venues=venues,
            profile_patterns=profile_patterns(kb.profile),
            name_words=name_words(kb.profile.name, kb.profile.handle),
        )

    def match(self, question: str) -> PaperList | PostList | ProfileQuestion | None:
        """Return what the metadata can answer for ``question``, or None for the retriever."""
        text = normalize(question[:500])
        for aspect, cue, about_him in self.profile_patterns:
            if cue.search(text) and about_him.search(text):
                return ProfileQuestion(aspect)
        return self._post_list(text) or self._paper_list(text)

    def _post_list(self, text: str) -> PostList | None:
        """ "His latest posts", "list his tweets": his posts newest first, when nothing else is
        asked about them (a topic goes to the retriever)."""
        recent = _RECENT.search(text)
        if not (_POSTS.search(text) or (recent and _POST.search(text))):
            return None
        rest = [
            w
            for w in tokenize(text)
            if w not in STOPWORDS
            and w not in self.name_words
            and w not in _FILLER
            and w not in _NUMBERS
            and not w.isdigit()
        ]
        if rest:
            return None
        posts = self.kb.posts_newest_first()
        return PostList(posts, self._how_many_recent(text) if recent else None)

    def _paper_list(self, text: str) -> PaperList | None:
        listy = bool(_LIST_CUE.search(text))
        recent = _RECENT.search(text)
        words = tokenize(text, joined=False)
        families = list(dict.fromkeys(self.venues[w] for w in words if w in self.venues))
        if not listy and not families and not (recent and _SINGLE_PAPER.search(text)):
            return None
        papers = list(self.kb.papers_newest_first())
        parts: list[str] = []
        used: set[str] = set()

        years = [int(y) for y in _YEAR.findall(text)]
        if families:
            # "NeurIPS 2023" is the venue's year (an ICLR 2024 paper is on arXiv in 2023).
            papers = [p for p in papers if self._at_venue(p, families, years, text)]
            parts.append(self._venue_description(families, years, text))
            used.update(w for w in words if w in self.venues or w == "findings")
            used.update(str(y) for y in years)
            years = []
        if years:
            papers = [p for p in papers if p.year in years]
            parts.append("from " + " and ".join(str(y) for y in years))
            used.update(str(y) for y in years)

        authors, name_words = self._coauthors(text) if _WITH.search(text) else ([], set())
        if authors:
            papers = [p for p in papers if all(a in p.authors for a in authors)]
            parts.append("with " + " and ".join(authors))
            used.update(name_words)

        content = [
            w
            for w in tokenize(text)
            if w not in STOPWORDS and w not in self.name_words and w not in _FILLER
        ]
        rest = [w for w in content if w not in used and not _YEAR.fullmatch(w)]
        topic = self._topic(rest)
        if topic:
            papers = [p for p in papers if topic in p.topics]
            parts.append("on " + topic.replace("-", " "))
            rest = []

        n_recent: int | None = None
        if recent and not years:
            n_recent = self._how_many_recent(text)
            rest = [w for w in rest if w not in _NUMBERS and not w.isdigit()]
        if rest:  # words the metadata cannot answer: let the retriever rank them
            return None
        if not parts and n_recent is None and not _COUNT.search(text) and not listy:
            return None
        return PaperList(
            papers=tuple(papers),
            description=" ".join(parts),
            count_question=bool(_COUNT.search(text)),
            recent=n_recent,
        )

    def _at_venue(self, paper: Paper, families: list[str], years: list[int], text: str) -> bool:
        """Whether ``paper`` appeared at one of ``families`` (in one of ``years``, if any)."""
        if venue_family(paper.venue) not in families:
            return False
        if "findings" in text and not _FINDINGS.match(paper.venue):
            return False
        year = _VENUE_YEAR.search(paper.venue)
        return not years or (year is not None and int(year.group(1)) in years)

    def _venue_description(self, families: list[str], years: list[int], text: str) -> str:
        names = " or ".join(families)
        when = " " + " and ".join(str(y) for y in years) if years else ""
        if "findings" in text:
            return f"in Findings of {names}{when}"
        findings = [
            f
            for f in families
            if any(_FINDINGS.match(p.venue) and venue_family(p.venue) == f for p in self.kb.papers)
        ]
        also = f" (including Findings of {' and '.join(findings)})" if findings else ""
        return f"at {names}{when}{also}"

    def _how_many_recent(self, text: str) -> int:
        match = re.search(r"\b(\d{1,2}|" + "|".join(_NUMBERS) + r")\b", text)
        if match:
            word = match.group(1)
            return max(1, min(LIST_LIMIT, int(word) if word.isdigit() else _NUMBERS[word]))
        if re.search(r"\b(papers|publications|articles|works|posts|tweets)\b", text):
            return DEFAULT_RECENT
        return 1

    def _coauthors(self, text: str) -> tuple[list[str], set[str]]:
        """Co-authors named in ``text`` (typo-tolerant: "Luke Zettelmoyer") and the words used."""
        words = tokenize(text, joined=False)[:64]
        grams = [" ".join(words[i : i + n]) for n in (3, 2, 1) for i in range(len(words) - n + 1)]
        grams = [g for g in grams if len(g) >= 4 and g not in STOPWORDS]
        if not grams or not self.author_names:
            return [], set()
        scores = process.cdist(
            grams, self.author_names, scorer=fuzz.ratio, score_cutoff=AUTHOR_CUTOFF
        )
        found: dict[str, float] = {}
        used: set[str] = set()
        for gram, row in zip(grams, scores, strict=True):
            col = int(row.argmax())
            if row[col] >= AUTHOR_CUTOFF:
                key = self.author_keys[col]
                found[key] = max(found.get(key, 0.0), float(row[col]))
                used.update(gram.split())
        return sorted(found, key=lambda a: -found[a])[:2], used

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
