"""The benchmark scripts are run by hand, so nothing else notices when a refactor breaks one:
each must at least start and print its help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p for p in BENCHMARKS.glob("*.py") if "argparse" in p.read_text(encoding="utf-8"))


def test_there_are_benchmarks() -> None:
    assert len(SCRIPTS) >= 4


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_benchmark_starts(script: Path) -> None:
    pytest.importorskip("bm25s")  # the `bench` extra
    done = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_a_generated_corpus_passes_validation(tmp_path: Path) -> None:
    """The scale benchmark's synthetic folders must load through the normal path, field caps
    included: 1,000 papers drew 4 descriptive aliases over the 80-character cap."""
    sys.path.insert(0, str(BENCHMARKS.parent))
    from benchmarks.corpus import generate
    from bot.core.knowledge import load_knowledge

    generate(1000, tmp_path / "kb", seed=13)
    kb = load_knowledge(tmp_path / "kb")
    assert len(kb.papers) == 1000
