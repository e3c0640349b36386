"""Question understanding in one place: one ``Query`` per question, built once.

Retrieval, the metadata answers and composition all read the same ``Query``: its normalised text
and word groups, its informative words with the index terms they stand for (typo corrections and
synonyms included), its years, the papers it names, its intent and aspect, and the cues that say
what kind of sentence answers it. Intents come from one ordered table (``IntentTable``); the words
that refer to the researcher are taken from the profile, never written here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.core.text import NUMBER_WORDS, STOPWORDS, normalize, stem, tokenize, word_groups

MAX_QUERY_CHARS = 4000  # a pasted essay is cut, not read to the end
MAX_QUERY_WORDS = 64  # informative words scored per question


class Intent(StrEnum):
    """What a question asks for, which decides who answers it."""

    PROFILE = "profile"  # a fact of his profile (aspect: location, joined, handle, bio, counts)
    PAPER_FACT = "paper-fact"  # one paper's record (aspect: authors, date, venue, link)
    PAPER_LIST = "paper-list"  # papers chosen by metadata (year, venue, co-author, topic, order)
    POST_LIST = "post-list"  # his posts, newest first
    COMPARE = "compare"  # two works side by side
    OPINION = "opinion"  # what he said or thinks: his posts first
    TOPIC = "topic"  # anything else: ranked text search


class Cue(StrEnum):
    """A trait of the question that changes which sentence or source answers it."""

    NUMBER = "number"  # how many / how much: the sentence holding the quantity
    DEFINITION = "definition"  # what is X: the sentence introducing it
    MECHANISM = "mechanism"  # how / why: the sentence describing the method
    CODE = "code"  # where is the code: the availability sentence
    ABOUT_HIM = "about-him"  # the question is about the researcher himself
    RECENT = "recent"  # newest / latest
    OLDEST = "oldest"  # oldest / first / earliest
    COUNT = "count"  # how many (papers)
    LIST = "list"  # a list of papers is asked for
    POSTS = "posts"  # his posts are asked for
    FIRST_AUTHOR = "first-author"


_YEAR_RE = re.compile(r"\b((?:19|20)\d{2})\b")
_WORD_RE = re.compile(r"[^\W_]+")


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# Cues of answer kind and of list questions; matched on the normalised question.
CUE_PATTERNS: dict[Cue, re.Pattern[str]] = {
    Cue.NUMBER: _rx(
        r"\bhow (many|much|big|large|fast|faster|long|far|well|good|small|often)\b"
        r"|\bwhat (percentage|percent|size|score|speed)\b|\bby how\b|\bhow many times\b"
    ),
    Cue.DEFINITION: _rx(
        r"^\W*(what|who)\b|\btell me about\b|\bexplain\b|\bwhich\b|\beli5\b|\bwhats\b"
        r"|\bmeaning of\b|\bsummar(y|ise|ize)\b"
    ),
    Cue.MECHANISM: _rx(r"\bhow (does|do|did|can|could|is|are|was|were|to)\b|\bwhy\b|\bhows\b"),
    Cue.CODE: _rx(
        r"\b(code|github|repo|repository|repositories|download|available|availability"
        r"|implementation|open[- ]source\w*|weights|checkpoints?|pip|install)\b"
        r"|\bwhere (can|do|could) (i|we|you)\b"
    ),
    Cue.RECENT: _rx(r"\b(latest|newest|most recent|recent|last|new|lately|current)\b"),
    Cue.OLDEST: _rx(r"\b(oldest|earliest|first ever|very first)\b"),
    Cue.COUNT: _rx(r"\bhow many\b|\bnumber of\b|\bcount\b"),
    Cue.LIST: _rx(
        r"\b(papers|publications|articles|works|published|publish|wrote|written|list|how many|"
        r"co-?authored|co-?wrote|collaborat\w*|worked with|work with|done with|done on|"
        r"worked on|work on|put out|have out|came out|out in|released|do with|did with"
        r"|together with)\b|\bw/|\b(anything|something|stuff) (with|w|from|in|at|new)\b"
    ),
    Cue.POSTS: _rx(r"\b(posts|tweets)\b"),
    Cue.FIRST_AUTHOR: _rx(r"\bfirst[- ]author(ed)?\b|\blead author\b"),
}

# Words of opinion or speech: with them the question asks for what he said in his posts.
OPINION_WORDS = frozenset(
    """
    announce announced believe believes claim claimed claims feel feels opinion opinions post
    posted posts react reacted reaction reckon said say says share shared take takes think
    thinks thought thoughts tweet tweeted tweets view views
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@dataclass(frozen=True, slots=True)
class IntentRule:
    """One row of the intent table: the intent and aspect when ``cue`` matches (and ``about``,
    when given, too), unless ``unless`` matches."""

    intent: Intent
    aspect: str
    cue: re.Pattern[str]
    about: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None

    def matches(self, text: str) -> bool:
        if not self.cue.search(text):
            return False
        if self.about is not None and not self.about.search(text):
            return False
        return self.unless is None or not self.unless.search(text)


