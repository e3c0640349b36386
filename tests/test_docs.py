"""Every CLI command and import source is documented in the README (sqlite-utils' test_docs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_command_and_import_source_is_in_the_readmes() -> None:
    """README.md shows each command; both READMEs show each import source."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    knowledge = (ROOT / "knowledge" / "README.md").read_text(encoding="utf-8")
    commands = _subcommands(build_parser())
    missing = [name for name in commands if f"python -m bot {name}" not in readme]
    sources = _subcommands(commands["import"])
    assert set(sources) == {"arxiv", "bibtex", "x-archive"}
    for source in sources:
        for text, where in ((readme, "README.md"), (knowledge, "knowledge/README.md")):
            if f"python -m bot import {source}" not in text:
                missing.append(f"import {source} ({where})")
    assert missing == []
