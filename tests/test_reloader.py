"""The /reload build: a child process writes the engine as a cache entry, the bot reads it back."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot import reloader
from bot.core.cache import EngineCache, cache_key
from bot.core.engine import load_engine
from bot.errors import KnowledgeError
from tests.core.test_cache import mapped


@pytest.fixture(autouse=True)
def _unfreeze() -> Iterator[None]:
    """Tests here may freeze objects out of the collector's reach; give them back after."""
    yield
    gc.unfreeze()


def _result(folder: Path) -> dict:
    return json.loads((folder / reloader.RESULT_FILE).read_text(encoding="utf-8"))


def test_engine_survives_the_trip(knowledge_dir: Path, tmp_path: Path) -> None:
    """Written by the child's code and read back, the engine is whole: same answers, records
    and arrays, one object per record (shared references stay shared), frozen."""
    reloader.write_engine(knowledge_dir, tmp_path)
    result = _result(tmp_path)
    assert result["status"] == "engine" and Path(result["path"]) == tmp_path / "engine"
    engine = reloader._read_engine(Path(result["path"]), result["key"], use_mmap=False)
    local = load_engine(knowledge_dir)
    assert engine.kb == local.kb
    question = "What is BART?"
    assert engine.ask(question) == local.ask(question)
    assert [p.id for p in engine.find_papers("atention sink")] == [
        p.id for p in local.find_papers("atention sink")
    ]
    first = engine.kb.papers_newest_first()[0]
    assert engine.kb.paper(first.id) is first and engine.catalog.papers[0] is first
    assert np.array_equal(engine.catalog.keys, local.catalog.keys)
    assert np.array_equal(engine.catalog.word_names, local.catalog.word_names)
    assert gc.get_freeze_count() > 0  # read back, the engine is out of the collector's reach


def test_problems_cross_the_process_boundary(tiny_knowledge_dir: Path, tmp_path: Path) -> None:
    """Bad knowledge comes back as its problems, every one located."""
    (tiny_knowledge_dir / "posts.yaml").unlink()
    reloader.write_engine(tiny_knowledge_dir, tmp_path)
    assert _result(tmp_path) == {
        "status": "problems",
        "problems": [
            {
                "path": f"{tiny_knowledge_dir}/posts.yaml",
                "line": None,
                "col": None,
                "message": "file not found",
            }
        ],
    }


async def test_build_engine_in_a_child_process(tiny_knowledge_dir: Path) -> None:
    """build_engine runs `python -m bot.reloader` and returns its engine, or raises its problems."""
    engine = await reloader.build_engine(tiny_knowledge_dir)
    assert engine.ask("What is kNN-LM?").citations[0].id == "1911.00172"
    (tiny_knowledge_dir / "papers.yaml").write_text("papers: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as excinfo:
        await reloader.build_engine(tiny_knowledge_dir)
    assert [str(p) for p in excinfo.value.problems] == [
        f"{tiny_knowledge_dir}/papers.yaml:2:1: invalid YAML: expected the node content, "
        "but found '<stream end>'"
    ]


async def test_the_child_fills_and_uses_the_cache(tiny_knowledge_dir: Path, tmp_path: Path) -> None:
    """With a cache folder the child writes its entry there, and a second reload of the same
    files builds nothing: the child finds the entry, the bot maps it."""
    cache_dir = tmp_path / "cache"
    engine = await reloader.build_engine(tiny_knowledge_dir, cache_dir=cache_dir)
    key = cache_key(tiny_knowledge_dir)
    entry = EngineCache(cache_dir).path(key)
    written = (entry / "manifest.json").stat().st_mtime_ns
    again = await reloader.build_engine(tiny_knowledge_dir, cache_dir=cache_dir)
    assert (entry / "manifest.json").stat().st_mtime_ns == written
    question = "What is kNN-LM?"
    assert again.ask(question) == engine.ask(question)
    assert mapped(again.retriever.lexical.index.postings)


async def test_build_engine_reports_a_crashed_child(tmp_path: Path) -> None:
    """A child that fails without writing anything is an error, not a silent success."""
    with pytest.raises(RuntimeError, match="the reload process failed"):
        await reloader.build_engine(tmp_path / "out-of-the-way", python="/bin/false")


def test_an_entry_that_is_not_one_is_refused(tiny_knowledge_dir: Path, tmp_path: Path) -> None:
    """Whatever the folder holds besides a whole entry for the key is refused, never read."""
    reloader.write_engine(tiny_knowledge_dir, tmp_path)
    result = _result(tmp_path)
    entry = Path(result["path"])
    with pytest.raises(RuntimeError, match="key differs"):
        reloader._read_engine(entry, "f" * 64, use_mmap=False)
    (entry / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(RuntimeError, match="no readable manifest"):
        reloader._read_engine(entry, result["key"], use_mmap=False)


def test_a_retired_engine_is_taken_apart_piece_by_piece(
    knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once nothing else uses it, a replaced engine is taken apart container by container;
    what someone still holds (a paper on a page, the catalog) stays whole."""
    taken: list[str] = []
    worth = reloader._worth_taking_apart

    def recording(obj: object) -> bool:
        if worth(obj):
            taken.append(type(obj).__name__)
            return True
        return False

    monkeypatch.setattr(reloader, "_worth_taking_apart", recording)
    engine = load_engine(knowledge_dir)
    paper = engine.kb.papers_newest_first()[0]
    catalog = engine.catalog
    holder = [engine]
    del engine
    reloader._retire(holder)
    assert {"Engine", "KnowledgeBase", "Retriever", "dict", "tuple"} <= set(taken)
    assert "Catalog" not in taken and "Paper" not in taken
    assert catalog.find("BART")[0].id == "1910.13461"
    assert paper.title == "Compute Optimal Tokenization"
