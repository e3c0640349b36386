"""The question log at the terminal: ``report`` as Markdown, CSV or JSON, and eval candidates.

Formatting only: the numbers come from ``bot.core.curation.build_report``. Days are UTC.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import yaml

from bot.core.curation import INTERFACES, QuestionGroup, Report, SourceCount, utc_day
from bot.core.models import KnowledgeBase

QUOTE_LENGTH = 60  # a post is named by its date and the start of its text

# A report formatter: (report, source titles by id, where the rows came from) -> text.
Formatter = Callable[[Report, Mapping[str, str], str], str]


def source_titles(kb: KnowledgeBase) -> dict[str, str]:
    """A readable name for every paper and post id, for the most-cited tables."""
    titles = {p.id: p.title for p in kb.papers}
    for post in kb.posts:
        text = " ".join(post.text.split())
        quote = text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1].rstrip() + "…"
        titles[post.id] = f"post of {post.date}: “{quote}”"
    return titles


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percent(share: float | None) -> str:
    return "" if share is None else f"{share:.1%}"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _summary_rows(report: Report) -> list[tuple[str, int, float | None]]:
    votes = report.up + report.down
    return [
        ("questions", report.questions, None),
        ("answered confidently", report.answered, _share(report.answered, report.questions)),
        (
            "answered with low confidence",
            report.low_confidence,
            _share(report.low_confidence, report.questions),
        ),
        ("declined", report.declined, _share(report.declined, report.questions)),
        ("👍 votes", report.up, _share(report.up, votes)),
        ("👎 votes", report.down, _share(report.down, votes)),
    ]


def _window(report: Report) -> str:
    return f"{utc_day(report.since)} to {utc_day(report.until)}, UTC"


def _how(group: QuestionGroup) -> list[int]:
    return [group.declined, group.low_confidence, group.down]


# --- Markdown ---------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Text made safe for one Markdown table cell."""
    return _one_line(text).replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]], *, right: int = 0) -> str:
    """A Markdown table; the last ``right`` columns are right-aligned (numbers)."""
    align = ["---"] * (len(header) - right) + ["---:"] * right
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _sources_md(sources: Sequence[SourceCount], titles: Mapping[str, str]) -> str:
    rows = [
        (n, s.id, _cell(titles.get(s.id, "(no longer in the knowledge)")), s.count)
        for n, s in enumerate(sources, start=1)
    ]
    return _table(("#", "id", "title", "answers citing it"), rows, right=1)


def report_markdown(report: Report, titles: Mapping[str, str], where: str) -> str:
    """The report as Markdown: a summary table, then per day, most cited, and unanswered."""
    parts = [
        f"# Question log: the last {report.days} days ({_window(report)})",
        f"From {where}.",
        _table(
            ("", "count", "share"),
            [(name, n, _percent(share)) for name, n, share in _summary_rows(report)],
            right=2,
        ),
        f"Time to answer: median {_ms(report.latency_p50_ms)}, "
        f"95th percentile {_ms(report.latency_p95_ms)}.",
    ]
    if report.by_interface:
        asked = ", ".join(f"{INTERFACES.get(name, name)} {n}" for name, n in report.by_interface)
        parts.append(f"Asked by: {asked}.")
    parts.append("## Questions per day")
    if report.per_day:
        rows = [
            (d.day, d.questions, d.answered, d.low_confidence, d.declined, d.up, d.down)
            for d in report.per_day
        ]
        header = ("day", "questions", "answered", "low confidence", "declined", "👍", "👎")
        parts.append(_table(header, rows, right=6) + "\n\nDays without questions are left out.")
    else:
        parts.append("No questions in this period.")
    for name, sources in (("papers", report.top_papers), ("posts", report.top_posts)):
        parts.append(f"## Most-cited {name}")
        parts.append(_sources_md(sources, titles) if sources else f"No {name} cited.")
    parts.append("## Unanswered: declined, low confidence or 👎 (similar questions grouped)")
    if report.unanswered:
        rows = [
            (
                n,
                _cell(g.question),
                utc_day(g.last_asked),
                _cell(" / ".join(g.reasons)),
                g.count,
                *_how(g),
            )
            for n, g in enumerate(report.unanswered, start=1)
        ]
        header = (
            "#",
            "question",
            "last asked",
            "👎 reasons",
            "asked",
            "declined",
            "low confidence",
            "👎",
        )
        parts.append(_table(header, rows, right=4))
    else:
        parts.append("None.")
    return "\n\n".join(parts) + "\n"


# --- CSV --------------------------------------------------------------------------------------


