"""Fixtures for the end-to-end tests: a fake Discord on 127.0.0.1 and a logged-in real bot.

Every request body the bot sends is checked at teardown against Discord's limits
(bot.limits) and, where the spec file exists, against Discord's OpenAPI spec. Exceptions inside
discord.py handlers are only logged, so any ERROR log record fails the test too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import discord
import pytest
import yarl
from aiohttp import web
from discord.gateway import DiscordWebSocket

from bot.client import QABot
from bot.config import Config
from bot.core.engine import load_engine
from bot.recorder import Recorder
from tests.e2e.fake_discord import CHANNEL_ID, GUILD_ID, FakeDiscord, serving
from tests.e2e.spec import body_problems

GUILD = {
    "id": str(GUILD_ID),
    "name": "Test server",
    "owner_id": "1",
    "icon": None,
    "features": [],
    "member_count": 2,
    "roles": [
        {
            "id": str(GUILD_ID),
            "name": "@everyone",
            "permissions": "104324673",
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
    ],
    "channels": [
        {
            "id": str(CHANNEL_ID),
            "type": 0,
            "name": "ask-me",
            "position": 0,
            "permission_overwrites": [],
        }
    ],
    "members": [],
}


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """The fake Discord REST API; every body it received must pass the limits and the spec."""
    server = FakeDiscord()
    async with serving(server) as base:
        monkeypatch.setattr(discord.http.Route, "BASE", base)
        yield server
    assert server.unhandled == [], f"requests the fake does not know: {server.unhandled}"
    assert [p for r in server.requests for p in body_problems(r)] == []


async def start_bot(
    knowledge_dir: Path, *, config: Config | None = None, recorder: Recorder | None = None
) -> QABot:
    """A real QABot logged in against the fake (no gateway), with one cached guild."""
    config = config or Config(knowledge_dir=knowledge_dir, cooldown_seconds=0)
    client = QABot(
        config=config,
        engine=load_engine(knowledge_dir),
        sync_on_start=False,
        recorder=recorder,
    )
    await client.login("fake-token")
    client._connection._add_guild_from_data(GUILD)  # type: ignore[arg-type]
    return client


def assert_no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    """discord.py only logs exceptions in handlers: an ERROR record is a failed test."""
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert errors == [], "\n".join(r.getMessage() for r in errors)


@pytest.fixture
async def bot(
    fake: FakeDiscord, tiny_knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[QABot]:
    """The real QABot, logged in against the fake (no gateway), with one cached guild."""
    client = await start_bot(tiny_knowledge_dir)
    yield client
    await client.close()
    assert_no_errors_logged(caplog)


@pytest.fixture
def fake_in_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDiscord]:
    """The fake Discord served from its own thread, for CLI commands that run asyncio.run()."""
    server: dict[str, FakeDiscord] = {}
    ready = threading.Event()
    loop = asyncio.new_event_loop()

    async def start() -> web.AppRunner:
        server["fake"] = FakeDiscord()
        runner = web.AppRunner(server["fake"].app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server["runner"] = loop.run_until_complete(start())  # type: ignore[assignment]
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    runner: web.AppRunner = server["runner"]  # type: ignore[assignment]
    fake = server["fake"]
    fake.url, fake.loop = f"http://127.0.0.1:{runner.addresses[0][1]}", loop
    monkeypatch.setattr(discord.http.Route, "BASE", f"{fake.url}/api/v10")
    yield fake
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.fixture
def gateway(fake_in_thread: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> FakeDiscord:
    """The threaded fake with discord.py's gateway pointed at it, for runs of `bot.start()`."""
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake_in_thread.gateway_url))
    return fake_in_thread
