"""Test doubles for the Discord layer: a tiny knowledge base, a real bot, autospecced interactions.

Doubles are ``create_autospec(..., spec_set=True)`` so a misspelt attribute or a wrong call
signature fails the test instead of passing silently (python-discord's MockInteraction idea,
with awaitable responses).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any
from unittest.mock import MagicMock, create_autospec

import discord

from bot.client import QABot
from bot.config import Config
from bot.core.engine import Engine
from bot.core.models import Answer, Citation, KnowledgeBase, Paper, Post, Profile, Turn

BOT_ID = 1000
OWNER_ID = 2000
OTHER_ID = 3000
GUILD_ID = 4000
CHANNEL_ID = 5000
OTHER_CHANNEL_ID = 5001
ADMIN_ROLE_ID = 6000

PROFILE = Profile(
    name="Mike Lewis",
    handle="@ml_perception",
    url="https://x.com/ml_perception",
    bio="Llama3 pre-training lead.",
    location="Seattle",
    joined="2019-01",
    works=("BART",),
)


def make_paper(n: int, **changes: Any) -> Paper:
    """A paper with a distinct id, title and date (n=0 is the oldest)."""
    paper = Paper(
        id=f"2{n:03d}.0000{n % 10}",
        title=f"Paper number {n} about retrieval",
        date=f"20{10 + n // 12:02d}-{n % 12 + 1:02d}-01",
        venue="ACL" if n % 2 else "",
        authors=("Mike Lewis", f"Coauthor {n}"),
        url=f"https://arxiv.org/abs/2{n:03d}.0000{n % 10}",
        abstract=f"We study problem {n}. It matters.",
        topics=("retrieval",) if n % 2 else ("pretraining",),
    )
    return replace(paper, **changes)


BART = Paper(
    id="1910.13461",
    title="BART: Denoising Sequence-to-Sequence Pre-training for Natural Language Generation, "
    "Translation, and Comprehension",
    date="2019-10-29",
    venue="ACL 2020",
    authors=("Mike Lewis", "Yinhan Liu", "Naman Goyal"),
    url="https://arxiv.org/abs/1910.13461",
    abstract="We present BART, a denoising autoencoder for pretraining seq2seq models.",
    aliases=("BART",),
    topics=("pretraining",),
)
NOTED = Paper(
    id="2601.11659",
    title="The Llama 4 Herd",
    date="2026-01-16",
    venue="",
    authors=("Many Authors",),
    url="https://arxiv.org/abs/2601.11659",
    abstract="A write-up.",
    topics=("pretraining",),
    note="Doubtful provenance: a community write-up, not an official Meta report.",
)
POST = Post(
    id="2022-11-22-1",
    date="2022-11-22",
    text="Excited to share Cicero, the first AI to play Diplomacy at a human level!",
    url="https://x.com/ml_perception",
)


def make_kb(
    papers: Iterable[Paper] = (BART, NOTED), posts: Iterable[Post] = (POST,)
) -> KnowledgeBase:
    """A knowledge base built in Python (no YAML)."""
    return KnowledgeBase(profile=PROFILE, papers=tuple(papers), posts=tuple(posts))


def paper_citation(paper: Paper = BART) -> Citation:
    """A citation of a paper, as the answerer builds it."""
    return Citation(
        "paper", paper.id, paper.title, paper.date, paper.url, paper.abstract, 1.0, paper.note
    )


def post_citation(post: Post = POST) -> Citation:
    """A citation of a post, as the answerer builds it."""
    return Citation("post", post.id, "Post on X", post.date, post.url, post.text, 0.5)


BART_ANSWER = Answer(
    question="What is BART?",
    text="BART is a denoising autoencoder for pretraining sequence-to-sequence models. [1] "
    "He shared Cicero in 2022. [2]",
    citations=(paper_citation(), post_citation()),
    declined=False,
)


class FakeEngine:
    """An Engine stand-in with a fixed answer; records the questions it was asked."""

    def __init__(self, kb: KnowledgeBase, answer: Answer = BART_ANSWER) -> None:
        self.real = Engine.build(kb)
        self.kb = kb
        self.answer = answer
        self.questions: list[str] = []
        self.histories: list[tuple[Turn, ...]] = []

    def ask(self, question: str, *, history: Sequence[Turn] = ()) -> Answer:
        self.questions.append(question)
        self.histories.append(tuple(history))
        return replace(self.answer, question=question)

    def find_papers(self, query: str, *, limit: int = 25) -> list[Paper]:
        return self.real.find_papers(query, limit=limit)

    def resolve_paper(self, text: str) -> Paper | None:
        return self.real.resolve_paper(text)

    def filter_papers(self, **filters: Any) -> list[Paper]:
        return self.real.filter_papers(**filters)

    def related_posts(self, paper: Paper) -> list[Post]:
        return [POST] if paper.id == BART.id else []


def make_bot(config: Config | None = None, engine: Any = None) -> QABot:
    """A real QABot (never logged in) whose ``user`` is set, as after login."""
    bot = QABot(config=config or Config(), engine=engine or FakeEngine(make_kb()))
    bot._connection.user = discord.ClientUser(
        state=bot._connection,
        data={"id": BOT_ID, "username": "LewisBot", "discriminator": "0", "avatar": None},
    )
    return bot


def _is_done(response: Any) -> bool:
    return any(
        getattr(response, name).await_count for name in ("send_message", "defer", "edit_message")
    )


def make_interaction(
    bot: QABot,
    *,
    user_id: int = OWNER_ID,
    guild_id: int | None = GUILD_ID,
    channel_id: int = CHANNEL_ID,
    permissions: discord.Permissions | None = None,
    role_ids: Iterable[int] = (),
    command: str | None = None,
    kind: discord.InteractionType = discord.InteractionType.application_command,
) -> Any:
    """An autospecced Interaction whose response and followup are awaitable and recorded."""
    itx = create_autospec(discord.Interaction, instance=True, spec_set=True)
    itx.response = create_autospec(discord.InteractionResponse, instance=True, spec_set=True)
    itx.response.is_done.side_effect = lambda: _is_done(itx.response)
    itx.followup = create_autospec(discord.Webhook, instance=True, spec_set=True)
    user_cls = discord.Member if guild_id is not None else discord.User
    itx.user = create_autospec(user_cls, instance=True, spec_set=True)
    itx.user.id = user_id
    if guild_id is not None:
        roles = []
        for role_id in role_ids:
            role = create_autospec(discord.Role, instance=True, spec_set=True)
            role.id = role_id
            roles.append(role)
        itx.user.roles = roles
    itx.id = 9999
    itx.client = bot
    itx.guild_id = guild_id
    itx.channel_id = channel_id
    itx.channel = create_autospec(
        discord.TextChannel if guild_id is not None else discord.DMChannel, instance=True
    )
    itx.channel.id = channel_id
    if guild_id is not None:
        itx.channel.parent_id = None  # type: ignore[attr-defined]
    itx.permissions = permissions or discord.Permissions.none()
    itx.type = kind
    if command is None:
        itx.command = None
    else:
        itx.command = MagicMock(qualified_name=command)
    return itx


def make_message(
    bot: QABot,
    content: str,
    *,
    author_id: int = OWNER_ID,
    author_bot: bool = False,
    mentions: Iterable[int] = (),
    channel_id: int = CHANNEL_ID,
    dm: bool = False,
) -> Any:
    """An autospecced Message in a guild text channel (or a DM) with awaitable reply/send."""
    message = create_autospec(discord.Message, instance=True, spec_set=True)
    message.id = 7777
    message.content = content
    message.author = create_autospec(discord.Member, instance=True, spec_set=True)
    message.author.id = author_id
    message.author.bot = author_bot
    users = []
    for user_id in mentions:
        user = create_autospec(discord.Member, instance=True, spec_set=True)
        user.id = user_id
        users.append(user)
    message.mentions = users
    message.reference = None  # not a reply
    channel_cls = discord.DMChannel if dm else discord.TextChannel
    message.channel = create_autospec(channel_cls, instance=True)
    message.channel.id = channel_id
    if dm:
        message.guild = None
    else:
        message.channel.parent_id = None  # type: ignore[attr-defined]
        message.guild = discord.Object(id=GUILD_ID)  # only its id is read; Guild specs are slow
    return message


def sent_embeds(call: Any) -> list[discord.Embed]:
    """The embeds passed to one recorded send/reply call."""
    return list(call.kwargs.get("embeds") or [call.kwargs["embed"]])


class _NoPings:
    """Equal to any AllowedMentions that pings no one (AllowedMentions has no __eq__)."""

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, discord.AllowedMentions)
            and other.to_dict() == {"parse": []}
            and not other.replied_user
        )

    def __repr__(self) -> str:
        return "NO_PINGS"


NO_PINGS: Any = _NoPings()
