"""Knowledge text that looks like Discord markup is shown as text, on the wire, everywhere.

A title or abstract holding ``[click](http://evil.example)``, ``<@&123>`` or ``@everyone``
validates (it is text); the bot must still not turn it into a link or a mention. Only the links
the bot builds from validated ``url`` fields may render.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.client import QABot
from bot.core.engine import load_engine
from tests.e2e.fake_discord import (
    APP_ID,
    BOT_ID,
    CHANNEL_ID,
    FakeDiscord,
    command_data,
    interaction_create,
    message_create,
)

HOSTILE = (
    "[click](http://evil.example) <@&123> @everyone @here <#42> <t:1700000000:R> </ask:1> "
    "<https://evil.example/a> https://evil.example/b **bold** ||spoiler||"
)
ALLOWED_URLS = {
    "https://arxiv.org/abs/1910.13461",
    "https://arxiv.org/abs/1911.00172",
    "https://arxiv.org/abs/2305.07185",
    "https://x.com/ml_perception",
}
# What Discord would render live: a masked link, a bare or bracketed URL, a mention or a tag.
_MASKED_LINK = re.compile(r"(?<!\\)\[(?:\\.|[^\[\]\\])*(?<!\\)\]\(<?(https?://[^()\s>]+)>?\)")
_BARE_URL = re.compile(r"https?://")
_MENTION = re.compile(r"@(?:everyone|here)\b|<(?:@[!&]?\d|#\d|/\w|t:\d|a?:\w+:\d)")


def _write_hostile_knowledge(directory: Path) -> None:
    papers = directory / "papers.yaml"
    text = papers.read_text(encoding="utf-8")
    for old, new in (
        ("title: 'BART: Denoising", f"title: 'BART {HOSTILE}: Denoising"),
        ("venue: ACL 2020", f"venue: 'ACL 2020 {HOSTILE}'"),
        ("      - BART\n", "      - BART\n      - '@everyone'\n"),
        (
            "      - Mike Lewis\n    url: https://arxiv.org/abs/1910",
            f"      - Mike Lewis\n      - '{HOSTILE}'\n    url: https://arxiv.org/abs/1910",
        ),
        (
            "abstract: We present BART, a denoising autoencoder",
            f"note: '{HOSTILE}'\n    abstract: We present BART, {HOSTILE}, a denoising autoencoder",
        ),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    papers.write_text(text, encoding="utf-8")
    posts = directory / "posts.yaml"
    old = "text: Excited to share our work on BART, a method for pre-training seq2seq models.\n"
    new = f"text: 'Excited {HOSTILE} to share our work on BART, a seq2seq method.'\n"
    assert posts.read_text(encoding="utf-8").count(old) == 1
    posts.write_text(posts.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    profile = directory / "profile.yaml"
    profile.write_text(
        profile.read_text(encoding="utf-8").replace("name: Mike Lewis", "name: Mike @everyone")
    )


def _texts(value: Any) -> Iterator[str]:
    """Every string a body shows: content, embed titles, descriptions, fields, choice names."""
    if isinstance(value, dict):
        if set(value) == {"name", "value"}:  # an autocomplete choice: its value is not shown
            yield value["name"]
            return
        for key, item in value.items():
            if key not in ("url", "custom_id", "id"):  # an embed's url is the validated URL
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, str):
        yield value


def live_markup(text: str) -> list[str]:
    """What in ``text`` Discord would render as a link or a mention, other than allowed links."""
    found = [url for url in _MASKED_LINK.findall(text) if url not in ALLOWED_URLS]
    rest = _MASKED_LINK.sub(" ", text)
    return found + _BARE_URL.findall(rest) + _MENTION.findall(rest)


def test_the_checker_sees_live_markup() -> None:
    """The checker flags the raw hostile text, so a pass below means something."""
    assert live_markup(HOSTILE) == [
        "http://evil.example",
        "https://",
        "https://",
        "<@&1",
        "@everyone",
        "@here",
        "<#4",
        "<t:1",
        "</a",
    ]
    assert live_markup("[BART](https://arxiv.org/abs/1910.13461) [1]") == []


@pytest.fixture
async def hostile_bot(bot: QABot, tiny_knowledge_dir: Path) -> QABot:
    """The e2e bot over knowledge whose every shown field carries markup."""
    _write_hostile_knowledge(tiny_knowledge_dir)
    bot.engine = load_engine(tiny_knowledge_dir)  # it validates: the text is just text
    return bot


def _is_post(path: str) -> Any:
    return lambda r: r.method == "POST" and r.path == path


async def test_no_knowledge_markup_renders_anywhere(hostile_bot: QABot, fake: FakeDiscord) -> None:
    """Answers, the /paper card, /papers, /about and autocomplete show the markup as text."""
    bot = hostile_bot
    bot._connection.parse_message_create(
        message_create(601, f"<@{BOT_ID}> What is BART?", mentions=[BOT_ID])
    )
    answer = await fake.wait_for(_is_post(f"/channels/{CHANNEL_ID}/messages"))
    for number, data in enumerate(
        (
            command_data("paper", title="1910.13461"),
            command_data("papers"),
            command_data("about"),
            command_data("ask", question="what did he post about BART?"),
        ),
        start=602,
    ):
        bot._connection.parse_interaction_create(interaction_create(number, 2, data))
    auto = command_data("paper", title="bart", focused="title")
    bot._connection.parse_interaction_create(interaction_create(606, 4, auto))
    replies = [
        await fake.wait_for(_is_post(f"/interactions/{n}/token-{n}/callback"))
        for n in range(602, 607)
    ]
    followup = await fake.wait_for(_is_post(f"/webhooks/{APP_ID}/token-605"))
    bodies = {
        "answer": answer.body,
        "/paper": replies[0].body,
        "/papers": replies[1].body,
        "/about": replies[2].body,
        "/ask": followup.body,
        "autocomplete": replies[4].body,
    }
    shown = {name: " ".join(_texts(body)) for name, body in bodies.items()}
    assert "evil.example" in shown["answer"]  # the hostile text is there, as text
    assert "evil.example" in shown["/paper"] and "evil.example" in shown["/ask"]
    assert {name: live_markup(text) for name, text in shown.items() if live_markup(text)} == {}
    # The bot's own links survive: the cited paper, linked by its validated URL.
    assert "(https://arxiv.org/abs/1910.13461)" in shown["answer"]
