"""Logging set-up, run only from the CLI's entry point (nothing happens at import time)."""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"


def setup_logging(level: str | int = "INFO") -> None:
    """Send log records to stderr at ``level``."""
    logging.basicConfig(level=level, format=LOG_FORMAT, force=True)
