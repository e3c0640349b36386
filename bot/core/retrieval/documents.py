"""What is indexed of each record: BM25F fields, sentences with their context, and naming keys.

Every layer reads documents through these functions, so a paper's title, a post's thread opening
or the profile's bio is indexed, split into sentences and embedded the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core.index import FieldSpec, IndexedDocument
from bot.core.models import KnowledgeBase, Paper, Post, Profile
from bot.core.text import analyze, normalize, render_latex, split_sentences, tokenize

PROFILE_ID = "profile"

# Field weights: a title or alias word says far more about a paper than one abstract word; his
# quoted posts are someone else's words, so they count less than his own.
FIELDS: dict[str, FieldSpec] = {
    "title": FieldSpec(weight=3.0, b=0.5),
    "aliases": FieldSpec(weight=4.0, b=0.3),
    "abstract": FieldSpec(weight=1.0, b=0.75),
    "authors": FieldSpec(weight=1.0, b=0.3),
    "venue": FieldSpec(weight=0.5, b=0.0),
    "year": FieldSpec(weight=0.5, b=0.0),
    "topics": FieldSpec(weight=1.0, b=0.3),
    "text": FieldSpec(weight=2.0, b=0.5),
    "quoted": FieldSpec(weight=0.7, b=0.5),
    "thread": FieldSpec(weight=0.7, b=0.0),
    "link": FieldSpec(weight=1.0, b=0.5),
    "bio": FieldSpec(weight=2.0, b=0.3),
    "name": FieldSpec(weight=1.0, b=0.0),
}


@dataclass(frozen=True, slots=True)
class Passages:
    """A document's sentences and the context each is read in (a paper's title and aliases, a
    reply's thread opening, the profile's name)."""

    doc_id: str
    context: str
    sentences: tuple[str, ...]


def alias_key(text: str) -> str:
    """Join an alias's word parts, so "kNN-LM", "knn lm" and "KNNLM" all give "knnlm"."""
    return "".join(word_parts(normalize(text)))


def word_parts(normalized: str) -> list[str]:
    """The plain word parts of normalised text (compounds split, never joined)."""
    return tokenize(normalized, joined=False)


def thread_heads(posts: Iterable[Post]) -> dict[str, str]:
    """Thread id -> the text of the thread's first post."""
    return {p.thread.id: p.text for p in posts if p.thread is not None and p.thread.position == 1}


def thread_context(post: Post, heads: dict[str, str]) -> str:
    """The opening of the thread a reply belongs to ("" for a thread's first post or none)."""
    if post.thread is None or post.thread.position == 1:
        return ""
    return heads.get(post.thread.id, "")


def paper_document(paper: Paper, *, person: frozenset[str] = frozenset()) -> IndexedDocument:
    """The indexed fields of a paper (``person``: words naming the researcher, left out)."""
    return IndexedDocument(
        paper.id,
        {
            "title": analyze(paper.title, extra=person),
            "aliases": analyze(" ; ".join(paper.aliases), extra=person),
            "abstract": analyze(paper.abstract, extra=person),
            "authors": analyze(" ; ".join(paper.authors), extra=person),
            "venue": analyze(paper.venue),
            "year": [str(paper.year)],
            "topics": analyze(" ".join(t.replace("-", " ") for t in paper.topics)),
        },
    )


def post_document(
    post: Post, *, context: str = "", person: frozenset[str] = frozenset()
) -> IndexedDocument:
    """The indexed fields of a post: his words; the quoted post, the thread's first post (the
    context a reply lives in: "2/5" of a thread is about what 1/5 announced) and the link card
    count less."""
    quoted = f"{post.quoted.name} {post.quoted.text}" if post.quoted else ""
    # The word itself too, so "the ... thread" finds the thread's posts, not a paper.
    thread = f"thread {context}" if post.thread is not None else ""
    return IndexedDocument(
        post.id,
        {
            "text": analyze(post.text, extra=person),
            "quoted": analyze(quoted, extra=person),
            "thread": analyze(thread, extra=person),
            "link": analyze(post.link_title, extra=person),
        },
    )


def profile_document(profile: Profile) -> IndexedDocument:
    """The indexed fields of the profile; the location is left to the profile answers so that a
    place name alone never matches him."""
    return IndexedDocument(
        PROFILE_ID,
        {"bio": analyze(" ".join((profile.bio, *profile.works))), "name": analyze(profile.name)},
    )


def documents(kb: KnowledgeBase, *, person: frozenset[str]) -> list[IndexedDocument]:
    """Every indexed document of ``kb``: papers, posts, then the profile."""
    heads = thread_heads(kb.posts)
    docs = [paper_document(p, person=person) for p in kb.papers]
    docs += [post_document(p, context=thread_context(p, heads), person=person) for p in kb.posts]
    docs.append(profile_document(kb.profile))
    return docs


def passages(kb: KnowledgeBase) -> list[Passages]:
    """Every document's sentences with their context, in the order of ``documents``."""
    heads = thread_heads(kb.posts)
    out = [
        Passages(
            p.id,
            " ".join((render_latex(p.title), *p.aliases)),
            tuple(split_sentences(render_latex(p.abstract))),
        )
        for p in kb.papers
    ]
    out += [
        Passages(p.id, thread_context(p, heads), tuple(split_sentences(p.text))) for p in kb.posts
    ]
    out.append(Passages(PROFILE_ID, kb.profile.name, tuple(split_sentences(kb.profile.bio))))
    return out


def posts_about_papers(
    papers: Iterable[Paper], posts: Sequence[Post]
) -> dict[str, tuple[str, ...]]:
    """Paper id -> ids of his posts about it, oldest first.

    A post is about a paper when it (or the post it quotes, or its link card) names one of the
    paper's aliases, its title, or its arXiv id.
    """
    papers = list(papers)
    keys = {p.id: {alias_key(a) for a in p.aliases if len(alias_key(a)) >= 2} for p in papers}
    longest = max((len(k) for ks in keys.values() for k in ks), default=0)
    said: list[tuple[Post, str, str, set[str]]] = []
    for post in sorted(posts, key=lambda p: (p.date, p.id)):
        text = " ".join((post.text, post.link_title, post.quoted.text if post.quoted else ""))
        parts = word_parts(normalize(text))
        said.append((post, text, "".join(parts), joined_ngrams(parts, longest)))
    out: dict[str, tuple[str, ...]] = {}
    for paper in papers:
        title = alias_key(paper.title)
        found = tuple(
            post.id
            for post, text, joined, grams in said
            if paper.id in text or (title and title in joined) or keys[paper.id] & grams
        )
        if found:
            out[paper.id] = found
    return out


def joined_ngrams(parts: Sequence[str], max_chars: int) -> set[str]:
    """Every run of consecutive word parts, joined, up to ``max_chars`` long."""
    keys: set[str] = set()
    for start in range(len(parts)):
        key = ""
        for end in range(start, len(parts)):
            key += parts[end]
            if len(key) > max_chars:
                break
            keys.add(key)
    return keys
