"""Tests for bot.exts.feedback and the logging in bot.exts.ask: buttons, votes, the 👎 modal."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Config
from bot.core.curation import CitedSource
from bot.exts.ask import AskCog
from bot.exts.feedback import (
    CHANGED,
    FEEDBACK_OFF,
    NOT_SAVED,
    SAME_UP,
    THANKS_DOWN,
    THANKS_REASON,
    THANKS_UP,
    UNKNOWN_ANSWER,
    VOTE_ID,
    FeedbackCog,
    ReasonModal,
    VoteButton,
    feedback_view,
    log_answer,
)
from bot.limits import CUSTOM_ID_LIMIT
from bot.recorder import Recorder
from bot.store import Store
from tests.helpers import (
    BART_ANSWER,
    BOT_ID,
    GUILD_ID,
    NO_PINGS,
    OTHER_ID,
    FakeEngine,
    make_bot,
    make_interaction,
    make_kb,
    make_message,
)
from tests.logged import question_record

QUESTION_ID = 123_456_789_012_345_678


@pytest.fixture
async def recorder(tmp_path: Path) -> AsyncIterator[Recorder]:
    rec = Recorder(Store.open(tmp_path / "bot.sqlite3", busy_timeout_ms=20))
    yield rec
    await rec.aclose()


def _bot(recorder: Recorder | None, **config: Any) -> Any:
    bot = make_bot(Config(cooldown_seconds=0, **config), FakeEngine(make_kb()))
    bot.recorder = recorder
    return bot


def _log_bart(bot: Any) -> discord.ui.View:
    """Log BART_ANSWER as an /ask answer to QUESTION_ID, as AskCog does; its buttons."""
    return log_answer(
        bot,
        BART_ANSWER,
        question_id=QUESTION_ID,
        user_id=1,
        guild_id=GUILD_ID,
        channel_id=5000,
        interface="ask",
        started=time.perf_counter(),
    )


def _ids(view: discord.ui.View) -> list[str]:
    return [item.custom_id for item in view.children]  # type: ignore[attr-defined]


def _replied(itx: Any) -> str:
    itx.response.send_message.assert_awaited_once()
    call = itx.response.send_message.await_args
    assert call.kwargs == {"ephemeral": True, "allowed_mentions": NO_PINGS}
    return str(call.args[0])


async def _press(bot: Any, vote: str, *, user_id: int = OTHER_ID) -> Any:
    itx = make_interaction(bot, user_id=user_id, kind=discord.InteractionType.component)
    await VoteButton(QUESTION_ID, vote).callback(itx)
    return itx


def test_custom_id_carries_the_question_and_fits_discords_limit() -> None:
    """The longest snowflake still fits in 100 characters, and the template parses it back."""
    button = VoteButton(2**64 - 1, "down")
    assert button.custom_id == f"vote:down:{2**64 - 1}"
    assert len(button.custom_id) <= CUSTOM_ID_LIMIT
    match = VOTE_ID.fullmatch(button.custom_id)
    assert match is not None and (match["vote"], int(match["question"])) == ("down", 2**64 - 1)
    assert VOTE_ID.fullmatch("vote:sideways:1") is None
    assert VOTE_ID.fullmatch("pages:next") is None


async def test_from_custom_id_rebuilds_the_button_on_any_process() -> None:
    """discord.py hands a press to from_custom_id: the new item knows its question and vote."""
    match = re.fullmatch(VOTE_ID, f"vote:up:{QUESTION_ID}")
    assert match is not None
    item = await VoteButton.from_custom_id(None, None, match)  # type: ignore[arg-type]
    assert (item.question_id, item.vote, item.item.emoji.name) == (QUESTION_ID, "up", "👍")  # type: ignore[union-attr]


def test_feedback_view_is_persistent() -> None:
    """No timeout and dynamic items only: the buttons outlive the process that sent them."""
    view = feedback_view(QUESTION_ID)
    assert view.timeout is None and view.is_persistent()
    assert _ids(view) == [f"vote:up:{QUESTION_ID}", f"vote:down:{QUESTION_ID}"]


async def test_votes_reply_privately_and_a_second_press_changes_the_vote(
    recorder: Recorder,
) -> None:
    """👍, 👍 again, 👎 (the modal), then 👍: each reply is private and says what happened."""
    bot = _bot(recorder)
    view = _log_bart(bot)
    assert _ids(view) == [f"vote:up:{QUESTION_ID}", f"vote:down:{QUESTION_ID}"]
    assert _replied(await _press(bot, "up")) == THANKS_UP
    assert _replied(await _press(bot, "up")) == SAME_UP
    itx = await _press(bot, "down")
    itx.response.send_message.assert_not_awaited()
    [modal] = itx.response.send_modal.await_args.args
    assert isinstance(modal, ReasonModal) and modal.question_id == QUESTION_ID
    assert _replied(await _press(bot, "up")) == CHANGED.format(emoji="👍")
    records = await recorder.questions(since=0)
    assert records is not None and (records[0].up, records[0].down) == (1, 0)


async def test_vote_on_an_unlogged_answer_says_so(recorder: Recorder) -> None:
    """A press on an answer that was purged or forgotten is not counted, and says why."""
    assert _replied(await _press(_bot(recorder), "up")) == UNKNOWN_ANSWER


async def test_vote_without_a_log_or_with_logging_off_says_so(recorder: Recorder) -> None:
    """Old buttons pressed while nothing is recorded get a short private explanation."""
    assert _replied(await _press(_bot(None), "up")) == FEEDBACK_OFF
    recorder.log_questions = False
    assert _replied(await _press(_bot(recorder), "down")) == FEEDBACK_OFF


async def test_vote_while_the_database_fails_is_not_an_error(
    recorder: Recorder, tmp_path: Path
) -> None:
    """A locked file: the voter hears it was not saved; nothing raises."""
    bot = _bot(recorder)
    _log_bart(bot)
    await recorder.flush()
    holder = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert _replied(await _press(bot, "up")) == NOT_SAVED
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_reason_modal_stores_the_reason_with_the_down_vote(recorder: Recorder) -> None:
    """The reason is kept (whitespace folded) on the voter's 👎; an empty one is just thanks."""
    bot = _bot(recorder)
    _log_bart(bot)
    await _press(bot, "down")
    modal = ReasonModal(QUESTION_ID)
    assert modal.reason.max_length == 200 and modal.reason.required is False
    assert modal.timeout == 15 * 60
    empty = make_interaction(bot, user_id=OTHER_ID, kind=discord.InteractionType.modal_submit)
    await modal.on_submit(empty)
    assert _replied(empty) == THANKS_DOWN
    modal.reason._value = "  cited   the wrong\npaper "
    itx = make_interaction(bot, user_id=OTHER_ID, kind=discord.InteractionType.modal_submit)
    await modal.on_submit(itx)
    assert _replied(itx) == THANKS_REASON
    records = await recorder.questions(since=0)
    assert records is not None and records[0].reasons == ("cited the wrong paper",)


