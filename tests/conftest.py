"""Shared fixtures: the shipped knowledge, and a tiny valid knowledge directory to break."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import DEFAULT_KNOWLEDGE_DIR
from bot.core.knowledge import load_knowledge
from bot.core.models import KnowledgeBase

# Three small files in the shipped format. Every value is copied from the shipped knowledge
# (abstracts shortened to their first sentence), so tests never rely on invented facts.
TINY_PROFILE = """\
name: Mike Lewis
handle: '@ml_perception'
url: https://x.com/ml_perception
bio: Llama3 pre-training lead.
location: Seattle
joined: '2019-09'
works:
  - BART
  - kNN-LM
"""

TINY_PAPERS = """\
papers:
  - id: '2305.07185'
    title: 'MEGABYTE: Predicting Million-byte Sequences with Multiscale Transformers'
    date: '2023-05-12'
    venue: NeurIPS 2023
    authors:
      - Lili Yu
      - Mike Lewis
    url: https://arxiv.org/abs/2305.07185
    abstract: We proposed Megabyte, a multi-scale decoder architecture.
    aliases:
      - MegaByte
    topics:
      - tokenization-and-bytes
  - id: '1911.00172'
    title: 'Generalization through Memorization: Nearest Neighbor Language Models'
    date: '2019-11-01'
    venue: ICLR 2020
    authors:
      - Urvashi Khandelwal
      - Mike Lewis
    url: https://arxiv.org/abs/1911.00172
    abstract: We introduce $k$NN-LMs, which extend a pre-trained neural language model.
    aliases:
      - kNN-LM
    topics:
      - retrieval
  - id: '1910.13461'
    title: 'BART: Denoising Sequence-to-Sequence Pre-training'
    date: '2019-10-29'
    venue: ACL 2020
    authors:
      - Mike Lewis
    url: https://arxiv.org/abs/1910.13461
    abstract: We present BART, a denoising autoencoder for pretraining sequence-to-sequence models.
    aliases:
      - BART
    topics:
      - pretraining
"""

TINY_POSTS = """\
posts:
  - id: 2023-05-15-1
    date: '2023-05-15'
    text: New paper on scaling language models to sequences of a million bytes!
    url: https://x.com/ml_perception
    thread:
      id: 2023-05-15-megabyte
      position: 1
    quoted:
      handle: '@_akhaliq'
      name: AK
      date: '2023-05-15'
      text: 'MEGABYTE: Predicting Million-byte Sequences with Multiscale Transformers'
  - id: 2019-10-31-1
    date: '2019-10-31'
    text: Excited to share our work on BART, a method for pre-training seq2seq models.
    url: https://x.com/ml_perception
"""


@pytest.fixture(autouse=True)
def _engine_cache_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Engines the CLI or the bot cache go to one folder of this test session, never to the
    user's own cache."""
    monkeypatch.setenv("BOT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "engine-cache"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)


@pytest.fixture
def knowledge_dir() -> Path:
    """The shipped knowledge directory (read-only: copy it before changing anything)."""
    return DEFAULT_KNOWLEDGE_DIR


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The shipped knowledge base, loaded once per test session."""
    return load_knowledge(DEFAULT_KNOWLEDGE_DIR)


@pytest.fixture
def tiny_knowledge_dir(tmp_path: Path) -> Path:
    """A valid knowledge directory of 1 profile, 3 papers and 2 posts under ``tmp_path/k``."""
    directory = tmp_path / "k"
    directory.mkdir()
    (directory / "profile.yaml").write_text(TINY_PROFILE, encoding="utf-8")
    (directory / "papers.yaml").write_text(TINY_PAPERS, encoding="utf-8")
    (directory / "posts.yaml").write_text(TINY_POSTS, encoding="utf-8")
    return directory
