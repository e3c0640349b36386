"""Answers: sentences copied from the cited sources, each followed by its [n] marker, or a decline.

No sentence is written by the bot except the uncited ``intro`` (e.g. "Ada Lovelace's 5 most recent
papers:"),
the tentative lead-in and the decline text. For a paper the quoted sentences are its abstract's
(LaTeX rendered) or its record's; for a post, his own words; for the profile, its captured fields.
Who answers is decided by the ``Query``'s intent: the profile, a paper's record, a metadata list,
a comparison of two works, or the ranked text search with the learned answer-or-decline decision.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.core.models import (
    Answer,
    Citation,
    Confidence,
    KnowledgeBase,
    Paper,
    Post,
    Profile,
    SourceKind,
    Statement,
)
from bot.core.query import Cue, Intent, Query
from bot.core.retrieval import PROFILE_ID, Candidate, Retrieval, Retriever
from bot.core.retrieval.aliases import title_names
from bot.core.retrieval.documents import alias_key
from bot.core.sentences import answers_unit, pick_sentences, sentence_terms
from bot.core.smalltalk import SmallTalk
from bot.core.structured import PaperList, PostList, StructuredMatcher, fact_topic
from bot.core.text import normalize, render_latex, split_sentences, stem, tokenize
from bot.core.tuning import TUNING, Tuning

TENTATIVE = "Not sure this is what you mean — the closest I have:"
RETRIEVE_DEPTH = 20  # candidates a text answer may draw its sources from
_MONTHS = tuple(calendar.month_name)[1:]


def covers(profile: Profile) -> str:
    """What the bot answers about, named from the profile (no pronoun: any researcher)."""
    return (
        f"I answer questions about {profile.name}'s research: papers (titles, abstracts, "
        "co-authors, years, topics), posts on X and the public X profile."
    )


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
    note: str = ""  # a caveat shown with the source (a doubtful record)
    values: tuple[float, ...] = ()  # how well each quoted sentence answers (for the length cap)


@dataclass(frozen=True, slots=True)
class Answerer:
    """Answers questions over one knowledge base; immutable, shared by every thread."""

    kb: KnowledgeBase
    retriever: Retriever
    structured: StructuredMatcher
    tuning: Tuning = TUNING

    def answer(self, query: Query) -> Answer:
        """Answer ``query`` with cited sentences, or decline; never raises."""
        direct = self.from_metadata(query)
        if direct is not None:
            return direct
        return self.from_text(self.retriever.retrieve(query, k=RETRIEVE_DEPTH))

    def from_metadata(self, query: Query) -> Answer | None:
        """The answer the profile, a paper's record or a metadata list gives (or an empty
        question's decline); None when the ranked text search must answer."""
        if query.is_empty:
            name = self.kb.profile.name
            return self.decline(query, reason=f"Ask me a question about {name}'s work.")
        if query.intent is Intent.PROFILE:
            return self._profile_answer(query)
        work = self._work_asked(query)
        if work is not None:
            return self._work_answer(query, work)
        if query.intent is Intent.PAPER_FACT:
            answer = self._fact_answer(query)
            if answer is not None:
                return answer
            if not query.named and not self.retriever.parse(fact_topic(query)).words:
                # "who wrote it?" with nothing before it: ask which paper, don't guess.
                reason = "Which paper do you mean? Name it, or ask right after an answer about it."
                return self.decline(query, reason=reason)
        if query.intent is not Intent.COMPARE:
            posts = self.structured.post_list(query)
            if posts is not None:
                return self._post_list_answer(query, posts)
        if query.intent not in (Intent.OPINION, Intent.COMPARE):
            papers = self.structured.paper_list(query)
            if papers is not None:
                return self._list_answer(query, papers)
        return None

    def from_text(self, retrieval: Retrieval) -> Answer:
        """The answer quoted from the ranked sources, or a decline the decision asks for."""
        if not retrieval.confident:
            return self.decline(retrieval.query, suggestions=self._suggestions(retrieval))
        papers_named = [d for d in retrieval.query.named if self.kb.paper(d) is not None]
        if retrieval.query.intent is Intent.COMPARE or len(papers_named) >= 2:
            # A question naming two papers ("REPLUG or RA-DIT: which ...") is answered from both.
            answer = self._comparison(retrieval)
            if answer is not None:
                return answer
        return self._extractive_answer(retrieval)

    @property
    def _owner(self) -> str:
        """The researcher's name as a possessive ("Ada Lovelace's")."""
        return f"{self.kb.profile.name}'s"

    # --- declines ----------------------------------------------------------------------------

    def small_talk(self, question: str, kind: SmallTalk) -> Answer:
        """A short friendly reply to thanks, a greeting or an acknowledgement; it cites nothing."""
        name = self.kb.profile.name
        text = {
            SmallTalk.THANKS: f"You're welcome! Ask me anything else about {name}'s research.",
            SmallTalk.GREETING: f"Hi! {covers(self.kb.profile)}",
            SmallTalk.GOODBYE: f"Bye! Ask me about {name}'s research any time.",
            SmallTalk.ACKNOWLEDGEMENT: f"Anything else? Ask me about {name}'s research.",
        }[kind]
        return Answer(question=question, text=text, citations=(), declined=True, confidence=None)

    def decline(
        self, query: Query, *, reason: str = "", suggestions: tuple[str, ...] = ()
    ) -> Answer:
        """A friendly refusal that says what the bot covers and offers close matches, if any."""
        text = reason or "I don't have anything on that in what I know."
        text = f"{text} {covers(self.kb.profile)}"
        if suggestions:
            text += " Perhaps you meant: " + "; ".join(suggestions) + "?"
        return Answer(
            question=query.text,
            text=text,
            citations=(),
            declined=True,
            suggestions=suggestions,
            confidence=None,
        )

    def _suggestions(self, retrieval: Retrieval) -> tuple[str, ...]:
        """Titles of the closest sources when they are genuinely close to the question (else
        none): one shared word ("recommend" a pizza place, the "world" cup) is not enough."""
        top = retrieval.top
        words = retrieval.query.words
        needed = min(self.tuning.suggest_min_matched, len(words))
        if top is None or top.coverage < self.tuning.suggest_coverage or top.matched < needed:
            return ()
        if not top.exact:
            return ()
        out: list[str] = []
        for candidate in retrieval.candidates[:3]:
            if candidate.coverage < self.tuning.suggest_coverage:
                continue
            paper = self.kb.paper(candidate.doc_id)
            post = self.kb.post(candidate.doc_id)
            if paper is not None:
                out.append(render_latex(paper.title))
            elif post is not None:
                out.append(post_title(post))
        return tuple(dict.fromkeys(out))

    # --- the profile -------------------------------------------------------------------------

    def _profile_answer(self, query: Query) -> Answer:
        profile = self.kb.profile
        lines = profile_text(profile).split("\n")
        aspect = query.aspect
        wanted = {
            "location": [line for line in lines if line.startswith("Location:")],
            "joined": [line for line in lines if line.startswith("Joined")],
            "handle": lines[:1],
            "counts": [line for line in lines if line.startswith("Counts")],
            "bio": [profile.bio] if profile.bio else lines[:1],
        }.get(aspect) or []
        if not wanted:
            return self.decline(query, reason="The profile as captured does not show that.")
        source = _profile_source(profile, sentences=tuple(wanted))
        return self._compose(
            query, [source], intro=_PROFILE_INTROS[aspect].format(name=profile.name)
        )

    def _work_asked(self, query: Query) -> str | None:
        """The work of his bio that is all a question asks about ("did he work on RoBERTa?"),
        when no paper has its name: only the profile says anything about it."""
        if query.named != {PROFILE_ID} or query.intent not in (Intent.TOPIC, Intent.PAPER_FACT):
            return None
        asked = {w.surface for w in query.words}
        if not asked:
            return None
        for work in self.kb.profile.works:
            if asked <= set(tokenize(normalize(work))):
                return work
        return None

    def _work_answer(self, query: Query, work: str) -> Answer:
        profile = self.kb.profile
        said = [s for s in split_sentences(profile.bio) if normalize(work) in normalize(s)]
        source = _profile_source(profile, sentences=tuple(said or [profile.bio]))
        intro = _PROFILE_INTROS["work"].format(name=profile.name, work=work)
        return self._compose(query, [source], intro=intro)

    # --- one paper's record ------------------------------------------------------------------

    def _fact_answer(self, query: Query) -> Answer | None:
        """Answer from the record of the paper the question names; None when it names none."""
        post = self._named_post(query)
        if post is not None and query.aspect in ("date", "link", "authors"):
            return self._post_fact_answer(query, post)
        paper = self._named_paper(query)
        score = 1.0
        confidence: Confidence = "high"
        if paper is None:
            topic = self.retriever.parse(fact_topic(query))
            retrieval = self.retriever.retrieve(topic)
            top = retrieval.top
            paper = self.kb.paper(top.doc_id) if top is not None else None
            if retrieval.confidence is None or paper is None:
                return None
            score = top.score if top is not None else 1.0
            confidence = retrieval.confidence  # "low": a tentative answer, saying so
        lines = paper_record_lines(paper)
        wanted = [
            line
            for aspect in query.aspects
            for line in lines
            if line.startswith(_FACT_LINES[aspect])
        ]
        title = render_latex(paper.title)
        intro = _FACT_INTROS[query.aspect].format(title=title)
        if len(query.aspects) > 1:
            intro = f"From the arXiv record of “{title}”:"
        if "venue" in query.aspects and not paper.venue:
            # No venue recorded: say so (uncited) and give the date instead.
            wanted = [line for line in wanted if not line.startswith(_FACT_LINES["date"])]
            wanted.append(next(line for line in lines if line.startswith(_FACT_LINES["date"])))
            intro = f"No venue is recorded for “{title}”; it first appeared on arXiv:"
        source = _paper_source(paper, sentences=tuple(wanted), score=score)
        return self._compose(query, [source], intro=intro, confidence=confidence)

    def _post_fact_answer(self, query: Query, post: Post) -> Answer:
        """When a post was written and where it is (a follow-up about one of his posts)."""
        profile = self.kb.profile
        lines = [
            f"Posted on X by {profile.name} ({profile_handle(profile)}) on {post.date}",
            f"Link: {post.url}",
        ]
        wanted = [lines[1]] if query.aspect == "link" else [lines[0]]
        source = dataclasses.replace(_post_source(post, score=1.0), sentences=tuple(wanted))
        intro = f"{self._owner} post on X ({post_title(post).removeprefix('Post on X: ')}):"
        return self._compose(query, [source], intro=intro)

    def _named_post(self, query: Query) -> Post | None:
        """The one post a follow-up refers to, when the question names no paper."""
        if any(self.kb.paper(d) for d in query.named):
            return None
        posts = [p for d in query.named if (p := self.kb.post(d)) is not None]
        return posts[0] if len(posts) == 1 else None

    def _named_paper(self, query: Query) -> Paper | None:
        """The one paper the question names by an alias or its title (none if it names two)."""
        papers = [p for d in query.named if (p := self.kb.paper(d)) is not None]
        return papers[0] if len(papers) == 1 else None

    # --- lists -------------------------------------------------------------------------------

    def _list_answer(self, query: Query, match: PaperList) -> Answer:
        papers = match.papers
        described = f" {match.description}" if match.description else ""
        if not papers:
            name = self.kb.profile.name
            return self.decline(query, reason=f"I know of no papers by {name}{described}.")
        n = len(papers)
        noun = "paper" if n == 1 else "papers"
        order = "oldest" if match.oldest else "most recent"
        if match.recent is not None and not match.count_question:
            shown = papers[: match.recent]
            intro = (
                f"{self._owner} {order} paper{described}:"
                if len(shown) == 1
                else f"{self._owner} {len(shown)} {order} papers{described}, "
                f"{_order_word(match)} first:"
            )
        else:
            shown = papers[: self.tuning.list_limit]
            intro = f"{self.kb.profile.name} has {n} {noun}{described} in this knowledge base"
            if n > len(shown):
                intro += f"; the {len(shown)} {_order_word(match)}:"
            else:
                intro += f", {_order_word(match)} first:" if n > 1 else ":"
        sources = [
            dataclasses.replace(
                _paper_source(p, sentences=(render_latex(p.title),), score=1.0),
                note=first_sentence(p.note),
            )
            for p in shown
        ]
        return self._compose(query, sources, intro=intro, bullets=True)

    def _post_list_answer(self, query: Query, match: PostList) -> Answer:
        if not match.posts:
            return self.decline(query, reason=f"I know of no posts by {self.kb.profile.name}.")
        limit = match.recent if match.recent is not None else self.tuning.list_limit
        shown = match.posts[:limit]
        if match.recent == 1:
            intro = f"{self._owner} most recent post on X in this knowledge base:"
        else:
            intro = (
                f"{self._owner} {len(shown)} most recent posts on X in this knowledge base, "
                "newest first:"
            )
        sources = [
            _Source("post", p.id, post_title(p), p.date, p.url, p.text, (p.text,), 1.0)
            for p in shown
        ]
        return self._compose(query, sources, intro=intro, bullets=True)

    # --- text answers ------------------------------------------------------------------------

    def _extractive_answer(self, retrieval: Retrieval) -> Answer:
        query = retrieval.query
        weights = self._query_weights(query)
        sources: list[_Source] = []
        covered: set[int] = set()  # question words the quoted sentences already hold
        first_share, first_words, first_value = 0.0, set[int](), 0.0
        for candidate in self._candidates(retrieval):
            if len(sources) >= self.tuning.max_sources:
                break
            source = self._source_for(candidate)
            if source is None:
                continue
            picked = self._sentences(
                retrieval,
                source,
                weights,
                k=self.tuning.sentences_first if not sources else self.tuning.sentences_other,
            )
            chosen = tuple(s for s, _ in picked)
            words = self._words_held(query, chosen)
            best_value = max((v for _, v in picked), default=0.0)
            # A further source must quote an answer-bearing sentence: the quantity a how-many
            # question asks for; or one on the best source's subject (holding a word its
            # sentences hold, not only a stray one of the question) that answers nearly as
            # well as the best source's and holds as much of the question as they do, or a part
            # of it the sentences quoted so far do not.
            if not sources:
                first_share, first_words, first_value = _share(query, words), words, best_value
            elif not answers_unit(query, chosen) and (
                (first_words and not words & first_words)
                or (
                    candidate.doc_id not in query.named
                    and best_value < self.tuning.further_value_share * first_value
                )
                or (
                    _share(query, words) < self.tuning.answer_share * first_share
                    and _share(query, words - covered) < self.tuning.new_share
                )
            ):
                continue
            covered |= words
            values = tuple(v for _, v in picked)
            sources.append(dataclasses.replace(source, sentences=chosen, values=values))
        if not sources:
            return self.decline(query)
        # Citations stay best first: sources admitted for what they add may score below others.
        first, rest = sources[0], sorted(sources[1:], key=lambda s: -s.score)
        return self._compose(query, [first, *rest], confidence=retrieval.confidence)

    def _comparison(self, retrieval: Retrieval) -> Answer | None:
        """Both sides of "A vs B", one sentence each; None when the question names no two."""
        query = retrieval.query
        sides = self._sides(retrieval)
        if len(sides) < 2:
            return None
        weights = self._query_weights(query)
        sources = []
        for candidate in sides:
            source = self._source_for(candidate)
            if source is None:
                return None
            picked = self._sentences(retrieval, source, weights, k=1)
            sources.append(dataclasses.replace(source, sentences=tuple(s for s, _ in picked)))
        # Two works the question names are what it asks about, whatever the ranker's doubt.
        named = sum(1 for c in sides if c.doc_id in query.named)
        confidence = "high" if named == 2 else retrieval.confidence
        return self._compose(query, sources, confidence=confidence)

    def _sides(self, retrieval: Retrieval) -> list[Candidate]:
        """The two works compared: the two best-ranked documents the question names; else the
        one it names (or the best candidate) and the best other candidate, since a comparison
        was asked for."""
        named = [
            c
            for c in retrieval.candidates
            if c.doc_id in retrieval.query.named and c.kind != "profile"
        ]
        if len(named) >= 2:
            return self._in_mention_order(retrieval.query, named[:2])
        first = named[0] if named else retrieval.top
        if first is None:
            return []
        others = [
            c for c in retrieval.candidates if c.kind != "profile" and c.doc_id != first.doc_id
        ]
        return [first, others[0]] if others else []

    def _in_mention_order(self, query: Query, sides: list[Candidate]) -> list[Candidate]:
        """The compared works in the order the question names them: in "BTM vs BTS", BTM is
        [1], so "the first one" in a follow-up means BTM."""

        def position(candidate: Candidate) -> int:
            paper = self.kb.paper(candidate.doc_id)
            if paper is None:
                return len(asked)
            names = (*paper.aliases, *title_names(paper.title), paper.title)
            found = [asked.find(alias_key(n)) for n in names]
            return min((i for i in found if i >= 0), default=len(asked))

        asked = alias_key(query.normalized)  # "ra cm3" and "RA-CM3" both read "racm3"

        return sorted(sides, key=position)

    def _candidates(self, retrieval: Retrieval) -> list[Candidate]:
        """Sources worth quoting, in the order they claim a slot: the best candidate; his own
        posts announcing the best paper (within ``announce_days`` of it); runners-up scoring
        near it (or named by the question) that cover the question as well; then his other posts
        that cover the question as well. The profile is quoted only when the question is about
        him."""
        best = retrieval.candidates[0]
        bar = self.tuning.coverage_share * best.coverage
        about_him = retrieval.query.has(Cue.ABOUT_HIM)
        runners = [
            c
            for c in retrieval.candidates[1:]
            if (c.kind != "profile" or about_him) and c.coverage >= bar
        ]
        close = [
            c
            for c in runners
            if c.doc_id in retrieval.query.named
            or (best.score > 0 and c.score >= self.tuning.relative_score * best.score)
        ]
        paper = self.kb.paper(best.doc_id)
        announced = set(self.retriever.aliases.paper_posts.get(best.doc_id, ())) if paper else set()
        announcing = [
            c
            for c in retrieval.candidates[1:]
            if c.doc_id in announced
            and _days_apart(paper, self.kb.post(c.doc_id)) <= self.tuning.announce_days
        ]
        posts = [c for c in runners if c.kind == "post"]
        ordered = list({c.doc_id: c for c in [best, *announcing, *close, *posts]}.values())
        if retrieval.query.intent is Intent.OPINION:
            # "What did he say about X?": his own words first, then the work they are about.
            ordered.sort(key=lambda c: c.kind != "post")
        return ordered

    def _sentences(
        self, retrieval: Retrieval, source: _Source, weights: Mapping[int, float], *, k: int
    ) -> list[tuple[str, float]]:
        query = retrieval.query
        names = self._names(source.id)
        similarities = self.retriever.sentence_similarities(retrieval, source.id)
        if similarities is not None:
            similarities = similarities[1:]  # the document's context comes first
        return pick_sentences(
            query,
            source.text,
            weights=self._discount_names(weights, (source.title, *names)),
            vocabulary=self.retriever.lexical.index.vocabulary,
            k=k,
            names=names,
            similarities=similarities,
            tuning=self.tuning,
        )

    def _query_weights(self, query: Query) -> dict[int, float]:
        """Term row -> weight (idf x similarity) of the question's informative words."""
        weights: dict[int, float] = {}
        for word in query.words:
            for row, sim in word.terms:
                weight = self.retriever.term_idf(row) * sim
                weights[row] = max(weights.get(row, 0.0), weight)
        return weights

    def _discount_names(
        self, weights: Mapping[int, float], names: Sequence[str]
    ) -> dict[int, float]:
        """Shrink the weight of question words that only name the source ("LLM.int8()" in "how
        much memory does LLM.int8() save?"): they chose the source; the other words choose its
        sentence."""
        vocabulary = self.retriever.lexical.index.vocabulary
        naming = {vocabulary.get(t) for name in names for t in stem(tokenize(normalize(name)))}
        discount = self.tuning.name_discount
        return {row: w * discount if row in naming else w for row, w in weights.items()}

    def _words_held(self, query: Query, sentences: Sequence[str]) -> set[int]:
        """Indices of the question's words that occur in ``sentences``."""
        vocabulary = self.retriever.lexical.index.vocabulary
        rows = {vocabulary.get(t) for s in sentences for t in sentence_terms(normalize(s))}
        held = set()
        for i, word in enumerate(query.words):
            found = sum(row in rows for row, _ in word.terms)
            # A compound ("kNN-LM": knn, lm, knnlm) is held whole, not by one common part.
            if found >= (min(2, len(word.terms)) if word.parts > 1 else 1):
                held.add(i)
        return held

    def _names(self, doc_id: str) -> tuple[str, ...]:
        paper = self.kb.paper(doc_id)
        return paper.aliases if paper else ()

    def _source_for(self, candidate: Candidate) -> _Source | None:
        paper = self.kb.paper(candidate.doc_id)
        if paper is not None:
            return _paper_source(paper, sentences=(), score=candidate.score)
        post = self.kb.post(candidate.doc_id)
        if post is not None:
            return _post_source(post, score=candidate.score)
        if candidate.doc_id == PROFILE_ID:
            # Quoted from its bio, the one part that is prose.
            profile = self.kb.profile
            return _profile_source(profile, text=profile.bio, score=candidate.score)
        return None

    # --- composition -------------------------------------------------------------------------

    def _compose(
        self,
        query: Query,
        sources: list[_Source],
        *,
        intro: str = "",
        bullets: bool = False,
        confidence: Confidence | None = "high",
    ) -> Answer:
        if not bullets:
            sources = _within_length(sources, self.tuning.max_answer_words)
        statements: list[Statement] = []
        citations: list[Citation] = []
        lines: list[str] = []
        notes: list[str] = []
        for number, source in enumerate(sources, start=1):
            for sentence in source.sentences:
                statements.append(Statement(sentence, number))
            marked = " ".join(f"{s} [{number}]" for s in source.sentences)
            lines.append(f"- {marked}" if bullets else marked)
            if source.note:
                notes.append(f"[{number}] {source.note}")
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
                    note=source.note,
                )
            )
        if confidence == "low":
            intro = f"{TENTATIVE} {intro}".strip()
        return Answer(
            question=query.text,
            text="\n".join(lines) if bullets else " ".join(lines),
            citations=tuple(citations),
            declined=False,
            statements=tuple(statements),
            intro=intro,
            confidence=confidence,
            notes=tuple(notes),
        )


