"""Follow-up questions: read a question in the light of the conversation's earlier turns.

A turn is its question and the ids its answer cited. The *focus* of a conversation is the last
answer's first source; a *list* is the last answer that cited several. A question is read as a
follow-up when it points back at them:

- a position in the last list ("the fourth one", "the last paper", "the newer one") or the next
  one ("next one please", "the next post");
- a reference to the focus ("it", "that paper", "this one", "the same idea");
- a bare question about a record ("venue??", "first author pls", "url please");
- or words that only make sense with the focus: the question read with the focus's name is
  answered with more confidence than the question alone.

A question with its own clear topic (a paper it names, his profile, a metadata list, or a
confident answer of its own about something else) ignores the history: history never hijacks a
new topic. A follow-up is rewritten with the focus's name ("who wrote it" -> "who wrote
MEGABYTE"), which the answer reports as ``resolved``; the focus also counts as named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.models import KnowledgeBase, Turn
from bot.core.query import Intent, Query
from bot.core.retrieval import PROFILE_ID, Retriever
from bot.core.retrieval.aliases import title_names
from bot.core.retrieval.documents import alias_key
from bot.core.structured import StructuredMatcher, fact_topic
from bot.core.text import normalize, tokenize

MAX_TURNS = 3  # earlier turns a follow-up may refer to
POST_NAME_WORDS = 8  # a post is named by its opening words
MIN_FOCUS_COVERAGE = 0.2  # share of a question's own information its focus must hold

_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
}
_AGES = {"older": "oldest", "oldest": "oldest", "earlier": "oldest", "newer": "newest"}
_AGES |= {"newest": "newest", "later": "newest", "latest": "newest", "middle": "middle"}
# "the 4th one", "fifth one -", "3rd paper's date", "the last one in the list", "the newer one".
_POSITION = re.compile(
    r"\b(?P<which>" + "|".join([*_ORDINALS, *_AGES]) + r")\s+(one|paper|post|item|entry)\b"
    r"|^\W*(the\s+)?(?P<alone>" + "|".join([*_ORDINALS, *_AGES]) + r")\W*$"
)
_NEXT = re.compile(
    r"\bnext\s+(one|post|paper|tweet|item)\b|\b(the\s+)?one after that\b|\bafter that\b"
    r"|^\W*next\W*$"
)
# "the other one" (of two listed), "the int8 one", "the conversational one".
_OTHER = re.compile(r"\b(the\s+)?other\s+(one|paper|post)\b")
_WHICH_OF = re.compile(r"\bwhich\s+(one\s+)?of\s+(those|them|these)\b|\bwhich\s+one\b")
_DESCRIBED = re.compile(r"\bthe\s+(?P<what>[\w-]+(\s+[\w-]+)?)\s+one\b")
# "more detail", "tell me more", "go on": more of the same source.
_MORE = re.compile(
    r"^\W*(more|tell me more|go on|elaborate|expand|details?|explain (it )?more|and\?)\b"
    r"|\bmore (detail|details|info|about it)\b"
)
# Words that point back at the focus ...
_REFERENCE = re.compile(
    r"\b(it|its|it's|itself|that paper|this paper|the paper|that one|this one|that work"
    r"|that post|this post|the post|that thread|the thread)\b"
)
# ... and words that usually do ("they" are its authors), unless the question is confidently
# about something else.
_WEAK_REFERENCE = re.compile(
    r"\b(they|them|their|those|these|the same|same|similar|too|as well)\b"
    r"|^\W*(and|what about|how about|also|so|ok|okay|wait)\b"
)
_SUBSTITUTE = re.compile(
    r"\b(that paper|this paper|the paper|that one|this one|that work|that post|this post"
    r"|the post|it's|its|it|that)\b"
)


@dataclass(frozen=True, slots=True)
class Reading:
    """How a question is read in its conversation."""

    text: str  # the question to answer (a follow-up rewritten with its focus)
    focus: tuple[str, ...] = ()  # ids the follow-up refers to (they count as named)
    followup: bool = False
    shown: str = ""  # how the follow-up was read, for people ("" = ``text``)


def read_in_context(
    question: str,
    history: Sequence[Turn],
    *,
    kb: KnowledgeBase,
    retriever: Retriever,
    structured: StructuredMatcher,
) -> Reading:
    """Read ``question`` alone, or as a follow-up of ``history`` (oldest turn first)."""
    turns = [t for t in history[-MAX_TURNS:] if t.cited]
    if not turns:
        return Reading(question)
    alone = retriever.parse(question)
    focus = turns[-1].cited[0]
    normalized = alone.normalized
    # 1. A position in the last list ("the second one", "the int8 one"), the one of it that
    # matches ("which of those had Jacob Andreas on it"), or the next one.
    picked = _picked(normalized, turns, kb, focus=focus) or _which_of(alone, turns, structured)
    if picked is not None:
        doc_id, match = picked
        return _follow(alone, doc_id, kb, match=match)
    next_match = _NEXT.search(normalized)
    if next_match:
        following = _next_after(focus, turns, kb)
        if following is not None:
            return _follow(alone, following, kb, match=next_match)
    # 2. Its own topic: a paper it names, his profile.
    named = {d for d in alone.named if d != PROFILE_ID}
    if alone.intent is Intent.PROFILE or named:
        return Reading(question)
    # 3. A reference to the focus, a request for more, or a bare question about a record.
    if (
        _REFERENCE.search(normalized)
        or _MORE.search(normalized)
        or (alone.intent is Intent.PAPER_FACT and not retriever.parse(fact_topic(alone)).words)
    ):
        return _follow(alone, focus, kb, match=_SUBSTITUTE.search(normalized))
    # 4. A metadata list of its own ("papers at NeurIPS"), or a person ("who is Luke Z?").
    if structured.post_list(alone) is not None or structured.paper_list(alone) is not None:
        return Reading(question)
    if structured.only_people(alone):
        return Reading(question)
    by_itself = retriever.retrieve(alone)
    top = by_itself.top
    elsewhere = by_itself.confidence == "high" and top is not None and top.doc_id != focus
    if _WEAK_REFERENCE.search(normalized) and not elsewhere:
        return _follow(alone, focus, kb, match=None)
    # 5. Words that make sense only with the focus: it holds some of what the question asks,
    # and the question read with it is answered with more confidence than alone.
    if elsewhere or retriever.coverage(alone, focus) < MIN_FOCUS_COVERAGE:
        return Reading(question)
    contextual = _follow(alone, focus, kb, match=None)
    with_focus = retriever.retrieve(_with_focus(retriever.parse(contextual.text), (focus,)))
    if with_focus.confident and with_focus.probability > by_itself.probability:
        return contextual
    return Reading(question)


def with_focus(query: Query, reading: Reading) -> Query:
    """``query`` with the reading's focus counted as named."""
    return _with_focus(query, reading.focus)


