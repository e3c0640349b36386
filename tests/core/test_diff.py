"""Tests for bot.core.diff."""

from __future__ import annotations

from dataclasses import replace

from bot.core.diff import KnowledgeDiff, Ref, diff_knowledge
from tests.helpers import BART, NOTED, POST, PROFILE, make_kb


def test_diff_reports_added_removed_and_changed_ids() -> None:
    """A new paper is added, a dropped post removed, an edited paper and the profile changed."""
    old = make_kb(papers=(BART, NOTED), posts=(POST,))
    new = replace(
        make_kb(papers=(replace(BART, venue="ACL"), replace(NOTED, id="2601.99999")), posts=()),
        profile=replace(PROFILE, bio="New bio."),
    )
    diff = diff_knowledge(old, new)
    assert diff == KnowledgeDiff(
        added=(Ref("paper", "2601.99999"),),
        removed=(Ref("paper", "2601.11659"), Ref("post", "2022-11-22-1")),
        changed=(Ref("profile", "profile"), Ref("paper", "1910.13461")),
    )
    assert [str(r) for r in diff.changed] == ["profile", "paper 1910.13461"]


def test_diff_of_identical_knowledge_is_empty() -> None:
    """Reloading unchanged files reports nothing."""
    diff = diff_knowledge(make_kb(), make_kb())
    assert diff.is_empty
    assert diff == KnowledgeDiff((), (), ())
