"""Tests for bot.embeds and bot.limits: answer layout, citations, splitting within every limit."""

from __future__ import annotations

import re
from dataclasses import replace

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import embeds
from bot.core.diff import KnowledgeDiff, Ref
from bot.core.knowledge import summarize
from bot.core.models import Answer, Citation, Turn
from bot.core.pages import paginate
from bot.errors import Problem
from bot.limits import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELDS_LIMIT,
    EMBED_TOTAL_LIMIT,
    MESSAGE_CONTENT_LIMIT,
    callback_problems,
    choices_problems,
    command_problems,
    message_problems,
)
from tests.helpers import BART, BART_ANSWER, NOTED, POST, make_kb, make_paper, paper_citation


def _body(message: list[discord.Embed]) -> dict[str, object]:
    return {"embeds": [e.to_dict() for e in message]}


def test_answer_embed_has_answer_then_numbered_sources() -> None:
    """The description is the answer; the Sources field numbers each source with link and date."""
    [[embed]] = embeds.answer_messages(BART_ANSWER)
    assert embed.title == "What is BART?"
    assert embed.description == BART_ANSWER.text
    assert [(f.name, f.value) for f in embed.fields] == [
        (
            "Sources",
            "**1.** [BART: Denoising Sequence-to-Sequence Pre-training for Natural Language "
            "Generation, Translation, and Comprehension](https://arxiv.org/abs/1910.13461)"
            " · 2019-10-29\n"
            "**2.** [Post on X](https://x.com/ml_perception) · 2022-11-22 — “Excited to share "
            "Cicero, the first AI to play Diplomacy at a human level!”",
        )
    ]


def test_post_source_quote_is_short() -> None:
    """A long post is quoted only in part, cut at a word with an ellipsis."""
    post = replace(POST, text="word " * 100)
    line = embeds.source_line(3, replace(paper_citation(), kind="post", text=post.text))
    quote = line.split("“", 1)[1]
    assert quote.endswith("…”")
    assert len(quote) <= embeds.QUOTE_LENGTH + 1


def test_decline_is_short_grey_and_lists_suggestions() -> None:
    """A decline has no sources, the decline colour, and close matches it did not already name."""
    answer = Answer(
        question="What is his favourite food?",
        text="I only know about his papers and posts.",
        citations=(),
        declined=True,
        suggestions=("BART", "posts"),
    )
    [[embed]] = embeds.answer_messages(answer)
    assert embed.description == "I only know about his papers and posts.\n\nClose matches: BART"
    assert embed.fields == []
    assert embed.colour == embeds.DECLINE_COLOUR


def test_question_echo_is_escaped() -> None:
    """Echoed user text cannot render markdown or form a mention."""
    answer = replace(BART_ANSWER, question="**hi** @everyone <@&123> [x](https://e.vil)")
    [[embed]] = embeds.answer_messages(answer)
    assert embed.title == (
        "\\*\\*hi\\*\\* @\u200beveryone <\u200b@\u200b&123> \\[x](https:\u200b//e.vil)"
    )


def test_intro_leads_the_answer() -> None:
    """An uncited intro line comes before the statements."""
    answer = replace(BART_ANSWER, intro="His 2 most recent papers:")
    [[embed]] = embeds.answer_messages(answer)
    assert embed.description.startswith("His 2 most recent papers:\n\nBART is")


def _long_answer(statements: int, citations: int) -> Answer:
    text = " ".join(
        f"Statement {i} says something about a thing (with an aside) and more words "
        f"to fill the line. [{i % citations + 1}]"
        for i in range(statements)
    )
    cites = tuple(
        Citation(
            "paper", f"{i}", f"Title {i} " + "x" * 150, "2020-01-01", f"https://a.b/{i}", "", 1.0
        )
        for i in range(citations)
    )
    return Answer(question="q", text=text, citations=cites, declined=False)


