"""The only module that turns core results into ``discord.Embed`` (and the short texts sent beside).

Everything here is synchronous and pure apart from building discord objects, so every layout rule —
numbered sources, splitting within Discord's limits, escaping — is unit-tested without a client.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from bot.core.curation import INTERFACES, DayCount, QuestionGroup, Report, SourceCount, utc_day
from bot.core.diff import KnowledgeDiff, Ref
from bot.core.knowledge import KnowledgeSummary
from bot.core.models import Answer, Citation, KnowledgeBase, Paper, Post, Turn
from bot.core.pages import Page
from bot.core.sanitize import QUOTE_LIMIT, clean_text
from bot.core.text import render_latex
from bot.errors import Problem
from bot.limits import (
    COMMAND_DESCRIPTION_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_VALUE_LIMIT,
    EMBED_FIELDS_LIMIT,
    EMBED_FOOTER_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    MESSAGE_CONTENT_LIMIT,
)

ANSWER_COLOUR = discord.Colour.blurple()
DECLINE_COLOUR = discord.Colour.light_grey()
PAPER_COLOUR = discord.Colour.dark_teal()

SOURCES_NAME = "Sources"
SOURCES_MORE_NAME = "Sources (continued)"
QUOTE_LENGTH = 120  # a post source shows this much of the post: enough to recognise it
NOTE_LENGTH = 300
LINK_TEXT_LENGTH = 200  # keeps one source line far below a field's 1024
ABSTRACT_EXCERPT_LENGTH = 600
RELATED_POSTS_SHOWN = 3
DIFF_IDS_SHOWN = 15
ELLIPSIS = "…"
# An answer fills at most two messages: Discord users do not read more, and one 850 KB abstract
# once became 206 messages. The text is cut at a sentence or citation first, then laid out.
ANSWER_MESSAGES_LIMIT = 2
ANSWER_TEXT_LIMIT = 2 * EMBED_DESCRIPTION_LIMIT  # characters of answer text, before escaping
MIN_ANSWER_TEXT_LIMIT = 500  # below this, drop the messages that do not fit instead
SHORTENED = "(Shortened to fit Discord: the sources below have the rest.)"
_CUT_REACH = 200  # a span a cut must not split (a citation and its word) is shorter than this
# An answer's small print, under its first embed: how a follow-up was read, and the ids of its
# sources. A reply to the answer rebuilds the conversation from these lines (``answer_turn``),
# so the bot keeps no store of conversations.
READ_AS = "Read as: "
SOURCE_IDS = "Source ids: "
SOURCE_ID_SEPARATOR = " · "
READ_AS_LENGTH = 300
ZERO_WIDTH_SPACE = "\u200b"

# Spans a split must never cut: a markdown link, and a citation marker together with the word
# before it (so "[2]" never starts a chunk, detached from the statement it backs).
_PROTECTED = re.compile(r"\[[^\[\]\n]*\]\([^()\s]*\)|\S{0,40}\s*\[\d+\](?:\s*\[\d+\])*")
# Cut candidates, best first: end of paragraph, end of line, just after a citation marker,
# end of sentence, any space. Each pattern's match end is the cut position.
_BOUNDARIES = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"\[\d+\][.,;:!?)]*[ \t]+"),
    re.compile(r"[.!?][\"')\]]*[ \t]+"),
    re.compile(r"[ \t]+"),
)
# Knowledge text is data, not markup: it may come from importers and the web. Styling marks and
# a link's brackets are escaped; mentions ("@everyone", "<@&123>"), channel, command and timestamp
# tags ("<#1>", "<t:1>") and bare URLs get an invisible break, so they render as plain text and
# the only links in a message are those the bot builds from validated ``url`` fields.
_MARKDOWN_CHARS = re.compile(r"([\\*_~|`])")
_BRACKETS = re.compile(r"\[\d{1,3}\](?!\()|[\[\]]")  # a citation marker "[2]" stays as it is
_MARKDOWN_LINE_START = re.compile(r"^(#{1,3}\s|>|-#\s)", re.MULTILINE)
_URL_SCHEME_END = re.compile(r"(?<=[A-Za-z]):(?=//)")
_URL_UNSAFE = re.compile(r"[()<>\s]")  # would end a markdown link target early


# --- text helpers -------------------------------------------------------------------------


def truncate(text: str, limit: int) -> str:
    """Shorten ``text`` to at most ``limit`` characters, at a word boundary where one is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space >= limit * 0.6:
        cut = cut[:space]
    return cut.rstrip().rstrip("\\") + ELLIPSIS


