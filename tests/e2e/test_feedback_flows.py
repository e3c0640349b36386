"""End-to-end: the question log through the real client and the fake Discord.

Answers carry 👍/👎 buttons and land in the SQLite file; a press records a vote, also after a
restart of the bot; 👎 opens the modal; a locked database never holds an answer back; the admin
commands are checked and private. The fixtures check every body against the limits and the spec.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.charts import CHART_FILENAME
from bot.cli import main
from bot.client import QABot
from bot.config import Config
from bot.core.curation import utc_day
from bot.exts.admin import NOT_ADMIN
from bot.exts.feedback import CHANGED, THANKS_REASON, THANKS_UP
from bot.recorder import open_recorder
from bot.store import Store
from tests.e2e.conftest import assert_no_errors_logged, start_bot
from tests.e2e.fake_discord import (
    ALL_PERMISSIONS,
    APP_ID,
    ASKER_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_ID,
    FakeDiscord,
    Request,
    command_data,
    interaction_create,
    message_create,
)

EPHEMERAL = 64
QUESTIONS = (  # asked by mention in the restart test
    "what is BART?",
    "what are his papers on tokenization?",
    "What's the weather in Seattle?",
    "whats the weather in seattle",
    "Is he on Bluesky?",
)


def _posted(path: str) -> Any:
    return lambda r: r.method == "POST" and r.path == path


async def _logged_bot(knowledge: Path, database: Path, **config: Any) -> QABot:
    recorder = open_recorder(database, log_questions=True, retention_days=90)
    settings = Config(knowledge_dir=knowledge, cooldown_seconds=0, database=database, **config)
    return await start_bot(knowledge, config=settings, recorder=recorder)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
async def logged_bot(
    fake: FakeDiscord, tiny_knowledge_dir: Path, database: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[QABot]:
    """The real bot with a question log in a fresh file."""
    client = await _logged_bot(tiny_knowledge_dir, database)
    yield client
    await client.close()
    assert_no_errors_logged(caplog)


def _buttons(body: dict[str, Any]) -> list[tuple[str, str]]:
    [row] = body["components"]
    return [(b["custom_id"], b["emoji"]["name"]) for b in row["components"]]


def _press(interaction_id: int, custom_id: str, message: dict[str, Any], **kw: Any) -> Any:
    data = {"custom_id": custom_id, "component_type": 2}
    return interaction_create(interaction_id, 3, data, message=message, **kw)


def _rows(database: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(database)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


async def _ask_by_mention(bot: QABot, fake: FakeDiscord, message_id: int, text: str) -> Request:
    event = message_create(message_id, f"<@{BOT_ID}> {text}", mentions=[BOT_ID])
    bot._connection.parse_message_create(event)
    return await fake.wait_for(
        lambda r: (
            r.path == f"/channels/{CHANNEL_ID}/messages"
            and (r.body.get("message_reference") or {}).get("message_id") == message_id
        )
    )


async def test_a_mention_is_logged_and_its_answer_has_vote_buttons(
    logged_bot: QABot, fake: FakeDiscord, database: Path
) -> None:
    """The reply carries 👍/👎 with the question id; the row has what the issue lists."""
    reply = await _ask_by_mention(logged_bot, fake, 111, "what is BART?")
    assert _buttons(reply.body) == [("vote:up:111", "👍"), ("vote:down:111", "👎")]
    assert reply.body["allowed_mentions"] == {"parse": [], "replied_user": False}
    await logged_bot.recorder.flush()  # type: ignore[union-attr]
    [row] = _rows(
        database,
        "SELECT id, guild_id, channel_id, interface, question, declined, confidence,"
        " user_hash, latency_ms FROM questions",
    )
    assert row[:7] == (111, GUILD_ID, CHANNEL_ID, "mention", "what is BART?", 0, "high")
    assert row[7] is not None and str(ASKER_ID) not in row[7]  # a salted hash, not the id
    assert 0 < row[8] < 5000
    cited = _rows(database, "SELECT kind, source_id FROM citations ORDER BY position")
    assert cited[0] == ("paper", "1910.13461")


async def test_ask_private_answer_buttons_vote_and_change_the_vote(
    logged_bot: QABot, fake: FakeDiscord, database: Path
) -> None:
    """/ask private: the ephemeral followup has buttons; 👍 then 👎 then the reason are kept."""
    data = command_data("ask", question="Who wrote kNN-LM?", private=True)
    logged_bot._connection.parse_interaction_create(interaction_create(201, 2, data))
    followup = await fake.wait_for(_posted(f"/webhooks/{APP_ID}/token-201"))
    assert followup.body["flags"] == EPHEMERAL
    assert _buttons(followup.body) == [("vote:up:201", "👍"), ("vote:down:201", "👎")]
    message = followup.reply  # the ephemeral message as Discord returns it, buttons included
    assert message["flags"] == EPHEMERAL
    await logged_bot.recorder.flush()  # type: ignore[union-attr]

    logged_bot._connection.parse_interaction_create(_press(202, "vote:up:201", message))
    thanks = await fake.wait_for(_posted("/interactions/202/token-202/callback"))
    assert thanks.body["type"] == 4
    assert thanks.body["data"]["content"] == THANKS_UP
    assert thanks.body["data"]["flags"] == EPHEMERAL

    logged_bot._connection.parse_interaction_create(_press(203, "vote:down:201", message))
    modal = await fake.wait_for(_posted("/interactions/203/token-203/callback"))
    assert modal.body["type"] == 9  # MODAL
    assert modal.body["data"]["title"] == "What was wrong? (optional)"
    [[field]] = [row["components"] for row in modal.body["data"]["components"]]
    assert field["max_length"] == 200
    assert field["required"] is False
    assert _rows(database, "SELECT vote, reason FROM votes") == [(-1, "")]

    submit = {
        "custom_id": modal.body["data"]["custom_id"],
        "components": [
            {
                "type": 1,
                "components": [
                    {"type": 4, "custom_id": field["custom_id"], "value": "Wrong  paper\ncited"}
                ],
            }
        ],
    }
    logged_bot._connection.parse_interaction_create(interaction_create(204, 5, submit))
    noted = await fake.wait_for(_posted("/interactions/204/token-204/callback"))
    assert noted.body["data"]["content"] == THANKS_REASON
    assert noted.body["data"]["flags"] == EPHEMERAL
    assert _rows(database, "SELECT vote, reason FROM votes") == [(-1, "Wrong paper cited")]

    logged_bot._connection.parse_interaction_create(_press(205, "vote:up:201", message))
    changed = await fake.wait_for(_posted("/interactions/205/token-205/callback"))
    assert changed.body["data"]["content"] == CHANGED.format(emoji="👍")
    # One vote per user per answer: the change replaced the 👎 (and its reason).
    assert _rows(database, "SELECT vote, reason FROM votes") == [(1, "")]


async def test_buttons_work_after_a_restart_and_report_shows_it(
    fake: FakeDiscord,
    tiny_knowledge_dir: Path,
    database: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Presses on answers sent before a restart are handled by the new process and stored;
    `python -m bot report` then shows the run (pytest -s prints it)."""
    first = await _logged_bot(tiny_knowledge_dir, database)
    replies = {}
    for n, text in enumerate(QUESTIONS, start=111):
        replies[n] = await _ask_by_mention(first, fake, n, text)
    data = command_data("ask", question="Who wrote kNN-LM?", private=True)
    first._connection.parse_interaction_create(interaction_create(201, 2, data))
    await fake.wait_for(_posted(f"/webhooks/{APP_ID}/token-201"))
    await first.close()  # finishes the queued writes and closes the file

    second = await _logged_bot(tiny_knowledge_dir, database)
    try:
        second._connection.parse_interaction_create(
            _press(301, "vote:up:111", replies[111].reply, user_id=OTHER_ID)
        )
        second._connection.parse_interaction_create(
            _press(302, "vote:down:112", replies[112].reply, user_id=OTHER_ID)
        )
        thanks = await fake.wait_for(_posted("/interactions/301/token-301/callback"))
        assert thanks.body["data"]["content"] == THANKS_UP
        modal = await fake.wait_for(_posted("/interactions/302/token-302/callback"))
        assert modal.body["type"] == 9
        field = modal.body["data"]["components"][0]["components"][0]
        reason = {
            "type": 4,
            "custom_id": field["custom_id"],
            "value": "It missed his tokenizer work",
        }
        submit = {
            "custom_id": modal.body["data"]["custom_id"],
            "components": [{"type": 1, "components": [reason]}],
        }
        event = interaction_create(303, 5, submit, user_id=OTHER_ID)
        second._connection.parse_interaction_create(event)
        await fake.wait_for(_posted("/interactions/303/token-303/callback"))
        await second.recorder.flush()  # type: ignore[union-attr]
    finally:
        await second.close()
    assert _rows(database, "SELECT question_id, vote, reason FROM votes ORDER BY vote") == [
        (112, -1, "It missed his tokenizer work"),
        (111, 1, ""),
    ]
    assert_no_errors_logged(caplog)

    monkeypatch.chdir(database.parent.parent)  # no config here: the default data/bot.sqlite3
    capsys.readouterr()
    assert main(["report"]) == 0
    report = capsys.readouterr().out
    print(report)  # the report from this run (pytest -s shows it)
    assert "From data/bot.sqlite3.\n" in report
    assert "| questions | 6 |  |" in report
    assert "| 👍 votes | 1 | 50.0% |" in report
    assert "| 👎 votes | 1 | 50.0% |" in report
    assert "| 1 | What's the weather in Seattle? |" in report
    assert "| It missed his tokenizer work | 1 | 0 | 0 | 1 |" in report


