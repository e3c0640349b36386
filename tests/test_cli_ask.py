"""The ask / chat / eval commands through bot.cli.main, as other tools drive them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

CITATION_KEYS = ["kind", "id", "title", "date", "url", "text", "score", "note"]
ANSWER_KEYS = ["question", "resolved", "answer", "declined", "confidence", "notes", "citations"]


def test_ask_json_has_the_exact_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """`ask --json` prints one object with exactly these keys, in this order, and types."""
    assert main(["ask", "--json", "What is BART?"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    data = json.loads(out)
    assert list(data) == ANSWER_KEYS
    assert data["question"] == data["resolved"] == "What is BART?"
    assert data["declined"] is False
    assert data["confidence"] in ("high", "low") and data["notes"] == []
    assert data["answer"].startswith(
        "We present BART, a denoising autoencoder for pretraining sequence-to-sequence models. [1]"
    )
    first = data["citations"][0]
    assert list(first) == CITATION_KEYS
    assert first["kind"] == "paper" and first["id"] == "1910.13461"
    assert first["date"] == "2019-10-29"
    assert first["url"] == "https://arxiv.org/abs/1910.13461"
    assert isinstance(first["score"], float) and isinstance(first["text"], str)


def test_ask_json_decline_has_no_citations(capsys: pytest.CaptureFixture[str]) -> None:
    """A declined question prints declined true and an empty citation list."""
    assert main(["ask", "--json", "a good pizza place in Seattle"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["declined"] is True and data["citations"] == []
    assert data["confidence"] is None


def test_ask_json_carries_the_caveat_of_a_doubtful_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A cited paper's note is in the citation and in the answer's notes."""
    assert main(["ask", "--json", "what does the llama 4 herd write-up describe?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["citations"][0]["id"] == "2601.11659"
    assert data["citations"][0]["note"].startswith("Doubtful:")
    assert data["notes"] == ["[1] " + data["citations"][0]["note"]]


def test_ask_text_shows_the_caveat_under_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    """Plain `ask` prints a cited paper's note on the line under its source."""
    assert main(["ask", "what does the llama 4 herd write-up describe?"]) == 0
    lines = capsys.readouterr().out.splitlines()
    source = next(i for i, line in enumerate(lines) if line.startswith("  [1] The Llama 4 Herd"))
    assert lines[source + 1].startswith("      note: Doubtful:")


def test_ask_json_profile_date_is_null(capsys: pytest.CaptureFixture[str]) -> None:
    """The profile has no date: JSON null."""
    assert main(["ask", "--json", "where is he based?"]) == 0
    citation = json.loads(capsys.readouterr().out)["citations"][0]
    assert citation["kind"] == "profile" and citation["date"] is None


def test_ask_json_stdin_one_line_per_question(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ask --json -` answers each stdin line in order, one JSON object per line."""
    questions = ["What is BART?", "weather in Paris", "", "papers with Ofir Press"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(questions) + "\n"))
    assert main(["ask", "--json", "-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    objects = [json.loads(line) for line in lines]
    assert [o["question"] for o in objects] == questions
    assert [o["declined"] for o in objects] == [False, True, True, False]
    assert objects[0]["citations"][0]["id"] == "1910.13461"
    assert [c["id"] for c in objects[3]["citations"]] == ["2210.03350", "2108.12409", "2012.15832"]


def test_ask_text_lists_numbered_sources(capsys: pytest.CaptureFixture[str]) -> None:
    """Plain `ask` prints the answer, then a numbered source list with links."""
    assert main(["ask", "Where is he based?"]) == 0
    assert capsys.readouterr().out == (
        "Where Mike Lewis is based, from the X profile:\n"
        "Location: Seattle [1]\n"
        "\n"
        "Sources:\n"
        "  [1] X profile of Mike Lewis (@ml_perception) https://x.com/ml_perception\n"
    )


def test_ask_bad_knowledge_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing knowledge directory exits 1 with an error line, no traceback."""
    assert main(["ask", "--knowledge", str(tmp_path / "nope"), "hi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_ask_broken_knowledge_names_the_file(
    tiny_knowledge_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid knowledge files are reported as path:line:col problems."""
    (tiny_knowledge_dir / "papers.yaml").write_text("papers: [\n", encoding="utf-8")
    assert main(["ask", "--knowledge", str(tiny_knowledge_dir), "What is BART?"]) == 1
    assert "papers.yaml:" in capsys.readouterr().err


def test_ask_empty_question_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    """An empty question argument is a usage error."""
    assert main(["ask", "  "]) == 1
    assert capsys.readouterr().err == (
        "error: the question is empty; pass a question or '-' to read stdin\n"
    )


def test_ask_without_a_question_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse errors exit 2 with one error line."""
    with pytest.raises(SystemExit) as info:
        main(["ask"])
    assert info.value.code == 2
    assert "error: the following arguments are required: question" in capsys.readouterr().err


def test_chat_answers_until_quit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`chat` answers each line and leaves cleanly on "quit"."""
    monkeypatch.setattr("sys.stdin", io.StringIO("When did he join X?\nquit\nnever read\n"))
    assert main(["chat"]) == 0
    out = capsys.readouterr().out
    assert "Joined September 2019 [1]" in out
    assert "never read" not in out


def test_chat_leaves_on_end_of_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`chat` exits 0 at end of input (Ctrl-D)."""
    monkeypatch.setattr("sys.stdin", io.StringIO("What is ALiBi?\n"))
    assert main(["chat"]) == 0
    assert "Attention with Linear Biases" in capsys.readouterr().out


def test_eval_prints_one_table_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    """`eval FILE FILE` scores ours beside bm25s, one table per file."""
    eval_dir = Path(__file__).resolve().parent.parent / "eval"
    files = [str(eval_dir / "holdout.yaml"), str(eval_dir / "questions.yaml")]
    assert main(["eval", *files]) == 0
    out = capsys.readouterr().out
    assert out.count("| style | n | ours hit@1 | R@3 | MRR | bm25s hit@1 | R@3 | MRR |") == 2
    assert "eval/holdout.yaml: 32 questions (27 answerable, 5 out of scope)" in out
    assert "| bm25s | 0/5 (0%) |" in out


def test_eval_bad_question_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing question file is a clear error."""
    assert main(["eval", str(tmp_path / "none.yaml")]) == 1
    assert "cannot read the question file" in capsys.readouterr().err


def test_calibrate_refuses_the_frozen_sets(capsys: pytest.CaptureFixture[str]) -> None:
    """Fitting on eval/test.yaml or eval/holdout.yaml is refused before anything runs."""
    test = str(Path(__file__).resolve().parent.parent / "eval" / "test.yaml")
    assert main(["calibrate", test]) == 1
    assert "never fitted on" in capsys.readouterr().err


def test_ask_stdin_stops_quietly_when_the_reader_leaves() -> None:
    """`ask --json - | head` ends with exit 141 and no traceback when the pipe closes early."""
    questions = "What is BART?\n" * 400  # ~400 KB of answers: far more than a pipe buffers
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "--json", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(questions.encode())
        proc.stdin.close()
        first = proc.stdout.readline()
        proc.stdout.close()
        stderr = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 141
    assert json.loads(first)["question"] == "What is BART?"
    assert "Traceback" not in stderr


def test_ask_json_stdin_accepts_a_history(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON object line carries earlier questions; a plain line stays a standalone question;
    a malformed object gets an error line, so there is still one output line per input line."""
    lines = [
        json.dumps({"question": "who wrote it?", "history": ["what is MEGABYTE?"]}),
        "who wrote it?",
        json.dumps({"question": "link?", "history": "what is MEGABYTE?"}),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["ask", "--json", "-"]) == 0
    captured = capsys.readouterr()
    first, second, third = (json.loads(line) for line in captured.out.splitlines())
    assert first["question"] == "who wrote it?"
    assert first["resolved"] == "who wrote MegaByte?"
    assert first["citations"][0]["id"] == "2305.07185"
    assert second["resolved"] == "who wrote it?" and second["declined"] is True
    assert third["error"] == 'line 3: "history" must be a list of earlier questions (strings)'
    assert 'error: stdin line 3: "history" must be a list' in captured.err


def test_chat_keeps_the_conversation_until_new(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`chat` reads a follow-up in the light of the last answer; `/new` forgets it."""
    questions = ["what is MEGABYTE?", "who wrote it?", "/new", "who wrote it?", "quit"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(questions) + "\n"))
    assert main(["chat"]) == 0
    out = capsys.readouterr().out
    assert "(read as: who wrote MegaByte?)\nWho wrote “MEGABYTE:" in out
    after_new = out.split("(new conversation)")[1]
    assert "Which paper do you mean?" in after_new
