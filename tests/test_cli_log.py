"""The terminal side of the question log: report, export-questions and forget."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.core.curation import QuestionRecord, utc_day
from bot.store import Store
from tests.logged import question_record

REPO = Path(__file__).resolve().parent.parent
ASKER, OTHER = 2000, 3000
NOW = time.time()
TODAY = utc_day(NOW)


def _question(n: int, text: str, **changes: object) -> QuestionRecord:
    return question_record(n, text, **{"interface": "ask", "latency_ms": 100.0 * n, **changes})


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A log with five questions (two declined alike, one unsure, one 👎) in tmp_path/data."""
    monkeypatch.chdir(tmp_path)  # no config.yaml: the default database is ./data/bot.sqlite3
    path = tmp_path / "data" / "bot.sqlite3"
    store = Store.open(path)
    store.record_question(_question(1, "What is BART?"), user_id=ASKER)
    store.record_question(
        _question(2, "What's the weather in Seattle?", declined=True, confidence=None, cited=()),
        user_id=ASKER,
    )
    store.record_question(
        _question(3, "whats the weather in seattle", declined=True, confidence=None, cited=()),
        user_id=OTHER,
    )
    store.record_question(
        _question(4, "who wrote | kNN-LM?", confidence="low", interface="dm", guild_id=None),
        user_id=OTHER,
    )
    store.record_question(_question(5, "papers in 2023"), user_id=OTHER)
    store.record_vote(5, ASKER, -1, at=NOW)
    store.record_reason(5, ASKER, "missed the newest one")
    store.record_vote(1, OTHER, 1, at=NOW)
    store.close()
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_markdown_prints_the_tables(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default database and format: summary, per day, most cited, unanswered groups."""
    code, out, err = _run(capsys, "report", "--days", "7")
    assert (code, err) == (0, "")
    assert out.startswith("# Question log: the last 7 days (")
    assert "From data/bot.sqlite3.\n" in out
    for row in (
        "| questions | 5 |  |",
        "| answered confidently | 2 | 40.0% |",
        "| answered with low confidence | 1 | 20.0% |",
        "| declined | 2 | 40.0% |",
        "| 👍 votes | 1 | 50.0% |",
        "| 👎 votes | 1 | 50.0% |",
        f"| {TODAY} | 5 | 2 | 1 | 2 | 1 | 1 |",
        "| 1 | 1910.13461 | BART: Denoising Sequence-to-Sequence Pre-training for Natural Language "
        "Generation, Translation, and Comprehension | 3 |",
        f"| 1 | What's the weather in Seattle? | {TODAY} |  | 2 | 2 | 0 | 0 |",
        f"| 2 | who wrote \\| kNN-LM? | {TODAY} |  | 1 | 0 | 1 | 0 |",
        f"| 3 | papers in 2023 | {TODAY} | missed the newest one | 1 | 0 | 0 | 1 |",
    ):
        assert row in out, row
    assert "Asked by: /ask 4, DM 1.\n" in out
    assert "Time to answer: median 300 ms, 95th percentile 500 ms.\n" in out


def test_report_for_one_server_leaves_dms_out(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--guild keeps one server's questions, as /stats does there."""
    code, out, _ = _run(capsys, "report", "--guild", "4000")
    assert code == 0
    assert "From data/bot.sqlite3, server 4000 only.\n" in out
    assert "| questions | 4 |  |" in out


def test_report_csv_has_four_tables(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """CSV: summary, day, most_cited and unanswered tables separated by blank lines."""
    code, out, _ = _run(capsys, "report", "--format", "csv")
    assert code == 0
    tables = [list(csv.reader(io.StringIO(block))) for block in out.strip().split("\n\n")]
    assert [t[0][0] for t in tables] == ["summary", "day", "most_cited", "unanswered"]
    assert tables[0][1:] == [
        ["questions", "5", ""],
        ["answered confidently", "2", "0.4"],
        ["answered with low confidence", "1", "0.2"],
        ["declined", "2", "0.4"],
        ["👍 votes", "1", "0.5"],
        ["👎 votes", "1", "0.5"],
    ]
    assert tables[3][1] == [
        "1",
        "What's the weather in Seattle?",
        "2",
        "2",
        "0",
        "0",
        TODAY,
        "",
        "whats the weather in seattle",
    ]


def test_report_json_is_one_object(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON: counts, shares as fractions, per day, sources with titles, unanswered groups."""
    code, out, _ = _run(capsys, "report", "--format", "json", "--days", "1")
    assert code == 0
    data = json.loads(out)
    assert (data["days"], data["since"], data["until"]) == (1, TODAY, TODAY)
    assert (data["questions"], data["answered"], data["low_confidence"], data["declined"]) == (
        5,
        2,
        1,
        2,
    )
    assert data["answered_share"] == pytest.approx(0.6)
    assert data["up_share"] == pytest.approx(0.5)
    assert data["by_interface"] == {"ask": 4, "dm": 1}
    assert data["top_papers"][0]["id"] == "1910.13461"
    assert data["top_papers"][0]["answers"] == 3
    assert [g["question"] for g in data["unanswered"]] == [
        "What's the weather in Seattle?",
        "who wrote | kNN-LM?",
        "papers in 2023",
    ]
    assert data["unanswered"][2]["reasons"] == ["missed the newest one"]


def test_export_questions_writes_eval_candidates_without_gold(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """YAML in the eval files' shape (q, style, gold []), a header that says gold is missing."""
    code, out, _ = _run(capsys, "export-questions", "--unanswered")
    assert code == 0
    assert "NOT READY TO USE: every `gold` below is empty and must be filled in by hand" in out
    assert yaml.safe_load(out) == [
        {"q": "What's the weather in Seattle?", "style": "real", "gold": []},
        {"q": "who wrote | kNN-LM?", "style": "real", "gold": []},
        {"q": "papers in 2023", "style": "real", "gold": []},
    ]
    assert (
        f"# asked 2×, last on {TODAY}; declined 2\n"
        "# also asked as: whats the weather in seattle\n"
        "- q: What's the weather in Seattle?\n"
        "  style: real\n"
        "  gold: []\n"
    ) in out
    assert "# 👎 reason: missed the newest one\n- q: papers in 2023\n" in out
    code, out, _ = _run(capsys, "export-questions")
    assert [item["q"] for item in yaml.safe_load(out)] == [
        "What's the weather in Seattle?",
        "What is BART?",
        "who wrote | kNN-LM?",
        "papers in 2023",
    ]
    assert not (REPO / "eval" / "candidates.yaml").exists()


def test_forget_deletes_one_persons_rows(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """forget --user: their three questions and their vote go; the others stay."""
    code, out, _ = _run(capsys, "forget", "--user", str(OTHER))
    assert (code, out) == (
        0,
        "forgot user 3000: deleted 3 questions and 1 vote from data/bot.sqlite3\n",
    )
    store = Store.open(database, create=False)
    assert [q.id for q in store.questions(since=0)] == [2, 1]
    store.close()
    code, out, _ = _run(capsys, "forget", "--user", str(OTHER))
    assert out == "forgot user 3000: deleted 0 questions and 0 votes from data/bot.sqlite3\n"


def test_commands_need_an_existing_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the first run there is no file: one error line, exit 1, nothing created."""
    monkeypatch.chdir(tmp_path)
    for argv in (["report"], ["export-questions"], ["forget", "--user", "1"]):
        code, out, err = _run(capsys, *argv)
        assert (code, out) == (1, "")
        assert err == (
            "error: data/bot.sqlite3: no database here yet; the bot creates it on its first run\n"
        )
    assert not (tmp_path / "data").exists()


def test_database_comes_from_the_config_file(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`database:` in the config, relative to the config file, is where report looks."""
    elsewhere = tmp_path / "conf"
    elsewhere.mkdir()
    config = elsewhere / "bot.yaml"
    config.write_text("database: ../data/bot.sqlite3\n", encoding="utf-8")
    code, out, _ = _run(capsys, "report", "--config", str(config))
    assert code == 0
    assert f"From {elsewhere}/../data/bot.sqlite3.\n" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--days", "0"], "argument --days: days must be in 1..3650, got 0"),
        (
            ["report", "--days", "week"],
            "argument --days: expected a whole number of days, got 'week'",
        ),
        (["report", "--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (
            ["forget", "--user", "@me"],
            "argument --user: expected a Discord id (digits only, at most 2^63-1), got '@me'",
        ),
        (["forget"], "the following arguments are required: --user"),
    ],
)
def test_bad_arguments_are_one_error_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad options exit 2 with the problem named."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert f"error: {message}" in capsys.readouterr().err


def test_readme_documents_every_command() -> None:
    """Every subcommand appears in the README as `python -m bot <command>`."""
    from bot.cli import build_parser

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    missing = [name for name in commands if f"python -m bot {name}" not in readme]
    assert missing == []
