"""The /reload build: a child process writes the engine, the bot reads it back piece by piece."""

from __future__ import annotations

import gc
import io
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot import reloader
from bot.core.engine import Engine, load_engine
from bot.errors import KnowledgeError


@pytest.fixture(autouse=True)
def _unfreeze() -> Iterator[None]:
    """Tests here may freeze objects out of the collector's reach; give them back after."""
    yield
    gc.unfreeze()


def _roundtrip(knowledge: Path, tmp_path: Path) -> Engine:
    out = tmp_path / "engine.pickle"
    with out.open("wb") as handle:
        reloader.write_engine(knowledge, handle)
    return reloader._read_engine(out)


def test_engine_survives_the_trip_in_pieces(
    knowledge_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut into pieces of 7 items (arrays of 1000 bytes), the engine comes back whole: same
    answers, records and arrays, one object per record (shared references stay shared)."""
    monkeypatch.setattr(reloader, "CHUNK", 7)
    monkeypatch.setattr(reloader, "ARRAY_CHUNK_BYTES", 1000)
    loaded: list[object] = []

    class Counting(pickle.Unpickler):
        def load(self) -> object:
            loaded.append(super().load())
            return loaded[-1]

    monkeypatch.setattr(reloader.pickle, "Unpickler", Counting)
    engine = _roundtrip(knowledge_dir, tmp_path)
    local = load_engine(knowledge_dir)
    assert engine.kb == local.kb
    question = "What is BART?"
    assert engine.ask(question) == local.ask(question)
    assert [p.id for p in engine.find_papers("atention sink")] == [
        p.id for p in local.find_papers("atention sink")
    ]
    first = engine.kb.papers_newest_first()[0]
    assert engine.kb.paper(first.id) is first and engine.catalog.papers[0] is first
    chunks = [len(piece) for piece in loaded if isinstance(piece, list)]
    assert len(loaded) > 100 and max(chunks) == 7
    assert max(len(piece) for piece in loaded if isinstance(piece, bytes)) == 1000
    assert np.array_equal(engine.catalog.keys, local.catalog.keys)
    assert np.array_equal(engine.catalog.word_names, local.catalog.word_names)
    assert gc.get_freeze_count() > 0  # read back, the engine is out of the collector's reach


def test_problems_cross_the_process_boundary(tiny_knowledge_dir: Path, tmp_path: Path) -> None:
    """Bad knowledge comes back as the same KnowledgeError, every problem located."""
    (tiny_knowledge_dir / "posts.yaml").unlink()
    with pytest.raises(KnowledgeError) as excinfo:
        _roundtrip(tiny_knowledge_dir, tmp_path)
    assert [str(p) for p in excinfo.value.problems] == [
        f"{tiny_knowledge_dir}/posts.yaml: file not found"
    ]


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


async def test_build_engine_reports_a_crashed_child(tmp_path: Path) -> None:
    """A child that fails without writing anything is an error, not a silent success."""
    with pytest.raises(RuntimeError, match="the reload process failed"):
        await reloader.build_engine(tmp_path / "out-of-the-way", python="/bin/false")


@pytest.mark.parametrize(
    ("piece", "error"),
    [((4, {"not": "an engine"}), "not an Engine"), ({"no": "header"}, "does not hold an engine")],
)
def test_a_foreign_object_is_refused(piece: object, error: str, tmp_path: Path) -> None:
    """Whatever the file holds besides an engine is refused."""
    out = tmp_path / "engine.pickle"
    buffer = io.BytesIO()
    pickle.dump(("engine", None), buffer)
    pickle.dump(piece, buffer)
    out.write_bytes(buffer.getvalue())
    with pytest.raises((TypeError, ValueError), match=error):
        reloader._read_engine(out)


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