def _with_focus(query: Query, focus: Sequence[str]) -> Query:
    import dataclasses

    return dataclasses.replace(query, named=query.named | frozenset(focus))


def _picked(
    normalized: str, turns: Sequence[Turn], kb: KnowledgeBase, *, focus: str
) -> tuple[str, re.Match[str]] | None:
    """The item of the last list a position or a description refers to ("the second one",
    "the older one", "the other one", "the int8 one"), and the words that refer to it."""
    listed = next((t.cited for t in reversed(turns) if len(t.cited) > 1), None)
    if not listed:
        return None
    match = _POSITION.search(normalized)
    if match is not None:
        word = match.group("which") or match.group("alone")
        if word in _ORDINALS:
            index = _ORDINALS[word]
            return (listed[index], match) if -len(listed) <= index < len(listed) else None
        order = sorted(listed, key=lambda d: _date(kb, d))
        age = _AGES[word]
        chosen = order[0] if age == "oldest" else order[-1] if age == "newest" else None
        return (chosen or listed[len(listed) // 2]), match
    match = _OTHER.search(normalized)
    if match is not None:
        others = [d for d in listed if d != focus]
        return (others[0], match) if len(others) == 1 else None
    match = _DESCRIBED.search(normalized)
    if match is not None:
        words = match.group("what").split()
        found = [d for d in listed if all(_describes(w, kb, d) for w in words)]
        return (found[0], match) if len(found) == 1 else None
    return None


def _which_of(
    query: Query, turns: Sequence[Turn], structured: StructuredMatcher
) -> tuple[str, re.Match[str]] | None:
    """The one item of the last list that a "which of those ..." question's co-author or year
    picks out; None unless exactly one matches."""
    match = _WHICH_OF.search(query.normalized)
    listed = next((t.cited for t in reversed(turns) if len(t.cited) > 1), None)
    if match is None or not listed:
        return None
    found = structured.matching(query, listed)
    return (found[0], match) if found is not None and len(found) == 1 else None


def _describes(word: str, kb: KnowledgeBase, doc_id: str) -> bool:
    """Whether ``word`` is in a listed item's title or names, as a word or inside a name
    ("int8" in "LLM.int8()")."""
    if word in _describing_words(kb, doc_id):
        return True
    paper = kb.paper(doc_id)
    key = alias_key(word)
    return (
        paper is not None
        and len(key) >= 3
        and any(key in alias_key(name) for name in (*paper.aliases, *title_names(paper.title)))
    )


def _describing_words(kb: KnowledgeBase, doc_id: str) -> set[str]:
    """The words of a listed item's title and aliases, plain and joined ("int8", "llmint8")."""
    paper = kb.paper(doc_id)
    if paper is None:
        return set()
    text = " ".join((paper.title, *paper.aliases))
    words = set(tokenize(normalize(text)))
    return words | {alias_key(a) for a in paper.aliases}


def _next_after(focus: str, turns: Sequence[Turn], kb: KnowledgeBase) -> str | None:
    """The post after the focus in its thread, or the item after it in the last list."""
    post = kb.post(focus)
    if post is not None and post.thread is not None:
        position = post.thread.position + 1
        for other in kb.posts:
            thread = other.thread
            if thread is not None and thread.id == post.thread.id and thread.position == position:
                return other.id
    for turn in reversed(turns):
        if focus in turn.cited and len(turn.cited) > 1:
            index = turn.cited.index(focus) + 1
            return turn.cited[index] if index < len(turn.cited) else None
    return None


def _date(kb: KnowledgeBase, doc_id: str) -> str:
    paper, post = kb.paper(doc_id), kb.post(doc_id)
    return paper.date if paper else post.date if post else ""


def focus_name(kb: KnowledgeBase, doc_id: str) -> str:
    """What a follow-up calls its focus: a paper's short name, a post by its opening words."""
    paper = kb.paper(doc_id)
    if paper is not None:
        names = (*paper.aliases, *title_names(paper.title))
        return names[0] if names else paper.title
    post = kb.post(doc_id)
    if post is not None:
        words = post.text.split()
        opening = " ".join(words[:POST_NAME_WORDS]) + ("…" if len(words) > POST_NAME_WORDS else "")
        return f"the post “{opening}”"
    return kb.profile.name


def _follow(query: Query, focus: str, kb: KnowledgeBase, *, match: re.Match[str] | None) -> Reading:
    """The question rewritten with the focus's name in place of ``match`` (or after it).

    A record question about a post ("who wrote it?", "link?") keeps its words, so it is still
    read as one: the post is its named focus, and only the shown reading names it.
    """
    question = query.text
    name = focus_name(kb, focus)
    rewritten = f"{question.rstrip(' ?.!')} — {name}?"
    if match is not None:
        # The match was found in the normalised text: replace the same words in the question.
        words = r"(\bthe\s+)?\b" + re.escape(match.group(0)).replace(r"\ ", r"\s+") + r"\b"
        replaced, count = re.subn(words, name, question, count=1, flags=re.IGNORECASE)
        if count:
            rewritten = replaced
    if query.intent is Intent.PAPER_FACT:
        # A record question keeps its own words (so it is still read as one); its focus is
        # named, and only the shown reading names it.
        return Reading(question, (focus,), True, shown=rewritten)
    return Reading(rewritten, (focus,), True)