def report_csv(report: Report, titles: Mapping[str, str], where: str) -> str:
    """The report as CSV: four tables one after another, each under its own header row.

    The first cell of each header names the table (summary, day, most_cited, unanswered), and a
    blank line separates them; shares are fractions (0.75), days are UTC.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("summary", "count", "share"))
    for name, n, share in _summary_rows(report):
        writer.writerow((name, n, "" if share is None else round(share, 4)))
    writer.writerow(())
    writer.writerow(("day", "questions", "answered", "low_confidence", "declined", "up", "down"))
    writer.writerows(
        (d.day, d.questions, d.answered, d.low_confidence, d.declined, d.up, d.down)
        for d in report.per_day
    )
    writer.writerow(())
    writer.writerow(("most_cited", "kind", "id", "title", "answers"))
    for sources in (report.top_papers, report.top_posts):
        for n, s in enumerate(sources, start=1):
            writer.writerow((n, s.kind, s.id, titles.get(s.id, ""), s.count))
    writer.writerow(())
    writer.writerow(
        (
            "unanswered",
            "question",
            "asked",
            "declined",
            "low_confidence",
            "down",
            "last_asked",
            "reasons",
            "other_phrasings",
        )
    )
    for n, g in enumerate(report.unanswered, start=1):
        writer.writerow(
            (
                n,
                _one_line(g.question),
                g.count,
                *_how(g),
                utc_day(g.last_asked),
                " / ".join(_one_line(r) for r in g.reasons),
                " / ".join(_one_line(e) for e in g.examples[1:]),
            )
        )
    return out.getvalue()


# --- JSON -------------------------------------------------------------------------------------


def report_json(report: Report, titles: Mapping[str, str], where: str) -> str:
    """The report as one JSON object (shares as fractions or null; days are UTC)."""

    def sources(items: Sequence[SourceCount]) -> list[dict[str, Any]]:
        return [{"id": s.id, "title": titles.get(s.id), "answers": s.count} for s in items]

    data = {
        "database": where,
        "days": report.days,
        "since": utc_day(report.since),
        "until": utc_day(report.until),
        "questions": report.questions,
        "answered": report.answered,
        "low_confidence": report.low_confidence,
        "declined": report.declined,
        "answered_share": report.answered_share,
        "votes_up": report.up,
        "votes_down": report.down,
        "up_share": report.up_share,
        "latency_ms": {"p50": report.latency_p50_ms, "p95": report.latency_p95_ms},
        "by_interface": dict(report.by_interface),
        "per_day": [
            {
                "day": d.day,
                "questions": d.questions,
                "answered": d.answered,
                "low_confidence": d.low_confidence,
                "declined": d.declined,
                "up": d.up,
                "down": d.down,
            }
            for d in report.per_day
        ],
        "top_papers": sources(report.top_papers),
        "top_posts": sources(report.top_posts),
        "unanswered": [
            {
                "question": g.question,
                "asked": g.count,
                "declined": g.declined,
                "low_confidence": g.low_confidence,
                "down": g.down,
                "last_asked": utc_day(g.last_asked),
                "reasons": list(g.reasons),
                "other_phrasings": list(g.examples[1:]),
            }
            for g in report.unanswered
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


FORMATS: dict[str, Formatter] = {"md": report_markdown, "csv": report_csv, "json": report_json}


# --- eval candidates --------------------------------------------------------------------------

EXPORT_HEADER = """\
# Evaluation candidates: real questions from the question log in {source}.
# Which: {what}, asked in the last {days} days ({window}).
# Similar questions are merged, most frequent first. Made by `python -m bot export-questions`.
#
# NOT READY TO USE: every `gold` below is empty and must be filled in by hand with the ids
# a correct answer cites first (arXiv id, post id or "profile"), from the knowledge files,
# not from what the bot answered. In the eval files `gold: []` means "the bot must
# decline", so keep [] only for questions that really are out of scope. Fields follow the
# eval files: q, style (`real`: asked by a user), gold.
"""


def eval_candidates(
    groups: Sequence[QuestionGroup], *, report: Report, source: str, unanswered_only: bool
) -> str:
    """Eval-file YAML (q, style, gold) for each group, gold left empty for annotation.

    A comment above each item says how often it was asked and how it went, so annotators can
    start with the misses.
    """
    what = "declined, low-confidence or 👎 questions" if unanswered_only else "every question"
    header = EXPORT_HEADER.format(
        source=source, what=what, days=report.days, window=_window(report)
    )
    lines = [header.rstrip("\n")]
    if not groups:
        lines.append("[]  # no questions in this period\n")
    for g in groups:
        how = ", ".join(
            f"{label} {n}"
            for label, n in zip(("declined", "low confidence", "👎"), _how(g), strict=True)
            if n
        )
        note = f"# asked {g.count}×, last on {utc_day(g.last_asked)}" + (f"; {how}" if how else "")
        lines += ["", note]
        lines += [f"# 👎 reason: {_one_line(r)}" for r in g.reasons]
        lines += [f"# also asked as: {_one_line(e)}" for e in g.examples[1:]]
        item = {"q": g.question, "style": "real", "gold": []}
        lines.append(
            yaml.safe_dump([item], sort_keys=False, allow_unicode=True, width=10_000).rstrip()
        )
    return "\n".join(lines) + "\n"
