"""End-to-end: the watched knowledge folder, with the real client against the fake Discord and
real file watching (watchfiles). An edit reloads and changes the answer; a broken edit keeps the
old knowledge and reports each problem to the admin log channel, pinging no one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.client import QABot
from bot.config import Config
from bot.core.engine import load_engine
from tests.e2e.fake_discord import FakeDiscord, Request

LOG_CHANNEL = 7000
OLD_SENTENCE = (
    "We present BART, a denoising autoencoder for pretraining sequence-to-sequence models."
)
NEW_SENTENCE = "We present BART, a denoising autoencoder that learns to rebuild corrupted text."


@pytest.fixture
async def watching_bot(
    fake: FakeDiscord, tiny_knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[QABot]:
    """A logged-in bot (its extensions loaded, so the watcher runs) over the tiny knowledge."""
    config = Config(
        knowledge_dir=tiny_knowledge_dir,
        watch_knowledge=True,
        admin_log_channel=LOG_CHANNEL,
        cooldown_seconds=0,
    )
    client = QABot(config=config, engine=load_engine(tiny_knowledge_dir), sync_on_start=False)
    await client.login("fake-token")
    # load_extension runs the module afresh: the cog is found by name, not by class identity.
    cog = client.get_cog("KnowledgeWatchCog")
    try:
        assert cog is not None and cog._task is not None  # type: ignore[attr-defined]
        await asyncio.sleep(0.5)  # let the watcher start before the test edits anything
        yield client
    finally:
        await client.close()
    assert cog._task.done()  # type: ignore[attr-defined]  # closing the bot stopped it
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert errors == [], "\n".join(r.getMessage() for r in errors)


def _log_messages(fake: FakeDiscord) -> list[Request]:
    return fake.find("POST", rf"/channels/{LOG_CHANNEL}/messages")


async def test_edit_reloads_and_a_broken_edit_keeps_the_old_knowledge(
    watching_bot: QABot, fake: FakeDiscord, tiny_knowledge_dir: Path
) -> None:
    """Save, reload, new answer; save a mistake, problem reported, the answer stays."""
    papers = tiny_knowledge_dir / "papers.yaml"
    assert OLD_SENTENCE in watching_bot.engine.ask("What is BART?").text

    papers.write_text(papers.read_text().replace(OLD_SENTENCE, NEW_SENTENCE))
    first = await fake.wait_for(lambda r: r in _log_messages(fake), timeout=20)
    assert first.body["content"] == "Knowledge reloaded after papers.yaml changed."
    [embed] = first.body["embeds"]
    assert embed["title"] == "Knowledge reloaded"
    assert embed["fields"] == [
        {"name": "Changed (1)", "value": "`paper 1910.13461`", "inline": False}
    ]
    assert first.body["allowed_mentions"] == {"parse": []}
    answer = watching_bot.engine.ask("What is BART?")
    assert NEW_SENTENCE in answer.text and OLD_SENTENCE not in answer.text
    serving = watching_bot.engine

    papers.write_text(papers.read_text().replace("date: '2019-10-29'", "date: 2019-10-29"))
    second = await fake.wait_for(
        lambda r: len(_log_messages(fake)) == 2 and r is _log_messages(fake)[1], timeout=20
    )
    content = second.body["content"]
    assert content.startswith(
        "papers.yaml changed but the knowledge has problems: I kept the knowledge I had. "
        "1 problem to fix:\n```\n"
    )
    assert f"{tiny_knowledge_dir}/papers.yaml:" in content
    assert "unquoted YAML date 2019-10-29" in content
    assert second.body["allowed_mentions"] == {"parse": []}
    assert watching_bot.engine is serving
    assert NEW_SENTENCE in watching_bot.engine.ask("What is BART?").text
