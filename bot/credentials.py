"""The bot token: read from ``DISCORD_TOKEN``, checked, and never shown.

Nothing here ever puts the token, or any part of it, into a message. ``token_problem`` finds what
makes a token unusable at all (it would break the HTTP header: a line break pasted with it);
``token_format_problem`` is the stricter check ``doctor`` runs on Discord's token shape.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping

TOKEN_ENV = "DISCORD_TOKEN"
# A bot token is three base64url parts joined by dots: the bot's user id, a timestamp, an HMAC.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{20,}")
_PORTAL = "copy it again from the Developer Portal (Bot > Reset Token)"


def read_token(environ: Mapping[str, str] = os.environ) -> str:
    """The token from the environment, surrounding whitespace removed ("" when unset)."""
    return environ.get(TOKEN_ENV, "").strip()


def token_problem(token: str) -> str | None:
    """Why ``token`` cannot be sent to Discord at all, or None. Never quotes the token."""
    if not token:
        return (
            f"{TOKEN_ENV} is not set: put the bot's token (Developer Portal > Bot) in this "
            "environment variable"
        )
    if any(not 33 <= ord(ch) <= 126 for ch in token):
        return (
            f"{TOKEN_ENV} contains a space, a line break or another character no token has; "
            f"{_PORTAL}"
        )
    return None


def token_format_problem(token: str) -> str | None:
    """Why ``token`` does not look like a Discord bot token, or None. Never quotes the token."""
    problem = token_problem(token)
    if problem is not None:
        return problem
    if _TOKEN_SHAPE.fullmatch(token) is None or token_bot_id(token) is None:
        return (
            f"{TOKEN_ENV} does not look like a bot token (three parts joined by dots, the first "
            f"naming the bot); {_PORTAL}"
        )
    return None


def token_bot_id(token: str) -> int | None:
    """The bot's user id, which a token's first part encodes (public, unlike the token)."""
    first = token.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(decoded) if decoded.isdigit() else None
