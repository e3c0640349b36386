"""`python -m bot doctor`: passes on a fresh clone with a dummy token; one line per failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import TINY_PAPERS, TINY_POSTS, TINY_PROFILE

DUMMY_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.dummy-token-for-offline-checks-only"
CHECKS = ["config", "knowledge", "token", "intents", "write access"]


def _doctor(
    capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, tuple[str, str]]]:
    """Run doctor; return its exit code and {check: (status, detail)} from its output."""
    code = main(["doctor", *args])
    captured = capsys.readouterr()
    assert captured.err == ""
    rows = {}
    for line in captured.out.splitlines():
        status, rest = line.split(None, 1)
        name = next(n for n in [*CHECKS, "discord", "portal intents"] if rest.startswith(n))
        rows[name] = (status, rest[len(name) :].strip())
    return code, rows


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh clone's situation: no config.yaml in the working directory, a dummy token."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", DUMMY_TOKEN)
    return tmp_path


def test_fresh_clone_with_a_dummy_token_passes(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every check is ok, one line each, in order, and the exit code is 0."""
    code, rows = _doctor(capsys)
    assert code == 0
    assert list(rows) == CHECKS
    assert {name: status for name, (status, _) in rows.items()} == dict.fromkeys(CHECKS, "ok")
    assert rows["config"][1] == "no config.yaml here: the built-in defaults apply"
    assert rows["knowledge"][1].endswith(
        "1 profile, 69 papers, 14 posts, 16 topics; newest paper 2026-05-02, newest post 2024-04-19"
    )
    assert rows["token"][1] == "set and well-formed, for bot id 123456789012345678"


_BAD_SHAPE = (
    "DISCORD_TOKEN does not look like a bot token (three parts joined by dots, the first naming "
    "the bot); copy it again from the Developer Portal (Bot > Reset Token)"
)
_BAD_CHARACTER = (
    "DISCORD_TOKEN contains a space, a line break or another character no token has; copy it "
    "again from the Developer Portal (Bot > Reset Token)"
)


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (
            "",
            "DISCORD_TOKEN is not set: put the bot's token (Developer Portal > Bot) in this "
            "environment variable",
        ),
        ("not-a-real-token", _BAD_SHAPE),
        ("bm90LWRpZ2l0cw.GhIjKl.dummy-token-for-offline-checks-only", _BAD_SHAPE),
        (DUMMY_TOKEN.replace(".GhIjKl", ".Gh\nIjKl"), _BAD_CHARACTER),
    ],
)
def test_a_bad_token_fails_without_showing_it(
    clone: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    token: str,
    detail: str,
) -> None:
    """A missing, malformed or line-broken token is one FAIL line that never quotes it."""
    monkeypatch.setenv("DISCORD_TOKEN", token)
    code = main(["doctor"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"FAIL  token         {detail}\n" in out
    assert all(part not in out for part in token.split(".") if len(part) > 4)


def test_a_broken_config_fails_and_skips_what_depends_on_it(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid config is one FAIL line with the first problem; knowledge and intents skip."""
    (clone / "config.yaml").write_text("cooldown_seconds: .inf\nlog_levle: INFO\n")
    code, rows = _doctor(capsys)
    assert code == 1
    assert rows["config"] == (
        "FAIL",
        "config.yaml:2:1: unknown key 'log_levle' (did you mean 'log_level'?) (and 1 more)",
    )
    assert rows["knowledge"] == ("skip", "needs a valid config (its knowledge_dir)")
    assert rows["intents"] == ("skip", "needs a valid config")


def test_broken_knowledge_fails_with_its_first_problem(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Knowledge with problems is one FAIL line pointing at `validate` for the rest."""
    folder = clone / "kb"
    folder.mkdir()
    (folder / "profile.yaml").write_text(TINY_PROFILE)
    (folder / "papers.yaml").write_text(TINY_PAPERS.replace("date: '2019-10-29'", "date: soon"))
    (folder / "posts.yaml").write_text(TINY_POSTS)
    (clone / "config.yaml").write_text("knowledge_dir: kb\n")
    code, rows = _doctor(capsys)
    assert code == 1
    assert rows["config"] == ("ok", "config.yaml is valid")
    assert rows["knowledge"] == (
        "FAIL",
        f"{folder}/papers.yaml:30:11: paper 1910.13461: date must be YYYY-MM-DD or YYYY-MM, "
        "got 'soon'; `python -m bot validate` lists every problem",
    )


def test_the_intents_the_config_needs_are_named(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """answer_every_message needs the privileged intent: doctor says where to switch it on."""
    (clone / "config.yaml").write_text("channels: [42]\nanswer_every_message: true\n")
    code, rows = _doctor(capsys)
    assert code == 0
    assert rows["intents"] == (
        "ok",
        "answer_every_message needs the privileged Message Content intent: switch it on "
        "(Developer Portal > Bot > Privileged Gateway Intents); --online checks that it is",
    )


def test_write_access_where_the_bot_writes(clone: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The question log's folder and the health file's must be writable; else a FAIL line."""
    code, rows = _doctor(capsys, "--health-file", str(clone / "health"))
    assert code == 0
    assert rows["write access"] == (
        "ok",
        f"can write the question log data/bot.sqlite3 and the health file {clone}/health",
    )
    (clone / "file").write_text("")
    code, rows = _doctor(capsys, "--health-file", str(clone / "file" / "health"))
    assert code == 1
    assert rows["write access"] == (
        "FAIL",
        f"health file {clone}/file/health: cannot write in {clone}/file: Not a directory",
    )
    (clone / "config.yaml").write_text("database: file/logs/bot.sqlite3\n")
    code, rows = _doctor(capsys)
    assert code == 1
    assert rows["write access"] == (
        "FAIL",
        "question log file/logs/bot.sqlite3: cannot write in file: Not a directory",
    )
