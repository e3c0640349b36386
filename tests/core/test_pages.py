"""Tests for bot.core.pages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.pages import Page, paginate


def test_paginate_cuts_items_into_numbered_pages() -> None:
    """Seven items at three per page give pages 1/3, 2/3, 3/3 with the rest on the last."""
    pages = paginate(list("abcdefg"), 3)
    assert pages == [
        Page(1, 3, ("a", "b", "c")),
        Page(2, 3, ("d", "e", "f")),
        Page(3, 3, ("g",)),
    ]
    assert pages[0].is_first and not pages[0].is_last and pages[2].is_last


def test_paginate_empty_gives_one_empty_page() -> None:
    """No items still gives one page, so a view always has something to show."""
    assert paginate([], 5) == [Page(1, 1, ())]


def test_paginate_rejects_non_positive_page_size() -> None:
    """A page size below 1 is a programming error, named in the message."""
    with pytest.raises(ValueError, match="per_page must be at least 1, got 0"):
        paginate([1], 0)


@given(st.lists(st.integers(), max_size=60), st.integers(min_value=1, max_value=10))
def test_paginate_keeps_every_item_in_order(items: list[int], per_page: int) -> None:
    """Pages hold every item once, in order, none larger than per_page, numbered 1..total."""
    pages = paginate(items, per_page)
    assert [x for p in pages for x in p.items] == items
    assert all(len(p.items) <= per_page for p in pages)
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert {p.total for p in pages} == {len(pages)}