async def test_log_answer_records_what_the_issue_lists(recorder: Recorder) -> None:
    """The queued row: ids, interface, question, declined/confidence, cited ids, latency."""
    bot = _bot(recorder)
    _log_bart(bot)
    [record] = await recorder.questions(since=0) or []
    assert (record.id, record.guild_id, record.channel_id, record.interface) == (
        QUESTION_ID,
        GUILD_ID,
        5000,
        "ask",
    )
    assert (record.question, record.declined, record.confidence) == (
        "What is BART?",
        False,
        "high",
    )
    assert record.cited == (
        CitedSource("paper", "1910.13461"),
        CitedSource("post", "2022-11-22-1"),
    )
    assert record.latency_ms > 0


async def test_no_buttons_while_logging_is_off(recorder: Recorder) -> None:
    """Without a log, or with log_questions false, an answer is sent with no view at all."""
    for bot in (_bot(None), _bot(recorder)):
        if bot.recorder is not None:
            bot.recorder.log_questions = False
        view = log_answer(
            bot, BART_ANSWER, question_id=1, user_id=1, guild_id=None, channel_id=None,
            interface="dm", started=time.perf_counter(),
        )  # fmt: skip
        assert view is discord.utils.MISSING
    assert await recorder.questions(since=0) == []


@pytest.mark.parametrize(
    ("kwargs", "interface"),
    [
        ({"mentions": [BOT_ID]}, "mention"),
        ({"dm": True}, "dm"),
    ],
)
async def test_chat_answers_are_logged_with_their_interface(
    recorder: Recorder, kwargs: dict[str, Any], interface: str
) -> None:
    """A mention and a DM are logged as such, and the reply carries the vote buttons."""
    bot = _bot(recorder)
    cog = AskCog(bot)
    message = make_message(bot, f"<@{BOT_ID}> What is BART?", **kwargs)
    await cog.on_message(message)
    view = message.reply.await_args.kwargs["view"]
    assert _ids(view) == [f"vote:up:{message.id}", f"vote:down:{message.id}"]
    [record] = await recorder.questions(since=0) or []
    assert (record.id, record.interface, record.question) == (
        message.id,
        interface,
        "What is BART?",
    )