def test_long_answer_splits_at_description_limit_without_cutting_citations() -> None:
    """A 7,000-character answer spans embeds of at most 4096, each cut after a citation marker."""
    answer = _long_answer(statements=75, citations=3)
    assert 7_000 < len(answer.text) < embeds.ANSWER_TEXT_LIMIT
    messages = embeds.answer_messages(answer)
    descriptions = [e.description for m in messages for e in m if e.description]
    assert len(descriptions) == 2
    assert all(len(d) <= EMBED_DESCRIPTION_LIMIT for d in descriptions)
    assert all(re.search(r"\[\d\]$", d) for d in descriptions)
    assert all(message_problems(_body(m)) == [] for m in messages)
    assert "".join(descriptions).replace(" ", "") == answer.text.replace(" ", "")


def test_many_sources_spill_into_more_fields_and_embeds() -> None:
    """30 long sources need more than one 1024-character field, all under 25 fields and 6000."""
    answer = _long_answer(statements=2, citations=30)
    messages = embeds.answer_messages(answer)
    fields = [f for m in messages for e in m for f in e.fields]
    assert fields[0].name == "Sources"
    assert {f.name for f in fields[1:]} == {"Sources (continued)"}
    numbers = re.findall(r"\*\*(\d+)\.\*\*", "\n".join(f.value for f in fields))
    assert numbers == [str(n) for n in range(1, 31)]
    assert all(message_problems(_body(m)) == [] for m in messages)
    assert all(sum(len(e) for e in m) <= EMBED_TOTAL_LIMIT for m in messages)


def test_pack_messages_respects_ten_embeds_and_total() -> None:
    """Small embeds group ten to a message; big ones never exceed 6000 together."""
    small = [discord.Embed(description="x") for _ in range(23)]
    assert [len(m) for m in embeds.pack_messages(small)] == [10, 10, 3]
    big = [discord.Embed(description="y" * 4000) for _ in range(3)]
    assert [len(m) for m in embeds.pack_messages(big)] == [1, 1, 1]


def test_split_text_never_cuts_a_markdown_link() -> None:
    """With only a link to cut at, the chunk ends before the link rather than inside it."""
    text = "a" * 50 + "[title](https://example.org/long)" + "b" * 10
    chunks = embeds.split_text(text, 70)
    assert chunks[0] == "a" * 50
    assert chunks[1].startswith("[title](https://example.org/long)")


_words = st.sampled_from(
    ["word", "a" * 70, "b" * 700, "[1]", "[12]", "[a link](https://x.y/z)", "\n", "\n\n", "."]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_words, max_size=400), st.integers(min_value=100, max_value=600))
def test_split_text_properties(parts: list[str], limit: int) -> None:
    """Chunks fit the limit, keep every character, and never cut a link or marker."""
    text = " ".join(parts)
    chunks = embeds.split_text(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert re.sub(r"\s", "", "".join(chunks)) == re.sub(r"\s", "", text)
    protected = re.compile(r"\[a link\]\(https://x\.y/z\)|\[\d+\]")
    assert sum(len(protected.findall(c)) for c in chunks) == len(protected.findall(text))
    assert not any(re.match(r"\[\d+\]", c) for c in chunks[1:])  # no marker split off


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=150),
    st.integers(min_value=0, max_value=80),
    st.text(max_size=300),
)
def test_answer_messages_always_within_limits(statements: int, citations: int, q: str) -> None:
    """Whatever the size of answer and sources, every message passes message_problems."""
    answer = replace(_long_answer(statements, max(citations, 1)), question=q)
    if citations == 0:
        answer = replace(answer, citations=())
    for message in embeds.answer_messages(answer):
        assert message_problems(_body(message)) == []


