"""Knowledge split over several files (papers/*.yaml, posts/*.yaml), read one record at a time."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.knowledge import load_knowledge
from bot.core.yamlio import Mark, read_yaml_list
from bot.errors import KnowledgeError
from tests.conftest import TINY_PAPERS, TINY_POSTS

HEAD = "papers:\n"


def _records(text: str) -> list[str]:
    """The records of a one-list file, each as its own text."""
    return ["  - id:" + part for part in text.split("  - id:")[1:]]


MEGABYTE, KNN_LM, BART = _records(TINY_PAPERS)
POST_1, POST_2 = _records(TINY_POSTS)


def _split(directory: Path) -> None:
    """Move two of the three papers into papers/a.yaml and papers/b.yaml."""
    (directory / "papers.yaml").write_text(HEAD + MEGABYTE, encoding="utf-8")
    (directory / "papers").mkdir()
    (directory / "papers" / "a.yaml").write_text(HEAD + KNN_LM, encoding="utf-8")
    (directory / "papers" / "b.yaml").write_text(HEAD + BART, encoding="utf-8")


def _problems(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as excinfo:
        load_knowledge(directory, display_dir="k")
    return [str(p) for p in excinfo.value.problems]


def test_papers_from_the_file_and_the_folder(tiny_knowledge_dir: Path) -> None:
    """papers.yaml and papers/*.yaml together give the same knowledge as one file."""
    whole = load_knowledge(tiny_knowledge_dir)
    _split(tiny_knowledge_dir)
    (tiny_knowledge_dir / "papers" / "README.md").write_text("not knowledge\n", encoding="utf-8")
    (tiny_knowledge_dir / "papers" / ".b.yaml.swp").write_text("junk: [\n", encoding="utf-8")
    split = load_knowledge(tiny_knowledge_dir)
    assert [p.id for p in split.papers] == ["2305.07185", "1911.00172", "1910.13461"]
    assert split == whole


def test_folders_alone(tiny_knowledge_dir: Path) -> None:
    """Without papers.yaml and posts.yaml, the folders hold everything."""
    _split(tiny_knowledge_dir)
    (tiny_knowledge_dir / "papers.yaml").rename(tiny_knowledge_dir / "papers" / "0.yaml")
    (tiny_knowledge_dir / "posts.yaml").unlink()
    (tiny_knowledge_dir / "posts").mkdir()
    (tiny_knowledge_dir / "posts" / "2019.yaml").write_text("posts:\n" + POST_2, encoding="utf-8")
    (tiny_knowledge_dir / "posts" / "2023.yaml").write_text("posts:\n" + POST_1, encoding="utf-8")
    kb = load_knowledge(tiny_knowledge_dir)
    assert sorted(p.id for p in kb.papers) == ["1910.13461", "1911.00172", "2305.07185"]
    assert [p.id for p in kb.posts] == ["2019-10-31-1", "2023-05-15-1"]


def test_duplicate_id_across_files(tiny_knowledge_dir: Path) -> None:
    """An id used in two files is reported in the later file, pointing at the first use."""
    _split(tiny_knowledge_dir)
    (tiny_knowledge_dir / "papers" / "c.yaml").write_text(HEAD + KNN_LM, encoding="utf-8")
    assert _problems(tiny_knowledge_dir) == [
        "k/papers/c.yaml:2:9: duplicate id '1911.00172' (first used at k/papers/a.yaml:2:9)"
    ]


def test_problems_name_their_file_in_reading_order(tiny_knowledge_dir: Path) -> None:
    """Problems in several files come file by file (papers.yaml, papers/ by name, posts), each
    with the file's own line and column."""
    _split(tiny_knowledge_dir)
    (tiny_knowledge_dir / "papers" / "b.yaml").write_text(
        HEAD + BART.replace("date: '2019-10-29'", "date: 2019-10-29"), encoding="utf-8"
    )
    (tiny_knowledge_dir / "papers" / "a.yaml").write_text(
        HEAD + KNN_LM + "  - just text\n", encoding="utf-8"
    )
    (tiny_knowledge_dir / "papers.yaml").write_text(
        HEAD + MEGABYTE.replace("      - tokenization-and-bytes", "      - tokenisation"),
        encoding="utf-8",
    )
    (tiny_knowledge_dir / "posts.yaml").write_text(
        TINY_POSTS.replace("    text: Excited", "    text: : Excited"), encoding="utf-8"
    )
    assert _problems(tiny_knowledge_dir) == [
        "k/papers.yaml:14:9: paper 2305.07185: unknown topic 'tokenisation' "
        "(did you mean 'tokenization-and-bytes'?)",
        "k/papers/a.yaml:15:5: papers[1] must be a mapping, got 'just text'",
        "k/papers/b.yaml:4:11: paper 1910.13461: date must be a string, got an unquoted YAML "
        "date 2019-10-29 (quote it: '2019-10-29')",
        "k/posts.yaml:16:11: invalid YAML: mapping values are not allowed here",
    ]


def test_syntax_error_in_the_second_file(tiny_knowledge_dir: Path) -> None:
    """A syntax error in one folder file is reported there; the other files still load clean."""
    _split(tiny_knowledge_dir)
    (tiny_knowledge_dir / "papers" / "b.yaml").write_text(
        HEAD + BART.replace("    venue: ACL 2020", "    venue: [ACL 2020"), encoding="utf-8"
    )
    assert _problems(tiny_knowledge_dir) == [
        "k/papers/b.yaml:6:12: invalid YAML: expected ',' or ']', but got ':'"
    ]


def test_folder_file_shape(tiny_knowledge_dir: Path) -> None:
    """Each folder file needs the same top-level list as papers.yaml."""
    _split(tiny_knowledge_dir)
    (tiny_knowledge_dir / "papers" / "a.yaml").write_text(KNN_LM, encoding="utf-8")
    (tiny_knowledge_dir / "papers" / "b.yaml").write_text("papers:\n", encoding="utf-8")
    (tiny_knowledge_dir / "papers" / "c.yaml").write_text("# none yet\n", encoding="utf-8")
    (tiny_knowledge_dir / "papers" / "d.yaml").write_text("posts: []\n", encoding="utf-8")
    assert _problems(tiny_knowledge_dir) == [
        "k/papers/a.yaml:1:1: the file must be a mapping, got a list",
        "k/papers/b.yaml:1:8: papers must be a list, got nothing (an empty value)",
        "k/papers/c.yaml: file is empty: expected a top-level 'papers' list",
        "k/papers/d.yaml:1:1: unknown key 'posts'",
        "k/papers/d.yaml:1:1: missing required key 'papers'",
    ]


def test_no_papers_anywhere(tiny_knowledge_dir: Path) -> None:
    """An empty papers/ folder and no papers.yaml: the file is reported missing."""
    (tiny_knowledge_dir / "papers.yaml").unlink()
    (tiny_knowledge_dir / "papers").mkdir()
    assert _problems(tiny_knowledge_dir) == ["k/papers.yaml: file not found"]


def test_total_size_limit(tiny_knowledge_dir: Path) -> None:
    """All files together are capped too, before anything is parsed."""
    _split(tiny_knowledge_dir)
    total = sum(p.stat().st_size for p in tiny_knowledge_dir.rglob("*.yaml"))
    with pytest.raises(KnowledgeError) as excinfo:
        load_knowledge(tiny_knowledge_dir, display_dir="k", max_total_bytes=total - 1)
    assert [str(p) for p in excinfo.value.problems] == [
        f"k: knowledge files total {total} bytes, limit {total - 1}"
    ]


def test_cli_validate_counts_every_file(
    tiny_knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate reads the folders too."""
    _split(tiny_knowledge_dir)
    monkeypatch.chdir(tiny_knowledge_dir.parent)
    assert main(["validate", "--knowledge", "k"]) == 0
    assert capsys.readouterr().out.startswith("knowledge OK: 1 profile, 3 papers, 2 posts")


def test_items_are_handed_over_one_by_one(tmp_path: Path) -> None:
    """read_yaml_list hands each item over with its mark and keeps none of them."""
    path = tmp_path / "papers.yaml"
    path.write_text("papers:\n  - a: 1\n  - [x]\n  - plain\n", encoding="utf-8")
    seen: list[tuple[object, Mark]] = []
    data, problems = read_yaml_list(
        path, key="papers", on_item=lambda v, m: seen.append((v, m)), display_path="p.yaml"
    )
    assert problems == []
    assert data == {"papers": []} and data.value_marks["papers"] == Mark(2, 3)
    assert seen == [({"a": 1}, Mark(2, 5)), (["x"], Mark(3, 5)), ("plain", Mark(4, 5))]


def test_loading_leaves_no_garbage(tiny_knowledge_dir: Path) -> None:
    """Nothing a load builds is left in a reference cycle: a full collection finds nothing.

    A node tree kept alive by a cycle makes the next full collection walk millions of objects
    while holding the interpreter lock, which froze the bot during /reload.
    """
    _split(tiny_knowledge_dir)
    load_knowledge(tiny_knowledge_dir)
    gc.collect()
    gc.disable()
    try:
        kb = load_knowledge(tiny_knowledge_dir)
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert len(kb.papers) == 3