def defuse(text: str) -> str:
    """Break mention, tag and bare-URL syntax with a zero-width space; the text looks the same.

    AllowedMentions.none() already stops pings; this also stops ``@everyone``, ``<@&123>`` or
    ``<#1>`` from rendering as a mention, and ``https://...`` from becoming a link. Needs no
    backslashes, so it also suits places that show text verbatim (autocomplete choices).
    """
    if "@" in text:
        text = text.replace("@", "@" + ZERO_WIDTH_SPACE)
    if "<" in text:
        text = text.replace("<", "<" + ZERO_WIDTH_SPACE)
    return _URL_SCHEME_END.sub(":" + ZERO_WIDTH_SPACE, text) if "//" in text else text


def escape_user_text(text: str) -> str:
    """Make user text inert when echoed: hidden characters removed, no markdown, no mentions."""
    return defuse(discord.utils.escape_markdown(clean_text(text)))


def plain_text(text: str) -> str:
    """Render knowledge text for Discord: LaTeX as plain text (the core's rendering), styling
    marks and link brackets escaped, mentions and bare URLs defused."""
    text = render_latex(text)
    text = _MARKDOWN_CHARS.sub(r"\\\1", text)
    text = _BRACKETS.sub(lambda m: m.group(0) if len(m.group(0)) > 1 else f"\\{m.group(0)}", text)
    return defuse(_MARKDOWN_LINE_START.sub(r"\\\1", text))


def link(text: str, url: str) -> str:
    """A markdown link built from a validated ``url`` field; its text cannot close it early."""
    label = truncate(plain_text(text.replace("[", "(").replace("]", ")")), LINK_TEXT_LENGTH)
    if not url:
        return label
    target = _URL_UNSAFE.sub(lambda m: f"%{ord(m.group(0)):02X}", url)
    return f"[{label}]({target})"


def _cut_point(text: str, limit: int) -> int:
    """The best position <= limit to cut ``text`` at, never inside a protected span."""
    spans = []
    for m in _PROTECTED.finditer(text):  # the whole text: a long link may end past the limit
        if m.start() >= limit:
            break
        spans.append((m.start(), m.end()))

    def allowed(pos: int) -> bool:
        return 0 < pos <= limit and not any(start < pos < end for start, end in spans)

    for pattern in _BOUNDARIES:
        cuts = [m.end() for m in pattern.finditer(text, 0, limit + 1) if allowed(m.end())]
        # A late boundary of a weaker kind beats a very early one of a stronger kind.
        if cuts and cuts[-1] >= limit // 2:
            return cuts[-1]
    for pattern in _BOUNDARIES:
        cuts = [m.end() for m in pattern.finditer(text, 0, limit + 1) if allowed(m.end())]
        if cuts:
            return cuts[-1]
    # No boundary at all: cut hard, but before a span that would straddle the cut.
    for start, end in spans:
        if start < limit < end and start > 0:
            return start
    return limit


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters (plus "…") at the best boundary.

    Only the start of the text is searched for the boundary, so cutting a huge text costs no
    more than cutting a short one.
    """
    if len(text) <= limit:
        return text
    window = text[: limit + _CUT_REACH]
    return window[: _cut_point(window, limit)].rstrip() + ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into chunks of at most ``limit``, never inside a link or a citation."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        head = rest[:cut].rstrip()
        if head:
            chunks.append(head)
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def _pack_lines(lines: Sequence[str], limit: int) -> list[str]:
    """Join lines into blocks of at most ``limit`` characters without splitting a line."""
    blocks: list[str] = []
    current = ""
    for line in lines:
        line = truncate(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            blocks.append(current)
            candidate = line
        current = candidate
    if current:
        blocks.append(current)
    return blocks


def pack_messages(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages of at most 10 embeds and 6000 characters in all."""
    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    total = 0
    for embed in embeds:
        size = len(embed)
        if current and (len(current) >= EMBEDS_PER_MESSAGE or total + size > EMBED_TOTAL_LIMIT):
            messages.append(current)
            current, total = [], 0
        current.append(embed)
        total += size
    if current:
        messages.append(current)
    return messages


