"""Score question answering against a gold set: hit@1, recall@3, MRR, declines, per category.

A *system* maps a question to a ranked list of source ids, or None when it declines. Answerable
questions (non-empty gold) give hit@1 (the first source is gold), recall@3 (share of the gold found
in the first three, out of at most three) and MRR; declining one is a false decline and scores 0.
Out-of-scope questions (empty gold) only count whether the system declined.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.engine import Engine
from bot.errors import BotError, Problem

OUT_OF_SCOPE = "out-of-scope"
CATEGORIES = ("paraphrase", "typo", "alias", "post", "profile", "structured", OUT_OF_SCOPE)

Ranker = Callable[[str], "list[str] | None"]


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """One question of the evaluation set with its gold source ids (empty: must decline)."""

    question: str
    category: str
    gold: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scores:
    """Aggregated metrics of one system over a group of questions."""

    answerable: int
    hit1: float
    recall3: float
    mrr: float
    false_declines: int
    out_of_scope: int
    declined_out_of_scope: int


@dataclass(frozen=True, slots=True)
class Report:
    """One system's scores overall and per category."""

    system: str
    overall: Scores
    by_category: dict[str, Scores]


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read an evaluation file; raises BotError naming every malformed entry."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BotError(f"{path}: cannot read the question file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise BotError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise BotError(f"{path}: expected a list of questions")
    questions: list[EvalQuestion] = []
    problems: list[Problem] = []
    for i, item in enumerate(data):
        where = f"questions[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(str(path), None, None, f"{where}: expected a mapping"))
            continue
        q, category, gold = item.get("q"), item.get("category"), item.get("gold")
        if not isinstance(q, str) or not q.strip():
            problems.append(Problem(str(path), None, None, f"{where}.q: expected a question"))
        elif category not in CATEGORIES:
            valid = ", ".join(CATEGORIES)
            problems.append(
                Problem(str(path), None, None, f"{where}.category: {category!r}; valid: {valid}")
            )
        elif not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
            problems.append(Problem(str(path), None, None, f"{where}.gold: expected a list of ids"))
        elif (category == OUT_OF_SCOPE) != (not gold):
            problems.append(
                Problem(str(path), None, None, f"{where}.gold: empty exactly when out-of-scope")
            )
        else:
            questions.append(EvalQuestion(q, category, tuple(gold)))
    if problems:
        raise BotError("\n".join(str(p) for p in problems))
    return questions


def engine_ranker(engine: Engine) -> Ranker:
    """Our system: the ids the answer cites, best first; None when it declines."""

    def rank(question: str) -> list[str] | None:
        answer = engine.ask(question)
        return None if answer.declined else [c.id for c in answer.citations]

    return rank


def evaluate(name: str, rank: Ranker, questions: Sequence[EvalQuestion]) -> Report:
    """Run ``rank`` on every question and aggregate the metrics."""
    results = [(q, rank(q.question)) for q in questions]
    by_category = {
        c: _aggregate([(q, r) for q, r in results if q.category == c])
        for c in CATEGORIES
        if any(q.category == c for q in questions)
    }
    return Report(name, _aggregate(results), by_category)


def _aggregate(results: Sequence[tuple[EvalQuestion, list[str] | None]]) -> Scores:
    hit1 = recall3 = mrr = 0.0
    answerable = false_declines = oos = declined_oos = 0
    for q, ranked in results:
        if not q.gold:
            oos += 1
            declined_oos += ranked is None
            continue
        answerable += 1
        if ranked is None:
            false_declines += 1
            continue
        gold = set(q.gold)
        hit1 += bool(ranked) and ranked[0] in gold
        recall3 += len(gold & set(ranked[:3])) / min(3, len(gold))
        mrr += next((1.0 / (i + 1) for i, d in enumerate(ranked[:10]) if d in gold), 0.0)
    n = max(answerable, 1)
    return Scores(answerable, hit1 / n, recall3 / n, mrr / n, false_declines, oos, declined_oos)


def format_reports(reports: Sequence[Report]) -> str:
    """A markdown table: one row per category (and overall), hit@1 / recall@3 / MRR per system,
    followed by the decline figures."""
    names = [r.system for r in reports]
    header = "| category | n | " + " | ".join(f"{n} hit@1 | R@3 | MRR" for n in names) + " |"
    rule = "|---|---:|" + "---:|---:|---:|" * len(names)
    lines = [header, rule]
    categories = [c for c in CATEGORIES if c in reports[0].by_category and c != OUT_OF_SCOPE]
    rows = [("overall", [r.overall for r in reports])]
    rows += [(c, [r.by_category[c] for r in reports]) for c in categories]
    for label, scores in rows:
        cells = " | ".join(f"{s.hit1:.3f} | {s.recall3:.3f} | {s.mrr:.3f}" for s in scores)
        label = f"**{label}**" if label == "overall" else label
        lines.append(f"| {label} | {scores[0].answerable} | {cells} |")
    lines.append("")
    lines.append("| system | out-of-scope declined | false declines |")
    lines.append("|---|---:|---:|")
    for r in reports:
        o = r.overall
        declined = o.declined_out_of_scope / o.out_of_scope if o.out_of_scope else 0.0
        false_rate = o.false_declines / o.answerable if o.answerable else 0.0
        lines.append(
            f"| {r.system} | {o.declined_out_of_scope}/{o.out_of_scope} ({declined:.0%}) "
            f"| {o.false_declines}/{o.answerable} ({false_rate:.1%}) |"
        )
    return "\n".join(lines)


def misses(rank: Ranker, questions: Sequence[EvalQuestion]) -> list[str]:
    """One line per question the system gets wrong (top source not gold, or wrong decline)."""
    out = []
    for q in questions:
        ranked = rank(q.question)
        if not q.gold and ranked is not None:
            out.append(f"[{q.category}] {q.question!r}: answered {ranked[:3]}, expected a decline")
        elif q.gold and (ranked is None or ranked[0] not in q.gold):
            got = "declined" if ranked is None else ranked[:3]
            out.append(f"[{q.category}] {q.question!r}: got {got}, gold {list(q.gold)[:3]}")
    return out
