"""The pieces of issue 8 around retrieval: synonyms.yaml, the profile's counts, the decision file
and its refit, and the semantic layer's strictly offline loading."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.engine import Engine, load_engine
from bot.core.evaluation import EvalQuestion
from bot.core.knowledge import load_knowledge
from bot.core.retrieval import decision, semantic
from bot.core.retrieval.decision import DecisionFileError, load_models
from bot.errors import BotError, KnowledgeError

# --- synonyms.yaml -------------------------------------------------------------------------------


def _load_with_synonyms(directory: Path, text: str) -> list[str]:
    (directory / "synonyms.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(directory)
    return [str(p) for p in info.value.problems]


def test_synonyms_file_is_optional(tiny_knowledge_dir: Path) -> None:
    """Without synonyms.yaml the knowledge has no groups, and loads."""
    assert load_knowledge(tiny_knowledge_dir).synonyms == ()


def test_synonyms_file_loads_its_groups(tiny_knowledge_dir: Path) -> None:
    """Each group is kept as written, in order."""
    (tiny_knowledge_dir / "synonyms.yaml").write_text(
        "synonyms:\n  - [language model, LM]\n  - [retrieval, search, lookup]\n"
    )
    kb = load_knowledge(tiny_knowledge_dir)
    assert kb.synonyms == (("language model", "LM"), ("retrieval", "search", "lookup"))


def test_synonyms_file_problems_name_file_line_and_column(tiny_knowledge_dir: Path) -> None:
    """Every problem of synonyms.yaml at once, as path:line:col."""
    shown = str(tiny_knowledge_dir)
    problems = _load_with_synonyms(
        tiny_knowledge_dir,
        "synonyms:\n"
        "  - [language model]\n"
        "  - [retrieval, 42]\n"
        "  - [search, Language Model]\n"
        "  - not a list\n",
    )
    assert problems == [
        f"{shown}/synonyms.yaml:2:5: synonyms[0] must list 2 to 20 terms, got 1",
        f"{shown}/synonyms.yaml:3:17: synonyms[1][1] must be a non-empty string, got the "
        "number 42 (quote it if you mean the text: '42')",
        f"{shown}/synonyms.yaml:4:14: synonyms[2][1]: 'Language Model' is already in a group "
        "(line 2)",
        f"{shown}/synonyms.yaml:5:5: synonyms[3] must be a list, got 'not a list'",
    ]


def test_synonyms_file_unknown_key_and_duplicate_key(tiny_knowledge_dir: Path) -> None:
    """A misspelt top-level key gets a "did you mean"; duplicate keys are refused."""
    shown = str(tiny_knowledge_dir)
    problems = _load_with_synonyms(tiny_knowledge_dir, "synonym:\n  - [a, b]\n")
    assert (
        f"{shown}/synonyms.yaml:1:1: unknown key 'synonym' (did you mean 'synonyms'?)" in problems
    )


def test_synonyms_change_answers_after_a_reload(tmp_path: Path, knowledge_dir: Path) -> None:
    """A group added to synonyms.yaml is used by the next engine built from the folder (what
    /reload and the watcher build)."""
    import shutil

    copy = tmp_path / "k"
    shutil.copytree(knowledge_dir, copy)
    before = load_engine(copy).understand("zorblax decoding")
    assert not any(w.terms for w in before.words if w.surface == "zorblax")
    with (copy / "synonyms.yaml").open("a", encoding="utf-8") as handle:
        handle.write("  - [zorblax, contrastive]\n")
    after = load_engine(copy).understand("zorblax decoding")
    zorblax = next(w for w in after.words if w.surface == "zorblax")
    assert zorblax.terms and not zorblax.exact


# --- the profile's counts ------------------------------------------------------------------------


def test_profile_counts_are_answered_with_their_capture_date(engine: Engine) -> None:
    """Followers, following and posts come from the profile, dated by the capture."""
    answer = engine.ask("how many followers does he have?")
    assert answer.citations[0].id == "profile"
    assert answer.text == "Counts (captured 2026): 277 posts, 252 following, 8,406 followers [1]"


def test_profile_counts_are_validated(tiny_knowledge_dir: Path) -> None:
    """Counts need a capture date and non-negative integers."""
    profile = tiny_knowledge_dir / "profile.yaml"
    profile.write_text(
        profile.read_text() + "counts:\n  captured: last year\n  followers: -3\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(tiny_knowledge_dir)
    messages = [p.message for p in info.value.problems]
    assert "profile.counts: captured must be YYYY, YYYY-MM or YYYY-MM-DD, got 'last year'" in (
        messages
    )
    assert "profile.counts: followers must be in 0..1000000000000, got -3" in messages


# --- the decision file ---------------------------------------------------------------------------


def test_shipped_decision_file_has_both_variants() -> None:
    """decision.json holds a semantic and a lexical model with ordered thresholds."""
    models = load_models()
    assert set(models) == {"semantic", "lexical"}
    for model in models.values():
        assert 0.0 <= model.tentative <= model.answer <= 1.0
        assert model.ranker.weights and model.decision.weights


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "decision.json:1:2: Expecting property name"),
        ('{"format": 99, "variants": {}}', "not a decision file of format 1"),
        (
            '{"format": 1, "variants": {"semantic": {"ranker": {"weights": {"nope": 1}}, '
            '"decision": {"weights": {}}, "thresholds": {"answer": 0.5, "tentative": 0.4}}}}',
            "unknown features ['nope']",
        ),
    ],
)
def test_bad_decision_file_is_refused_with_a_clear_error(
    tmp_path: Path, text: str, message: str
) -> None:
    """A broken, foreign or newer decision file is never misread."""
    path = tmp_path / "decision.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DecisionFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_models(path)


def test_missing_decision_file_falls_back_to_the_hand_set_model(
    tiny_knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without decision.json the bot still answers, with the hand-set model, and says so."""
    monkeypatch.setattr(decision, "DECISION_FILE", Path("/nonexistent/decision.json"))
    monkeypatch.setattr(
        "bot.core.retrieval.retriever.load_models", lambda: load_models(decision.DECISION_FILE)
    )
    engine = load_engine(tiny_knowledge_dir)
    assert engine.retriever.model is decision.FALLBACK
    assert "using the hand-set ranking and decision" in caplog.text


