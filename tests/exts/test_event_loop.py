"""Blocking work stays off the event loop, and an answer never floods a channel.

Loading knowledge, indexing it, answering and laying out an answer all grow with the data: on the
event loop they would freeze every other conversation and the gateway heartbeat. Each test wraps
the blocking function so it records whether it ran on the loop's thread.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import discord
import pytest

import bot.core.knowledge
from bot import client, embeds, reloader
from bot.config import Config
from bot.core.engine import Engine, load_engine
from bot.core.models import Answer
from bot.exts.admin import AdminCog
from bot.exts.ask import AskCog
from bot.limits import EMBED_TOTAL_LIMIT, message_problems
from tests.helpers import (
    BART_ANSWER,
    BOT_ID,
    FakeEngine,
    make_bot,
    make_interaction,
    make_kb,
    make_message,
    paper_citation,
    sent_embeds,
)

F = TypeVar("F", bound=Callable[..., Any])


def _on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _recording(fn: F, calls: list[bool]) -> F:
    """``fn``, noting for each call whether it ran on an event loop's thread."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(_on_loop())
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


async def test_reload_builds_and_reads_back_off_the_event_loop(
    tiny_knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/reload never loads, indexes, reads back or compares knowledge on the event loop.

    The build runs in a child process (bot.reloader); were it moved back into this process on
    the loop, the recorded loads would say so. Reading the engine back and the diff run in
    worker threads.
    """
    cog = AdminCog(
        make_bot(Config(knowledge_dir=tiny_knowledge_dir), load_engine(tiny_knowledge_dir))
    )
    loads: list[bool] = []
    builds: list[bool] = []
    reads: list[bool] = []
    diffs: list[bool] = []
    monkeypatch.setattr(
        bot.core.knowledge, "load_knowledge", _recording(bot.core.knowledge.load_knowledge, loads)
    )
    monkeypatch.setattr(Engine, "build", _recording(Engine.build, builds))
    monkeypatch.setattr(reloader, "_read_engine", _recording(reloader._read_engine, reads))
    monkeypatch.setattr(client, "diff_knowledge", _recording(client.diff_knowledge, diffs))
    itx = make_interaction(cog.bot, permissions=discord.Permissions(administrator=True))
    try:
        await cog.reload.callback(cog, itx)
    finally:
        gc.unfreeze()  # the read-back freezes the new engine out of the collector's reach
    assert itx.followup.send.await_args.kwargs["embed"].title == "Knowledge reloaded"
    assert True not in loads + builds
    assert reads == [False] and diffs == [False]


def _huge_answer() -> Answer:
    """An 850 KB answer, as one oversized abstract once produced: many sentences, one source."""
    text = " ".join(
        f"Sentence {i} of a very long abstract says a little more. [1]" for i in range(14_000)
    )
    return Answer(question="What is it?", text=text, citations=(paper_citation(),), declined=False)


def _cog(answer: Answer = BART_ANSWER) -> AskCog:
    return AskCog(make_bot(Config(cooldown_seconds=0), FakeEngine(make_kb(), answer)))


async def test_chat_answer_is_composed_and_laid_out_off_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A mention's answer is found and split into messages in a worker thread."""
    cog = _cog()
    layouts: list[bool] = []
    asks: list[bool] = []
    monkeypatch.setattr(embeds, "answer_messages", _recording(embeds.answer_messages, layouts))
    monkeypatch.setattr(cog.bot.engine, "ask", _recording(cog.bot.engine.ask, asks))
    await cog.on_message(make_message(cog.bot, f"<@{BOT_ID}> What is BART?", mentions=[BOT_ID]))
    assert asks == [False] and layouts == [False]


async def test_ask_answer_is_composed_and_laid_out_off_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """/ask finds and lays out its answer in a worker thread too."""
    cog = _cog()
    layouts: list[bool] = []
    monkeypatch.setattr(embeds, "answer_messages", _recording(embeds.answer_messages, layouts))
    itx = make_interaction(cog.bot, command="ask")
    await cog.ask.callback(cog, itx, question="What is BART?")
    assert layouts == [False]
    itx.followup.send.assert_awaited_once()


def _check_capped(messages: list[list[discord.Embed]]) -> str:
    """Assert the layout is at most two valid messages; return their description text."""
    assert 1 <= len(messages) <= embeds.ANSWER_MESSAGES_LIMIT
    for message in messages:
        assert message_problems({"embeds": [e.to_dict() for e in message]}) == []
        assert sum(len(e) for e in message) <= EMBED_TOTAL_LIMIT
    return "\n".join(e.description or "" for m in messages for e in m)


async def test_a_huge_answer_is_cut_to_two_messages_in_chat() -> None:
    """An 850 KB answer becomes two messages, cut after a citation and saying it was shortened."""
    cog = _cog(_huge_answer())
    message = make_message(cog.bot, f"<@{BOT_ID}> What is it?", mentions=[BOT_ID])
    await cog.on_message(message)
    first = message.reply.return_value  # further messages reply to the first one
    sent = [sent_embeds(message.reply.await_args)] + [
        sent_embeds(call) for call in first.reply.await_args_list
    ]
    text = _check_capped(sent)
    assert text.endswith(f"[1]…\n\n{embeds.SHORTENED}")
    assert sent[-1][-1].fields[0].name == "Sources"  # the source still comes with it


async def test_a_huge_answer_is_cut_to_two_followups_for_ask() -> None:
    """/ask sends at most two followups for the same 850 KB answer."""
    cog = _cog(_huge_answer())
    itx = make_interaction(cog.bot, command="ask")
    await cog.ask.callback(cog, itx, question="What is it?")
    sent = [sent_embeds(call) for call in itx.followup.send.await_args_list]
    assert len(_check_capped(sent)) <= 2 * embeds.ANSWER_TEXT_LIMIT