async def test_every_message_mode_and_follow_ups_are_logged_as_such(recorder: Recorder) -> None:
    """An un-mentioned question in a listed channel is "channel"; the chat path can pass
    "follow-up" for replies to the bot's answers."""
    bot = _bot(recorder, channels=frozenset({5000}), answer_every_message=True)
    cog = AskCog(bot)
    await cog.on_message(make_message(bot, "What is BART?"))
    follow_up = make_message(bot, "and who wrote it?")
    follow_up.id = 8888
    await cog._answer_message(follow_up, "and who wrote it?", interface="follow-up")
    records = await recorder.questions(since=0) or []
    assert [(r.id, r.interface) for r in records] == [(7777, "channel"), (8888, "follow-up")]


async def test_ask_answer_is_logged_and_its_last_message_has_the_buttons(
    recorder: Recorder,
) -> None:
    """/ask: the followup carries the buttons with the interaction id, logged as "ask"."""
    bot = _bot(recorder)
    cog = AskCog(bot)
    itx = make_interaction(bot)
    await cog.ask.callback(cog, itx, question="What is BART?", private=True)
    call = itx.followup.send.await_args
    assert call.kwargs["ephemeral"] is True
    assert _ids(call.kwargs["view"]) == [f"vote:up:{itx.id}", f"vote:down:{itx.id}"]
    [record] = await recorder.questions(since=0) or []
    assert (record.id, record.interface) == (itx.id, "ask")


async def test_cog_registers_the_dynamic_buttons(recorder: Recorder) -> None:
    """Loading the cog registers VoteButton so presses on old answers are dispatched."""
    bot = _bot(recorder)
    cog = FeedbackCog(bot)
    await cog.cog_load()
    patterns = bot._connection._view_store._dynamic_items
    assert patterns[VOTE_ID] is VoteButton
    await cog.cog_unload()
    assert VOTE_ID not in patterns


async def test_cog_purges_questions_past_retention_at_start_and_daily(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    """Loading the cog starts a 24-hour loop; one pass deletes rows older than retention_days."""
    recorder.retention_days = 7
    recorder.record_question(question_record(1, asked_at=time.time() - 8 * 86_400), user_id=1)
    recorder.record_question(question_record(2, asked_at=time.time() - 6 * 86_400), user_id=1)
    await recorder.flush()
    cog = FeedbackCog(_bot(recorder))
    await cog.cog_load()
    assert cog.purge_old_questions.is_running()
    assert cog.purge_old_questions.hours == 24
    await cog.cog_unload()  # cancelled before its first pass ran: run that pass here
    with caplog.at_level(logging.INFO, logger="bot.exts.feedback"):
        await cog.purge_old_questions.coro(cog)  # one pass, as at start and then daily
    assert [r.id for r in await recorder.questions(since=0) or []] == [2]
    assert caplog.messages == [f"deleted 1 questions older than 7 days from {recorder.path}"]
