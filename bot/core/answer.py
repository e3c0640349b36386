"""Extractive answers: sentences copied from the cited sources, each followed by its [n] marker.

No sentence is written by the bot except the uncited ``intro`` (e.g. "His 5 most recent papers:")
and the decline text. For a paper the chosen sentences are the abstract's (LaTeX rendered); for a
post, his own words; for the profile, its captured fields. Sentences are chosen for the question:
a how-many question gets the sentence holding the number, a what-is question the sentence that
names and introduces the thing, a how question the one describing the mechanism.
"""

from __future__ import annotations

import calendar
import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.core.index import Hit
from bot.core.models import (
    Answer,
    Citation,
    KnowledgeBase,
    Paper,
    Post,
    Profile,
    SourceKind,
    Statement,
)
from bot.core.retrieval import PROFILE_ID, Retrieval, Retriever
from bot.core.structured import (
    LIST_LIMIT,
    PaperFactQuestion,
    PaperList,
    PostList,
    ProfileQuestion,
    StructuredMatcher,
    match_paper_fact,
)
from bot.core.text import (
    STOPWORDS,
    normalize,
    render_latex,
    split_sentences,
    stem,
    strip_urls,
    tokenize,
)

MAX_SOURCES = 3
RETRIEVE_DEPTH = 20  # hits considered for the sources of one answer
RELATIVE_SCORE = 0.6  # a further source must score this share of the best one to be cited
COVERAGE_SHARE = 0.8  # ... and cover this share of what the best one covers
ANSWER_SHARE = 0.8  # a further source's sentence holds this share of what the best one's do ...
NEW_SHARE = 0.15  # ... or this share that the sentences quoted so far do not
ANNOUNCE_DAYS = 30  # a post naming the best paper this close to its date announces it
SENTENCES_FIRST = 2  # sentences taken from the best source
SENTENCES_OTHER = 1  # sentences taken from each further source
NAME_DISCOUNT = 0.25  # weight kept by question words that merely name the cited source
CUE_BONUS = 2.5  # how much a sentence of the asked-for kind outweighs one more matching word
# A decline suggests sources only when they are genuinely close: the best document covers
# SUGGEST_COVERAGE of the question and matches SUGGEST_MIN_MATCHED of its words (all of a
# one-word question), each suggested source covering SUGGEST_COVERAGE too. Calibrated on
# eval/questions.yaml (see benchmarks/README.md): its two declined answerable questions (the
# near-misses) keep their suggestions; 1 of its 25 out-of-scope questions gets one.
SUGGEST_COVERAGE = 0.30
SUGGEST_MIN_MATCHED = 2

