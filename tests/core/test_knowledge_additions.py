"""The loader's rules for what the importers add: exclude.yaml, arXiv fields, post ids, and a
profile that init scaffolds with only a name and a handle."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.knowledge import load_knowledge
from bot.core.models import Exclusion
from bot.errors import KnowledgeError
from tests.conftest import TINY_PAPERS, TINY_POSTS


def _problems(directory: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(directory.parent)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(Path(directory.name))
    return [str(p) for p in info.value.problems]


def test_exclude_file_loads_and_is_optional(tiny_knowledge_dir: Path) -> None:
    """No exclude.yaml excludes nothing; its ids and reasons load when present."""
    assert load_knowledge(tiny_knowledge_dir).excluded == ()
    (tiny_knowledge_dir / "exclude.yaml").write_text(
        "exclude:\n  - id: '2411.01103'\n    reason: a namesake's paper\n  - id: '2413.05005'\n"
    )
    assert load_knowledge(tiny_knowledge_dir).excluded == (
        Exclusion("2411.01103", "a namesake's paper"),
        Exclusion("2413.05005", ""),
    )


def test_exclude_problems(tiny_knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad id, a repeated one and one that is also a paper are each reported at their line."""
    (tiny_knowledge_dir / "exclude.yaml").write_text(
        "exclude:\n  - id: '2305.07185'\n  - id: 2411.01103\n  - id: 'abc'\n"
        "  - id: '2413.05005'\n  - id: '2413.05005'\n    reasons: typo\n"
    )
    assert _problems(tiny_knowledge_dir, monkeypatch) == [
        "k/exclude.yaml:2:9: exclude[0]: '2305.07185' is excluded but is also a record at "
        "k/papers.yaml:2:9; remove it from one of them",
        "k/exclude.yaml:3:9: exclude[1]: id must be a string, got the number 2411.01103 "
        "(quote it if you mean the text: '2411.01103')",
        "k/exclude.yaml:4:9: exclude[2]: id must be an arXiv id like '2305.07185', got 'abc'",
        "k/exclude.yaml:6:9: exclude[4]: '2413.05005' is excluded twice",
        "k/exclude.yaml:7:5: exclude[4]: unknown key 'reasons' (did you mean 'reason'?)",
    ]


def test_imported_fields_are_checked(
    tiny_knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Categories, DOIs and post ids must have their shapes; a status URL must match its id."""
    papers = TINY_PAPERS.replace(
        "    topics:\n      - retrieval\n",
        "    topics:\n      - retrieval\n    categories:\n      - cs.CL\n      - I.2.7\n"
        "    doi: arXiv:1911.00172\n",
    )
    posts = TINY_POSTS + ("    status_id: '1111111111111111101'\n")
    (tiny_knowledge_dir / "papers.yaml").write_text(papers)
    (tiny_knowledge_dir / "posts.yaml").write_text(posts)
    assert _problems(tiny_knowledge_dir, monkeypatch) == [
        "k/papers.yaml:30:9: paper 1911.00172: categories must hold values like 'cs.CL', "
        "got 'I.2.7'",
        "k/papers.yaml:31:10: paper 1911.00172: doi must look like '10.1234/abc', "
        "got 'arXiv:1911.00172'",
        "k/posts.yaml:17:10: post 2019-10-31-1: url must be the status URL of post "
        "1111111111111111101",
    ]


def test_a_scaffolded_profile_may_leave_bio_and_joined_empty(tiny_knowledge_dir: Path) -> None:
    """init knows only the name and handle: bio, location, joined and works may be empty."""
    profile = (
        "name: Imogen Example\nhandle: '@imogen_example'\nurl: https://x.com/imogen_example\n"
        "bio: ''\nlocation: ''\njoined: ''\nworks: []\n"
    )
    (tiny_knowledge_dir / "profile.yaml").write_text(profile)
    kb = load_knowledge(tiny_knowledge_dir)
    assert (kb.profile.bio, kb.profile.joined, kb.profile.works) == ("", "", ())
    (tiny_knowledge_dir / "profile.yaml").write_text(
        profile.replace("joined: ''", "joined: 'soon'")
    )
    with pytest.raises(KnowledgeError, match="profile: joined must be YYYY-MM or '', got 'soon'"):
        load_knowledge(tiny_knowledge_dir)
