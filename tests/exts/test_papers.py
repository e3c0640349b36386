"""Tests for bot.exts.papers: /papers paging and filters, /paper card, autocomplete."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Config
from bot.core.engine import Engine
from bot.exts.papers import NO_PAPER, PER_PAGE, PapersCog, choice_name
from bot.limits import AUTOCOMPLETE_CHOICES_LIMIT, CHOICE_NAME_LIMIT
from bot.views import PageView
from tests.helpers import (
    BART,
    NO_PINGS,
    NOTED,
    FakeEngine,
    make_bot,
    make_interaction,
    make_kb,
    make_paper,
)

MANY = (*(make_paper(n) for n in range(40)), BART, NOTED)


def _cog(papers: tuple = MANY) -> PapersCog:
    return PapersCog(make_bot(Config(), FakeEngine(make_kb(papers=papers))))


async def test_papers_first_page_with_view_newest_first() -> None:
    """42 papers give a first page of 6 (newest first) with a pager owned by the invoker."""
    cog = _cog()
    itx = make_interaction(cog.bot)
    await cog.papers.callback(cog, itx)
    call = itx.response.send_message.await_args
    embed, view = call.kwargs["embed"], call.kwargs["view"]
    assert isinstance(view, PageView)
    assert view.owner_id == itx.user.id and view.interaction is itx
    assert [len(p.items) for p in view.pages][:2] == [PER_PAGE, PER_PAGE]
    assert embed.title == "Papers by Mike Lewis"
    assert embed.footer.text == "Page 1/7 · 42 papers, newest first"
    assert embed.description.startswith(f"**1.** [{NOTED.title}]({NOTED.url})\n2026-01-16")
    assert "⚠️ Doubtful provenance" in embed.description
    assert call.kwargs["allowed_mentions"] == NO_PINGS


async def test_papers_filters_by_year_and_topic_without_view_for_one_page() -> None:
    """A filter leaving one page sends no buttons and names the filters in the title."""
    cog = _cog()
    itx = make_interaction(cog.bot)
    await cog.papers.callback(cog, itx, year=2019, topic="pretraining")
    call = itx.response.send_message.await_args
    assert "view" not in call.kwargs
    embed = call.kwargs["embed"]
    assert embed.title == "Papers by Mike Lewis — 2019, topic pretraining"
    assert embed.footer.text == "Page 1/1 · 1 paper, newest first"
    assert embed.description.startswith(f"**1.** [{BART.title}]({BART.url})")


async def test_papers_unknown_topic_and_no_match_are_private() -> None:
    """An unknown topic lists the valid ones; no match says so; both privately."""
    cog = _cog()
    itx = make_interaction(cog.bot)
    await cog.papers.callback(cog, itx, topic="cooking")
    itx.response.send_message.assert_awaited_once_with(
        "Unknown topic “cooking”. Pick one of: pretraining, retrieval.",
        ephemeral=True,
        allowed_mentions=NO_PINGS,
    )
    itx = make_interaction(cog.bot)
    await cog.papers.callback(cog, itx, year=1999)
    itx.response.send_message.assert_awaited_once_with(
        "No papers match 1999.", ephemeral=True, allowed_mentions=NO_PINGS
    )


async def test_topic_autocomplete_filters_kb_topics() -> None:
    """Topic choices come from the knowledge base, containing what was typed, prefixes first."""
    cog = _cog()
    choices = await cog.topic_autocomplete(make_interaction(cog.bot), "ret")
    assert [(c.name, c.value) for c in choices] == [
        ("retrieval", "retrieval"),
        ("pretraining", "pretraining"),
    ]
    everything = await cog.topic_autocomplete(make_interaction(cog.bot), "")
    assert [c.value for c in everything] == ["pretraining", "retrieval"]


async def test_title_autocomplete_caps_at_25_and_cuts_long_titles() -> None:
    """At most 25 choices, each name at most 100 characters with the year kept; values are ids."""
    long = replace(BART, id="2001.00001", title="A very long title " * 10)
    cog = _cog((*MANY, long))
    choices = await cog.title_autocomplete(make_interaction(cog.bot), "")
    assert len(choices) == AUTOCOMPLETE_CHOICES_LIMIT
    assert all(1 <= len(c.name) <= CHOICE_NAME_LIMIT for c in choices)
    name = choice_name(long)
    assert len(name) <= CHOICE_NAME_LIMIT and name.endswith("… (2019)")


async def test_title_autocomplete_is_fuzzy_on_titles_and_aliases() -> None:
    """A typo of a title and an alias both find the paper (through Engine.find_papers)."""
    cog = PapersCog(make_bot(Config(), Engine.build(make_kb(papers=MANY))))
    by_typo = await cog.title_autocomplete(make_interaction(cog.bot), "denoizing sequence")
    assert by_typo[0].value == BART.id
    by_alias = await cog.title_autocomplete(make_interaction(cog.bot), "BART")
    assert by_alias[0].value == BART.id


async def test_paper_card_for_chosen_id_with_related_posts() -> None:
    """Choosing an id shows its card with his related posts."""
    cog = _cog()
    itx = make_interaction(cog.bot)
    await cog.paper.callback(cog, itx, title=BART.id)
    embed = itx.response.send_message.await_args.kwargs["embed"]
    assert embed.url == BART.url
    assert embed.fields[-1].name == "Posts about it"


async def test_paper_rechecks_free_text_and_refuses_empty() -> None:
    """Typed text that is not an id is matched again; an empty value is refused privately."""
    cog = _cog()
    itx = make_interaction(cog.bot)
    await cog.paper.callback(cog, itx, title="BART")
    assert itx.response.send_message.await_args.kwargs["embed"].url == BART.url
    itx = make_interaction(cog.bot)
    await cog.paper.callback(cog, itx, title="  ")
    itx.response.send_message.assert_awaited_once_with(
        NO_PAPER.format(title=""), ephemeral=True, allowed_mentions=NO_PINGS
    )


async def test_paper_refuses_typed_text_that_names_no_paper() -> None:
    """A typed value that merely resembles some title ("model") gets no card, only a hint."""
    cog = _cog()
    itx = make_interaction(cog.bot)
    await cog.paper.callback(cog, itx, title="model")
    itx.response.send_message.assert_awaited_once_with(
        NO_PAPER.format(title="model"), ephemeral=True, allowed_mentions=NO_PINGS
    )


async def test_long_values_are_echoed_briefly() -> None:
    """A 5,000-character /paper title or /papers query is echoed by 80 characters at most."""
    cog = PapersCog(make_bot())
    itx = make_interaction(cog.bot)
    await cog.paper.callback(cog, itx, title="q" * 5_000)
    text = itx.response.send_message.await_args.args[0]
    assert "q" * 79 in text and "q" * 81 not in text
    itx = make_interaction(cog.bot)
    await cog.papers.callback(cog, itx, query="zzzz " * 1_000)
    text = itx.response.send_message.await_args.args[0]
    assert text.startswith("No papers match matching “zzzz") and len(text) < 200
