"""What the question log says: per-day counts, shares, most-cited sources, unanswered groups.

Pure: it takes the records the store read and returns report objects that the terminal and
Discord adapters format. Days are UTC calendar days.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from bot.core.models import Confidence, SourceKind

# How a question reached the bot, as logged, and as shown: an @mention, a DM, a message in a
# listed channel (every-message mode), /ask, or a reply to one of the bot's answers.
INTERFACES = {
    "mention": "mention",
    "dm": "DM",
    "channel": "listed channel",
    "ask": "/ask",
    "follow-up": "follow-up",
}
# fuzz.ratio on rapidfuzz-processed text: "whats the weather in Seattle?" joins "what is the
# weather in seattle" (97), "what is RAG" stays apart from "what is BART" (78).
GROUP_CUTOFF = 88.0
MAX_REPORT_DAYS = 3650  # the longest window a report covers (the longest retention)
EXAMPLES_KEPT = 3  # distinct phrasings shown per group, so a bad merge is visible
REASONS_KEPT = 3
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class CitedSource:
    """A source an answer cited: its kind and id, as in ``Citation``."""

    kind: SourceKind
    id: str


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """One answered question as logged; the votes are filled in when it is read back."""

    id: int  # the Discord id of the question's message or interaction
    asked_at: float  # Unix seconds
    guild_id: int | None  # None in DMs
    channel_id: int | None
    interface: str  # a key of INTERFACES
    question: str
    declined: bool
    confidence: Confidence | None  # None when declined
    cited: tuple[CitedSource, ...]
    latency_ms: float
    resolved: str = ""  # the question as read (a follow-up made explicit); "" = as asked
    up: int = 0
    down: int = 0
    reasons: tuple[str, ...] = ()  # what 👎 voters said was wrong (non-empty only)

    @property
    def day(self) -> str:
        """The UTC day it was asked, YYYY-MM-DD."""
        return utc_day(self.asked_at)

    @property
    def low_confidence(self) -> bool:
        return not self.declined and self.confidence == "low"

    @property
    def unanswered(self) -> bool:
        """Declined, answered with low confidence, or voted down: what admins should look at."""
        return self.declined or self.low_confidence or self.down > 0


def utc_day(timestamp: float) -> str:
    """The UTC calendar day of a Unix time, YYYY-MM-DD."""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date().isoformat()


def window_start(now: float, days: int) -> float:
    """The Unix time at which a window of ``days`` UTC days ending today starts (00:00 UTC)."""
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    first = today - dt.timedelta(days=days - 1)
    return dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC).timestamp()


@dataclass(frozen=True, slots=True)
class DayCount:
    """One UTC day: questions, and how they went."""

    day: str
    questions: int
    answered: int  # confident answers
    low_confidence: int
    declined: int
    up: int
    down: int


@dataclass(frozen=True, slots=True)
class SourceCount:
    """How often one source was cited."""

    kind: SourceKind
    id: str
    count: int


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Similar questions taken together; ``question`` is the commonest (then longest) phrasing."""

    question: str
    records: tuple[QuestionRecord, ...]  # newest first
    examples: tuple[str, ...]  # up to EXAMPLES_KEPT distinct phrasings, the group's name first

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def declined(self) -> int:
        return sum(r.declined for r in self.records)

    @property
    def low_confidence(self) -> int:
        return sum(r.low_confidence for r in self.records)

    @property
    def down(self) -> int:
        return sum(r.down for r in self.records)

    @property
    def last_asked(self) -> float:
        return max(r.asked_at for r in self.records)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The newest distinct 👎 reasons, at most REASONS_KEPT."""
        seen = dict.fromkeys(reason for r in self.records for reason in r.reasons)
        return tuple(seen)[:REASONS_KEPT]


@dataclass(frozen=True, slots=True)
class Report:
    """Everything ``report``, ``/stats`` and ``/unanswered`` show, for one window of days."""

    since: float  # Unix time, start of the window (00:00 UTC)
    until: float  # Unix time the report was made
    days: int
    questions: int
    answered: int
    low_confidence: int
    declined: int
    up: int
    down: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    per_day: tuple[DayCount, ...]  # days with at least one question, oldest first
    by_interface: tuple[tuple[str, int], ...]  # commonest first
    top_papers: tuple[SourceCount, ...]
    top_posts: tuple[SourceCount, ...]
    unanswered: tuple[QuestionGroup, ...] = ()

    @property
    def answered_share(self) -> float | None:
        """Share of questions answered at all (confidently or not); None with no questions."""
        if not self.questions:
            return None
        return (self.answered + self.low_confidence) / self.questions

    @property
    def up_share(self) -> float | None:
        """Share of 👍 among votes; None with no votes."""
        votes = self.up + self.down
        return self.up / votes if votes else None

    def all_days(self) -> list[DayCount]:
        """Every day of the window oldest first, days without questions as zeros (for charts)."""
        known = {d.day: d for d in self.per_day}
        first = dt.date.fromisoformat(utc_day(self.since))
        days = []
        for n in range(self.days):
            day = (first + dt.timedelta(days=n)).isoformat()
            days.append(known.get(day) or DayCount(day, 0, 0, 0, 0, 0, 0))
        return days


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def build_report(
    records: Iterable[QuestionRecord], *, since: float, until: float, days: int, top: int = 5
) -> Report:
    """Summarise the questions asked in ``[since, until]``; records outside it are ignored."""
    chosen = [r for r in records if since <= r.asked_at <= until]
    by_day: dict[str, list[QuestionRecord]] = {}
    for r in sorted(chosen, key=lambda r: r.asked_at):
        by_day.setdefault(r.day, []).append(r)
    per_day = tuple(_tally(day, rs) for day, rs in by_day.items())
    totals = _tally("all", chosen)
    cited: Counter[CitedSource] = Counter()
    for r in chosen:
        cited.update(set(r.cited))  # a source counts once per answer

    def top_of(kind: str) -> tuple[SourceCount, ...]:
        ranked = sorted(
            ((s, n) for s, n in cited.items() if s.kind == kind), key=lambda sn: (-sn[1], sn[0].id)
        )
        return tuple(SourceCount(s.kind, s.id, n) for s, n in ranked[:top])

    latencies = [r.latency_ms for r in chosen]
    return Report(
        since=since,
        until=until,
        days=days,
        questions=totals.questions,
        answered=totals.answered,
        low_confidence=totals.low_confidence,
        declined=totals.declined,
        up=totals.up,
        down=totals.down,
        latency_p50_ms=percentile(latencies, 0.5),
        latency_p95_ms=percentile(latencies, 0.95),
        per_day=per_day,
        by_interface=tuple(Counter(r.interface for r in chosen).most_common()),
        top_papers=top_of("paper"),
        top_posts=top_of("post"),
        unanswered=tuple(group_questions(r for r in chosen if r.unanswered)),
    )


def _tally(day: str, records: Sequence[QuestionRecord]) -> DayCount:
    """Count how ``records`` went (one day's, or all of them)."""
    return DayCount(
        day=day,
        questions=len(records),
        answered=sum(not r.declined and not r.low_confidence for r in records),
        low_confidence=sum(r.low_confidence for r in records),
        declined=sum(r.declined for r in records),
        up=sum(r.up for r in records),
        down=sum(r.down for r in records),
    )


def _numbers(text: str) -> tuple[str, ...]:
    return tuple(_NUMBER.findall(text))


def group_questions(
    records: Iterable[QuestionRecord], *, cutoff: float = GROUP_CUTOFF
) -> list[QuestionGroup]:
    """Group near-identical questions, most frequent group first (then most recent).

    Greedy: each question, newest first, joins the group whose founding phrasing it matches best
    with ``fuzz.ratio >= cutoff`` on rapidfuzz-processed text and the same numbers ("papers in
    2023" never joins "papers in 2022"); otherwise it founds a group.
    """
    founders: list[str] = []  # processed text of each group's first question
    numbers: list[tuple[str, ...]] = []
    members: list[list[QuestionRecord]] = []
    by_text: dict[str, int] = {}  # processed text -> group index, so repeats skip the search
    for record in sorted(records, key=lambda r: r.asked_at, reverse=True):
        text = utils.default_process(record.resolved or record.question)
        index = by_text.get(text)
        if index is None:
            found = _match(text, founders, numbers, cutoff)
            if found is None:
                founders.append(text)
                numbers.append(_numbers(text))
                members.append([])
                found = len(founders) - 1
            index = by_text[text] = found
        members[index].append(record)
    groups = [_group(rs) for rs in members]
    groups.sort(key=lambda g: (-g.count, -g.last_asked))
    return groups


def _match(
    text: str, founders: list[str], numbers: list[tuple[str, ...]], cutoff: float
) -> int | None:
    wanted = _numbers(text)
    best: tuple[float, int] | None = None
    for _, score, index in process.extract_iter(
        text, founders, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff
    ):
        if numbers[index] == wanted and (best is None or score > best[0]):
            best = (score, index)
    return None if best is None else best[1]


def _group(records: list[QuestionRecord]) -> QuestionGroup:
    phrasings = Counter(" ".join((r.resolved or r.question).split()) for r in records)
    # Commonest first; on a tie the longest, which is usually the most complete ("What's the
    # weather in Seattle?" over "whats the weather in seattle"); then the newest (records are
    # newest first and sorted() is stable).
    ordered = sorted(phrasings, key=lambda text: (-phrasings[text], -len(text)))
    return QuestionGroup(
        question=ordered[0], records=tuple(records), examples=tuple(ordered[:EXAMPLES_KEPT])
    )
