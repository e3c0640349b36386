"""Fit the ranker and the answer-or-decline decision on dev questions: ``python -m bot calibrate``.

1. Every question that the text search answers (not the profile, a record or a list) is
   retrieved once; its candidates keep the layers' evidence (``Candidate.features``).
2. The ranker is a logistic regression on pairs (a gold candidate minus another candidate of the
   same question, and the reverse): its weights order gold sources first.
3. With candidates re-ranked by it, the decision is a logistic regression from the question's
   features to "the best candidate is a gold source" (false for out-of-scope questions).
4. Its thresholds are chosen on the whole dev set, metadata answers included: ``tentative`` is
   the lowest probability that still declines at least ``MIN_OOS_DECLINED`` of the out-of-scope
   questions while declining at most ``MAX_FALSE_DECLINES`` of the answerable ones (best hit@1
   among those; when none meets both, the one missing them least, each miss as a rate and a
   false decline counting ``FALSE_DECLINE_WEIGHT`` times, since it also loses an answer);
   ``answer`` is the lowest
   probability above which answers are right at least ``HIGH_PRECISION`` of the time.
Both variants are fitted: with the semantic layer and without it (``decision.json``).
scikit-learn is needed only here: ``pip install -e '.[calibrate]'``.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.engine import Engine
from bot.core.evaluation import EvalQuestion
from bot.core.models import KnowledgeBase
from bot.core.retrieval import Candidate, Layers, Retrieval
from bot.core.retrieval.decision import (
    DECISION_FEATURES,
    DECISION_FILE,
    FORMAT_VERSION,
    RANKER_FEATURES,
    DecisionModel,
    LinearModel,
)
from bot.errors import BotError

MIN_OOS_DECLINED = 0.90
MAX_FALSE_DECLINES = 0.05
FALSE_DECLINE_WEIGHT = 2.0  # a missed answer counts twice: it also costs hit@1
HIGH_PRECISION = 0.85
REGULARIZATION = 1.0  # scikit-learn's C for the decision: smaller is a simpler model
RANKER_REGULARIZATION = 0.03  # ... and for the ranker


@dataclass(frozen=True, slots=True)
class Sample:
    """One dev question as the text search sees it."""

    question: EvalQuestion
    retrieval: Retrieval


@dataclass(frozen=True, slots=True)
class Fitted:
    """One variant's fitted models, thresholds and dev figures."""

    ranker: LinearModel
    decision: LinearModel
    answer: float
    tentative: float
    summary: str

    def to_json(self) -> dict[str, Any]:
        def linear(model: LinearModel) -> dict[str, Any]:
            return {
                "weights": {k: round(v, 6) for k, v in model.weights.items()},
                "bias": round(model.bias, 6),
            }

        return {
            "ranker": linear(self.ranker),
            "decision": linear(self.decision),
            "thresholds": {"answer": round(self.answer, 6), "tentative": round(self.tentative, 6)},
        }


def _sklearn() -> Any:
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:
        raise BotError("calibrate needs scikit-learn: pip install -e '.[calibrate]'") from exc
    return LogisticRegression


def calibrate(
    kb: KnowledgeBase,
    questions: Sequence[EvalQuestion],
    *,
    ranking: Sequence[EvalQuestion] = (),
    out: Path = DECISION_FILE,
) -> list[str]:
    """Fit both variants on ``questions`` (the ranker also on ``ranking``) and write ``out``;
    returns a summary line per variant."""
    variants: dict[str, Fitted] = {}
    for variant, layers in (("semantic", Layers()), ("lexical", Layers.without("semantic"))):
        engine = Engine.build(kb, layers=layers)
        if variant == "semantic" and engine.retriever.semantic is None:
            raise BotError("the semantic layer is not installed: pip install -e . (wordllama)")
        variants[variant] = fit(engine, questions, ranking=ranking)
    data = {
        "format": FORMAT_VERSION,
        "fitted_on": {"decision": len(questions), "ranker": len(questions) + len(ranking)},
        "variants": {name: fitted.to_json() for name, fitted in variants.items()},
    }
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return [f"{name}: {fitted.summary}" for name, fitted in variants.items()]