# The name comes from the profile (``covers``): no code names a particular researcher.
COVERS = (
    "I answer questions about {name}'s research: papers (titles, abstracts, co-authors, "
    "years, topics), posts on X and the public profile."
)
_NUMBER_Q = re.compile(
    r"\bhow (many|much|big|large|fast|faster|long|far|well|good|small)\b"
    r"|\bwhat (percentage|percent|size|score|speed)\b|\bby how\b"
)
_DEFINE_Q = re.compile(r"^\W*(what|who)\b|\btell me about\b|\bexplain\b|\bwhich\b")
_HOW_Q = re.compile(r"\bhow (does|do|did|can|could|is|are|was|were|to)\b|\bwhy\b")
# Enumeration markers ("(1) ... (2) ...", "(ii)", "1)") count things in the sentence's own
# structure, not in the world: they are removed before looking for the quantity asked about.
_ENUMERATION = re.compile(r"\(\s*(?:\d{1,2}|[ivx]{1,4}|[a-h])\s*\)|(?<![\w.,])\d{1,2}\)")
_QUANTITY_TOKEN = re.compile(r"[^\W_]+(?:[-.,][^\W_]+)*%?")
_WORDED_QUANTITY = frozenset(
    "half twice double doubling triple thousand thousands million millions billion "  # noqa: SIM905
    "billions trillion trillions dozen dozens hundred hundreds".split()
)
_NAME_NUMBER = re.compile(r"[a-z]+-?\d+(?:\.\d+)?")  # "gpt-3", "llama3", "t5", "int8": names
_YEAR_TOKEN = re.compile(r"(?:19|20)\d\d")
_UNIT_Q = re.compile(
    r"\b(?:how (?:many|much)|number of|amount of|percentage of|fraction of)\s+([^?.!,;]{1,40})"
)
NUMBER_WINDOW = 8  # tokens between a quantity and a question word for the quantity to answer it
_INTRODUCES = re.compile(
    r"\b(we (introduce|present|propose|develop|describe)|is an?|called|named|dubbed)\b"
)
_MECHANISM = re.compile(
    r"\bby \w+ing\b|\b(using|via|through|instead|rather than|consists of|works by|based on"
    r"|we (propose|introduce|develop|present)|that (uses|learns|combines|replaces))\b"
)
# A sentence that only says where the code or models are ("Code is publicly released at
# https://..."): it answers "where can I get the code?", never a question about the work itself.
_AVAILABILITY = re.compile(
    r"\b(code|codes|implementation|models?|data|datasets?|weights|checkpoints)\b[^.;]{0,40}"
    r"\b(available|released|provided|public use|open[- ]sourced?)\b"
    r"|\bwe (publicly )?(release|open[- ]source)\b[^.;]{0,30}\b(code|models?|weights)\b"
    r"|\bpip install\b",
    re.IGNORECASE,
)
_AVAILABILITY_MAX_WORDS = 25  # a longer sentence says more than where the code is
_WANTS_CODE_Q = re.compile(
    r"\b(code|github|repo|repository|repositories|download|available|availability|implementation"
    r"|open[- ]source\w*|weights|checkpoints?|pip|install)\b|\bwhere (can|do|could) (i|we|you)\b"
)
_MONTHS = tuple(calendar.month_name)[1:]
_YEAR_WORD = re.compile(r"(19|20)\d\d")  # "January" ... "December"


@dataclass(frozen=True, slots=True)
class _Source:
    """A source about to be cited: the citation fields and the sentences quoted from it."""

    kind: SourceKind
    id: str
    title: str
    date: str | None
    url: str
    text: str  # the whole rendered text the sentences come from
    sentences: tuple[str, ...]
    score: float
    note: str = ""  # a caveat printed under the source's line in a list answer


def answer_question(
    question: str, *, kb: KnowledgeBase, retriever: Retriever, structured: StructuredMatcher
) -> Answer:
    """Answer ``question`` from ``kb`` with cited sentences, or decline; never raises."""
    if not normalize(question).strip(" \n\t?!.,;:'\"-"):
        return decline(question, name=kb.profile.name, reason="Ask me a question about his work.")
    fact = match_paper_fact(question)
    if fact is not None:
        answer = _fact_answer(question, kb, retriever, fact)
        if answer is not None:
            return answer
    match = structured.match(question)
    if isinstance(match, ProfileQuestion):
        return _profile_answer(question, kb.profile, match)
    if isinstance(match, PaperList):
        return _list_answer(question, match, name=kb.profile.name)
    if isinstance(match, PostList):
        return _post_list_answer(question, match, name=kb.profile.name)
    retrieval = retriever.retrieve(question, k=RETRIEVE_DEPTH)
    if not retrieval.confident:
        return decline(
            question, name=kb.profile.name, suggestions=_suggestions(kb, retriever, retrieval)
        )
    return _extractive_answer(question, kb, retriever, retrieval)


def covers(name: str) -> str:
    """What the bot answers questions about, naming the researcher of the profile."""
    return COVERS.format(name=name)


def decline(
    question: str, *, name: str, reason: str = "", suggestions: tuple[str, ...] = ()
) -> Answer:
    """A friendly refusal that says what the bot covers and offers close matches, if any."""
    text = reason or "I don't have anything on that in what I know."
    text = f"{text} {covers(name)}"
    if suggestions:
        text += " Perhaps you meant: " + "; ".join(suggestions) + "?"
    return Answer(
        question=question,
        text=text,
        citations=(),
        declined=True,
        suggestions=suggestions,
        confidence=None,
    )


# --- profile -------------------------------------------------------------------------------------


def profile_handle(profile: Profile) -> str:
    """The handle with exactly one leading "@"."""
    return "@" + profile.handle.lstrip("@")


