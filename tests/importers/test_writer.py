"""Tests for bot.writer: exact round trip, validation before writing, atomic replacement."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.knowledge import load_knowledge
from bot.errors import BotError, KnowledgeError
from bot.writer import init_knowledge, render_knowledge, save_knowledge, write_atomic
from tests.importers.conftest import snapshot


def test_shipped_knowledge_renders_to_its_own_files(real_copy: Path) -> None:
    """Rendering the loaded knowledge gives back the shipped files byte for byte."""
    kb = load_knowledge(real_copy)
    for name, text in render_knowledge(kb, with_exclude=True).items():
        assert (real_copy / name).read_text(encoding="utf-8") == text, name
    before = snapshot(real_copy)
    assert save_knowledge(real_copy, kb) == []
    assert snapshot(real_copy) == before


def test_invalid_knowledge_is_never_written(real_copy: Path) -> None:
    """A record the loader would reject stops the save with its problem; no file changes."""
    kb = load_knowledge(real_copy)
    broken = replace(kb, papers=(replace(kb.papers[0], topics=("retreival",)), *kb.papers[1:]))
    before = snapshot(real_copy)
    with pytest.raises(KnowledgeError) as info:
        save_knowledge(real_copy, broken, display_dir="k")
    [problem] = info.value.problems
    assert str(problem).startswith("k/papers.yaml:")
    assert str(problem).endswith(
        "paper 2605.01188: unknown topic 'retreival' (did you mean 'retrieval'?)"
    )
    assert snapshot(real_copy) == before


def test_write_atomic_replaces_in_one_step_and_leaves_no_temporary(tmp_path: Path) -> None:
    """The file is replaced (mode kept), an unchanged text is not rewritten, no temp file stays."""
    path = tmp_path / "papers.yaml"
    path.write_text("old\n")
    path.chmod(0o640)
    assert write_atomic(path, "new\n") is True
    assert path.read_text() == "new\n" and path.stat().st_mode & 0o777 == 0o640
    assert write_atomic(path, "new\n") is False
    assert [p.name for p in tmp_path.iterdir()] == ["papers.yaml"]


def test_init_scaffolds_a_valid_empty_folder_and_refuses_a_used_one(tmp_path: Path) -> None:
    """init writes four valid files naming the researcher; a non-empty folder is refused."""
    directory = tmp_path / "kb"
    kb = init_knowledge(directory, name="  Imogen   Example ", handle="imogen_example")
    assert sorted(p.name for p in directory.iterdir()) == [
        "exclude.yaml",
        "papers.yaml",
        "posts.yaml",
        "profile.yaml",
    ]
    assert (kb.profile.name, kb.profile.handle, kb.profile.url) == (
        "Imogen Example",
        "@imogen_example",
        "https://x.com/imogen_example",
    )
    assert load_knowledge(directory) == kb
    assert (
        (directory / "papers.yaml")
        .read_text()
        .startswith("# Papers of Imogen Example's knowledge base")
    )
    with pytest.raises(BotError, match="exists and is not empty"):
        init_knowledge(directory, name="Someone", handle="@someone")
    with pytest.raises(BotError, match="--handle must be an X handle like '@name', got '@a b'"):
        init_knowledge(tmp_path / "other", name="A B", handle="a b")
    assert not (tmp_path / "other").exists()