# --- answers ------------------------------------------------------------------------------


def _date_text(date: str | None) -> str:
    return f" · {date}" if date else ""


def source_line(number: int, citation: Citation, *, note: str = "") -> str:
    """One numbered source: linked title and date; for a post a short quote; a paper's note."""
    if citation.kind == "post":
        title = citation.title or "Post on X"
        quote = truncate(" ".join(citation.text.split()), QUOTE_LENGTH)
        quoted = f" — “{plain_text(quote)}”" if quote else ""
        return f"**{number}.** {link(title, citation.url)}{_date_text(citation.date)}{quoted}"
    line = f"**{number}.** {link(citation.title, citation.url)}{_date_text(citation.date)}"
    return f"{line}\n⚠️ {plain_text(truncate(note, NOTE_LENGTH))}" if note else line


def _question_title(question: str) -> str:
    return truncate(escape_user_text(" ".join(question.split())), EMBED_TITLE_LIMIT)


def answer_embeds(answer: Answer, *, text_limit: int = ANSWER_TEXT_LIMIT) -> list[discord.Embed]:
    """The answer as embeds: the text (split within 4096), then the numbered sources as fields,
    each with its caveat (a cited paper's note) under it. Text beyond ``text_limit`` characters
    is cut, saying so."""
    text = answer.text.strip()
    shortened = shorten(text, text_limit)
    colour = DECLINE_COLOUR if answer.declined else ANSWER_COLOUR
    body = plain_text(shortened)
    if shortened != text:
        body += f"\n\n{SHORTENED}"
    if answer.intro:
        body = f"{plain_text(answer.intro.strip())}\n\n{body}"
    if answer.declined and answer.suggestions:
        missing = [s for s in answer.suggestions if s not in answer.text]
        if missing:
            body += "\n\nClose matches: " + ", ".join(plain_text(s) for s in missing)
    chunks = split_text(body, EMBED_DESCRIPTION_LIMIT) or ["(no answer)"]
    embeds = [discord.Embed(description=chunk, colour=colour) for chunk in chunks]
    if answer.question.strip():
        embeds[0].title = _question_title(answer.question)
    footer = answer_footer(answer)
    if footer:
        embeds[0].set_footer(text=footer)

    lines = [source_line(n, c, note=c.note) for n, c in enumerate(answer.citations, start=1)]
    for i, block in enumerate(_pack_lines(lines, EMBED_FIELD_VALUE_LIMIT)):
        name = SOURCES_NAME if i == 0 else SOURCES_MORE_NAME
        last = embeds[-1]
        fits = (
            len(last.fields) < EMBED_FIELDS_LIMIT
            and len(last) + len(name) + len(block) <= EMBED_TOTAL_LIMIT
        )
        if not fits:
            last = discord.Embed(colour=colour)
            embeds.append(last)
        last.add_field(name=name, value=block, inline=False)
    return embeds


def answer_footer(answer: Answer) -> str:
    """The small print: the question as read (when a follow-up was made explicit) and source ids.

    Footers render no markdown and no mentions, so the text goes in as it is.
    """
    lines: list[str] = []
    resolved = " ".join(answer.resolved.split())
    if resolved and resolved != " ".join(answer.question.split()):
        lines.append(READ_AS + truncate(resolved, READ_AS_LENGTH))
    ids = ""
    for citation in answer.citations:
        more = f"{ids}{SOURCE_ID_SEPARATOR if ids else ''}{citation.id}"
        if sum(map(len, lines)) + len(SOURCE_IDS) + len(more) + 1 > EMBED_FOOTER_LIMIT:
            break
        ids = more
    if ids:
        lines.append(SOURCE_IDS + ids)
    return "\n".join(lines)


_ESCAPED = re.compile(r"\\(.)")