def joined_text(profile: Profile) -> str:
    """The join date as the profile page shows it ("Joined September 2019")."""
    year, _, month = profile.joined.partition("-")
    if month.isdigit() and 1 <= int(month) <= 12:
        return f"Joined {_MONTHS[int(month) - 1]} {year}"
    return f"Joined {profile.joined}"


def profile_text(profile: Profile) -> str:
    """The profile's citable text: the fields of the captured X profile page, one per line."""
    lines = [f"{profile.name} ({profile_handle(profile)})", profile.bio]
    if profile.location:
        lines.append(f"Location: {profile.location}")
    if profile.joined:
        lines.append(joined_text(profile))
    return "\n".join(lines)


_PROFILE_INTROS = {
    "location": "Where his X profile says he is based:",
    "joined": "When he joined X, from his profile:",
    "handle": "His account on X:",
    "bio": "How he describes himself on X:",
}


def _profile_answer(question: str, profile: Profile, match: ProfileQuestion) -> Answer:
    lines = profile_text(profile).split("\n")
    wanted = {
        "location": [line for line in lines if line.startswith("Location:")],
        "joined": [line for line in lines if line.startswith("Joined")],
        "handle": lines[:1],
        "bio": [profile.bio] if profile.bio else lines[:1],
    }[match.aspect] or lines[:1]
    source = _Source(
        "profile",
        PROFILE_ID,
        f"X profile of {profile.name} ({profile_handle(profile)})",
        None,
        profile.url,
        profile_text(profile),
        tuple(wanted),
        1.0,
    )
    return _compose(question, [source], intro=_PROFILE_INTROS[match.aspect])


# --- one paper's record --------------------------------------------------------------------------

_FACT_INTROS = {
    "authors": "Who wrote “{title}”, from its arXiv record:",
    "date": "When “{title}” first appeared on arXiv:",
    "venue": "Where “{title}” was published:",
    "link": "The arXiv page of “{title}”:",
}


def paper_record_lines(paper: Paper) -> list[str]:
    """The citable metadata lines of a paper (authors, first arXiv version, venue, link)."""
    lines = [f"Authors: {', '.join(paper.authors)}", f"First arXiv version: {paper.date}"]
    if paper.venue:
        lines.append(f"Venue: {paper.venue}")
    lines.append(f"arXiv: {paper.url}")
    return lines


def _fact_answer(
    question: str, kb: KnowledgeBase, retriever: Retriever, fact: PaperFactQuestion
) -> Answer | None:
    """Answer from the record of the paper the question names; None when it names none."""
    retrieval = retriever.retrieve(fact.topic)
    paper = kb.paper(retrieval.hits[0].doc_id) if retrieval.hits else None
    if not retrieval.confident or paper is None:
        return None
    lines = paper_record_lines(paper)
    prefix = {"authors": "Authors:", "date": "First arXiv version:", "venue": "Venue:"}
    prefix["link"] = "arXiv:"
    wanted = [line for line in lines if line.startswith(prefix[fact.aspect])]
    intro = _FACT_INTROS[fact.aspect].format(title=render_latex(paper.title))
    if not wanted:  # no venue recorded: say so (uncited) and give the date instead
        wanted = [line for line in lines if line.startswith(prefix["date"])]
        intro = (
            f"No venue is recorded for “{render_latex(paper.title)}”; it first appeared on arXiv:"
        )
    if paper.note:
        intro += f" (Note: {split_sentences(paper.note)[0]})"
    source = _paper_source(paper, sentences=tuple(wanted), score=retrieval.hits[0].score)
    return _compose(question, [source], intro=intro)


# --- lists of papers -----------------------------------------------------------------------------


