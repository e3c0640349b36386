"""The evaluation: metrics on hand-made rankings, the question files, and the shipped targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.evaluation import (
    EvalQuestion,
    engine_ranker,
    evaluate,
    format_reports,
    load_questions,
)
from bot.errors import BotError

EVAL_DIR = Path(__file__).resolve().parents[2] / "eval"


def test_metrics_on_known_rankings() -> None:
    """hit@1, recall@3, MRR and decline counts are computed as documented."""
    questions = [
        EvalQuestion("a", "alias", ("x",)),
        EvalQuestion("b", "alias", ("y", "z")),
        EvalQuestion("c", "post", ("w",)),
        EvalQuestion("d", "out-of-scope", ()),
        EvalQuestion("e", "out-of-scope", ()),
    ]
    answers = {"a": ["x", "q"], "b": ["q", "z", "y"], "c": None, "d": None, "e": ["x"]}
    report = evaluate("toy", answers.get, questions)
    overall = report.overall
    assert overall.answerable == 3
    assert overall.hit1 == pytest.approx(1 / 3)
    assert overall.recall3 == pytest.approx((1 + 1) / 3)
    assert overall.mrr == pytest.approx((1 + 0.5) / 3)
    assert (overall.false_declines, overall.out_of_scope, overall.declined_out_of_scope) == (
        1,
        2,
        1,
    )
    assert report.by_category["alias"].hit1 == pytest.approx(0.5)


def test_format_reports_has_a_row_per_category() -> None:
    """The markdown table lists overall first and the decline table after it."""
    questions = [EvalQuestion("a", "alias", ("x",)), EvalQuestion("d", "out-of-scope", ())]
    table = format_reports([evaluate("toy", lambda q: ["x"] if q == "a" else None, questions)])
    lines = table.splitlines()
    assert lines[2] == "| **overall** | 1 | 1.000 | 1.000 | 1.000 |"
    assert lines[3] == "| alias | 1 | 1.000 | 1.000 | 1.000 |"
    assert lines[-1] == "| toy | 1/1 (100%) | 0/1 (0.0%) |"


def test_load_questions_reports_every_bad_entry(tmp_path: Path) -> None:
    """A malformed question file names each bad entry."""
    path = tmp_path / "q.yaml"
    path.write_text(
        "- q: hi\n  category: nope\n  gold: []\n- q: x\n  category: alias\n  gold: []\n"
    )
    with pytest.raises(BotError) as info:
        load_questions(path)
    assert str(info.value).splitlines() == [
        f"{path}: questions[0].category: 'nope'; valid: paraphrase, typo, alias, post, profile, "
        "structured, out-of-scope",
        f"{path}: questions[1].gold: empty exactly when out-of-scope",
    ]


def test_shipped_question_files_are_valid_and_large_enough() -> None:
    """The evaluation set has 110+ questions in every category; the held-out set about 30."""
    questions = load_questions(EVAL_DIR / "questions.yaml")
    holdout = load_questions(EVAL_DIR / "holdout.yaml")
    assert len(questions) >= 110 and len(holdout) >= 30
    assert {q.category for q in questions} == {
        "paraphrase",
        "typo",
        "alias",
        "post",
        "profile",
        "structured",
        "out-of-scope",
    }
    assert not {q.question for q in questions} & {q.question for q in holdout}


def test_gold_ids_exist_in_the_knowledge(engine: Engine) -> None:
    """Every gold id names a paper, a post or the profile of the shipped knowledge."""
    for name in ("questions.yaml", "holdout.yaml"):
        for q in load_questions(EVAL_DIR / name):
            for doc_id in q.gold:
                assert doc_id == "profile" or engine.kb.paper(doc_id) or engine.kb.post(doc_id)


def test_ours_meets_the_targets_on_both_sets(engine: Engine) -> None:
    """hit@1 >= 0.90, out-of-scope declined >= 90 %, false declines <= 3 %."""
    for name in ("questions.yaml", "holdout.yaml"):
        report = evaluate("ours", engine_ranker(engine), load_questions(EVAL_DIR / name))
        overall = report.overall
        assert overall.hit1 >= 0.90, name
        assert overall.declined_out_of_scope >= 0.9 * overall.out_of_scope, name
        assert overall.false_declines <= 0.03 * overall.answerable, name