def fit(
    engine: Engine, questions: Sequence[EvalQuestion], *, ranking: Sequence[EvalQuestion] = ()
) -> Fitted:
    """Fit one engine's ranker (on ``questions`` and ``ranking``), decision and thresholds (on
    ``questions`` only: the set that looks like the questions the bot will get)."""
    direct, samples = _samples(engine, questions)
    _, extra = _samples(engine, ranking)
    ranker = fit_ranker([*samples, *extra])
    rows = [_decision_row(engine, s, ranker) for s in samples]
    decision = fit_decision(rows)
    probabilities = [decision.probability(features) for features, _ in rows]
    tentative, answer, summary = choose_thresholds(samples, rows, probabilities, direct)
    return Fitted(ranker, decision, answer, tentative, summary)


def _samples(
    engine: Engine, questions: Sequence[EvalQuestion]
) -> tuple[list[tuple[EvalQuestion, bool, bool]], list[Sample]]:
    """Questions answered from metadata (question, declined, right), and the text search's."""
    direct: list[tuple[EvalQuestion, bool, bool]] = []
    samples: list[Sample] = []
    for q in questions:
        query = engine.understand(q.question)
        answer = engine.answerer.from_metadata(query)
        if answer is not None:
            right = bool(answer.citations) and answer.citations[0].id in q.gold
            direct.append((q, answer.declined, right))
        else:
            samples.append(Sample(q, engine.retriever.retrieve(query, k=40)))
    return direct, samples


def fit_ranker(samples: Sequence[Sample]) -> LinearModel:
    """Pairwise logistic regression: gold candidates above the others of the same question."""
    diffs: list[np.ndarray] = []
    weights: list[float] = []
    for sample in samples:
        gold = set(sample.question.gold)
        vectors = [
            (c.doc_id in gold, _vector(c.features, RANKER_FEATURES))
            for c in sample.retrieval.candidates
        ]
        good = [v for is_gold, v in vectors if is_gold]
        bad = [v for is_gold, v in vectors if not is_gold]
        pairs = [g - b for g in good for b in bad]
        if not pairs:
            continue
        diffs += pairs
        # Every question weighs the same, however many candidates it has.
        weights += [1.0 / len(pairs)] * len(pairs)
    if not diffs:
        raise BotError("no dev question has a gold source among its candidates: nothing to fit")
    x = np.vstack([np.vstack(diffs), -np.vstack(diffs)])
    y = np.concatenate([np.ones(len(diffs)), np.zeros(len(diffs))])
    w = np.concatenate([weights, weights]) * len(samples)
    model = _sklearn()(C=RANKER_REGULARIZATION, fit_intercept=False, max_iter=5000)
    model.fit(x, y, sample_weight=w)
    return LinearModel(dict(zip(RANKER_FEATURES, (float(w) for w in model.coef_[0]), strict=True)))


def _vector(features: dict[str, float] | Any, names: Sequence[str]) -> np.ndarray:
    return np.array([float(features.get(n, 0.0)) for n in names])


def _rerank(sample: Sample, ranker: LinearModel) -> list[Candidate]:
    rescored = [
        Candidate(
            c.doc_id, c.kind, ranker.score(c.features), c.coverage, c.matched, c.exact, c.features
        )
        for c in sample.retrieval.candidates
    ]
    return sorted(rescored, key=lambda c: -c.score)


def _decision_row(
    engine: Engine, sample: Sample, ranker: LinearModel
) -> tuple[dict[str, float], bool]:
    ranked = _rerank(sample, ranker)
    retrieval = sample.retrieval
    features = engine.retriever.decision_features(retrieval.query, ranked, retrieval.semantic_stats)
    right = bool(ranked) and ranked[0].doc_id in sample.question.gold
    return features, right


def fit_decision(rows: Sequence[tuple[dict[str, float], bool]]) -> LinearModel:
    """Logistic regression from decision features to "the best candidate is gold"."""
    x = np.vstack([_vector(f, DECISION_FEATURES) for f, _ in rows])
    y = np.array([right for _, right in rows], dtype=float)
    if y.min() == y.max():
        raise BotError("the dev questions are all right or all wrong: nothing to fit a decision on")
    model = _sklearn()(C=REGULARIZATION, max_iter=2000)
    model.fit(x, y)
    weights = dict(zip(DECISION_FEATURES, (float(w) for w in model.coef_[0]), strict=True))
    return LinearModel(weights, float(model.intercept_[0]))