@dataclass(frozen=True, slots=True)
class IntentTable:
    """The ordered intent rules for one researcher (the words naming him come from the profile)."""

    rules: tuple[IntentRule, ...]
    person: re.Pattern[str]  # a word referring to him: he, his, his names, his handle

    @classmethod
    def build(cls, person_words: Iterable[str]) -> IntentTable:
        """Compile the table with ``person_words`` (his names and handle, casefolded)."""
        names = sorted({re.escape(w) for w in person_words if w}, key=len, reverse=True)
        pronouns = "he|him|his|himself|she|her|hers|herself|they|them|their|themselves"
        person = f"({pronouns}|{'|'.join(names)})" if names else f"({pronouns})"
        about_him = _rx(rf"\b{person}\b")
        about_account = _rx(rf"\b({person[1:-1]}|x|twitter|profile|account|bio)\b")
        posts = _rx(r"\b(posts?|tweets?|posted|tweeted|say|said|says|thread)\b")
        rules = (
            # --- his profile -------------------------------------------------------------
            IntentRule(
                Intent.PROFILE,
                "counts",
                _rx(
                    r"\bfollowers?\b|\bfollowing\b(?![- ]?up)|\bfollows? (more|fewer|many)\b"
                    r"|\b(does|did) (he|she|they) follow\b(?![- ]?up)|\bhow many (posts|tweets)\b"
                    r"|\b(posted|tweeted)\b.*\btimes\b|\btimes\b.*\b(posted|tweeted)\b"
                    r"|\bnumber of (posts|tweets)\b|\b(post|tweet) count\b"
                ),
                about_account,
            ),
            IntentRule(
                Intent.PROFILE,
                "location",
                _rx(
                    r"\b(where|which city|what city|what town|location|based|located|live in|"
                    r"lives|living)\b"
                ),
                _rx(
                    rf"\b{person}\b.*\b(based|located|live|lives|living|location)\b"
                    rf"|\b(based|located|location)\b.*\b{person}\b|\bwhere (is|does) {person}\b"
                    rf"|\b(which|what) (city|town|country|place)\b.*\b{person}\b"
                ),
                unless=_rx(r"\b(publish\w*|appear\w*|present\w*|accepted|venue|conference)\b"),
            ),
            IntentRule(
                Intent.PROFILE,
                "joined",
                _rx(
                    r"\b(join|joined|joining|sign(ed)? up|start(ed)? (using|tweeting|posting)"
                    r"|been on|on (x|twitter) since|account (created|made)"
                    r"|(make|made|create|created) (his|her|their|the) account)\b"
                ),
                about_account,
            ),
            IntentRule(
                Intent.PROFILE,
                "handle",
                _rx(r"\b(handle|username|user name|@ ?name)\b|\bwhat is his (x|twitter)\b"),
                about_account,
            ),
            IntentRule(
                Intent.PROFILE,
                "bio",
                _rx(
                    r"\bwho is\b|\bwho's\b|\bknown for\b|\bfamous for\b|\bbio\b|\btell me about\b"
                    r"|\bwhat does (he|she) do\b|\b(role|job|position|title)\b|\bblame\w*\b"
                    r"|\bdescribe (himself|him|herself|her)\b"
                ),
                _rx(
                    rf"^\W*(who is|whos|who's)( {person})+\W*$"
                    r"|\b(he|his|she|her) (known|famous)\b|\b(his|her|x|twitter|profile) bio\b"
                    rf"|tell me about( {person})+\W*$|\bwhat does (he|she) do\b"
                    r"|\b(his|he|her|she) (current )?(role|job|position|title)\b"
                    r"|\bblame\w*\b|\bdescribe (himself|him|herself|her)\b|\bprofile\b"
                ),
            ),
            # --- comparisons, before records ("X vs Y, what's the link") -------------------------
            IntentRule(
                Intent.COMPARE,
                "both",
                _rx(
                    r"\bvs\.?\b|\bversus\b|\bcompared? (to|with)\b|\bcompare\b|\bdifferen\w+\b"
                    r"|\bdiffers?\b|\bdiff\b|\bwhich came first\b|\bsame (thing|idea) as\b"
                ),
            ),
            # --- one paper's record ------------------------------------------------------
            IntentRule(
                Intent.PAPER_FACT,
                "authors",
                _rx(
                    r"\bwho\b.*\b(wrote|write|written|authored|authors?|co-?authors?|worked on"
                    r"|else)\b|\b(co-?)?authors? (of|on|for)\b|\bwho (did|was|were)\b.*\bwith\b"
                    r"|\bfirst author of\b|\bauthor list\b|\bwho are the authors\b"
                    r"|^\W*(co-?authors?|authors?|first author)\W*$"
                    # "was he on the RAG paper?", "was Mike behind BART?"
                    rf"|\b(was|is|were) {person}( {person})? (on|behind|involved in|part of"
                    r"|an? (co-?)?author (of|on))\b"
                ),
                unless=posts,
            ),
            IntentRule(
                Intent.PAPER_FACT,
                "venue",
                _rx(
                    r"\b(which|what) (venue|conference|journal)\b"
                    r"|\bwhere\b.*\b(publish\w*|appear\w*|present\w*|accepted|come out|came out)\b"
                    r"|\bpublished (at|in) what\b|\bvenue\b|\bwhich conf\b|^\W*conf(erence)?\W*$"
                ),
                unless=posts,
            ),
            IntentRule(
                Intent.PAPER_FACT,
                "date",
                _rx(
                    r"^\W*when (was|is|did) (that|it|this)\b"
                    r"|\b(when|what day|which day|what month|what date)\b.*\b(publish\w*|release\w*"
                    r"|come out|came out|out|appear\w*|submit\w*|written|wrote|arxiv|hit|drop\w*"
                    r"|post(ed)? (on|to)|upload\w*)\b|\b(what|which) year\b|\bwhat date\b"
                ),
                unless=posts,
            ),
            IntentRule(
                Intent.PAPER_FACT,
                "link",
                _rx(r"\b(link|url|pdf|arxiv (id|link|page))\b"),
                unless=posts,
            ),
            # --- his posts ---------------------------------------------------------------
            IntentRule(
                Intent.OPINION,
                "posts",
                _rx(r"\b(" + "|".join(sorted(OPINION_WORDS)) + r")\b|\bin his (own )?words\b"),
                about_him,
            ),
        )
        return cls(rules, about_him)

    def classify(self, text: str) -> tuple[Intent, tuple[str, ...]]:
        """The intent of the normalised question ``text`` and its aspects: the first matching
        rule's, then those of the other rules of the same intent that match too ("when and
        where did it come out" asks for the date and the venue)."""
        for i, rule in enumerate(self.rules):
            if rule.matches(text):
                also = [
                    r.aspect
                    for r in self.rules[i + 1 :]
                    if r.intent is rule.intent and r.aspect != rule.aspect and r.matches(text)
                ]
                return rule.intent, (rule.aspect, *dict.fromkeys(also))
        return Intent.TOPIC, ("",)


