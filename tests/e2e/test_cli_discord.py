"""The ``run`` and ``sync`` commands: startup errors before any network call, and a real sync."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.client import BAD_TOKEN
from tests.e2e.fake_discord import APP_ID, GUILD_ID, FakeDiscord
from tests.e2e.spec import body_problems

REPO = Path(__file__).resolve().parents[2]


def test_run_without_token_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    """`python -m bot run` with no DISCORD_TOKEN names it on one line, exit 2, no traceback."""
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "error: DISCORD_TOKEN is not set: put the bot's token (Developer Portal > Bot) in this "
        "environment variable\n"
    )


def test_run_with_missing_explicit_config_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An explicitly given config file that does not exist is one error line, exit 2."""
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    assert main(["run", "--config", str(tmp_path / "bot.yaml")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path}/bot.yaml: file not found\n"


def test_run_with_invalid_config_lists_problems_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid config prints each problem as path:line:col, exit 2, before connecting."""
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text("log_levle: INFO\n", encoding="utf-8")
    assert main(["run"]) == 2
    assert capsys.readouterr().err == (
        "error: config.yaml:1:1: unknown key 'log_levle' (did you mean 'log_level'?)\n"
    )


def test_sync_command_uploads_the_tree_and_exits(
    fake_in_thread: FakeDiscord,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`python -m bot sync --guild ID` logs in over REST, PUTs the commands, closes, exit 0."""
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.chdir(tmp_path)  # no config.yaml here: the defaults apply
    monkeypatch.setattr("bot.log.setup_logging", lambda level: None)  # keep pytest's logging
    assert main(["sync", "--guild", str(GUILD_ID)]) == 0
    assert capsys.readouterr().out == (
        f"synced 7 commands to guild {GUILD_ID}: about, ask, paper, papers, reload, stats, "
        "unanswered\n"
    )
    [put] = fake_in_thread.find("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    assert body_problems(put) == []
    assert not fake_in_thread.find("GET", r"/gateway(/bot)?")  # REST only, no gateway


def test_run_with_a_rejected_token_exits_2_without_traceback(
    fake_in_thread: FakeDiscord,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """When Discord answers 401 to the login, run prints one line (no token in it) and exits 2."""
    fake_in_thread.reject_token = True
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token-value")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("bot.log.setup_logging", lambda level: None)
    assert main(["run"]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {BAD_TOKEN}\n"
    assert "secret-token-value" not in captured.out + captured.err
    assert [r.path for r in fake_in_thread.requests] == ["/users/@me"]