def _list_answer(question: str, match: PaperList, *, name: str) -> Answer:
    papers = match.papers
    described = f" {match.description}" if match.description else ""
    if not papers:
        return decline(question, name=name, reason=f"I know of no papers of his{described}.")
    n = len(papers)
    noun = "paper" if n == 1 else "papers"
    if match.recent is not None and not match.count_question:
        shown = papers[: match.recent]
        intro = (
            f"His most recent paper{described}:"
            if len(shown) == 1
            else f"His {len(shown)} most recent papers{described}, newest first:"
        )
    else:
        shown = papers[:LIST_LIMIT]
        intro = f"He has {n} {noun}{described} in this knowledge base"
        if n > len(shown):
            intro += f"; the {len(shown)} newest:"
        else:
            intro += ", newest first:" if n > 1 else ":"
    # The caveat's first sentence travels with the paper, on the line under its list item.
    sources = [
        dataclasses.replace(
            _paper_source(p, sentences=(render_latex(p.title),), score=1.0),
            note=split_sentences(p.note)[0] if p.note else "",
        )
        for p in shown
    ]
    return _compose(question, sources, intro=intro, bullets=True)


def _post_list_answer(question: str, match: PostList, *, name: str) -> Answer:
    if not match.posts:
        return decline(question, name=name, reason="I know of no posts of his.")
    limit = match.recent if match.recent is not None else LIST_LIMIT
    shown = match.posts[:limit]
    if match.recent == 1:
        intro = "His most recent post on X in this knowledge base:"
    else:
        intro = f"His {len(shown)} most recent posts on X in this knowledge base, newest first:"
    sources = [
        _Source("post", p.id, post_title(p), p.date, p.url, p.text, (p.text,), 1.0) for p in shown
    ]
    return _compose(question, sources, intro=intro, bullets=True)


# --- extractive answers --------------------------------------------------------------------------


def _extractive_answer(
    question: str, kb: KnowledgeBase, retriever: Retriever, retrieval: Retrieval
) -> Answer:
    weights = _query_weights(retriever, retrieval)
    sources: list[_Source] = []
    covered: set[int] = set()  # question words the quoted sentences already hold
    first_share, first_words = 0.0, set[int]()
    for hit in _candidate_hits(kb, retriever, retrieval):
        if len(sources) >= MAX_SOURCES:
            break
        source = _source_for(kb, hit)
        if source is None:
            continue
        names = _names(kb, hit.doc_id)
        chosen = pick_sentences(
            question,
            source.text,
            weights=_discount_names(weights, retriever, (source.title, *names)),
            retriever=retriever,
            k=SENTENCES_FIRST if not sources else SENTENCES_OTHER,
            names=names,
        )
        words = _words_held(retriever, retrieval, chosen)
        # A further source must quote an answer-bearing sentence: one holding as much of the
        # question as the best source's sentences do, or a part of it the sentences quoted so
        # far do not ("8B" beside "tokens"), or the quantity a how-many question asks for.
        # It must also be on the best source's subject: hold a word its sentences hold, not
        # only a stray one of the question ("a big collaboration" for "how big is Lory?").
        if not sources:
            first_share, first_words = _share(retrieval, words), words
        elif (first_words and not words & first_words) or (
            _share(retrieval, words) < ANSWER_SHARE * first_share
            and _share(retrieval, words - covered) < NEW_SHARE
            and not answers_unit(question, chosen)
        ):
            continue
        covered |= words
        sources.append(dataclasses.replace(source, sentences=chosen))
    if not sources:
        return decline(question, name=kb.profile.name)
    # Citations stay best first: sources admitted for what they add may score below others.
    first, rest = sources[0], sorted(sources[1:], key=lambda s: -s.score)
    return _compose(question, [first, *rest])


def _candidate_hits(kb: KnowledgeBase, retriever: Retriever, retrieval: Retrieval) -> list[Hit]:
    """Sources worth quoting, in the order they claim a slot: the best hit; runners-up scoring
    near it (or named by the question) that cover the question as well; his own posts
    announcing the best paper (posted within ``ANNOUNCE_DAYS`` of it); then his other posts
    that cover the question as well as the best source does. Posts are short and in his words,
    so a post that holds the asked-for detail deserves a slot even when a long abstract
    outscores it."""
    best = retrieval.hits[0]
    bar = COVERAGE_SHARE * retrieval.coverage
    close = [
        hit
        for hit in retrieval.hits[1:]
        if (hit.doc_id in retrieval.alias_ids or hit.score >= RELATIVE_SCORE * best.score)
        and retriever.coverage(retrieval, hit.doc_id) >= bar
    ]
    paper = kb.paper(best.doc_id)
    announced = set(retriever.paper_posts.get(best.doc_id, ())) if paper else set()
    announcing = [
        hit
        for hit in retrieval.hits[1:]
        if hit.doc_id in announced and _days_apart(kb, paper, hit.doc_id) <= ANNOUNCE_DAYS
    ]
    posts = [
        hit
        for hit in retrieval.hits[1:]
        if retriever.kinds.get(hit.doc_id) == "post"
        and retriever.coverage(retrieval, hit.doc_id) >= bar
    ]
    return list({h.doc_id: h for h in [best, *close, *announcing, *posts]}.values())


