"""Tests for bot.core.curation: grouping similar questions, and the report's numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.curation import (
    CitedSource,
    DayCount,
    QuestionRecord,
    build_report,
    group_questions,
    percentile,
    utc_day,
    window_start,
)
from tests.logged import BART, question_record

NOON = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC).timestamp()
DAY = 86_400.0
KNN = CitedSource("paper", "1911.00172")
POST = CitedSource("post", "2019-10-31-1")


def record(n: int, question: str, **changes: object) -> QuestionRecord:
    """A confidently answered question, asked n minutes before NOON."""
    return question_record(n, question, asked_at=NOON - 60 * n, latency_ms=100.0 + n, **changes)


def test_similar_phrasings_group_and_different_questions_do_not() -> None:
    """Case, punctuation and "what's" group; another acronym or another year does not."""
    records = [
        record(1, "What is BART?"),
        record(2, "what's BART"),
        record(3, "what is bart"),
        record(4, "what is RAG?"),
        record(5, "papers in 2023"),
        record(6, "papers in 2022"),
        record(7, "What's the weather in Seattle?"),
        record(8, "what is the weather in paris"),
    ]
    groups = group_questions(records)
    assert [(g.question, g.count) for g in groups] == [
        ("What is BART?", 3),
        ("what is RAG?", 1),
        ("papers in 2023", 1),
        ("papers in 2022", 1),
        ("What's the weather in Seattle?", 1),
        ("what is the weather in paris", 1),
    ]
    # Each phrasing asked once: the longest names the group.
    assert groups[0].examples == ("What is BART?", "what is bart", "what's BART")


def test_group_is_named_by_its_commonest_phrasing_and_keeps_reasons() -> None:
    """The commonest phrasing names a group; 👎 reasons are kept newest first, distinct."""
    records = [
        record(1, "whats the weather in seattle", declined=True, confidence=None),
        record(2, "What's the weather in Seattle?", down=1, reasons=("off topic",)),
        record(3, "What's the weather in Seattle?", down=1, reasons=("off topic",)),
        record(4, "what is the weather in seattle", confidence="low", reasons=("no answer",)),
    ]
    [group] = group_questions(records)
    assert group.question == "What's the weather in Seattle?"
    assert (group.count, group.declined, group.low_confidence, group.down) == (4, 1, 1, 2)
    assert group.reasons == ("off topic", "no answer")
    assert group.last_asked == NOON - 60


def test_groups_come_most_frequent_first_then_most_recent() -> None:
    """Two groups of one: the more recent comes first; a group of two beats both."""
    records = [
        record(1, "alpha one"),
        record(2, "zulu two"),
        record(3, "kilo x"),
        record(4, "kilo x"),
    ]
    assert [g.question for g in group_questions(records)] == ["kilo x", "alpha one", "zulu two"]


def test_follow_ups_are_grouped_by_how_they_were_read() -> None:
    """A follow-up is grouped (and named) by its resolved question, not the bare "and that?"."""
    records = [
        record(1, "and when was it out?", resolved="When was BART published?"),
        record(2, "and when was it out?", resolved="When was kNN-LM published?"),
    ]
    assert [g.question for g in group_questions(records)] == [
        "When was BART published?",
        "When was kNN-LM published?",
    ]


def test_report_counts_shares_days_and_top_sources() -> None:
    """Every number of the report, on eight questions over two days."""
    records = [
        record(1, "q1", cited=(BART, POST), up=2),
        record(2, "q2", cited=(BART, BART), down=1, reasons=("wrong",)),
        record(3, "q3", cited=(KNN,), confidence="low"),
        record(4, "q4", declined=True, confidence=None, cited=()),
        record(5, "q5", interface="ask"),
        record(60 * 24, "q6", declined=True, confidence=None, cited=(), interface="dm"),
        record(60 * 24 + 1, "q7", cited=(KNN,)),
        record(60 * 24 * 40, "too old"),
    ]
    report = build_report(records, since=window_start(NOON, 30), until=NOON, days=30)
    assert report.questions == 7
    assert (report.answered, report.low_confidence, report.declined) == (4, 1, 2)
    assert report.answered_share == pytest.approx(5 / 7)
    assert (report.up, report.down, report.up_share) == (2, 1, pytest.approx(2 / 3))
    assert report.per_day == (
        DayCount("2026-11-29", 2, 1, 0, 1, 0, 0),
        DayCount("2026-11-30", 5, 3, 1, 1, 2, 1),
    )
    assert report.by_interface == (("mention", 5), ("ask", 1), ("dm", 1))
    # BART cited twice in one answer counts once for it.
    assert [(s.id, s.count) for s in report.top_papers] == [("1910.13461", 3), ("1911.00172", 2)]
    assert [(s.id, s.count) for s in report.top_posts] == [("2019-10-31-1", 1)]
    assert [g.question for g in report.unanswered] == ["q2", "q3", "q4", "q6"]
    assert report.latency_p50_ms == 104.0
    assert report.latency_p95_ms == 100.0 + 60 * 24 + 1
    days = report.all_days()
    assert len(days) == 30 and days[0].day == "2026-11-01" and days[-1].day == "2026-11-30"
    assert sum(d.questions for d in days) == 7


def test_empty_report_has_no_shares() -> None:
    """No questions and no votes: shares are None, not a division by zero."""
    report = build_report([], since=window_start(NOON, 7), until=NOON, days=7)
    assert (report.questions, report.answered_share, report.up_share) == (0, None, None)
    assert report.latency_p50_ms is None
    assert [d.questions for d in report.all_days()] == [0] * 7


def test_window_starts_at_utc_midnight_days_back() -> None:
    """A 1-day window is today since 00:00 UTC; a 30-day one starts 29 days earlier."""
    assert utc_day(window_start(NOON, 1)) == "2026-11-30"
    assert window_start(NOON, 1) == NOON - 12 * 3600
    assert utc_day(window_start(NOON, 30)) == "2026-11-01"
    assert window_start(NOON, 30) == NOON - 12 * 3600 - 29 * DAY


def test_percentile_is_nearest_rank() -> None:
    """p50 of 1..4 is 2, p99 of 1..100 is 99, and nothing gives None."""
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0
    assert percentile([float(n) for n in range(1, 101)], 0.99) == 99.0
    assert percentile([], 0.5) is None