@dataclass(frozen=True, slots=True)
class QueryWord:
    """One informative word of a question and the index terms that stand for it."""

    surface: str
    terms: tuple[tuple[int, float], ...]  # (term row, similarity 0..1); empty when unknown
    idf: float  # how informative the word is; a share of the rarest idf when unknown
    exact: bool  # found as written (not through a typo correction or a synonym)
    parts: int = 1  # tokens of a compound ("fine-tune": fine, tune, finetune -> 3)
    corrected: bool = False  # found only through a typo correction

    @property
    def is_year(self) -> bool:
        return bool(_YEAR_RE.fullmatch(self.surface))


class Lexicon(Protocol):
    """What question analysis needs to know of the indexed knowledge."""

    stopwords: frozenset[str]  # words of this knowledge base that never inform (his names)

    def term_row(self, term: str) -> int | None: ...
    def term_idf(self, row: int) -> float: ...
    def unknown_idf(self) -> float: ...
    def correct(self, words: Sequence[str]) -> Mapping[str, tuple[tuple[int, float], ...]]: ...
    def expansions(self, normalized: str) -> Sequence[tuple[str, tuple[int, ...], float]]: ...
    def named(self, normalized: str, cased: str, *, with_posts: bool) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class Query:
    """A question understood once; every later stage reads it, none re-parses the text."""

    text: str  # the question as read (a follow-up made explicit), with its case
    normalized: str
    words: tuple[QueryWord, ...]
    intent: Intent
    aspects: tuple[str, ...]  # what of the intent is asked, first the main one
    cues: frozenset[Cue]
    years: tuple[int, ...]
    named: frozenset[str]  # ids of the documents its aliases or titles name
    unit: str | None = None  # the stem a how-many question counts ("tokens" -> "token")
    tokens: tuple[str, ...] = field(default=(), repr=False)  # every token, stopwords included

    def has(self, cue: Cue) -> bool:
        return cue in self.cues

    @property
    def aspect(self) -> str:
        return self.aspects[0]

    @property
    def informative(self) -> float:
        """The question's information: idf summed over its words, years left out."""
        return sum(w.idf for w in self.words if not w.is_year)

    @property
    def is_empty(self) -> bool:
        return not self.normalized.strip(" \n\t?!.,;:'\"-")


