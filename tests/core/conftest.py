"""Fixtures of the retrieval tests: one engine over the shipped knowledge, built once."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.models import KnowledgeBase


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase) -> Engine:
    """The engine over the shipped knowledge base, indexed once per test session."""
    return Engine.build(kb)