def answer_turn(message_embeds: Sequence[discord.Embed]) -> Turn | None:
    """The conversation turn an answer message shows, or None when it is not an answer.

    The inverse of ``answer_embeds``: the question is the "Read as" line, else the title (its
    markdown escapes and zero-width breaks undone); the cited ids come from the footer.
    """
    if not message_embeds:
        return None
    first = message_embeds[0]
    footer = first.footer.text or ""
    read_as = ""
    cited: tuple[str, ...] = ()
    for line in footer.splitlines():
        if line.startswith(READ_AS):
            read_as = line.removeprefix(READ_AS).strip()
        elif line.startswith(SOURCE_IDS):
            ids = line.removeprefix(SOURCE_IDS).split(SOURCE_ID_SEPARATOR.strip())
            cited = tuple(i.strip() for i in ids if i.strip())
    title = _ESCAPED.sub(r"\1", (first.title or "").replace(ZERO_WIDTH_SPACE, "")).strip()
    # An answer cites (ids in its footer); a decline has its own colour; nothing else counts.
    if not (cited or read_as or (title and first.colour == DECLINE_COLOUR)):
        return None
    return Turn(read_as or title.removesuffix(ELLIPSIS), cited)


def answer_messages(answer: Answer) -> list[list[discord.Embed]]:
    """The answer as at most two messages within Discord's limits; the first one replies.

    Slow for huge answers only in the cut, which reads the start of the text; still, callers
    run it off the event loop together with answering.
    """
    limit = ANSWER_TEXT_LIMIT
    while True:
        messages = pack_messages(answer_embeds(answer, text_limit=limit))
        if len(messages) <= ANSWER_MESSAGES_LIMIT or limit <= MIN_ANSWER_TEXT_LIMIT:
            return messages[:ANSWER_MESSAGES_LIMIT]
        limit = max(MIN_ANSWER_TEXT_LIMIT, limit * 3 // 4)


# --- papers -------------------------------------------------------------------------------


def _venue(paper: Paper) -> str:
    # An imported paper may know only arXiv's journal reference, in the authors' words.
    return paper.venue or paper.journal_ref or "venue unknown"


def note_line(paper: Paper) -> str:
    """The caveat shown wherever a paper with a note is shown; "" when it has none."""
    return f"⚠️ {plain_text(paper.note)}" if paper.note else ""


def post_line(post: Post) -> str:
    """A related post: its linked date and a short quote."""
    quote = truncate(" ".join(post.text.split()), QUOTE_LENGTH)
    return f"{link(post.date, post.url)} — “{plain_text(quote)}”"


def paper_embed(paper: Paper, related: Sequence[Post] = ()) -> discord.Embed:
    """One paper's card: linked title, date, venue, authors, abstract excerpt, aliases, posts."""
    abstract = truncate(" ".join(paper.abstract.split()), ABSTRACT_EXCERPT_LENGTH)
    description = plain_text(abstract) or "No abstract recorded."
    if paper.note:
        description = f"{truncate(note_line(paper), 1000)}\n\n{description}"
    embed = discord.Embed(
        title=truncate(plain_text(paper.title), EMBED_TITLE_LIMIT),
        url=paper.url or None,
        description=description,
        colour=PAPER_COLOUR,
    )
    embed.add_field(name="Date", value=plain_text(paper.date), inline=True)
    venue = truncate(plain_text(_venue(paper)), EMBED_FIELD_VALUE_LIMIT)
    embed.add_field(name="Venue", value=venue, inline=True)
    embed.add_field(name="arXiv", value=plain_text(paper.id), inline=True)
    if paper.authors:
        authors = truncate(plain_text(", ".join(paper.authors)), EMBED_FIELD_VALUE_LIMIT)
        embed.add_field(name="Authors", value=authors, inline=False)
    if paper.aliases:
        aliases = truncate(plain_text(", ".join(paper.aliases)), EMBED_FIELD_VALUE_LIMIT)
        embed.add_field(name="Also known as", value=aliases, inline=False)
    if related:
        lines = [post_line(p) for p in related[:RELATED_POSTS_SHOWN]]
        if len(related) > RELATED_POSTS_SHOWN:
            lines.append(f"…and {len(related) - RELATED_POSTS_SHOWN} more")
        value = _pack_lines(lines, EMBED_FIELD_VALUE_LIMIT)[0]
        embed.add_field(name="Posts about it", value=value, inline=False)
    return embed


def paper_list_line(number: int, paper: Paper) -> str:
    """One row of /papers: number, linked title, then date and venue (and the note, if any)."""
    line = (
        f"**{number}.** {link(paper.title, paper.url)}\n"
        f"{plain_text(paper.date)} · {plain_text(_venue(paper))}"
    )
    if paper.note:
        line += f"\n{truncate(note_line(paper), 300)}"
    return line


def papers_page_embed(
    page: Page[Paper], *, heading: str, count: int, per_page: int
) -> discord.Embed:
    """One page of /papers, numbered across pages, with the page count in the footer."""
    first = (page.number - 1) * per_page + 1
    lines = [paper_list_line(first + i, p) for i, p in enumerate(page.items)]
    description = "\n\n".join(lines) if lines else "No papers match."
    embed = discord.Embed(
        title=truncate(heading, EMBED_TITLE_LIMIT),
        description=truncate(description, EMBED_DESCRIPTION_LIMIT),
        colour=PAPER_COLOUR,
    )
    noun = "paper" if count == 1 else "papers"
    embed.set_footer(text=f"Page {page.number}/{page.total} · {count} {noun}, newest first")
    return embed


def papers_heading(name: str, *, year: int | None, topic: str | None, query: str | None) -> str:
    """The /papers title, naming the filters in use (user text escaped)."""
    filters = []
    if year is not None:
        filters.append(str(year))
    if topic:
        filters.append(f"topic {truncate(escape_user_text(topic), QUOTE_LIMIT)}")
    if query:
        filters.append(f"matching “{truncate(escape_user_text(query), QUOTE_LIMIT)}”")
    suffix = f" — {', '.join(filters)}" if filters else ""
    return f"Papers by {plain_text(name)}{suffix}"


# --- about and reload ---------------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def command_description(template: str, name: str) -> str:
    """A slash command's description naming the researcher (``{whose}`` in ``template``); a
    name too long for Discord's limit gives way to "the researcher's"."""
    text = template.format(whose=f"{name}'s")
    if len(text) <= COMMAND_DESCRIPTION_LIMIT:
        return text
    return template.format(whose="the researcher's")


def example_question(kb: KnowledgeBase) -> str:
    """A question this knowledge base answers, to show how to ask: about a work the bio names
    that is also a paper's short name, else the newest paper's short name, else the latest papers.
    """
    aliases = {a.casefold() for p in kb.papers for a in p.aliases}
    famous = [w for w in kb.profile.works if w.casefold() in aliases]
    newest = [p.aliases[0] for p in kb.papers_newest_first() if p.aliases and not p.note]
    work = next(iter(famous + newest), "")
    return f"What is {plain_text(work)}?" if work else "What are the latest papers?"


def counts_line(summary: KnowledgeSummary) -> str:
    """How much the bot knows, in one sentence."""
    return (
        f"{_count(summary.papers, 'paper')} (newest {summary.newest_paper or 'none'}), "
        f"{_count(summary.posts, 'post')} (newest {summary.newest_post or 'none'}), "
        f"{_count(summary.topics, 'topic')}."
    )


def about_embed(kb: KnowledgeBase, *, summary: KnowledgeSummary, bot_name: str) -> discord.Embed:
    """What the bot knows, how to ask it, and where its sources come from."""
    profile = kb.profile
    embed = discord.Embed(
        title=f"About {bot_name}",
        description=(
            f"I answer questions about the research of {plain_text(profile.name)}, "
            f"citing the papers and posts.\nI know {counts_line(summary)}"
        ),
        colour=ANSWER_COLOUR,
    )
    newest = kb.papers_newest_first()
    if newest:
        paper = newest[0]
        value = f"{link(paper.title, paper.url)} · {plain_text(paper.date)}"
        if paper.note:
            value += f"\n{note_line(paper)}"
        embed.add_field(name="Newest paper", value=truncate(value, 1024), inline=False)
    posts = kb.posts_newest_first()
    if posts:
        embed.add_field(name="Newest post", value=truncate(post_line(posts[0]), 1024), inline=False)
    embed.add_field(
        name="How to ask",
        value=(
            "Mention me with a question, send me a DM, or use `/ask`.\n"
            "Browse with `/papers` (filter by year, topic or words) and `/paper` for one paper."
        ),
        inline=False,
    )
    embed.add_field(
        name="Where the sources come from",
        value=(
            f"Public posts on X ({link(profile.handle or profile.name, profile.url)}) and "
            "arXiv papers with their abstracts. Answers quote only these sources; each is cited."
        ),
        inline=False,
    )
    return embed


def _ref_list(refs: Sequence[Ref]) -> str:
    shown = ", ".join(f"`{r}`" for r in refs[:DIFF_IDS_SHOWN])
    if len(refs) > DIFF_IDS_SHOWN:
        shown += f" …and {len(refs) - DIFF_IDS_SHOWN} more"
    return truncate(shown, EMBED_FIELD_VALUE_LIMIT)


def reload_embed(*, summary: KnowledgeSummary, diff: KnowledgeDiff) -> discord.Embed:
    """The /reload success report: the new counts and the added, removed and changed ids."""
    embed = discord.Embed(
        title="Knowledge reloaded", description=f"Now {counts_line(summary)}", colour=ANSWER_COLOUR
    )
    if diff.is_empty:
        embed.add_field(name="Changes", value="Nothing changed.", inline=False)
    for name, refs in (("Added", diff.added), ("Removed", diff.removed), ("Changed", diff.changed)):
        if refs:
            embed.add_field(name=f"{name} ({len(refs)})", value=_ref_list(refs), inline=False)
    return embed


def problems_message(problems: Sequence[Problem], *, header: str) -> str:
    """A private message listing problems in a code block, cut to fit 2000 characters."""
    lines = [str(p).replace("```", "'''") for p in problems]
    budget = MESSAGE_CONTENT_LIMIT - len(header) - 40  # room for fences and "…and N more"
    shown: list[str] = []
    used = 0
    for line in lines:
        line = truncate(line, 300)
        if used + len(line) + 1 > budget:
            break
        shown.append(line)
        used += len(line) + 1
    more = len(lines) - len(shown)
    tail = f"\n…and {more} more" if more else ""
    return f"{header}\n```\n" + "\n".join(shown) + f"\n```{tail}"


# --- the question log: /stats and /unanswered ---------------------------------------------

STATS_COLOUR = discord.Colour.gold()
TEXT_CHART_DAYS = 14  # without a chart image, /stats lists this many recent days as text bars
TEXT_BAR_WIDTH = 20
TOP_SOURCES_SHOWN = 5
LOGGED_QUESTION_LENGTH = 200  # a logged question or reason shown in /unanswered


def percent(share: float | None) -> str:
    """A share as a whole percentage; "–" when there is nothing to divide."""
    return "–" if share is None else f"{share:.0%}"


def day_bars(days: Sequence[DayCount], *, width: int = TEXT_BAR_WIDTH) -> str:
    """Questions per day as text bars in a code block, for when no chart image is drawn."""
    most = max((d.questions for d in days), default=0) or 1
    lines = [
        f"{d.day[5:]} {'█' * round(d.questions / most * width):<{width}} {d.questions}"
        for d in days
    ]
    return "```\n" + "\n".join(lines) + "\n```"


def _source_line(kb: KnowledgeBase, source: SourceCount) -> str:
    """A most-cited source: linked title (a post: its date and a short quote) and its count."""
    paper = kb.paper(source.id) if source.kind == "paper" else None
    post = kb.post(source.id) if source.kind == "post" else None
    if paper is not None:
        shown = link(paper.title, paper.url)
    elif post is not None:
        quote = truncate(" ".join(post.text.split()), QUOTE_LENGTH)
        shown = f"{link(post.date, post.url)} “{plain_text(quote)}”"
    else:  # cited then, since removed from the knowledge files
        shown = f"`{source.id}` (no longer in the knowledge)"
    return f"{shown} — **{source.count}**"


def stats_embed(
    report: Report, kb: KnowledgeBase, *, chart_file: str | None, scope: str
) -> discord.Embed:
    """The /stats summary; the per-day chart is the attachment ``chart_file``, or text bars."""
    per_day = report.questions / report.days
    votes = report.up + report.down
    lines = [
        f"**{report.questions}** {'question' if report.questions == 1 else 'questions'} "
        f"in the last {_count(report.days, 'day')} ({per_day:.1f} a day)",
        f"Answered: **{percent(report.answered_share)}** ({report.answered} confidently, "
        f"{report.low_confidence} with low confidence) · declined {report.declined}",
        f"Feedback: **{percent(report.up_share)} 👍** of {_count(votes, 'vote')} "
        f"(👍 {report.up} · 👎 {report.down})"
        if votes
        else "Feedback: no 👍/👎 votes yet",
    ]
    if report.latency_p50_ms is not None and report.latency_p95_ms is not None:
        lines.append(
            f"Time to answer: median {report.latency_p50_ms:,.0f} ms, "
            f"95th percentile {report.latency_p95_ms:,.0f} ms"
        )
    if report.by_interface:
        asked = " · ".join(f"{INTERFACES.get(k, k)} {n}" for k, n in report.by_interface)
        lines.append(f"Asked by: {asked}")
    embed = discord.Embed(
        title=f"Questions in the last {_count(report.days, 'day')}",
        description="\n".join(lines),
        colour=STATS_COLOUR,
    )
    for name, sources in (
        ("Most-cited papers", report.top_papers),
        ("Most-cited posts", report.top_posts),
    ):
        if sources:
            rows = [_source_line(kb, s) for s in sources[:TOP_SOURCES_SHOWN]]
            numbered = [f"{n}. {row}" for n, row in enumerate(rows, start=1)]
            value = _pack_lines(numbered, EMBED_FIELD_VALUE_LIMIT)[0]
            embed.add_field(name=name, value=value, inline=False)
    if chart_file is not None:
        embed.set_image(url=f"attachment://{chart_file}")
    elif report.questions:
        recent = report.all_days()[-TEXT_CHART_DAYS:]
        embed.add_field(
            name=f"Per day (last {_count(len(recent), 'day')})",
            value=day_bars(recent),
            inline=False,
        )
    embed.set_footer(text=f"{scope} · UTC days · declined, unsure and 👎 questions: /unanswered")
    return embed


def _logged(text: str) -> str:
    return f"“{truncate(escape_user_text(' '.join(text.split())), LOGGED_QUESTION_LENGTH)}”"


def unanswered_line(number: int, group: QuestionGroup) -> str:
    """One group of /unanswered: the question, how often and how it went, 👎 reasons, variants."""
    how = [
        f"{label} {n}"
        for label, n in (
            ("declined", group.declined),
            ("low confidence", group.low_confidence),
            ("👎", group.down),
        )
        if n
    ]
    how.append(f"last {utc_day(group.last_asked)}")
    lines = [f"**{number}.** {_logged(group.question)} — **{group.count}×**", " · ".join(how)]
    lines += [f"> {_logged(reason)}" for reason in group.reasons]
    if len(group.examples) > 1:
        lines.append("also: " + ", ".join(_logged(e) for e in group.examples[1:]))
    return "\n".join(lines)


def unanswered_page_embed(
    page: Page[QuestionGroup], *, days: int, groups: int, questions: int, per_page: int
) -> discord.Embed:
    """One page of /unanswered, numbered across pages, most frequent group first."""
    first = (page.number - 1) * per_page + 1
    lines = [unanswered_line(first + i, g) for i, g in enumerate(page.items)]
    embed = discord.Embed(
        title=f"Unanswered questions in the last {_count(days, 'day')}",
        description=truncate("\n\n".join(lines), EMBED_DESCRIPTION_LIMIT),
        colour=STATS_COLOUR,
    )
    embed.set_footer(
        text=f"Page {page.number}/{page.total} · {_count(groups, 'group')} of "
        f"{_count(questions, 'question')} declined, unsure or 👎 · most frequent first"
    )
    return embed
