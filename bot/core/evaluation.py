"""Score question answering against gold sets: rankings, declines and facts in the answer text.

A *system* maps a question to an ``Outcome``: the source ids it cites best first, or None when it
declines, and the answer text when it writes one. Answerable questions (non-empty gold) give
hit@1 (the first source is gold), recall@3 (share of the gold found in the first three, out of at
most three) and MRR; declining one is a false decline and scores 0. Out-of-scope questions (empty
gold) only count whether the system declined. ``answer_has`` facts count when the answer text
contains one of them (case and spacing ignored); a comparison counts when both sides are cited.
Every figure is also given per style (the question's ``style``, or ``category`` in older files).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.models import Answer, Turn
from bot.errors import BotError, Problem

OUT_OF_SCOPE = "out-of-scope"


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """One question with its gold source ids (empty: must decline) and optional checks."""

    question: str
    style: str
    gold: tuple[str, ...]
    answer_has: tuple[str, ...] = ()  # any one of them must be in the answer text
    compare: bool = False  # both sides (the first two gold ids) should be cited


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a system did with one question."""

    ranked: tuple[str, ...] | None  # cited ids best first; None: declined
    text: str | None = None  # the answer text; None: the system writes none (a baseline)
    tentative: bool = False  # answered, but said it was unsure


System = Callable[[str], Outcome]


@dataclass(slots=True)
class Scores:
    """Aggregated metrics of one system over a group of questions."""

    answerable: int = 0
    hit1: float = 0.0
    recall3: float = 0.0
    mrr: float = 0.0
    false_declines: int = 0
    out_of_scope: int = 0
    declined_out_of_scope: int = 0
    tentative: int = 0
    facts: int = 0  # answerable questions with answer_has
    facts_found: int = 0
    comparisons: int = 0
    both_sides: int = 0
    writes_text: bool = True

    def rate(self, name: str) -> float:
        """hit1, recall3 and mrr as averages over the answerable questions."""
        return getattr(self, name) / self.answerable if self.answerable else 0.0


@dataclass(frozen=True, slots=True)
class Report:
    """One system's scores overall and per style."""

    system: str
    overall: Scores
    by_style: dict[str, Scores] = field(default_factory=dict)


def _read_list(path: Path, what: str) -> list[Any]:
    """The YAML list an evaluation file holds; BotError when it is unreadable or not a list."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BotError(f"{path}: cannot read the {what[:-1]} file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise BotError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise BotError(f"{path}: expected a list of {what}")
    return data


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read an evaluation file; raises BotError naming every malformed entry."""
    data = _read_list(path, "questions")
    questions: list[EvalQuestion] = []
    problems: list[Problem] = []
    for i, item in enumerate(data):
        where = f"questions[{i}]"

        def bad(message: str, where: str = where) -> None:
            problems.append(Problem(str(path), None, None, f"{where}{message}"))

        if not isinstance(item, dict):
            bad(": expected a mapping")
            continue
        q, gold = item.get("q"), item.get("gold")
        style = item.get("style", item.get("category"))
        has = item.get("answer_has", ())
        has = (has,) if isinstance(has, str) else has
        if not isinstance(q, str) or not q.strip():
            bad(".q: expected a question")
        elif not isinstance(style, str) or not style:
            bad(".style: expected a style name")
        elif not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
            bad(".gold: expected a list of ids")
        elif (style == OUT_OF_SCOPE) != (not gold):
            bad(".gold: empty exactly when the style is out-of-scope")
        elif not isinstance(has, list | tuple) or not all(isinstance(h, str) for h in has):
            bad(".answer_has: expected a string or a list of strings")
        else:
            questions.append(
                EvalQuestion(q, style, tuple(gold), tuple(has), bool(item.get("compare")))
            )
    if problems:
        raise BotError("\n".join(str(p) for p in problems))
    return questions


def answer_outcome(answer: Answer) -> Outcome:
    """The ``Outcome`` of one of our answers."""
    if answer.declined:
        return Outcome(None, answer.text)
    text = "\n".join(part for part in (answer.intro, answer.text, *answer.notes) if part)
    return Outcome(tuple(c.id for c in answer.citations), text, answer.confidence == "low")


def ranking_system(rank: Callable[[str], list[str] | None]) -> System:
    """A system from a ranking function that writes no text (the baselines)."""

    def run(question: str) -> Outcome:
        ranked = rank(question)
        return Outcome(tuple(ranked) if ranked is not None else None)

    return run


