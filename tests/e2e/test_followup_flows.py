"""End-to-end: follow-up questions in Discord, by reply chains and in threads /ask opens.

The bot rebuilds a conversation from its own answers (title and small print) by fetching the
messages of the reply chain from the fake, which keeps every message it served or was shown.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.client import QABot
from bot.config import Config
from bot.embeds import READ_AS, SOURCE_IDS
from bot.exts.ask import COOLING_DOWN, NO_CONTENT
from bot.recorder import open_recorder
from tests.e2e.conftest import assert_no_errors_logged, start_bot
from tests.e2e.fake_discord import (
    APP_ID,
    BOT_ID,
    CHANNEL_ID,
    OTHER_ID,
    FakeDiscord,
    Request,
    command_data,
    interaction_create,
    message_create,
    thread_payload,
)

MEGABYTE = "2305.07185"
MEGABYTE_LINK = f"(https://arxiv.org/abs/{MEGABYTE})"


def _reply_to(message_id: int) -> Any:
    return lambda r: (
        r.method == "POST"
        and r.path.endswith("/messages")
        and (r.body.get("message_reference") or {}).get("message_id") == message_id
    )


async def _say(
    bot: QABot, fake: FakeDiscord, text: str, *, reply_to: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    """A user's message reaches the bot (and the fake keeps it, as Discord would)."""
    kw.setdefault("mentions", [BOT_ID])
    event = fake.remember(message_create(fake.next_id(), text, reply_to=reply_to, **kw))
    bot._connection.parse_message_create(event)
    return event


async def _answer_to(fake: FakeDiscord, question: dict[str, Any]) -> dict[str, Any]:
    """The bot's reply to ``question``, as the message Discord stored."""
    sent: Request = await fake.wait_for(_reply_to(int(question["id"])))
    return sent.reply


def _footer(answer: dict[str, Any]) -> str:
    return answer["embeds"][0].get("footer", {}).get("text", "")


def _fetched(fake: FakeDiscord) -> list[str]:
    return [r.path for r in fake.requests if r.method == "GET" and "/messages" in r.path]


async def test_a_reply_chain_of_three_answers_the_third_about_the_first_turns_paper(
    bot: QABot, fake: FakeDiscord
) -> None:
    first_question = await _say(bot, fake, f"<@{BOT_ID}> what is MEGABYTE?")
    first = await _answer_to(fake, first_question)
    assert first["embeds"][0]["title"] == "what is MEGABYTE?"
    assert _footer(first) == f"{SOURCE_IDS}{MEGABYTE}"

    second_question = await _say(bot, fake, "who wrote it?", reply_to=first)
    second = await _answer_to(fake, second_question)
    assert second["embeds"][0]["title"] == "who wrote it?"
    assert _footer(second).startswith(READ_AS + "who wrote MegaByte?")
    assert "Lili Yu" in second["embeds"][0]["description"]

    # A restart empties discord.py's message cache: the chain must be read back from Discord.
    assert bot._connection._messages is not None
    bot._connection._messages.clear()
    # The third message only replies (its "@ ON" mention of the bot is all that addresses it).
    third_question = await _say(bot, fake, "and when did it come out?", reply_to=second)
    third = await _answer_to(fake, third_question)
    sources = third["embeds"][0]["fields"][0]["value"]
    assert MEGABYTE_LINK in sources
    assert "2023-05-12" in third["embeds"][0]["description"]
    assert _footer(third).startswith(READ_AS)
    # The chain was read back from Discord: the second question, which carries the first answer.
    assert f"/channels/{CHANNEL_ID}/messages/{second_question['id']}" in _fetched(fake)
    for sent in fake.find("POST", rf"/channels/{CHANNEL_ID}/messages"):
        assert sent.body["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_a_reply_to_another_users_message_is_not_a_follow_up(
    bot: QABot, fake: FakeDiscord
) -> None:
    theirs = fake.remember(
        message_create(fake.next_id(), "what is MEGABYTE?", mentions=[], author_id=OTHER_ID)
    )
    # Without a mention, a reply to someone else is not addressed to the bot at all.
    await _say(bot, fake, "who wrote it?", reply_to=theirs, mentions=[OTHER_ID])
    # With one, it is a question of its own: nothing of the other message is read into it.
    asked = await _say(bot, fake, f"<@{BOT_ID}> who wrote it?", reply_to=theirs)
    answer = await _answer_to(fake, asked)
    assert READ_AS not in _footer(answer)
    assert len(fake.find("POST", rf"/channels/{CHANNEL_ID}/messages")) == 1
    assert _fetched(fake) == []


async def test_a_reply_to_a_deleted_answer_is_answered_on_its_own(
    bot: QABot, fake: FakeDiscord
) -> None:
    question = await _say(bot, fake, f"<@{BOT_ID}> what is MEGABYTE?")
    answer = await _answer_to(fake, question)
    fake.delete(int(answer["id"]))
    follow = await _say(
        bot, fake, f"<@{BOT_ID}> who wrote BART?", reply_to={**answer, "deleted": True}
    )
    reply = await _answer_to(fake, follow)
    assert READ_AS not in _footer(reply)
    assert "(https://arxiv.org/abs/1910.13461)" in reply["embeds"][0]["fields"][0]["value"]


async def test_a_reply_whose_text_discord_hides_gets_a_hint(bot: QABot, fake: FakeDiscord) -> None:
    """No Message Content intent, reply's mention switched off: Discord sends no text."""
    question = await _say(bot, fake, f"<@{BOT_ID}> what is MEGABYTE?")
    answer = await _answer_to(fake, question)
    hidden = await _say(bot, fake, "", reply_to=answer, mentions=[])
    hint = await fake.wait_for(_reply_to(int(hidden["id"])))
    assert hint.body["content"] == NO_CONTENT
    assert hint.body["allowed_mentions"] == {"parse": [], "replied_user": False}


