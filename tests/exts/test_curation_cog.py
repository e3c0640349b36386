"""Tests for bot.exts.curation (/unanswered, /stats), its embeds, and the optional chart."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.charts import CHART_FILENAME, questions_chart
from bot.config import Config
from bot.core.curation import CitedSource, DayCount, QuestionRecord
from bot.exts.admin import is_admin
from bot.exts.curation import LOG_FAILED, LOGGING_OFF, NO_LOG, PER_PAGE, CurationCog
from bot.recorder import Recorder
from bot.store import Store
from bot.views import PageView
from tests.helpers import NO_PINGS, FakeEngine, make_bot, make_interaction, make_kb
from tests.logged import question_record

ADMIN = discord.Permissions(administrator=True)


@pytest.fixture
async def recorder(tmp_path: Path) -> AsyncIterator[Recorder]:
    rec = Recorder(Store.open(tmp_path / "bot.sqlite3", busy_timeout_ms=20))
    yield rec
    await rec.aclose()


def _cog(recorder: Recorder | None) -> CurationCog:
    bot = make_bot(Config(), FakeEngine(make_kb()))
    bot.recorder = recorder
    return CurationCog(bot)


def _record(n: int, question: str, **changes: Any) -> QuestionRecord:
    """A declined question asked n seconds ago in the test server."""
    declined = {"declined": True, "confidence": None, "cited": ()}
    return question_record(n, question, **{**declined, **changes})


async def _log(recorder: Recorder, *records: QuestionRecord) -> None:
    for r in records:
        recorder.record_question(r, user_id=r.id)
    await recorder.flush()


def _sent(itx: Any) -> Any:
    itx.followup.send.assert_awaited_once()
    call = itx.followup.send.await_args
    assert call.kwargs["ephemeral"] is True
    assert call.kwargs["allowed_mentions"] == NO_PINGS
    return call


@pytest.mark.parametrize("name", ["unanswered", "stats"])
def test_admin_commands_use_the_reload_check_and_are_hidden(name: str) -> None:
    """Both carry is_admin (the run-time gate), default_permissions(administrator), guild_only."""
    command = getattr(CurationCog, name)
    assert command.checks == [is_admin]
    assert command.default_permissions == discord.Permissions(administrator=True)
    assert command.guild_only is True


async def test_without_a_log_both_commands_say_so_privately() -> None:
    """No database configured: a short private message, nothing deferred."""
    cog = _cog(None)
    for command in (cog.unanswered, cog.stats):
        itx = make_interaction(cog.bot, permissions=ADMIN)
        await command.callback(cog, itx)
        itx.response.send_message.assert_awaited_once_with(
            NO_LOG, ephemeral=True, allowed_mentions=NO_PINGS
        )


async def test_unanswered_lists_groups_of_this_server_only(recorder: Recorder) -> None:
    """Declined, low-confidence and 👎 questions grouped; other servers and DMs left out."""
    await _log(
        recorder,
        _record(1, "What's the weather in Seattle?"),
        _record(2, "what is the weather in seattle"),
        _record(3, "who wrote kNN-LM?", declined=False, confidence="low"),
        _record(4, "what is BART?", declined=False, confidence="high"),  # answered: not listed
        _record(5, "asked elsewhere", guild_id=99),
        _record(6, "asked in a DM", guild_id=None),
    )
    cog = _cog(recorder)
    itx = make_interaction(cog.bot, permissions=ADMIN)
    await cog.unanswered.callback(cog, itx, days=7)
    itx.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    embed = _sent(itx).kwargs["embed"]
    assert embed.title == "Unanswered questions in the last 7 days"
    assert embed.description.split("\n\n") == [
        "**1.** “What's the weather in Seattle?” — **2×**\n"
        f"declined 2 · last {time.strftime('%Y-%m-%d', time.gmtime(time.time() - 1))}\n"
        "also: “what is the weather in seattle”",
        "**2.** “who wrote kNN-LM?” — **1×**\n"
        f"low confidence 1 · last {time.strftime('%Y-%m-%d', time.gmtime(time.time() - 3))}",
    ]
    assert embed.footer.text == (
        "Page 1/1 · 2 groups of 3 questions declined, unsure or 👎 · most frequent first"
    )


async def test_unanswered_pages_like_papers(recorder: Recorder) -> None:
    """More groups than a page holds: a PageView for the invoker, numbered across pages."""
    await _log(recorder, *(_record(n, f"question {chr(97 + n)} zz{n}") for n in range(1, 13)))
    cog = _cog(recorder)
    itx = make_interaction(cog.bot, permissions=ADMIN)
    await cog.unanswered.callback(cog, itx, days=30)
    call = _sent(itx)
    view = call.kwargs["view"]
    assert isinstance(view, PageView) and view.owner_id == itx.user.id
    assert len(view.pages) == 3 and len(view.pages[0].items) == PER_PAGE
    assert view.interaction is itx
    assert call.kwargs["embed"].footer.text.startswith("Page 1/3 · 12 groups")


async def test_unanswered_with_nothing_to_show(recorder: Recorder) -> None:
    """Only answered questions: a short private sentence instead of an empty embed."""
    await _log(recorder, _record(1, "what is BART?", declined=False, confidence="high"))
    cog = _cog(recorder)
    itx = make_interaction(cog.bot, permissions=ADMIN)
    await cog.unanswered.callback(cog, itx, days=1)
    assert _sent(itx).kwargs["content"] == (
        "Nothing to look at: no declined, low-confidence or 👎 questions here in the last day."
    )


async def test_stats_shows_numbers_sources_and_the_chart(recorder: Recorder) -> None:
    """/stats: the counts and shares, most-cited papers and posts, and the chart attached."""
    bart, post = CitedSource("paper", "1910.13461"), CitedSource("post", "2022-11-22-1")
    await _log(
        recorder,
        _record(1, "a", declined=False, confidence="high", cited=(bart, post)),
        _record(2, "b", declined=False, confidence="high", cited=(bart,)),
        _record(3, "c", declined=False, confidence="low", cited=(bart,)),
        _record(4, "d"),
    )
    await recorder.vote(1, 10, 1)
    await recorder.vote(2, 10, -1)
    await recorder.vote(2, 11, 1)
    cog = _cog(recorder)
    itx = make_interaction(cog.bot, permissions=ADMIN)
    await cog.stats.callback(cog, itx, days=30)
    call = _sent(itx)
    embed = call.kwargs["embed"]
    lines = embed.description.split("\n")
    assert lines[:3] == [
        "**4** questions in the last 30 days (0.1 a day)",
        "Answered: **75%** (2 confidently, 1 with low confidence) · declined 1",
        "Feedback: **67% 👍** of 3 votes (👍 2 · 👎 1)",
    ]
    assert lines[-1] == "Asked by: mention 4"
    papers, posts = embed.fields
    assert papers.name == "Most-cited papers"
    assert papers.value.startswith("1. [BART: Denoising Sequence-to-Sequence Pre-training")
    assert papers.value.endswith("(https://arxiv.org/abs/1910.13461) — **3**")
    assert posts.name == "Most-cited posts"
    assert posts.value.startswith("1. [2022-11-22](https://x.com/ml_perception) “Excited")
    assert call.kwargs["file"].filename == CHART_FILENAME
    assert embed.image.url == f"attachment://{CHART_FILENAME}"
    assert embed.footer.text.startswith("This server only · UTC days")


async def test_stats_falls_back_to_text_bars_without_matplotlib(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With matplotlib missing, no file is sent and the recent days are text bars."""
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes the import fail
    await _log(recorder, _record(1, "a"), _record(2, "b"))
    cog = _cog(recorder)
    itx = make_interaction(cog.bot, permissions=ADMIN)
    await cog.stats.callback(cog, itx, days=30)
    call = _sent(itx)
    assert "file" not in call.kwargs
    embed = call.kwargs["embed"]
    assert embed.image.url is None
    field = embed.fields[-1]
    assert field.name == "Per day (last 14 days)"
    lines = field.value.strip("`\n").split("\n")
    assert len(lines) == 14
    assert lines[-1].endswith(" " + "█" * 20 + " 2")
    assert lines[0].endswith(" " * 21 + "0")