_SPACES = re.compile(r"\s+")


def _folded(text: str) -> str:
    return _SPACES.sub(" ", text.casefold()).strip()


def evaluate(name: str, system: System, questions: Sequence[EvalQuestion]) -> Report:
    """Run ``system`` on every question and aggregate the metrics, overall and per style."""
    results = [(q, system(q.question)) for q in questions]
    return Report(name, _aggregate(results), _by_style(results))


def _by_style(results: Sequence[tuple[EvalQuestion, Outcome]]) -> dict[str, Scores]:
    styles = list(dict.fromkeys(q.style for q, _ in results))
    return {s: _aggregate([(q, o) for q, o in results if q.style == s]) for s in styles}


def _aggregate(results: Sequence[tuple[EvalQuestion, Outcome]]) -> Scores:
    scores = Scores()
    for q, outcome in results:
        ranked = outcome.ranked
        scores.writes_text = scores.writes_text and outcome.text is not None
        if not q.gold:
            scores.out_of_scope += 1
            scores.declined_out_of_scope += ranked is None
            continue
        scores.answerable += 1
        if q.answer_has:
            scores.facts += 1
        if q.compare:
            scores.comparisons += 1
        if ranked is None:
            scores.false_declines += 1
            continue
        scores.tentative += outcome.tentative
        gold = set(q.gold)
        scores.hit1 += bool(ranked) and ranked[0] in gold
        scores.recall3 += len(gold & set(ranked[:3])) / min(3, len(gold))
        scores.mrr += next((1.0 / (i + 1) for i, d in enumerate(ranked[:10]) if d in gold), 0.0)
        if q.answer_has and outcome.text is not None:
            text = _folded(outcome.text)
            scores.facts_found += any(_folded(fact) in text for fact in q.answer_has)
        if q.compare:
            scores.both_sides += set(q.gold[:2]) <= set(ranked)
    return scores


def _ratio(part: int, whole: int, *, percent: bool = True) -> str:
    if not whole:
        return "–"
    return f"{part}/{whole} ({part / whole:.0%})" if percent else f"{part}/{whole}"


