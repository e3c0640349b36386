"""A builder for question-log records, shared by the core, store, CLI and cog tests."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from bot.core.curation import CitedSource, QuestionRecord

GUILD_ID = 4000
CHANNEL_ID = 5000
BART = CitedSource("paper", "1910.13461")


def question_record(n: int, question: str = "what is BART?", **changes: Any) -> QuestionRecord:
    """Question ``n``, answered with high confidence by mention in the test channel, citing BART,
    asked ``n`` seconds ago; ``changes`` override any field."""
    record = QuestionRecord(
        id=n,
        asked_at=time.time() - n,
        guild_id=GUILD_ID,
        channel_id=CHANNEL_ID,
        interface="mention",
        question=question,
        declined=False,
        confidence="high",
        cited=(BART,),
        latency_ms=10.0,
    )
    return replace(record, **changes)