_UNIT_RE = re.compile(
    r"\b(?:how (?:many|much)|number of|amount of|percentage of|fraction of)\s+([^?.!,;]{1,40})"
)


def parse_query(question: str, *, table: IntentTable, lexicon: Lexicon) -> Query:
    """Understand ``question`` against one knowledge base's ``lexicon``."""
    cased = question[:MAX_QUERY_CHARS]
    normalized = normalize(cased)
    tokens = tuple(tokenize(normalized))
    intent, aspects = table.classify(normalized)
    cues = {cue for cue, pattern in CUE_PATTERNS.items() if pattern.search(normalized)}
    if table.person.search(normalized):
        cues.add(Cue.ABOUT_HIM)
    if cues & {Cue.NUMBER}:
        cues.discard(Cue.MECHANISM)
    if cues & {Cue.NUMBER, Cue.MECHANISM}:
        cues.discard(Cue.DEFINITION)
    with_posts = intent is Intent.OPINION
    return Query(
        text=cased,
        normalized=normalized,
        words=tuple(analyze_words(normalized, lexicon)),
        intent=intent,
        aspects=aspects,
        cues=frozenset(cues),
        years=tuple(int(y) for y in _YEAR_RE.findall(normalized)),
        named=lexicon.named(normalized, cased, with_posts=with_posts),
        unit=asked_unit(normalized) if Cue.NUMBER in cues else None,
        tokens=tokens,
    )


def asked_unit(normalized: str) -> str | None:
    """The stem of what a how-many question counts ("how many tokens ..." -> "token"), if any."""
    match = _UNIT_RE.search(normalized)
    if match is None:
        return None
    words = [w for w in tokenize(match.group(1)) if w not in STOPWORDS]
    return stem(words[:1])[0] if words else None


