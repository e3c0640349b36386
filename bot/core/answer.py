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
from dataclasses import dataclass

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
from bot.core.text import normalize, render_latex, split_sentences, stem, tokenize

MAX_SOURCES = 3
RELATIVE_SCORE = 0.6  # a further source must score this share of the best one to be cited
SENTENCES_FIRST = 2  # sentences taken from the best source
SENTENCES_OTHER = 1  # sentences taken from each further source
NAME_DISCOUNT = 0.25  # weight kept by question words that merely name the cited source
CUE_BONUS = 2.5  # how much a sentence of the asked-for kind outweighs one more matching word
SUGGEST_COVERAGE = 0.25  # a decline suggests sources only when a real word of the question matched

COVERS = (
    "I answer questions about Mike Lewis's research: his papers (titles, abstracts, co-authors, "
    "years, topics), his posts on X and his public profile."
)
_NUMBER_Q = re.compile(
    r"\bhow (many|much|big|large|fast|faster|long|far|well|good|small)\b"
    r"|\bwhat (percentage|percent|size|score|speed)\b|\bby how\b"
)
_DEFINE_Q = re.compile(r"^\W*(what|who)\b|\btell me about\b|\bexplain\b|\bwhich\b")
_HOW_Q = re.compile(r"\bhow (does|do|did|can|could|is|are|was|were|to)\b|\bwhy\b")
_HAS_NUMBER = re.compile(
    r"\d|\b(half|twice|double|triple|thousand|million|billion|trillion)\b", re.IGNORECASE
)
_INTRODUCES = re.compile(
    r"\b(we (introduce|present|propose|develop|describe)|is an?|called|named|dubbed)\b"
)
_MECHANISM = re.compile(
    r"\bby \w+ing\b|\b(using|via|through|instead|rather than|consists of|works by|based on"
    r"|we (propose|introduce|develop|present)|that (uses|learns|combines|replaces))\b"
)
_MONTHS = tuple(calendar.month_name)[1:]  # "January" ... "December"


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


def answer_question(
    question: str, *, kb: KnowledgeBase, retriever: Retriever, structured: StructuredMatcher
) -> Answer:
    """Answer ``question`` from ``kb`` with cited sentences, or decline; never raises."""
    if not normalize(question).strip(" \n\t?!.,;:'\"-"):
        return decline(question, reason="Ask me a question about his work.")
    fact = match_paper_fact(question)
    if fact is not None:
        answer = _fact_answer(question, kb, retriever, fact)
        if answer is not None:
            return answer
    match = structured.match(question)
    if isinstance(match, ProfileQuestion):
        return _profile_answer(question, kb.profile, match)
    if isinstance(match, PaperList):
        return _list_answer(question, match)
    if isinstance(match, PostList):
        return _post_list_answer(question, match)
    retrieval = retriever.retrieve(question)
    if not retrieval.confident:
        return decline(question, suggestions=_suggestions(kb, retriever, retrieval))
    return _extractive_answer(question, kb, retriever, retrieval)


def decline(question: str, *, reason: str = "", suggestions: tuple[str, ...] = ()) -> Answer:
    """A friendly refusal that says what the bot covers and offers close matches, if any."""
    text = reason or "I don't have anything on that in what I know."
    text = f"{text} {COVERS}"
    if suggestions:
        text += " Perhaps you meant: " + "; ".join(suggestions) + "?"
    return Answer(
        question=question, text=text, citations=(), declined=True, suggestions=suggestions
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


def _list_answer(question: str, match: PaperList) -> Answer:
    papers = match.papers
    described = f" {match.description}" if match.description else ""
    if not papers:
        return decline(question, reason=f"I know of no papers of his{described}.")
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
        intro += f"; the {len(shown)} newest:" if n > len(shown) else (", newest first:")
    # The caveat's first sentence travels with the paper wherever it is listed.
    notes = [f'Note on "{p.title}": {split_sentences(p.note)[0]}' for p in shown if p.note]
    if notes:
        intro += " (" + " ".join(notes) + ")"
    sources = [_paper_source(p, sentences=(render_latex(p.title),), score=1.0) for p in shown]
    return _compose(question, sources, intro=intro, bullets=True)


def _post_list_answer(question: str, match: PostList) -> Answer:
    if not match.posts:
        return decline(question, reason="I know of no posts of his.")
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
    hits = _chosen_hits(retriever, retrieval)
    weights = _query_weights(retriever, retrieval)
    sources: list[_Source] = []
    for i, hit in enumerate(hits):
        n_sentences = SENTENCES_FIRST if i == 0 else SENTENCES_OTHER
        source = _source_for(kb, hit)
        if source is None:
            continue
        names = _names(kb, hit.doc_id)
        chosen = pick_sentences(
            question,
            source.text,
            weights=_discount_names(weights, retriever, (source.title, *names)),
            retriever=retriever,
            k=n_sentences,
            names=names,
        )
        sources.append(dataclasses.replace(source, sentences=chosen))
    if not sources:
        return decline(question)
    return _compose(question, sources)


def _chosen_hits(retriever: Retriever, retrieval: Retrieval) -> list[Hit]:
    """The best hit plus close runners-up that also cover the question, at most MAX_SOURCES."""
    best = retrieval.hits[0]
    chosen = [best]
    for hit in retrieval.hits[1:]:
        if len(chosen) >= MAX_SOURCES:
            break
        # A source the question names (alias, title) is always close enough; others must score
        # near the best one.
        if hit.doc_id not in retrieval.alias_ids and hit.score < RELATIVE_SCORE * best.score:
            continue
        if retriever.coverage(retrieval, hit.doc_id) >= 0.8 * retrieval.coverage:
            chosen.append(hit)
    return chosen


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
    sentences = split_sentences(text)
    if len(sentences) <= 1:
        return tuple(sentences)
    q = normalize(question)
    wants_number = bool(_NUMBER_Q.search(q))
    wants_how = bool(_HOW_Q.search(q)) and not wants_number
    wants_definition = bool(_DEFINE_Q.search(q)) and not (wants_number or wants_how)
    name_keys = [normalize(n) for n in names if len(n) >= 2]
    vocabulary = retriever.index.vocabulary
    scored: list[tuple[float, int]] = []
    for i, sentence in enumerate(sentences):
        lowered = normalize(sentence)
        rows = {vocabulary.get(t) for t in _sentence_terms(lowered)}
        score = sum(w for row, w in weights.items() if row in rows)
        if wants_number and _HAS_NUMBER.search(sentence):
            score += CUE_BONUS
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
    """Titles of the closest sources when a word of the question matched exactly (else none)."""
    if not retrieval.hits or retrieval.coverage < SUGGEST_COVERAGE or not retrieval.exact_matched:
        return ()
    out: list[str] = []
    for hit in retrieval.hits[:3]:
        paper = kb.paper(hit.doc_id)
        if paper is not None:
            out.append(render_latex(paper.title))
        elif kb.post(hit.doc_id) is not None:
            out.append(post_title(kb.post(hit.doc_id)))  # type: ignore[arg-type]
    return tuple(dict.fromkeys(out))
