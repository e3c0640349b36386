"""The whole path for a made-up second researcher, as a new user runs it: init, import the
arXiv feed, the BibTeX file and the X archive, validate, ask. Nothing in the code names them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.writer import write_atomic
from tests.importers.conftest import (
    SECOND_ARCHIVE,
    SECOND_BIB,
    SECOND_FEED,
    SECOND_HANDLE,
    SECOND_NAME,
)

STATUS = "https://x.com/imogen_example/status/"


def _ask(directory: Path, question: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["ask", "--json", "--knowledge", str(directory), question]) == 0
    answer: dict[str, object] = json.loads(capsys.readouterr().out)
    assert "Mike Lewis" not in json.dumps(answer)
    return answer


def _urls(answer: dict[str, object]) -> list[str]:
    return [c["url"] for c in answer["citations"]]  # type: ignore[attr-defined,index]


def test_init_import_validate_ask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Answers name the second researcher and cite the fixtures' real URLs."""
    kb = tmp_path / "imogen"
    assert main(["init", str(kb), "--name", SECOND_NAME, "--handle", SECOND_HANDLE]) == 0
    # The physics paper of a namesake must stay out on every import.
    write_atomic(
        kb / "exclude.yaml",
        "exclude:\n  - id: '2413.05005'\n    reason: a namesake's physics paper\n",
    )
    for argv in (
        ["import", "arxiv", str(SECOND_FEED)],
        ["import", "bibtex", str(SECOND_BIB)],
        ["import", "x-archive", str(SECOND_ARCHIVE)],
    ):
        assert main([*argv, "--knowledge", str(kb)]) == 0
    capsys.readouterr()
    assert main(["validate", "--knowledge", str(kb)]) == 0
    assert capsys.readouterr().out == (
        "knowledge OK: 1 profile, 4 papers, 7 posts, 0 topics; newest paper 2024-06-03, "
        "newest post 2024-06-03\n"
    )

    who = _ask(kb, "Who is Imogen Example?", capsys)
    assert who["declined"] is False
    assert SECOND_NAME in str(who["answer"])
    assert _urls(who) == ["https://x.com/imogen_example"]

    tidal = _ask(kb, "What is Tidal Attention?", capsys)
    assert str(tidal["answer"]).startswith("We introduce Tidal Attention, an attention mechanism")
    assert _urls(tidal)[0] == "https://arxiv.org/abs/2413.01001"
    assert any(url.startswith(STATUS) for url in _urls(tidal))

    memory = _ask(kb, "How much memory does Tidal Attention save?", capsys)
    assert "6x less memory" in str(memory["answer"])
    assert set(_urls(memory)) == {
        STATUS + "1111111111111111102",
        "https://arxiv.org/abs/2413.01001",
    }

    venue = _ask(kb, "Where was Tidal Attention published?", capsys)
    assert "International Conference on Learning Representations (ICLR) 2025" in str(
        venue["answer"]
    )

    slides = _ask(kb, "What did she post about the slides of her talk?", capsys)
    assert _urls(slides) == [STATUS + "1111111111111111107"]

    weather = _ask(kb, "What is the weather in Paris?", capsys)
    assert weather["declined"] is True
    assert f"I answer questions about {SECOND_NAME}'s research" in str(weather["answer"])

    phonons = _ask(kb, "What did she find about phonon transport in layered crystals?", capsys)
    assert phonons["declined"] is True  # the namesake's paper was kept out
