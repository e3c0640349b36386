"""Architecture: the pure core never imports discord (or anything above it)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import bot.core

_PROBE = """
import importlib, pkgutil, sys
import bot.core
names = sorted(m.name for m in pkgutil.iter_modules(bot.core.__path__, "bot.core."))
for name in names:
    importlib.import_module(name)
leaked = sorted(
    m for m in sys.modules
    if m == "discord" or m.startswith("discord.") or m in ("bot.client", "bot.exts", "bot.cli")
)
print(len(names), leaked)
"""


def test_core_modules_exist() -> None:
    """The knowledge modules the other workstreams rely on are in bot.core."""
    names = {m.name for m in pkgutil.iter_modules(bot.core.__path__)}
    assert {"knowledge", "models", "schema", "sources", "yamlio"} <= names


def test_core_never_imports_discord() -> None:
    """Importing every bot.core module in a fresh interpreter loads no discord and no adapter."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    count, leaked = result.stdout.strip().split(" ", 1)
    assert int(count) >= 5
    assert leaked == "[]"


_IMPORTERS_PROBE = """
import importlib, pkgutil, sys
import bot.importers
names = sorted(m.name for m in pkgutil.iter_modules(bot.importers.__path__, "bot.importers."))
for name in [*names, "bot.writer"]:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m == "discord" or m.startswith("discord."))
print(len(names), leaked)
"""


def test_importers_and_writer_never_import_discord() -> None:
    """The importers and the knowledge writer run offline from the CLI: no discord is loaded."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTERS_PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    count, leaked = result.stdout.strip().split(" ", 1)
    assert int(count) >= 5
    assert leaked == "[]"