def _within_length(sources: list[_Source], max_words: int) -> list[_Source]:
    """Drop the sentences that answer least until the answer fits ``max_words`` (a short chat
    message), never the best source's best sentence; a source left with none is dropped."""
    words = {
        (n, i): len(sentence.split())
        for n, source in enumerate(sources)
        for i, sentence in enumerate(source.sentences)
    }
    total = sum(words.values())
    if total <= max_words:
        return sources
    protected = (0, max(range(len(sources[0].sentences)), key=lambda i: _value(sources[0], i)))
    for key in sorted(words, key=lambda key: _value(sources[key[0]], key[1])):
        if total <= max_words:
            break
        if key != protected:
            total -= words.pop(key)
    out = []
    for n, source in enumerate(sources):
        kept = [i for i in range(len(source.sentences)) if (n, i) in words]
        if kept:
            out.append(
                dataclasses.replace(
                    source,
                    sentences=tuple(source.sentences[i] for i in kept),
                    values=tuple(_value(source, i) for i in kept),
                )
            )
    return out


def _value(source: _Source, i: int) -> float:
    """How well sentence ``i`` of ``source`` answers; sentences without a value (a record's
    lines) are kept first."""
    return source.values[i] if i < len(source.values) else float("inf")


def _order_word(match: PaperList) -> str:
    return "oldest" if match.oldest else "newest"