def _days_apart(kb: KnowledgeBase, paper: Paper | None, post_id: str) -> int:
    """Days between a paper's first arXiv version and a post (a month-only date: its 1st)."""
    post = kb.post(post_id)
    if paper is None or post is None:
        return 1 << 30
    try:
        first = date.fromisoformat(paper.date if len(paper.date) > 7 else paper.date + "-01")
        return abs((date.fromisoformat(post.date) - first).days)
    except ValueError:
        return 1 << 30


def _words_held(retriever: Retriever, retrieval: Retrieval, sentences: tuple[str, ...]) -> set[int]:
    """Indices of the question's words that occur in ``sentences``."""
    vocabulary = retriever.index.vocabulary
    rows = {vocabulary.get(t) for s in sentences for t in _sentence_terms(normalize(s))}
    held = set()
    for i, word in enumerate(retrieval.words):
        found = sum(row in rows for row, _ in word.terms)
        # A compound ("kNN-LM": knn, lm, knnlm) is held whole, not by one common part ("LM").
        if found >= (min(2, len(word.terms)) if word.parts > 1 else 1):
            held.add(i)
    return held


def _share(retrieval: Retrieval, words: set[int]) -> float:
    """The share of the question's information (idf, years left out) held by ``words``."""
    info = [0.0 if _YEAR_WORD.fullmatch(w.surface) else w.idf for w in retrieval.words]
    total = sum(info)
    return sum(info[i] for i in words) / total if total else 0.0


def _query_weights(retriever: Retriever, retrieval: Retrieval) -> dict[int, float]:
    """Term row -> weight (idf x similarity) of the question's informative words."""
    weights: dict[int, float] = {}
    for word in retrieval.words:
        for row, sim in word.terms:
            weight = float(retriever.index.idf[row]) * sim
            weights[row] = max(weights.get(row, 0.0), weight)
    return weights


def _discount_names(
    weights: dict[int, float], retriever: Retriever, names: tuple[str, ...]
) -> dict[int, float]:
    """Shrink the weight of question words that only name the source ("LLM.int8()" in "how much
    memory does LLM.int8() save?"): they chose the source; the other words choose its sentence."""
    vocabulary = retriever.index.vocabulary
    naming = {vocabulary.get(t) for name in names for t in stem(tokenize(normalize(name)))}
    return {row: w * NAME_DISCOUNT if row in naming else w for row, w in weights.items()}


def _names(kb: KnowledgeBase, doc_id: str) -> tuple[str, ...]:
    paper = kb.paper(doc_id)
    return paper.aliases if paper else ()


