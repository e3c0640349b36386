"""Split a sequence into numbered pages; pure, so paging rules are tested without Discord."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page: its 1-based number, the page count, and its items."""

    number: int
    total: int
    items: tuple[T, ...]

    @property
    def is_first(self) -> bool:
        return self.number == 1

    @property
    def is_last(self) -> bool:
        return self.number == self.total


def paginate(items: Sequence[T], per_page: int) -> list[Page[T]]:
    """Cut ``items`` into pages of ``per_page``; no items gives one empty page to show."""
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, got {per_page}")
    chunks = [tuple(items[i : i + per_page]) for i in range(0, len(items), per_page)] or [()]
    return [Page(number=n, total=len(chunks), items=c) for n, c in enumerate(chunks, start=1)]