def _share(query: Query, words: set[int]) -> float:
    """The share of the question's information (idf, years left out) held by ``words``."""
    info = [0.0 if w.is_year else w.idf for w in query.words]
    total = sum(info)
    return sum(info[i] for i in words) / total if total else 0.0


def _days_apart(paper: Paper | None, post: Post | None) -> int:
    """Days between a paper's first arXiv version and a post (a month-only date: its 1st)."""
    if paper is None or post is None:
        return 1 << 30
    try:
        first = date.fromisoformat(paper.date if len(paper.date) > 7 else paper.date + "-01")
        return abs((date.fromisoformat(post.date) - first).days)
    except ValueError:
        return 1 << 30


def first_sentence(text: str) -> str:
    """The first sentence of a note ("" for none)."""
    return split_sentences(text)[0] if text.strip() else ""


# --- citable texts of records --------------------------------------------------------------------


def profile_handle(profile: Profile) -> str:
    """The handle with exactly one leading "@"."""
    return "@" + profile.handle.lstrip("@")


def profile_title(profile: Profile) -> str:
    """How a citation of the profile is titled."""
    return f"X profile of {profile.name} ({profile_handle(profile)})"


def joined_text(profile: Profile) -> str:
    """The join date as the profile page shows it ("Joined September 2019")."""
    year, _, month = profile.joined.partition("-")
    if month.isdigit() and 1 <= int(month) <= 12:
        return f"Joined {_MONTHS[int(month) - 1]} {year}"
    return f"Joined {profile.joined}"


