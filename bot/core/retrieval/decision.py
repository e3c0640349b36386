"""The learned parts of retrieval: how the layers' evidence is combined, and when to answer.

Both are small linear models over named features, fitted on the dev question set by
``python -m bot calibrate`` (logistic regression) and kept in ``decision.json`` beside this module:

- the **ranker** scores each candidate document from its lexical, coverage, proximity, semantic
  and naming evidence (a learned combination of the layers, fitted on pairs of a gold source and
  another candidate of the same question);
- the **decision** turns features of the question and its ranking (how much of the question the
  best source covers, its margin over the next one, how much of it came from typo corrections or
  unknown words, semantic similarity, the intent) into the probability that the best source
  answers it. Above ``answer`` the bot answers; between ``tentative`` and ``answer`` it answers
  with a warning; below ``tentative`` it declines.

A model fitted without the semantic layer is kept too, and used when the embeddings are not
installed. The file is versioned: one written for other features is refused, never misread.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DECISION_FILE = Path(__file__).with_name("decision.json")
FORMAT_VERSION = 1

RANKER_FEATURES: tuple[str, ...] = (
    "lexical",  # BM25F score over the best candidate's
    "coverage",  # share of the question's information the document holds
    "proximity",  # share of that one sentence holds
    "coord",  # lexical x coverage x proximity, over the best candidate's
    "semantic_kind",  # that cosine as a z-score among documents of the same kind
    "sentence",  # best cosine of the question and one sentence (or the title)
    "named",  # the question names it by an alias or its title
    "quoted_title",  # the question quotes most of its title
    "post_opinion",  # a post, and the question asks what he said or thinks
    "profile_about",  # the profile, and the question is about him
    "paper_definition",  # a paper, and the question asks what something is
)
DECISION_FEATURES: tuple[str, ...] = (
    "top_score",  # the ranker's score of the best candidate
    "margin",  # ... minus the second's
    "coverage",  # coverage of the best candidate
    "matched",  # its matched words (capped at 3) / 3
    "exact_share",  # share of the question's information it matches as written
    "typo_share",  # share of the information found only through typo corrections
    "unknown_share",  # share of the information no document holds
    "sentence",  # best sentence cosine of the best candidate
    "semantic",  # its document cosine
    "semantic_z",  # how far its cosine stands above the corpus's (z-score)
    "named",  # the question names it
    "residual_coverage",  # share of the words outside its title that it holds
    "residual_unknown",  # share of those words no document holds
    "residual_sentence",  # cosine of those words to its best sentence
    "named_residual",  # named x residual_coverage
    "named_residual_unknown",  # named x residual_unknown
    "unit_missing",  # a how-many question whose counted thing the source never names
    "compare_one_side",  # a comparison that names fewer than two documents
    "words",  # log(1 + informative words)
    "opinion",  # the question asks what he said or thinks
    "number",  # the question asks for a quantity
    "about_him",  # the question is about him
    "is_profile",
    "is_post",
)


class DecisionFileError(Exception):
    """decision.json is missing, malformed or of another format version."""


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Weights over named features (and a bias); unknown features count zero."""

    weights: Mapping[str, float]
    bias: float = 0.0

    def score(self, features: Mapping[str, float]) -> float:
        return self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.score(features)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


@dataclass(frozen=True, slots=True)
class DecisionModel:
    """The fitted ranker, the answer-or-decline model and its two thresholds."""

    ranker: LinearModel
    decision: LinearModel
    answer: float  # probability at or above which the bot answers
    tentative: float  # probability at or above which it answers with a warning
    semantic: bool  # fitted with the semantic layer's features

    def confidence(self, probability: float) -> str | None:
        """ "high", "low" (a tentative answer) or None (decline) for a probability."""
        if probability >= self.answer:
            return "high"
        if probability >= self.tentative:
            return "low"
        return None


# Used only when decision.json cannot be read: the hand-set combination of the first version
# (coverage-weighted BM25 with proximity) and a coverage rule, so the bot still answers sensibly.
FALLBACK = DecisionModel(
    ranker=LinearModel({"coord": 1.0, "named": 1.0, "quoted_title": 0.5, "sentence": 0.5}),
    decision=LinearModel({"coverage": 8.0, "matched": 2.0, "unknown_share": -4.0}, bias=-4.0),
    answer=0.5,
    tentative=0.4,
    semantic=False,
)


def load_models(path: Path = DECISION_FILE) -> dict[str, DecisionModel]:
    """The fitted models by variant ("semantic", "lexical"); raises DecisionFileError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DecisionFileError(f"{path}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise DecisionFileError(f"{path}:{exc.lineno}:{exc.colno}: {exc.msg}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise DecisionFileError(f"{path}: not a decision file of format {FORMAT_VERSION}")
    models: dict[str, DecisionModel] = {}
    try:
        for variant, spec in data["variants"].items():
            models[variant] = DecisionModel(
                ranker=_linear(spec["ranker"], RANKER_FEATURES),
                decision=_linear(spec["decision"], DECISION_FEATURES),
                answer=float(spec["thresholds"]["answer"]),
                tentative=float(spec["thresholds"]["tentative"]),
                semantic=variant == "semantic",
            )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DecisionFileError(f"{path}: malformed: {exc!r}") from exc
    return models


def _linear(spec: Mapping[str, object], names: Sequence[str]) -> LinearModel:
    weights = spec["weights"]
    if not isinstance(weights, Mapping):
        raise ValueError("weights must be a mapping")
    unknown = set(weights) - set(names)
    if unknown:
        raise ValueError(f"unknown features {sorted(unknown)}")
    return LinearModel({k: float(v) for k, v in weights.items()}, float(spec.get("bias", 0.0)))


def choose_model(models: Mapping[str, DecisionModel], *, semantic: bool) -> DecisionModel:
    """The model for this retriever's layers, or the fallback (logged once by the caller)."""
    return models.get("semantic" if semantic else "lexical") or FALLBACK