async def test_stats_when_the_log_cannot_be_read(recorder: Recorder) -> None:
    """A failing database gives a private "couldn't read" message, not an error."""
    recorder.store.close()  # every call now fails with sqlite3.ProgrammingError
    cog = _cog(recorder)
    itx = make_interaction(cog.bot, permissions=ADMIN)
    await cog.stats.callback(cog, itx, days=30)
    assert _sent(itx).kwargs["content"] == LOG_FAILED
    recorder.store = Store.open(recorder.path)  # so the fixture can close it


async def test_logging_off_is_said_with_the_stats(recorder: Recorder) -> None:
    """With log_questions false, /stats still shows what was kept and says nothing new is."""
    recorder.log_questions = False
    cog = _cog(recorder)
    itx = make_interaction(cog.bot, permissions=ADMIN)
    await cog.stats.callback(cog, itx, days=3)
    call = _sent(itx)
    assert call.kwargs["content"] == LOGGING_OFF
    assert call.kwargs["embed"].description.startswith("**0** questions in the last 3 days")


def test_chart_is_a_png_or_none_without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drawn: PNG bytes; without matplotlib: None (the caller shows text)."""
    days = [DayCount(f"2026-11-{d:02d}", d, d - 1, 1, 0, 0, 0) for d in range(1, 11)]
    png = questions_chart(days)
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert questions_chart(days) is None