def counts_text(profile: Profile) -> str:
    """The captured counts as one line ("Counts (captured 2026): 277 posts, ..."), or ""."""
    counts = profile.counts
    if counts is None:
        return ""
    parts = [
        f"{value:,} {label}"
        for value, label in (
            (counts.posts, "posts"),
            (counts.following, "following"),
            (counts.followers, "followers"),
        )
        if value is not None
    ]
    return f"Counts (captured {counts.captured}): {', '.join(parts)}" if parts else ""


def profile_text(profile: Profile) -> str:
    """The profile's citable text: the fields of the captured X profile page, one per line."""
    lines = [f"{profile.name} ({profile_handle(profile)})", profile.bio]
    if profile.location:
        lines.append(f"Location: {profile.location}")
    if profile.joined:
        lines.append(joined_text(profile))
    if counts_text(profile):
        lines.append(counts_text(profile))
    return "\n".join(lines)


_PROFILE_INTROS = {
    "work": "{work}, in {name}'s own words on the X profile (not a paper in this knowledge base):",
    "location": "Where {name} is based, from the X profile:",
    "joined": "When {name} joined X, from the profile:",
    "handle": "{name}'s account on X:",
    "counts": "The counts on {name}'s X profile, as captured:",
    "bio": "{name}'s bio on X:",
}
_FACT_LINES = {
    "authors": "Authors:",
    "date": "First arXiv version:",
    "venue": "Venue:",
    "link": "arXiv:",
}
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
        note=first_sentence(paper.note),
    )


def _profile_source(
    profile: Profile,
    *,
    sentences: tuple[str, ...] = (),
    text: str | None = None,
    score: float = 1.0,
) -> _Source:
    """The profile as a source; its text is the whole record unless ``text`` says otherwise."""
    body = profile_text(profile) if text is None else text
    return _Source(
        "profile", PROFILE_ID, profile_title(profile), None, profile.url, body, sentences, score
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
