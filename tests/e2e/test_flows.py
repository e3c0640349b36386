"""End-to-end: the real discord.py client against the fake Discord, one test per user flow.

Each test injects a gateway event, waits for the REST call the bot makes, and checks the JSON
body discord.py sent. The fixtures also check every body against the limits and the spec.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.client import QABot, sync_commands
from bot.config import Config
from bot.core.engine import Engine, load_engine
from bot.core.models import KnowledgeBase
from bot.exts.admin import NOT_ADMIN
from bot.limits import message_problems
from bot.views import NOT_YOURS, PageView
from tests.e2e.fake_discord import (
    ALL_PERMISSIONS,
    APP_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_ID,
    FakeDiscord,
    command_data,
    interaction_create,
    message_create,
)
from tests.e2e.spec import load_validator
from tests.helpers import make_paper

EPHEMERAL = 64


def _is_post(path: str) -> object:
    return lambda r: r.method == "POST" and r.path == path


async def test_chat_mention_gets_a_reply_embed_that_pings_no_one(
    bot: QABot, fake: FakeDiscord
) -> None:
    """A mention is answered by POST /channels/{id}/messages: reply, embed, parse []."""
    question = f"<@{BOT_ID}> @everyone <@&123> what is BART?"
    bot._connection.parse_message_create(message_create(111, question, mentions=[BOT_ID]))
    sent = await fake.wait_for(_is_post(f"/channels/{CHANNEL_ID}/messages"))
    print(json.dumps(sent.body, indent=2, ensure_ascii=False))  # the real body (pytest -s)
    assert fake.find("POST", rf"/channels/{CHANNEL_ID}/typing")
    body = sent.body
    # parse [] pings no one; replied_user false is mention_author=False on the reply.
    assert body["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert body["message_reference"]["message_id"] == 111
    assert body["message_reference"]["channel_id"] == CHANNEL_ID
    [embed] = body["embeds"]
    assert embed["title"] == "what is BART?"  # mention markup is not part of the question
    assert "[1]" in embed["description"]
    assert embed["fields"][0]["name"] == "Sources"
    assert "(https://arxiv.org/abs/1910.13461)" in embed["fields"][0]["value"]
    assert message_problems(body) == []


async def test_ask_defers_then_sends_the_answer_as_a_followup(
    bot: QABot, fake: FakeDiscord
) -> None:
    """/ask acknowledges with a deferred (thinking) response, then a followup webhook message."""
    data = command_data("ask", question="Who wrote kNN-LM?", private=True)
    bot._connection.parse_interaction_create(interaction_create(201, 2, data))
    followup = await fake.wait_for(_is_post(f"/webhooks/{APP_ID}/token-201"))
    [callback] = fake.find("POST", r"/interactions/201/token-201/callback")
    assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert "with_response" in callback.query
    assert followup.body["allowed_mentions"] == {"parse": []}
    assert followup.body["flags"] == EPHEMERAL
    [embed] = followup.body["embeds"]
    assert embed["title"] == "Who wrote kNN-LM?"


async def test_papers_pages_with_buttons_only_for_the_invoker(
    bot: QABot, fake: FakeDiscord
) -> None:
    """/papers sends page 1 with buttons; a stranger is refused; the invoker's Next edits it."""
    bot.engine = Engine.build(_many_papers(bot))
    bot._connection.parse_interaction_create(interaction_create(301, 2, command_data("papers")))
    first = await fake.wait_for(_is_post("/interactions/301/token-301/callback"))
    assert first.body["type"] == 4
    page = first.body["data"]
    assert page["allowed_mentions"] == {"parse": []}
    assert page["embeds"][0]["footer"]["text"].startswith("Page 1/")
    [row] = page["components"]
    assert [(b["custom_id"], b.get("disabled", False)) for b in row["components"]] == [
        ("pages:prev", True),
        ("pages:n", True),
        ("pages:next", False),
    ]
    message = first.reply["resource"]["message"]  # the view is stored under this message id
    click = {"custom_id": "pages:next", "component_type": 2}

    stranger = interaction_create(302, 3, click, user_id=OTHER_ID, message=message)
    bot._connection.parse_interaction_create(stranger)
    refused = await fake.wait_for(_is_post("/interactions/302/token-302/callback"))
    assert refused.body["type"] == 4
    assert refused.body["data"]["content"] == NOT_YOURS
    assert refused.body["data"]["flags"] == EPHEMERAL

    bot._connection.parse_interaction_create(interaction_create(303, 3, click, message=message))
    turned = await fake.wait_for(_is_post("/interactions/303/token-303/callback"))
    assert turned.body["type"] == 7  # UPDATE_MESSAGE: the same message now shows page 2
    assert turned.body["data"]["embeds"][0]["footer"]["text"].startswith("Page 2/")
    assert turned.body["data"]["embeds"][0]["description"].startswith("**7.** ")

    # On timeout the buttons are disabled through the first interaction's token.
    [view] = _views_of(bot, int(message["id"]))
    await view.on_timeout()
    edit = await fake.wait_for(lambda r: r.method == "PATCH")
    assert edit.path == f"/webhooks/{APP_ID}/token-301/messages/@original"
    assert all(b["disabled"] for b in edit.body["components"][0]["components"])


