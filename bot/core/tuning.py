"""Every tuning constant of retrieval and answering, in one frozen object.

The values were chosen on the dev question set (``eval/dev.yaml``) and the older team sets, never
on the frozen test set; the learned weights of the ranker and of the answer-or-decline decision
live in ``bot/core/retrieval/decision.json`` and are refitted by ``python -m bot calibrate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _fuzzy_cutoffs() -> dict[int, float]:
    return {4: 85.0, 5: 80.0}


@dataclass(frozen=True, slots=True)
class Tuning:
    """Knobs of each layer; each is described where it is used."""

    # --- typo layer ---
    fuzzy_min_length: int = 4  # shorter unknown words are never corrected
    fuzzy_cutoffs: dict[int, float] = field(default_factory=_fuzzy_cutoffs)  # by word length
    fuzzy_cutoff_long: float = 78.0  # rapidfuzz ratio for words of 6+ letters
    fuzzy_weight: float = 0.7  # a corrected word counts at most this much of an exact one
    common_word_pieces: int = 1  # a word the embedder's vocabulary holds whole is a real word
    # --- lexical layer ---
    compound_share: float = 1.0  # each of a compound's n terms carries 1/n of its weight
    unknown_weight: float = 0.8  # a word found nowhere weighs this share of the rarest idf
    # --- synonyms ---
    synonym_similarity: float = 0.9  # an admin's synonym counts this much of the word asked
    work_word_similarity: float = 0.7  # a bio work's other proper names ("Cicero" -> Diplomacy)
    # --- alias layer ---
    title_cutoff: float = 90.0  # partial_ratio of the question's content words within a title
    title_min_words: int = 3  # shorter questions match too many titles partially
    title_candidates: int = 10  # best-scoring documents compared with the question's words
    # --- candidates and fusion ---
    lexical_depth: int = 20  # best lexical documents considered
    semantic_depth: int = 10  # best semantic documents considered
    # Up to this many documents every vector is compared with the question's; above it only the
    # other layers' candidates are, and the cosine statistics come from a fixed sample.
    semantic_full_scan: int = 20_000
    semantic_sample: int = 4_096  # documents of each kind in that sample
    opinion_boost: float = 2.0  # "what did he say/think ...": his posts' lexical score x this
    # --- answer composition ---
    max_sources: int = 3
    relative_score: float = 0.6  # a further source scores this share of the best one ...
    coverage_share: float = 0.8  # ... and covers this share of what the best one covers
    answer_share: float = 0.8  # its sentence holds this share of the best one's ...
    new_share: float = 0.15  # ... or this share the sentences quoted so far do not
    further_value_share: float = 0.6  # its best sentence answers this well of the best one's
    announce_days: int = 30  # a post naming the best paper this close to its date announces it
    sentences_first: int = 2  # sentences taken from the best source
    sentences_other: int = 1  # sentences taken from each further source
    name_discount: float = 0.25  # weight kept by question words that merely name the source
    cue_bonus: float = 2.5  # a sentence of the asked-for kind outweighs one more matching word
    semantic_sentence_weight: float = 2.0  # a sentence's cosine to the question, in idf units
    second_sentence_min: float = 0.5  # a second sentence must earn this much on its own ...
    second_sentence_share: float = 0.4  # ... and this share of the best sentence's score
    continuation_bonus: float = 2.0  # for the sentence that goes on from the chosen one
    max_answer_words: int = 120  # an answer longer than this keeps its best sentences only
    number_window: int = 8  # tokens between a quantity and the unit asked for
    suggest_coverage: float = 0.30  # a decline suggests only sources this close ...
    suggest_min_matched: int = 2  # ... matching this many of the question's words
    list_limit: int = 15  # papers cited in a list answer (a year of his fits); the rest counted
    default_recent: int = 5  # "his latest papers" without a number
    author_cutoff: float = 85.0  # rapidfuzz ratio for a name in the question to be a co-author


TUNING = Tuning()