def test_calibrate_fits_and_writes_a_loadable_file(engine: Engine, tmp_path: Path) -> None:
    """Refitting on a handful of questions writes a file load_models reads back."""
    pytest.importorskip("sklearn")
    from bot.core.calibration import calibrate

    questions = [
        EvalQuestion("What is BART?", "alias", ("1910.13461",)),
        EvalQuestion("what is kNN-LM", "alias", ("1911.00172",)),
        EvalQuestion("attention sinks for streaming", "paraphrase", ("2309.17453",)),
        EvalQuestion("what did he say about peer review", "post", ("2021-08-27-1",)),
        EvalQuestion("8-bit matrix multiplication", "paraphrase", ("2208.07339",)),
        EvalQuestion("best pizza in town", "out-of-scope", ()),
        EvalQuestion("how do I bake bread", "out-of-scope", ()),
        EvalQuestion("weather in paris", "out-of-scope", ()),
    ]
    out = tmp_path / "decision.json"
    lines = calibrate(engine.kb, questions, out=out)
    assert [line.split(":")[0] for line in lines] == ["semantic", "lexical"]
    models = load_models(out)
    assert set(models) == {"semantic", "lexical"}
    assert json.loads(out.read_text())["fitted_on"] == {"decision": 8, "ranker": 8}


def test_cross_validation_scores_every_question_once_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    pytest.importorskip("sklearn")
    from bot.core.calibration import cross_validate
    from bot.core.evaluation import load_questions

    questions = load_questions(Path(__file__).parents[2] / "eval" / "questions.yaml")
    line = cross_validate(engine.kb, questions, folds=2)
    answerable = sum(bool(q.gold) for q in questions)
    out_of_scope = len(questions) - answerable
    assert line.startswith(f"2-fold cross-validation on {len(questions)} questions: hit@1 0.")
    assert f"/{answerable}, out-of-scope declined " in line
    declined = line.split("out-of-scope declined ")[1].split(",")[0]
    assert (
        declined.endswith(f"/{out_of_scope}") and 0 <= int(declined.split("/")[0]) <= out_of_scope
    )
    with pytest.raises(BotError, match="folds"):
        cross_validate(engine.kb, questions, folds=1)


# --- strictly offline ----------------------------------------------------------------------------


def test_semantic_layer_loads_with_the_network_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the embeddings opens no socket and resolves no name: nothing is attempted."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network is cut off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(semantic, "_cached", None)
    embedder = semantic.load_embedder()
    assert embedder.embed(["attention sinks"]).shape == (1, embedder.dim)
    assert attempts == []


def test_loading_never_imports_wordllama_or_touches_logging() -> None:
    """Building an engine does not import the wordllama package (its import configures the
    root logger) nor huggingface_hub, and leaves the root logger without handlers."""
    code = (
        "import logging, sys\n"
        "from pathlib import Path\n"
        "from bot.core.engine import load_engine\n"
        "engine = load_engine(Path('knowledge'))\n"
        "assert engine.retriever.semantic is not None\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('wordllama', 'huggingface_hub')), logging.getLogger().handlers)\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[] []"


def test_missing_embeddings_leave_a_lexical_bot(
    tiny_knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the embedding files the retriever builds without its semantic layer."""

    def unavailable() -> semantic.Embedder:
        raise semantic.EmbeddingUnavailable("wordllama is not installed")

    monkeypatch.setattr("bot.core.retrieval.retriever.load_embedder", unavailable)
    engine = load_engine(tiny_knowledge_dir)
    assert engine.retriever.semantic is None
    assert engine.retriever.model.semantic is False or engine.retriever.model is decision.FALLBACK
    assert engine.ask("What is BART?").citations[0].id == "1910.13461"