def pick_sentences(
    question: str,
    text: str,
    *,
    weights: dict[int, float],
    retriever: Retriever,
    k: int,
    names: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """The ``k`` sentences of ``text`` that best answer ``question``, in their original order.

    A sentence scores the idf of the question's words it contains, plus ``CUE_BONUS`` when it is
    the kind of sentence the question asks for (a number, a definition, a mechanism).
    """
    sentences = _sentences(text)
    if len(sentences) <= 1:
        return sentences
    q = normalize(question)
    wants_code = bool(_WANTS_CODE_Q.search(q))
    if not wants_code:
        about_work = tuple(s for s in sentences if not is_availability_statement(s))
        sentences = about_work or sentences
    wants_number = bool(_NUMBER_Q.search(q))
    unit = asked_unit(q) if wants_number else None
    wants_how = bool(_HOW_Q.search(q)) and not wants_number
    wants_definition = bool(_DEFINE_Q.search(q)) and not (wants_number or wants_how)
    name_keys = [normalize(n) for n in names if len(n) >= 2]
    vocabulary = retriever.index.vocabulary
    scored: list[tuple[float, int]] = []
    for i, sentence in enumerate(sentences):
        lowered = normalize(sentence)
        rows = {vocabulary.get(t) for t in _sentence_terms(lowered)}
        score = sum(w for row, w in weights.items() if row in rows)
        if wants_number:
            score += CUE_BONUS * _quantity_cue(lowered, weights, vocabulary, unit=unit)
        if wants_code and is_availability_statement(sentence):
            score += CUE_BONUS  # "where can I get the code?": the sentence saying where
        if wants_how and _MECHANISM.search(lowered):
            score += CUE_BONUS / 2
        if wants_definition and (
            _INTRODUCES.search(lowered) or any(n in lowered for n in name_keys)
        ):
            score += CUE_BONUS / 2
        score -= 0.01 * i  # ties go to the earlier sentence
        scored.append((score, i))
    best = sorted(scored, reverse=True)[:k]
    # A second sentence is only worth quoting if it matches something itself.
    keep = [best[0][1]] + [i for s, i in best[1:] if s > 0.5]
    return tuple(sentences[i] for i in sorted(keep))


def asked_unit(normalized_question: str) -> str | None:
    """The stem of what a how-many question counts ("how many tokens ..." -> "token"), if any."""
    match = _UNIT_Q.search(normalized_question)
    if match is None:
        return None
    words = [w for w in tokenize(match.group(1)) if w not in STOPWORDS]
    return stem(words[:1])[0] if words else None


def _quantity_cue(
    lowered: str, weights: dict[int, float], vocabulary: Mapping[str, int], *, unit: str | None
) -> float:
    """How well a sentence can answer a how-many question: 1.0 when a quantity stands within
    ``NUMBER_WINDOW`` words of the unit asked for ("15T tokens"), 0.75 when it stands near
    another word of the question, 0.5 for a quantity elsewhere, else 0.

    Enumeration markers, years and version numbers of names ("GPT-3") are not quantities.
    """
    tokens = _QUANTITY_TOKEN.findall(_ENUMERATION.sub(" ", lowered))
    quantities = [i for i, t in enumerate(tokens) if _is_quantity(t)]
    if not quantities:
        return 0.0
    asked = {row for row, w in weights.items() if w > 0}
    stems = [stem(tokenize(token)) for token in tokens]
    units = [i for i, terms in enumerate(stems) if unit is not None and unit in terms]
    near = [i for i, terms in enumerate(stems) if any(vocabulary.get(t) in asked for t in terms)]

    def close(positions: list[int]) -> bool:
        return any(abs(q - n) <= NUMBER_WINDOW for q in quantities for n in positions if q != n)

    if close(units):
        return 1.0
    return 0.75 if close(near) else 0.5


def answers_unit(question: str, sentences: tuple[str, ...]) -> bool:
    """Whether one of ``sentences`` holds a quantity beside the unit a how-many question asks
    for: an answer-bearing sentence whatever else it matches."""
    q = normalize(question)
    unit = asked_unit(q) if _NUMBER_Q.search(q) else None
    return unit is not None and any(
        _quantity_cue(normalize(s), {}, {}, unit=unit) == 1.0 for s in sentences
    )


def _is_quantity(token: str) -> bool:
    if token in _WORDED_QUANTITY:
        return True
    if not any(ch.isdigit() for ch in token):
        return False
    return not (_NAME_NUMBER.fullmatch(token) or _YEAR_TOKEN.fullmatch(token))


@functools.lru_cache(maxsize=16_384)
def is_availability_statement(sentence: str) -> bool:
    """Whether ``sentence`` only says where code, models or data can be had (or is a bare link)."""
    if strip_urls(sentence) == sentence and _AVAILABILITY.search(sentence) is None:
        return False  # no address, no availability wording: the common case
    if not tokenize(strip_urls(normalize(sentence))):
        return True  # nothing but an address
    return len(sentence.split()) <= _AVAILABILITY_MAX_WORDS


@functools.lru_cache(maxsize=4_096)
def _sentences(text: str) -> tuple[str, ...]:
    """The sentences of a source's text; cached, as the same texts are quoted again and again."""
    return tuple(split_sentences(text))


@functools.lru_cache(maxsize=16_384)
def _sentence_terms(normalized_sentence: str) -> frozenset[str]:
    """The stemmed terms of a sentence; cached, as the same abstracts are quoted again and again."""
    return frozenset(stem(tokenize(normalized_sentence)))


def _source_for(kb: KnowledgeBase, hit: Hit) -> _Source | None:
    paper = kb.paper(hit.doc_id)
    if paper is not None:
        return _paper_source(paper, sentences=(), score=hit.score)
    post = kb.post(hit.doc_id)
    if post is not None:
        return _post_source(post, score=hit.score)
    if hit.doc_id == PROFILE_ID:
        profile = kb.profile
        return _Source(
            "profile",
            PROFILE_ID,
            f"X profile of {profile.name} ({profile_handle(profile)})",
            None,
            profile.url,
            profile.bio,
            (),
            hit.score,
        )
    return None


def paper_text(paper: Paper) -> str:
    """A paper's citable text: title, record lines and abstract, with the LaTeX rendered."""
    return "\n".join(
        (render_latex(paper.title), *paper_record_lines(paper), render_latex(paper.abstract))
    )


def _paper_source(paper: Paper, *, sentences: tuple[str, ...], score: float) -> _Source:
    return _Source(
        "paper",
        paper.id,
        render_latex(paper.title),
        paper.date,
        paper.url,
        render_latex(paper.abstract),
        sentences,
        score,
    )


def _post_source(post: Post, *, score: float) -> _Source:
    return _Source("post", post.id, post_title(post), post.date, post.url, post.text, (), score)


POST_TITLE_CHARS = 60


def post_title(post: Post) -> str:
    """A short title for a post: its opening words ("Post on X: “Excited to share our work…”")."""
    text = " ".join(post.text.split())
    if len(text) > POST_TITLE_CHARS:
        cut = text[:POST_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:-–—")
        text = cut + "…"
    return f"Post on X: “{text}”"


def _compose(
    question: str, sources: list[_Source], *, intro: str = "", bullets: bool = False
) -> Answer:
    statements: list[Statement] = []
    citations: list[Citation] = []
    lines: list[str] = []
    for number, source in enumerate(sources, start=1):
        for sentence in source.sentences:
            statements.append(Statement(sentence, number))
        marked = " ".join(f"{s} [{number}]" for s in source.sentences)
        lines.append(f"- {marked}" if bullets else marked)
        if bullets and source.note:
            lines.append(f"  (note: {source.note})")
        excerpt = source.text if source.kind == "post" else " ".join(source.sentences)
        citations.append(
            Citation(
                kind=source.kind,
                id=source.id,
                title=source.title,
                date=source.date,
                url=source.url,
                text=excerpt,
                score=round(float(source.score), 4),
            )
        )
    text = "\n".join(lines) if bullets else " ".join(lines)
    return Answer(
        question=question,
        text=text,
        citations=tuple(citations),
        declined=False,
        statements=tuple(statements),
        intro=intro,
    )


def _suggestions(kb: KnowledgeBase, retriever: Retriever, retrieval: Retrieval) -> tuple[str, ...]:
    """Titles of the closest sources when they are genuinely close to the question (else none):
    one shared word ("recommend" a pizza place, the "world" cup) is not enough."""
    needed = min(SUGGEST_MIN_MATCHED, len(retrieval.words))
    if (
        not retrieval.hits
        or retrieval.coverage < SUGGEST_COVERAGE
        or retrieval.matched < needed
        or not retrieval.exact_matched
    ):
        return ()
    out: list[str] = []
    for hit in retrieval.hits[:3]:
        if retriever.coverage(retrieval, hit.doc_id) < SUGGEST_COVERAGE:
            continue
        paper = kb.paper(hit.doc_id)
        if paper is not None:
            out.append(render_latex(paper.title))
        elif kb.post(hit.doc_id) is not None:
            out.append(post_title(kb.post(hit.doc_id)))  # type: ignore[arg-type]
    return tuple(dict.fromkeys(out))