@pytest.fixture
async def strict_bot(
    fake: FakeDiscord, tiny_knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[QABot]:
    """A bot with a real cooldown and one listed channel."""
    config = Config(
        knowledge_dir=tiny_knowledge_dir, cooldown_seconds=60, channels=frozenset({CHANNEL_ID})
    )
    client = await start_bot(tiny_knowledge_dir, config=config)
    yield client
    await client.close()
    assert_no_errors_logged(caplog)


async def test_follow_ups_share_the_cooldown_and_the_channel_list(
    strict_bot: QABot, fake: FakeDiscord
) -> None:
    question = await _say(strict_bot, fake, f"<@{BOT_ID}> what is MEGABYTE?")
    answer = await _answer_to(fake, question)
    follow = await _say(strict_bot, fake, "who wrote it?", reply_to=answer)
    waited = await fake.wait_for(_reply_to(int(follow["id"])))
    assert waited.body["content"].startswith(COOLING_DOWN.split("{")[0])
    elsewhere = {**answer, "channel_id": str(CHANNEL_ID + 1)}
    await _say(strict_bot, fake, "who wrote it?", reply_to=elsewhere, channel_id=CHANNEL_ID + 1)
    await asyncio.sleep(0.2)
    assert len(fake.find("POST", r"/channels/\d+/messages")) == 2  # the answer and the wait


async def test_a_follow_up_is_logged_as_one(
    fake: FakeDiscord, tiny_knowledge_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "bot.sqlite3"
    recorder = open_recorder(database, log_questions=True, retention_days=90)
    config = Config(knowledge_dir=tiny_knowledge_dir, cooldown_seconds=0, database=database)
    bot = await start_bot(tiny_knowledge_dir, config=config, recorder=recorder)
    try:
        question = await _say(bot, fake, f"<@{BOT_ID}> what is MEGABYTE?")
        answer = await _answer_to(fake, question)
        await _answer_to(fake, await _say(bot, fake, "who wrote it?", reply_to=answer))
        await recorder.flush()
        db = sqlite3.connect(database)
        try:
            rows = db.execute("SELECT question, interface FROM questions ORDER BY id").fetchall()
        finally:
            db.close()
        assert rows == [("what is MEGABYTE?", "mention"), ("who wrote it?", "follow-up")]
    finally:
        await bot.close()
    assert_no_errors_logged(caplog)


async def test_ask_opens_a_thread_where_a_mention_continues_the_conversation(
    bot: QABot, fake: FakeDiscord
) -> None:
    data = command_data("ask", question="what is MEGABYTE?", thread=True)
    bot._connection.parse_interaction_create(interaction_create(801, 2, data))
    opened = await fake.wait_for(lambda r: r.path.endswith("/threads"))
    followup = fake.find("POST", rf"/webhooks/{APP_ID}/token-801")[0]
    starter_id = int(followup.reply["id"])
    assert opened.path == f"/channels/{CHANNEL_ID}/messages/{starter_id}/threads"
    assert opened.body["name"] == "what is MEGABYTE?"

    # Discord announces the new thread; a member asks in it with a mention.
    bot._connection.parse_thread_create(
        {**thread_payload(starter_id, CHANNEL_ID, "what is MEGABYTE?", owner_id=BOT_ID)}
    )
    asked = await _say(bot, fake, f"<@{BOT_ID}> who wrote it?", channel_id=starter_id)
    answer = await _answer_to(fake, asked)
    assert _footer(answer).startswith(READ_AS + "who wrote MegaByte?")
    assert MEGABYTE_LINK in answer["embeds"][0]["fields"][0]["value"]
    assert f"/channels/{CHANNEL_ID}/messages/{starter_id}" in _fetched(fake)


async def test_a_private_ask_cannot_open_a_thread_and_says_so(
    bot: QABot, fake: FakeDiscord
) -> None:
    data = command_data("ask", question="what is MEGABYTE?", private=True, thread=True)
    bot._connection.parse_interaction_create(interaction_create(802, 2, data))
    await fake.wait_for(
        lambda r: r.path == f"/webhooks/{APP_ID}/token-802" and "content" in (r.body or {})
    )
    [answer, note] = fake.find("POST", rf"/webhooks/{APP_ID}/token-802")
    assert answer.body["embeds"][0]["title"] == "what is MEGABYTE?"
    assert "private answer" in note.body["content"]
    assert note.body["flags"] == 64
    assert not fake.find("POST", r"/channels/\d+/messages/\d+/threads")


async def test_in_a_dm_the_next_question_continues_without_a_reply(
    bot: QABot, fake: FakeDiscord
) -> None:
    dm = 6000

    async def in_dm(text: str) -> dict[str, Any]:
        event = message_create(fake.next_id(), text, mentions=[], channel_id=dm)
        del event["guild_id"], event["member"]
        bot._connection.parse_message_create(fake.remember(event))
        return await _answer_to(fake, event)

    await in_dm("what is MEGABYTE?")
    follow = await in_dm("who wrote it?")
    assert _footer(follow).startswith(READ_AS + "who wrote MegaByte?")
    fresh = await in_dm("what is BART?")
    assert READ_AS not in _footer(fresh)  # a question of its own ignores the conversation
    assert "(https://arxiv.org/abs/1910.13461)" in fresh["embeds"][0]["fields"][0]["value"]
