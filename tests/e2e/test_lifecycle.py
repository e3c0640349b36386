"""Start-up and shutdown of `run` against the fake Discord (REST and gateway): clean failures with
documented exit codes, a graceful stop on SIGTERM, the health file, and sharding.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from bot import embeds
from bot.cli import main
from bot.client import (
    BAD_TOKEN,
    EXIT_SETUP,
    EXIT_UNREACHABLE,
    SHUTDOWN_GRACE_SECONDS,
    QABot,
    ShardedQABot,
    create_bot,
)
from bot.config import Config
from bot.core.engine import load_engine
from tests.e2e.fake_discord import (
    APPLICATION,
    BOT_ID,
    CHANNEL_ID,
    FakeDiscord,
    message_create,
)

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.dummy-token-for-offline-checks-only"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without config.yaml, a token, and pytest's own logging kept."""
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("bot.log.setup_logging", lambda level: None)
    return tmp_path


@pytest.mark.parametrize("command", ["run", "sync"])
@pytest.mark.parametrize("token", ["abc\r\ndef.ghi.jkl", "abc\ndef", "abc def"])
def test_a_token_with_a_line_break_is_one_clear_line(
    fake_in_thread: FakeDiscord,
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    token: str,
) -> None:
    """A pasted line break (or space) in the token stops run and sync before any request."""
    monkeypatch.setenv("DISCORD_TOKEN", token)
    assert main([command]) == EXIT_SETUP
    captured = capsys.readouterr()
    assert captured.err == (
        "error: DISCORD_TOKEN contains a space, a line break or another character no token "
        "has; copy it again from the Developer Portal (Bot > Reset Token)\n"
    )
    assert "abc" not in captured.out + captured.err
    assert fake_in_thread.requests == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_gateway_is_one_clear_line_and_exit_3(
    fake_in_thread: FakeDiscord,
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Login works but the gateway does not answer: one error line, exit 3, no traceback."""
    port = _closed_port()
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(f"ws://127.0.0.1:{port}/"))
    assert main(["run"]) == EXIT_UNREACHABLE
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: could not reach Discord's gateway: ")
    assert f"127.0.0.1:{port}" in lines[0]
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert [r.path for r in fake_in_thread.requests] == ["/users/@me", "/oauth2/applications/@me"]


@pytest.mark.parametrize(
    ("code", "exit_code", "message"),
    [
        (
            4011,
            EXIT_SETUP,
            "Discord requires sharding for this bot (it is in 2,500 servers or more): set "
            "shard_count in config.yaml (see Many servers in the README)",
        ),
        (4004, EXIT_SETUP, BAD_TOKEN),
        (4012, EXIT_SETUP, "Discord closed the gateway connection (code 4012)"),
    ],
)
def test_a_gateway_closed_by_discord_is_one_clear_line(
    gateway: FakeDiscord,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    code: int,
    exit_code: int,
    message: str,
) -> None:
    """Discord closing the gateway (sharding required, bad token...) is one line and a code."""
    gateway.close_on_identify = code
    assert main(["run"]) == exit_code
    assert capsys.readouterr().err == f"error: {message}\n"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_lets_the_answer_in_flight_finish_then_exits_0(
    gateway: FakeDiscord,
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    sig: signal.Signals,
) -> None:
    """SIGTERM or Ctrl-C while answering: the reply is still sent, the bot closes, exit 0, in 5 s.

    The health file exists while connected and is gone once the bot has stopped.
    """
    caplog.set_level(logging.INFO, logger="bot")
    answering = threading.Event()
    real = embeds.answer_messages

    def slow(*args: Any, **kwargs: Any) -> Any:
        answering.set()
        time.sleep(1.0)  # an answer that takes a while: the signal arrives in the middle
        return real(*args, **kwargs)

    # Not bot.exts.ask: load_extension executes a fresh copy of that module.
    monkeypatch.setattr(embeds, "answer_messages", slow)
    health = cli_env / "health"
    seen: dict[str, float] = {}

    def drive() -> None:
        gateway.call(gateway.wait_for_identifies(1))
        deadline = time.monotonic() + 20
        while not health.exists() and time.monotonic() < deadline:  # ready and connected
            time.sleep(0.05)
        seen["healthy"] = float(health.exists())
        question = message_create(701, f"<@{BOT_ID}> What is BART?", mentions=[BOT_ID])
        gateway.call(gateway.dispatch("MESSAGE_CREATE", question))
        assert answering.wait(10)
        seen["signal"] = time.monotonic()
        os.kill(os.getpid(), sig)

    driver = threading.Thread(target=drive)
    driver.start()
    code = main(["run", "--health-file", str(health)])
    stopped = time.monotonic()
    driver.join(10)
    assert code == 0
    assert seen["healthy"] == 1.0 and not health.exists()
    assert stopped - seen["signal"] < SHUTDOWN_GRACE_SECONDS
    [reply] = gateway.find("POST", rf"/channels/{CHANNEL_ID}/messages")
    assert reply.body["embeds"][0]["title"] == "What is BART?"
    assert f"{sig.name}: finishing the answers in flight (up to 5 s), then closing" in caplog.text
    # The handlers are gone again: SIGTERM's default, and Python's KeyboardInterrupt for SIGINT.
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_health_command_reads_the_file_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`health` is 0 for a fresh file, 1 for a stale or missing one, with one line each."""
    health = tmp_path / "health"
    assert main(["health", "--health-file", str(health)]) == 1
    health.write_text("1\n")
    assert main(["health", "--health-file", str(health)]) == 0
    os.utime(health, (time.time() - 200, time.time() - 200))
    assert main(["health", "--health-file", str(health), "--max-age", "90"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"unhealthy: no health file {health} (starting, stopped or not connected)"
    assert lines[1].startswith("healthy: connected ")
    assert lines[2].startswith("unhealthy: not connected for 2")


def test_create_bot_picks_the_sharded_class_from_the_config(tiny_knowledge_dir: Path) -> None:
    """No shard_count: one connection (commands.Bot); with it, AutoShardedBot with those shards."""
    engine = load_engine(tiny_knowledge_dir)
    single = create_bot(config=Config(), engine=engine)
    assert type(single) is QABot and not isinstance(single, commands.AutoShardedBot)
    sharded = create_bot(config=Config(shard_count=4, shard_ids=(2, 3)), engine=engine)
    assert isinstance(sharded, ShardedQABot) and isinstance(sharded, commands.AutoShardedBot)
    assert (sharded.shard_count, sharded.shard_ids) == (4, [2, 3])
    assert type(sharded).connect is QABot.connect  # start-up failures stay clean when sharded


@pytest.mark.parametrize(
    ("config", "identified"),
    [
        (Config(), [None]),
        (Config(shard_count=2), [[0, 2], [1, 2]]),
        (Config(shard_count=3, shard_ids=(0, 2)), [[0, 3], [2, 3]]),
    ],
)
async def test_shards_identify_as_configured(
    fake: FakeDiscord,
    tiny_knowledge_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: Config,
    identified: list[list[int] | None],
) -> None:
    """Each process identifies exactly the shards its config names, with the total count."""
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    client = create_bot(config=config, engine=load_engine(tiny_knowledge_dir))
    runner = asyncio.create_task(client.start("fake-token"))
    try:
        await fake.wait_for_identifies(len(identified))
    finally:
        await client.close()
        await asyncio.wait_for(runner, 10)
    assert sorted(fake.identifies, key=str) == fake.identifies or len(identified) == 1
    assert [i.get("shard") for i in fake.identifies] == identified


def test_doctor_online_logs_in_and_checks_the_portal_intent(
    fake_in_thread: FakeDiscord,
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--online logs in over REST; a config needing Message Content fails if the app lacks it."""
    (cli_env / "config.yaml").write_text("channels: [42]\nanswer_every_message: true\n")
    assert main(["doctor", "--online"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == [
        "ok    discord         logged in as LewisBot (id 1000)",
        "FAIL  portal intents  Message Content is off but the config needs it (Developer Portal "
        "> Bot > Privileged Gateway Intents)",
    ]
    assert [r.path for r in fake_in_thread.requests] == ["/users/@me", "/oauth2/applications/@me"]
    monkeypatch.setitem(APPLICATION, "flags", 1 << 19)  # GATEWAY_MESSAGE_CONTENT granted
    assert main(["doctor", "--online"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "ok    portal intents  Message Content is switched on"
    )


def test_doctor_online_reports_a_rejected_token(
    fake_in_thread: FakeDiscord, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A well-formed token Discord refuses is one FAIL line, without the token."""
    fake_in_thread.reject_token = True
    assert main(["doctor", "--online"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "FAIL  discord       Discord rejected the token; copy it again"
    assert TOKEN not in out