def test_message_problems_names_each_limit() -> None:
    """Each broken limit is named with its size and limit."""
    body = {
        "content": "c" * (MESSAGE_CONTENT_LIMIT + 1),
        "embeds": [
            {
                "title": "t" * 257,
                "description": "d" * 4097,
                "fields": [{"name": "n", "value": "v"}] * 26,
            }
        ],
    }
    assert message_problems(body) == [
        "content is 2001 characters, limit 2000",
        "embeds[0].title is 257 characters, limit 256",
        "embeds[0].description is 4097 characters, limit 4096",
        f"embeds[0] has 26 fields, limit {EMBED_FIELDS_LIMIT}",
    ]


def test_message_problems_counts_total_over_all_embeds() -> None:
    """Two embeds of 3500 characters break the 6000 total though each is fine alone."""
    body = {"embeds": [{"description": "d" * 3500}, {"description": "e" * 3500}]}
    assert message_problems(body) == ["embeds total 7000 characters, limit 6000"]


def test_choice_and_command_problems() -> None:
    """Too many choices, a long choice name and a long command description are reported."""
    choices = [{"name": "x" * 101, "value": "v"}] + [{"name": "n", "value": "v"}] * 25
    assert choices_problems(choices) == [
        "26 choices, limit 25",
        "choices[0].name is 101 characters, limit 1..100",
    ]
    assert callback_problems({"type": 8, "data": {"choices": choices[:1]}}) == [
        "choices[0].name is 101 characters, limit 1..100"
    ]
    assert command_problems([{"name": "Bad", "description": "d" * 101}]) == [
        "commands[0].name 'Bad' must be 1-32 lowercase characters",
        "commands[0].description is 101 characters, limit 1..100",
    ]


def test_paper_card_shows_every_part() -> None:
    """The card links the title and shows date, venue, id, authors, aliases and related posts."""
    card = embeds.paper_embed(BART, [POST])
    assert card.url == BART.url
    assert card.description == BART.abstract
    assert [(f.name, f.value) for f in card.fields] == [
        ("Date", "2019-10-29"),
        ("Venue", "ACL 2020"),
        ("arXiv", "1910.13461"),
        ("Authors", "Mike Lewis, Yinhan Liu, Naman Goyal"),
        ("Also known as", "BART"),
        (
            "Posts about it",
            "[2022-11-22](https://x.com/ml_perception) — “Excited to share Cicero, the first AI "
            "to play Diplomacy at a human level!”",
        ),
    ]


def test_paper_card_renders_latex_as_the_core_does() -> None:
    """Abstract LaTeX ($k$NN, \\%, TeX quotes, \\sim) reads as plain text on the card."""
    paper = replace(
        BART, abstract=r"A $k$NN model keeps 95\% of tokens as a ``sink'' with $\sim$2x memory."
    )
    # "~" stays escaped for Discord's markdown ("~~" is strikethrough); it displays as "~".
    assert embeds.paper_embed(paper, []).description == (
        'A kNN model keeps 95% of tokens as a "sink" with \\~2x memory.'
    )


def test_paper_note_is_shown_on_card_and_in_lists() -> None:
    """A paper's note (the doubtful Llama 4 write-up) is shown wherever the paper is."""
    note = "⚠️ Doubtful provenance: a community write-up, not an official Meta report."
    assert embeds.paper_embed(NOTED).description.startswith(note)
    assert note in embeds.paper_list_line(1, NOTED)
    answer = replace(BART_ANSWER, citations=(paper_citation(NOTED),))
    [[embed]] = embeds.answer_messages(answer)
    assert embed.fields[0].value == f"**1.** [The Llama 4 Herd]({NOTED.url}) · 2026-01-16\n{note}"
    without = replace(answer, citations=(replace(paper_citation(NOTED), note=""),))
    [[embed]] = embeds.answer_messages(without)
    assert embed.fields[0].value == f"**1.** [The Llama 4 Herd]({NOTED.url}) · 2026-01-16"
    about = embeds.about_embed(make_kb(), summary=summarize(make_kb()), bot_name="LewisBot")
    assert note in about.fields[0].value