def analyze_words(normalized: str, lexicon: Lexicon) -> list[QueryWord]:
    """The question's informative words; a compound ("fine-tune") is one word whose terms are
    its parts and its joined form. Unknown words are corrected against the index vocabulary;
    synonyms and number words add their terms as alternatives of the word they stand for."""
    groups = []
    for group in word_groups(normalized):
        if len(group) > 1 and group[-1] in STOPWORDS:
            continue  # a compound that is itself filler ("eli5"), parts and all
        kept = [
            w
            for w in group
            if w not in STOPWORDS and w not in lexicon.stopwords and (len(w) >= 2 or w.isdigit())
        ]
        if kept:
            groups.append(kept)
    groups = groups[:MAX_QUERY_WORDS]
    surfaces = list(dict.fromkeys(w for g in groups for w in g))
    tokens: dict[str, QueryWord] = {}
    unknown: list[str] = []
    for surface, term in zip(surfaces, stem(surfaces), strict=True):
        row = lexicon.term_row(term)
        if row is not None:
            tokens[surface] = QueryWord(surface, ((row, 1.0),), lexicon.term_idf(row), True)
        else:
            unknown.append(surface)
    corrected = lexicon.correct(unknown) if unknown else {}
    for surface in unknown:
        terms = corrected.get(surface, ())
        if terms:
            idf = max(lexicon.term_idf(row) for row, _ in terms)
            tokens[surface] = QueryWord(surface, terms, idf, False, corrected=True)
        else:
            tokens[surface] = QueryWord(surface, (), lexicon.unknown_idf(), False)
    words: dict[str, QueryWord] = {}
    for group in groups:
        members = [tokens[w] for w in group]
        if len(members) == 1:
            words.setdefault(group[0], members[0])
            continue
        known = [m for m in members if m.terms]
        key = "-".join(group[:-1])
        words.setdefault(
            key,
            QueryWord(
                key,
                tuple(dict(t for m in known for t in m.terms).items()),
                max((m.idf for m in known), default=lexicon.unknown_idf()),
                any(m.exact for m in known),
                len(group),
                corrected=bool(known) and not any(m.exact for m in known),
            ),
        )
    _add_expansions(normalized, words, lexicon)
    return list(words.values())


def _add_expansions(normalized: str, words: dict[str, QueryWord], lexicon: Lexicon) -> None:
    """Let a synonym (or a number word) also match its equivalents, as alternatives of the word
    it stands for: never an extra word, so an expansion cannot outweigh what was asked."""
    pairs = list(lexicon.expansions(normalized))
    for word in list(words):
        digits = NUMBER_WORDS.get(word)
        row = lexicon.term_row(stem([digits])[0]) if digits else None
        if row is not None:
            pairs.append((word, (row,), 1.0))
    for head, rows, similarity in pairs:
        key = next((k for k in words if k == head or k.startswith(head + "-")), None)
        if key is None:
            continue
        word = words[key]
        known = {row for row, _ in word.terms}
        extra = tuple((row, similarity) for row in rows if row not in known)
        if not extra:
            continue
        # A word found nowhere but through its equivalent counts as the equivalent does.
        idf = max(lexicon.term_idf(row) for row in rows)
        words[key] = QueryWord(
            word.surface,
            (*word.terms, *extra),
            max(word.idf, idf) if word.terms else idf,
            word.exact or similarity >= 1.0,
            word.parts,
            corrected=word.corrected and similarity < 1.0,
        )


def person_words(name: str, handle: str) -> list[str]:
    """The words that name the researcher in a question: each part of the name, the handle, and
    the handle's parts of 3+ letters ("perception" of "@ml_perception"; "ml" is often a real
    term)."""
    words = [w for w in _WORD_RE.findall(normalize(name)) if len(w) >= 3]
    handle = normalize(handle).lstrip("@")
    parts = [p for p in _WORD_RE.findall(handle) if len(p) >= 3 and p != handle]
    return list(dict.fromkeys([*words, *([handle] if handle else []), *parts]))