def format_reports(reports: Sequence[Report]) -> str:
    """Markdown tables: hit@1 / recall@3 / MRR per style (and overall) for each system, then
    declines, tentative answers, facts in the answer and comparisons per system."""
    names = [r.system for r in reports]
    header = "| style | n | " + " | ".join(f"{n} hit@1 | R@3 | MRR" for n in names) + " |"
    rule = "|---|---:|" + "---:|---:|---:|" * len(names)
    lines = [header, rule]
    styles = [s for s in reports[0].by_style if s != OUT_OF_SCOPE]
    rows = [("overall", [r.overall for r in reports])]
    rows += [(s, [r.by_style[s] for r in reports]) for s in styles]
    for label, scores in rows:
        if not scores[0].answerable:
            continue
        cells = " | ".join(
            f"{s.rate('hit1'):.3f} | {s.rate('recall3'):.3f} | {s.rate('mrr'):.3f}" for s in scores
        )
        label = f"**{label}**" if label == "overall" else label
        lines.append(f"| {label} | {scores[0].answerable} | {cells} |")
    lines += [
        "",
        "| system | out-of-scope declined | answerable declined | tentative answers "
        "| facts in answer | comparisons citing both |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        o = r.overall
        facts = _ratio(o.facts_found, o.facts) if o.writes_text else "–"
        lines.append(
            f"| {r.system} | {_ratio(o.declined_out_of_scope, o.out_of_scope)} "
            f"| {_ratio(o.false_declines, o.answerable)} | {_ratio(o.tentative, o.answerable)} "
            f"| {facts} | {_ratio(o.both_sides, o.comparisons)} |"
        )
    return "\n".join(lines)


def format_layers(rows: Sequence[tuple[str, Scores]]) -> str:
    """A markdown table of overall figures with each layer switched off in turn."""
    lines = [
        "| layers | hit@1 | R@3 | MRR | answerable declined | out-of-scope declined | facts |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, s in rows:
        lines.append(
            f"| {label} | {s.rate('hit1'):.3f} | {s.rate('recall3'):.3f} | {s.rate('mrr'):.3f} "
            f"| {_ratio(s.false_declines, s.answerable)} "
            f"| {_ratio(s.declined_out_of_scope, s.out_of_scope)} "
            f"| {_ratio(s.facts_found, s.facts)} |"
        )
    return "\n".join(lines)


def misses(system: System, questions: Sequence[EvalQuestion]) -> list[str]:
    """One line per question the system gets wrong (top source not gold, or wrong decline)."""
    out = []
    for q in questions:
        ranked = system(q.question).ranked
        if not q.gold and ranked is not None:
            out.append(
                f"[{q.style}] {q.question!r}: answered {list(ranked[:3])}, expected a decline"
            )
        elif q.gold and (ranked is None or not ranked or ranked[0] not in q.gold):
            got = "declined" if ranked is None else list(ranked[:3])
            out.append(f"[{q.style}] {q.question!r}: got {got}, gold {list(q.gold)[:3]}")
    return out


# --- conversations -------------------------------------------------------------------------------

TURN_KINDS = ("first", "follow-up", "switch")


@dataclass(frozen=True, slots=True)
class EvalTurn:
    """One turn of a conversation: its kind, gold, and what it means read alone."""

    question: str
    kind: str  # first | follow-up | switch
    gold: tuple[str, ...]
    resolved: str = ""
    answer_has: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EvalConversation:
    """A conversation of two or three turns, in the dev or the frozen test split."""

    id: str
    split: str
    turns: tuple[EvalTurn, ...]


def is_conversation_file(path: Path) -> bool:
    """Whether ``path`` holds conversations (items with ``turns``) rather than questions."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return (
        isinstance(data, list) and bool(data) and isinstance(data[0], dict) and "turns" in data[0]
    )


def load_conversations(path: Path) -> list[EvalConversation]:
    """Read a conversation file; raises BotError naming every malformed entry."""
    data = _read_list(path, "conversations")
    conversations: list[EvalConversation] = []
    problems: list[str] = []
    for i, item in enumerate(data):
        where = f"{path}: conversations[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("turns"), list):
            problems.append(f"{where}: expected a mapping with a list of turns")
            continue
        turns = []
        for j, turn in enumerate(item["turns"]):
            if not isinstance(turn, dict) or turn.get("kind") not in TURN_KINDS:
                problems.append(f"{where}.turns[{j}]: expected a kind of {', '.join(TURN_KINDS)}")
                continue
            has = turn.get("answer_has", ())
            turns.append(
                EvalTurn(
                    str(turn.get("q", "")),
                    turn["kind"],
                    tuple(turn.get("gold") or ()),
                    str(turn.get("resolved", "")),
                    (has,) if isinstance(has, str) else tuple(has),
                )
            )
        conversations.append(
            EvalConversation(str(item.get("id", i)), str(item.get("split", "dev")), tuple(turns))
        )
    if problems:
        raise BotError("\n".join(problems))
    return conversations


Converse = Callable[[str, Sequence[Turn]], Answer]


def evaluate_conversations(
    converse: Converse, conversations: Sequence[EvalConversation]
) -> dict[str, Scores]:
    """Run each conversation turn by turn, the history made of the bot's own earlier answers;
    score first, follow-up and switch turns, and the switch turns asked alone."""
    results: dict[str, list[tuple[EvalQuestion, Outcome]]] = {k: [] for k in TURN_KINDS}
    results["switch asked alone"] = []
    for conversation in conversations:
        history: list[Turn] = []
        for turn in conversation.turns:
            answer = converse(turn.question, history)
            question = EvalQuestion(turn.question, turn.kind, turn.gold, turn.answer_has)
            results[turn.kind].append((question, answer_outcome(answer)))
            if turn.kind == "switch":
                alone = answer_outcome(converse(turn.question, ()))
                results["switch asked alone"].append((question, alone))
            history.append(
                Turn(answer.resolved or answer.question, tuple(c.id for c in answer.citations))
            )
    return {kind: _aggregate(items) for kind, items in results.items() if items}


def format_conversation_scores(scores: dict[str, Scores]) -> str:
    """A markdown table: per kind of turn, hit@1 and declines."""
    lines = [
        "| turns | n | hit@1 | R@3 | answerable declined | out-of-scope declined | facts |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, s in scores.items():
        lines.append(
            f"| {kind} | {s.answerable + s.out_of_scope} | {s.rate('hit1'):.3f} "
            f"| {s.rate('recall3'):.3f} | {_ratio(s.false_declines, s.answerable)} "
            f"| {_ratio(s.declined_out_of_scope, s.out_of_scope)} "
            f"| {_ratio(s.facts_found, s.facts)} |"
        )
    return "\n".join(lines)