async def test_a_locked_database_does_not_hold_back_answers(
    fake: FakeDiscord,
    tiny_knowledge_dir: Path,
    database: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Another process holds the write lock: both answers go out, the problem is logged once."""
    recorder = open_recorder(database, log_questions=True, retention_days=90, busy_timeout_ms=50)
    settings = Config(knowledge_dir=tiny_knowledge_dir, cooldown_seconds=0, database=database)
    bot = await start_bot(tiny_knowledge_dir, config=settings, recorder=recorder)
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING, logger="bot.recorder"):
            first = await _ask_by_mention(bot, fake, 111, "what is BART?")
            second = await _ask_by_mention(bot, fake, 112, "who wrote kNN-LM?")
            await recorder.flush()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert first.body["embeds"] and second.body["embeds"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.recorder"]
    assert len(warnings) == 1, warnings
    assert str(database) in warnings[0]
    assert "database is locked" in warnings[0]
    # Once the lock is gone, the log works again.
    await _ask_by_mention(bot, fake, 113, "what is BART?")
    await bot.close()
    assert _rows(database, "SELECT id FROM questions") == [(113,)]
    assert_no_errors_logged(caplog)


async def test_stats_and_unanswered_refuse_non_admins_privately(
    logged_bot: QABot, fake: FakeDiscord
) -> None:
    """/stats and /unanswered use /reload's run-time admin check and reply privately."""
    for n, name in enumerate(("stats", "unanswered"), start=401):
        logged_bot._connection.parse_interaction_create(
            interaction_create(n, 2, command_data(name))
        )
        reply = await fake.wait_for(_posted(f"/interactions/{n}/token-{n}/callback"))
        assert reply.body["data"]["content"] == NOT_ADMIN
        assert reply.body["data"]["flags"] == EPHEMERAL


async def test_admin_stats_and_unanswered_show_the_log_privately(
    logged_bot: QABot, fake: FakeDiscord, database: Path
) -> None:
    """An admin's /stats is an ephemeral embed with the chart attached; /unanswered lists misses."""
    await _ask_by_mention(logged_bot, fake, 111, "what is BART?")
    await _ask_by_mention(logged_bot, fake, 112, "What's the weather in Seattle?")
    await _ask_by_mention(logged_bot, fake, 113, "whats the weather in seattle")
    await logged_bot.recorder.flush()  # type: ignore[union-attr]

    event = interaction_create(501, 2, command_data("stats"), permissions=ALL_PERMISSIONS)
    logged_bot._connection.parse_interaction_create(event)
    stats = await fake.wait_for(_posted(f"/webhooks/{APP_ID}/token-501"))
    [defer] = fake.find("POST", r"/interactions/501/token-501/callback")
    assert defer.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert stats.body["flags"] == EPHEMERAL
    [embed] = stats.body["embeds"]
    assert embed["title"] == "Questions in the last 30 days"
    assert embed["description"].startswith("**3** questions in the last 30 days (0.1 a day)\n")
    assert (
        "Answered: **33%** (1 confidently, 0 with low confidence) · declined 2"
        in (embed["description"])
    )
    if stats.files:  # matplotlib installed: the chart is an attachment shown in the embed
        assert stats.files == (CHART_FILENAME,)
        assert embed["image"]["url"] == f"attachment://{CHART_FILENAME}"
    else:
        assert embed["fields"][-1]["name"] == "Per day (last 14 days)"
    print(json.dumps(stats.body, indent=2, ensure_ascii=False))

    event = interaction_create(502, 2, command_data("unanswered"), permissions=ALL_PERMISSIONS)
    logged_bot._connection.parse_interaction_create(event)
    listing = await fake.wait_for(_posted(f"/webhooks/{APP_ID}/token-502"))
    assert listing.body["flags"] == EPHEMERAL
    [embed] = listing.body["embeds"]
    [(last,)] = _rows(database, "SELECT max(asked_at) FROM questions")
    # Both phrasings were asked once: the longer names the group, the other is shown below it.
    assert embed["description"] == (
        "**1.** “What's the weather in Seattle?” — **2×**\n"
        f"declined 2 · last {utc_day(last)}\n"
        "also: “whats the weather in seattle”"
    )
    assert embed["footer"]["text"].startswith("Page 1/1 · 1 group of 2 questions")


def test_corrupt_database_stops_run_before_connecting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`run` names the bad file, exits 2 and leaves it byte for byte as it was."""
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "data" / "bot.sqlite3"
    bad.parent.mkdir()
    garbage = b"this is not a database\n" * 100
    bad.write_bytes(garbage)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: data/bot.sqlite3: not a readable SQLite database (")
    assert "it was left untouched" in err
    assert bad.read_bytes() == garbage


def test_newer_database_stops_run_before_connecting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A file from a newer bot version is refused with its version, and not touched."""
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "data" / "bot.sqlite3"
    Store.open(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    before = path.read_bytes()
    assert main(["run"]) == 2
    assert capsys.readouterr().err == (
        "error: data/bot.sqlite3: the database has schema version 99, newer than this bot's (2); "
        "it was left untouched. Run the newer bot, or point `database:` at another file\n"
    )
    assert path.read_bytes() == before