def test_papers_page_numbers_across_pages_and_shows_count() -> None:
    """Page 2 of 14 papers at 6 per page starts at 7 and says 'Page 2/3'."""
    papers = [make_paper(n) for n in range(14)]
    page = paginate(papers, 6)[1]
    embed = embeds.papers_page_embed(page, heading="Papers by Mike Lewis", count=14, per_page=6)
    assert embed.description.startswith(f"**7.** [{papers[6].title}]({papers[6].url})\n")
    assert embed.footer.text == "Page 2/3 · 14 papers, newest first"


def test_reload_embed_lists_the_diff() -> None:
    """The reload report shows the summary and each kind of change with its ids."""
    diff = KnowledgeDiff(
        added=(Ref("paper", "2601.1"),), removed=(), changed=(Ref("profile", "profile"),)
    )
    embed = embeds.reload_embed(summary=summarize(make_kb()), diff=diff)
    assert embed.description == (
        "Now 2 papers (newest 2026-01-16), 1 post (newest 2022-11-22), 1 topic."
    )
    assert [(f.name, f.value) for f in embed.fields] == [
        ("Added (1)", "`paper 2601.1`"),
        ("Changed (1)", "`profile`"),
    ]


def test_problems_message_fits_2000_and_counts_the_rest() -> None:
    """300 problems are cut to fit one message, ending with how many were left out."""
    problems = [
        Problem("knowledge/papers.yaml", i, 5, "title must not be empty") for i in range(300)
    ]
    text = embeds.problems_message(problems, header="Reload failed:")
    assert len(text) <= MESSAGE_CONTENT_LIMIT
    assert text.startswith(
        "Reload failed:\n```\nknowledge/papers.yaml:0:5: title must not be empty\n"
    )
    assert re.search(r"```\n…and \d+ more$", text)


# --- an answer's small print, read back for follow-ups --------------------------------------


def _read_back(answer: Answer) -> Turn | None:
    """What a reply to the answer's first message rebuilds, after a trip through Discord's JSON."""
    first, *_ = embeds.answer_messages(answer)
    return embeds.answer_turn([discord.Embed.from_dict(e.to_dict()) for e in first])


def test_an_answer_reads_back_as_its_turn() -> None:
    turn = _read_back(BART_ANSWER)
    assert turn == Turn("What is BART?", tuple(c.id for c in BART_ANSWER.citations))


def test_a_follow_up_shows_and_reads_back_as_the_question_it_was_read_as() -> None:
    answer = replace(BART_ANSWER, question="who wrote it?", resolved="who wrote BART?")
    [[embed]] = embeds.answer_messages(answer)
    assert embed.footer.text is not None
    assert embed.footer.text.startswith(f"{embeds.READ_AS}who wrote BART?\n")
    assert _read_back(answer) == Turn("who wrote BART?", tuple(c.id for c in answer.citations))


def test_an_escaped_question_reads_back_as_typed() -> None:
    """Markdown escapes and the zero-width break in "@everyone" are undone."""
    question = "is *BART* better than T5_v2 @everyone?"
    turn = _read_back(replace(BART_ANSWER, question=question))
    assert turn is not None and turn.question == question


def test_a_decline_reads_back_without_sources_and_other_embeds_not_at_all() -> None:
    declined = Answer("what is the weather?", "Not covered.", (), declined=True, confidence=None)
    assert _read_back(declined) == Turn("what is the weather?", ())
    assert embeds.answer_turn([embeds.paper_embed(BART)]) is None
    assert embeds.answer_turn([]) is None


def test_source_ids_stop_before_the_footer_limit() -> None:
    many = tuple(replace(paper_citation(), id=f"2301.{n:05d}") for n in range(400))
    footer = embeds.answer_footer(replace(BART_ANSWER, citations=many))
    assert len(footer) <= 2048
    assert footer.startswith(f"{embeds.SOURCE_IDS}2301.00000 · 2301.00001")