def choose_thresholds(
    samples: Sequence[Sample],
    rows: Sequence[tuple[dict[str, float], bool]],
    probabilities: Sequence[float],
    direct: Sequence[tuple[EvalQuestion, bool, bool]],
) -> tuple[float, float, str]:
    """The (tentative, answer) thresholds and a summary of the dev figures they give."""
    answerable = sum(bool(s.question.gold) for s in samples) + sum(
        bool(q.gold) for q, _, _ in direct
    )
    oos = sum(not s.question.gold for s in samples) + sum(not q.gold for q, _, _ in direct)
    direct_false = sum(bool(q.gold) and declined for q, declined, _ in direct)
    direct_oos = sum(not q.gold and declined for q, declined, _ in direct)
    direct_hits = sum(bool(q.gold) and right for q, _, right in direct)
    best: tuple[float, float] | None = None
    chosen = 0.5
    figures = ""
    for t in sorted({0.0, *probabilities, 1.01}):
        answered = [p >= t for p in probabilities]
        false = direct_false + sum(
            bool(s.question.gold) and not a for s, a in zip(samples, answered, strict=True)
        )
        declined_oos = direct_oos + sum(
            not s.question.gold and not a for s, a in zip(samples, answered, strict=True)
        )
        hits = direct_hits + sum(a and right for (_, right), a in zip(rows, answered, strict=True))
        # How far each target is missed, as a rate; a false decline also loses its answer.
        excess = FALSE_DECLINE_WEIGHT * max(
            0.0, false / max(answerable, 1) - MAX_FALSE_DECLINES
        ) + max(0.0, MIN_OOS_DECLINED - declined_oos / max(oos, 1))
        key = (-excess, hits + declined_oos)
        if best is None or key > best:
            best, chosen = key, t
            figures = (
                f"dev hit@1 {hits / max(answerable, 1):.3f}, answerable declined "
                f"{false}/{answerable}, out-of-scope declined {declined_oos}/{oos}"
            )
    above = sorted(
        ((p, right) for p, (_, right) in zip(probabilities, rows, strict=True) if p >= chosen),
        reverse=True,
    )
    answer = chosen
    right = 0
    for i, (p, ok) in enumerate(above, start=1):
        right += ok
        if right / i >= HIGH_PRECISION:
            answer = p
    answer = max(answer, chosen)
    tentative_share = sum(chosen <= p < answer for p in probabilities) / max(len(probabilities), 1)
    summary = (
        f"{figures}; thresholds tentative {chosen:.3f}, answer {answer:.3f} "
        f"({tentative_share:.0%} of text answers tentative)"
    )
    return chosen, answer, summary


CV_SEED = 7  # the folds are drawn once, the same on every run


def cross_validate(
    kb: KnowledgeBase,
    questions: Sequence[EvalQuestion],
    *,
    ranking: Sequence[EvalQuestion] = (),
    folds: int = 5,
) -> str:
    """How the fitting method does on questions it was not fitted on: fit on all folds but one
    (the ranker also on ``ranking``), score the one left out, add up; writes nothing."""
    from bot.core.answer import Answerer
    from bot.core.evaluation import answer_outcome, evaluate

    if folds < 2 or folds > len(questions):
        raise BotError(f"--cv needs between 2 and {len(questions)} folds, got {folds}")
    base = Engine.build(kb)
    order = list(range(len(questions)))
    random.Random(CV_SEED).shuffle(order)
    total: dict[str, float] = {}
    for k in range(folds):
        held = set(order[k::folds])
        fitted = fit(base, [q for i, q in enumerate(questions) if i not in held], ranking=ranking)
        model = DecisionModel(
            fitted.ranker,
            fitted.decision,
            fitted.answer,
            fitted.tentative,
            base.retriever.semantic is not None,
        )
        retriever = dataclasses.replace(base.retriever, model=model)
        engine = dataclasses.replace(
            base, retriever=retriever, answerer=Answerer(kb, retriever, base.structured)
        )
        scores = evaluate(
            "cv", lambda q, e=engine: answer_outcome(e.ask(q)), [questions[i] for i in held]
        ).overall
        for name in ("answerable", "hit1", "false_declines", "out_of_scope"):
            total[name] = total.get(name, 0) + getattr(scores, name)
        for name in ("declined_out_of_scope", "facts", "facts_found"):
            total[name] = total.get(name, 0) + getattr(scores, name)
    t = {k: int(v) if k != "hit1" else v for k, v in total.items()}
    return (
        f"{folds}-fold cross-validation on {len(questions)} questions: hit@1 "
        f"{t['hit1'] / max(t['answerable'], 1):.3f}, answerable declined "
        f"{t['false_declines']}/{t['answerable']}, out-of-scope declined "
        f"{t['declined_out_of_scope']}/{t['out_of_scope']}, facts in answer "
        f"{t['facts_found']}/{t['facts']}"
    )