async def test_paper_title_autocomplete_offers_at_most_25_choices(
    bot: QABot, fake: FakeDiscord
) -> None:
    """Autocomplete answers type 8 with choices whose values are arXiv ids."""
    bot.engine = Engine.build(_many_papers(bot))
    data = command_data("paper", title="bart", focused="title")
    bot._connection.parse_interaction_create(interaction_create(401, 4, data))
    reply = await fake.wait_for(_is_post("/interactions/401/token-401/callback"))
    assert reply.body["type"] == 8
    choices = reply.body["data"]["choices"]
    assert 1 <= len(choices) <= 25
    assert choices[0]["value"] == "1910.13461"


async def test_reload_by_non_admin_is_refused_privately(bot: QABot, fake: FakeDiscord) -> None:
    """The run-time admin check refuses a member without Administrator, privately."""
    bot._connection.parse_interaction_create(interaction_create(501, 2, command_data("reload")))
    reply = await fake.wait_for(_is_post("/interactions/501/token-501/callback"))
    assert reply.body == {
        "type": 4,
        "data": {
            "tts": False,
            "content": NOT_ADMIN,
            "flags": EPHEMERAL,
            "allowed_mentions": {"parse": []},
        },
    }


async def test_reload_by_admin_reports_counts(bot: QABot, fake: FakeDiscord) -> None:
    """An administrator's /reload defers privately and follows up with the report embed."""
    event = interaction_create(502, 2, command_data("reload"), permissions=ALL_PERMISSIONS)
    bot._connection.parse_interaction_create(event)
    followup = await fake.wait_for(_is_post(f"/webhooks/{APP_ID}/token-502"))
    assert followup.body["embeds"][0]["title"] == "Knowledge reloaded"
    assert followup.body["embeds"][0]["fields"] == [
        {"name": "Changes", "value": "Nothing changed.", "inline": False}
    ]


async def test_sync_uploads_the_command_tree(bot: QABot, fake: FakeDiscord) -> None:
    """sync PUTs every command; /reload is hidden (permission 8) and not allowed in DMs."""
    await sync_commands(bot, guild_id=None)
    [put] = fake.find("PUT", rf"/applications/{APP_ID}/commands")
    commands = {c["name"]: c for c in put.body}
    assert sorted(commands) == [
        "about",
        "ask",
        "paper",
        "papers",
        "reload",
        "stats",
        "unanswered",
    ]
    for admin_only in ("reload", "stats", "unanswered"):
        assert commands[admin_only]["default_member_permissions"] in (8, "8")
        assert commands[admin_only]["contexts"] == [0]
    assert [o["name"] for o in commands["papers"]["options"]] == ["year", "topic", "query"]
    assert commands["papers"]["options"][1]["autocomplete"] is True
    assert all(len(c["description"]) <= 100 for c in put.body)
    await sync_commands(bot, guild_id=GUILD_ID)
    assert fake.find("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")


def test_spec_check_catches_what_discord_would_reject() -> None:
    """The spec validator flags a description over 4096 (so a pass means something)."""
    validator = load_validator()
    if validator is None:
        pytest.skip("Discord's OpenAPI spec is not available")
    body = {"embeds": [{"description": "x" * 4097}], "allowed_mentions": {"parse": []}}
    problems = validator.problems("POST", f"/channels/{CHANNEL_ID}/messages", body)
    assert problems == ["embeds/0/description: breaks maxLength=4096"]


def _many_papers(bot: QABot) -> KnowledgeBase:
    """The tiny knowledge base plus 20 papers, enough for several pages."""
    kb = bot.engine.kb
    return replace(kb, papers=kb.papers + tuple(make_paper(n) for n in range(20)))


async def test_setup_hook_syncs_only_to_the_dev_guild(
    fake: FakeDiscord, tiny_knowledge_dir: Path
) -> None:
    """With dev_guild_id set, login syncs to that guild and never globally."""
    config = Config(knowledge_dir=tiny_knowledge_dir, dev_guild_id=GUILD_ID)
    client = QABot(config=config, engine=load_engine(tiny_knowledge_dir))
    await client.login("fake-token")
    await client.close()
    assert fake.find("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    assert not fake.find("PUT", rf"/applications/{APP_ID}/commands")


def _views_of(bot: QABot, message_id: int) -> list[PageView[object]]:
    """The live views attached to one message (discord.py keeps them by message id)."""
    items = bot._connection._view_store._views.get(message_id, {}).values()
    return list({id(item.view): item.view for item in items if item.view is not None}.values())
