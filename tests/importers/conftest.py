"""Fixtures of the importer tests: the saved inputs, a copy of the shipped knowledge base, and an
empty knowledge base for the made-up second researcher."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import DEFAULT_KNOWLEDGE_DIR
from bot.writer import init_knowledge

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
# Built only from knowledge/ (see tests/fixtures/imports/README.md).
REAL_FEED = FIXTURES / "real" / "arxiv.atom"
REAL_BIB = FIXTURES / "real" / "papers.bib"
# The made-up second researcher, Imogen Example (@imogen_example): every id and name invented.
SECOND_FEED = FIXTURES / "second" / "arxiv.atom"
SECOND_BIB = FIXTURES / "second" / "papers.bib"
SECOND_ARCHIVE = FIXTURES / "second" / "x-archive"
SECOND_NAME = "Imogen Example"
SECOND_HANDLE = "@imogen_example"


@pytest.fixture
def real_copy(tmp_path: Path) -> Path:
    """A copy of the shipped knowledge directory, safe to import into."""
    return Path(shutil.copytree(DEFAULT_KNOWLEDGE_DIR, tmp_path / "knowledge"))


@pytest.fixture
def second_dir(tmp_path: Path) -> Path:
    """The second researcher's knowledge folder, as `init` creates it."""
    directory = tmp_path / "imogen"
    init_knowledge(directory, name=SECOND_NAME, handle=SECOND_HANDLE)
    return directory


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file's bytes under ``directory``, to prove nothing changed."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
