"""Sentence choice: which sentences of a source answer the question.

A sentence scores the information (idf) of the question's words it holds, its meaning-level
similarity to the question (when the semantic layer is on), and a bonus when it is the kind of
sentence the question asks for: the one holding the quantity a how-many question counts, the one
introducing what a what-is question names, the one describing the mechanism a how question asks
about, or the one saying where the code is when the code is asked for. Composition
(``bot.core.answer``) decides how many sentences and sources an answer quotes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

import numpy as np

from bot.core.query import Cue, Query
from bot.core.text import normalize, split_sentences, stem, strip_urls, tokenize
from bot.core.tuning import TUNING, Tuning

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
_INTRODUCES = re.compile(
    r"\b(we (introduce|present|propose|develop|describe)|is an?|called|named|dubbed)\b"
    r"|\b(an?|the) (new |simple |novel |general )?(method|approach|technique|framework"
    r"|architecture|way|system|model|procedure|benchmark|dataset) (for|to|that|which)\b"
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
LONG_SENTENCE_WORDS = 45  # past this, a sentence reads as a run-on and loses a little
# A sentence that goes on from the one before it ("It ...", "Our method ...", "Specifically, ...")
# explains the chosen sentence: it is the natural second sentence of an answer.
_CONTINUES = re.compile(
    r"^(it|this|these|they|our (method|approach|model|system|agent|framework|analysis)"
    r"|the (method|approach|model|system|key|idea)|specifically|in particular|to do (so|this)"
    r"|that is)\b",
    re.IGNORECASE,
)


def pick_sentences(
    query: Query,
    text: str,
    *,
    weights: Mapping[int, float],
    vocabulary: Mapping[str, int],
    k: int,
    names: Sequence[str] = (),
    similarities: np.ndarray | None = None,
    tuning: Tuning = TUNING,
) -> list[tuple[str, float]]:
    """The ``k`` sentences of ``text`` that best answer ``query``, in their original order, each
    with its score. ``similarities``: each sentence's cosine to the question."""
    sentences = sentences_of(text)
    if not sentences:
        return []
    indices = list(range(len(sentences)))
    wants_code = query.has(Cue.CODE)
    if not wants_code:
        about_work = [i for i in indices if not is_availability_statement(sentences[i])]
        indices = about_work or indices
    wants_number = query.has(Cue.NUMBER)
    wants_how = query.has(Cue.MECHANISM)
    wants_definition = query.has(Cue.DEFINITION)
    name_keys = [normalize(n) for n in names if len(n) >= 2]
    scored: list[tuple[float, int]] = []
    for i in indices:
        sentence = sentences[i]
        lowered = normalize(sentence)
        rows = {vocabulary.get(t) for t in sentence_terms(lowered)}
        score = sum(w for row, w in weights.items() if row in rows)
        if similarities is not None and i < len(similarities):
            score += tuning.semantic_sentence_weight * max(0.0, float(similarities[i]))
        if wants_number:
            score += tuning.cue_bonus * quantity_cue(
                lowered, weights, vocabulary, unit=query.unit, tuning=tuning
            )
        if wants_code and is_availability_statement(sentence):
            score += tuning.cue_bonus  # "where can I get the code?": the sentence saying where
        if wants_how and _MECHANISM.search(lowered):
            score += tuning.cue_bonus / 2
        if wants_definition:
            # The sentence that introduces the thing asked about defines it best.
            introduces = bool(_INTRODUCES.search(lowered))
            named = any(n in lowered for n in name_keys)
            score += tuning.cue_bonus * (0.5 * introduces + 0.25 * named)
        words = len(sentence.split())
        if words > LONG_SENTENCE_WORDS:
            score *= LONG_SENTENCE_WORDS / words
        score -= 0.01 * i  # ties go to the earlier sentence
        scored.append((score, i))
    ranked = sorted(scored, reverse=True)
    first = ranked[0][1]
    if k > 1 and first + 1 < len(sentences) and _CONTINUES.match(sentences[first + 1]):
        ranked = [
            (s + tuning.continuation_bonus if i == first + 1 else s, i) for s, i in ranked[1:]
        ]
        ranked = [(0.0, first), *sorted(ranked, reverse=True)]
    best = ranked[:k]
    score_of = dict((i, s) for s, i in scored)
    # A further sentence is only worth quoting if it earns its place on its own.
    bar = max(tuning.second_sentence_min, tuning.second_sentence_share * score_of[first])
    keep = [first] + [i for s, i in best[1:] if s > bar]
    return [(sentences[i], score_of[i]) for i in sorted(keep)]


def quantity_cue(
    lowered: str,
    weights: Mapping[int, float],
    vocabulary: Mapping[str, int],
    *,
    unit: str | None,
    tuning: Tuning = TUNING,
) -> float:
    """How well a sentence can answer a how-many question: 1.0 when a quantity stands within
    ``number_window`` words of the unit asked for ("15T tokens"), 0.75 when it stands near
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
    window = tuning.number_window

    def close(positions: list[int]) -> bool:
        return any(abs(q - n) <= window for q in quantities for n in positions if q != n)

    if close(units):
        return 1.0
    return 0.75 if close(near) else 0.5


def answers_unit(query: Query, sentences: Sequence[str]) -> bool:
    """Whether one of ``sentences`` holds a quantity beside the unit a how-many question asks
    for: an answer-bearing sentence whatever else it matches."""
    return query.unit is not None and any(
        quantity_cue(normalize(s), {}, {}, unit=query.unit) == 1.0 for s in sentences
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
def sentences_of(text: str) -> tuple[str, ...]:
    """The sentences of a source's text; cached, as the same texts are quoted again and again."""
    return tuple(split_sentences(text))


@functools.lru_cache(maxsize=16_384)
def sentence_terms(normalized_sentence: str) -> frozenset[str]:
    """The stemmed terms of a sentence; cached, as the same abstracts are quoted again and again."""
    return frozenset(stem(tokenize(normalized_sentence)))
