"""Every Discord limit the bot must respect, in one place, and one checker for outgoing bodies.

discord.py 2.7 checks none of the message or embed limits client-side: Discord answers an oversized
body with 400/50035. ``message_problems`` is used both by the unit tests and by the fake Discord
server in the end-to-end tests, so the two can never disagree about what "within limits" means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MESSAGE_CONTENT_LIMIT = 2000  # a bot's message content (the API spec allows 4000 for users)
EMBEDS_PER_MESSAGE = 10
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_AUTHOR_NAME_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000  # title + description + field names/values + footer + author, all embeds

AUTOCOMPLETE_CHOICES_LIMIT = 25
CHOICE_NAME_LIMIT = 100
CHOICE_VALUE_LIMIT = 100

COMMAND_NAME_LIMIT = 32
COMMAND_DESCRIPTION_LIMIT = 100
COMMAND_OPTIONS_LIMIT = 25

ACTION_ROWS_LIMIT = 5
BUTTONS_PER_ROW = 5
CUSTOM_ID_LIMIT = 100
BUTTON_LABEL_LIMIT = 80

INTERACTION_ACK_SECONDS = 3.0  # answer or defer() within this, or the interaction is gone
INTERACTION_TOKEN_SECONDS = 15 * 60  # followups and edits use the token for this long

# Interaction callback types that carry a message body in ``data``.
_MESSAGE_CALLBACKS = {4, 7}
_AUTOCOMPLETE_CALLBACK = 8


def embed_length(embed: Mapping[str, Any]) -> int:
    """Count the characters Discord adds up toward the 6000 total for one serialised embed."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or ():
        total += len(field.get("name") or "") + len(field.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def _too_long(problems: list[str], where: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        problems.append(f"{where} is {len(value)} characters, limit {limit}")


def _embed_problems(embed: Mapping[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    _too_long(problems, f"{where}.title", embed.get("title"), EMBED_TITLE_LIMIT)
    _too_long(problems, f"{where}.description", embed.get("description"), EMBED_DESCRIPTION_LIMIT)
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS_LIMIT:
        problems.append(f"{where} has {len(fields)} fields, limit {EMBED_FIELDS_LIMIT}")
    for i, field in enumerate(fields):
        name, value = field.get("name") or "", field.get("value") or ""
        if not name.strip() or not value.strip():
            problems.append(f"{where}.fields[{i}] has an empty name or value")
        _too_long(problems, f"{where}.fields[{i}].name", name, EMBED_FIELD_NAME_LIMIT)
        _too_long(problems, f"{where}.fields[{i}].value", value, EMBED_FIELD_VALUE_LIMIT)
    footer = (embed.get("footer") or {}).get("text")
    _too_long(problems, f"{where}.footer.text", footer, EMBED_FOOTER_LIMIT)
    author = (embed.get("author") or {}).get("name")
    _too_long(problems, f"{where}.author.name", author, EMBED_AUTHOR_NAME_LIMIT)
    return problems


def _component_problems(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    problems: list[str] = []
    if len(rows) > ACTION_ROWS_LIMIT:
        problems.append(f"{len(rows)} action rows, limit {ACTION_ROWS_LIMIT}")
    for r, row in enumerate(rows):
        items = row.get("components") or []
        if len(items) > BUTTONS_PER_ROW:
            problems.append(f"components[{r}] has {len(items)} items, limit {BUTTONS_PER_ROW}")
        for i, item in enumerate(items):
            where = f"components[{r}].components[{i}]"
            _too_long(problems, f"{where}.custom_id", item.get("custom_id"), CUSTOM_ID_LIMIT)
            _too_long(problems, f"{where}.label", item.get("label"), BUTTON_LABEL_LIMIT)
    return problems


def message_problems(body: Mapping[str, Any]) -> list[str]:
    """List every Discord limit a message body breaks (content, embeds, components); [] if none."""
    problems: list[str] = []
    _too_long(problems, "content", body.get("content"), MESSAGE_CONTENT_LIMIT)
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_PER_MESSAGE:
        problems.append(f"{len(embeds)} embeds, limit {EMBEDS_PER_MESSAGE}")
    for i, embed in enumerate(embeds):
        problems.extend(_embed_problems(embed, f"embeds[{i}]"))
    total = sum(embed_length(e) for e in embeds)
    if total > EMBED_TOTAL_LIMIT:
        problems.append(f"embeds total {total} characters, limit {EMBED_TOTAL_LIMIT}")
    problems.extend(_component_problems(body.get("components") or []))
    return problems


def choices_problems(choices: Sequence[Mapping[str, Any]]) -> list[str]:
    """List every limit an autocomplete result breaks (count, name and value lengths)."""
    problems: list[str] = []
    if len(choices) > AUTOCOMPLETE_CHOICES_LIMIT:
        problems.append(f"{len(choices)} choices, limit {AUTOCOMPLETE_CHOICES_LIMIT}")
    for i, choice in enumerate(choices):
        name = str(choice.get("name", ""))
        if not 1 <= len(name) <= CHOICE_NAME_LIMIT:
            problems.append(f"choices[{i}].name is {len(name)} characters, limit 1..100")
        value = choice.get("value")
        if isinstance(value, str):
            _too_long(problems, f"choices[{i}].value", value, CHOICE_VALUE_LIMIT)
    return problems


def callback_problems(body: Mapping[str, Any]) -> list[str]:
    """List the limits an interaction callback body breaks (its message or its choices)."""
    data = body.get("data") or {}
    if body.get("type") in _MESSAGE_CALLBACKS:
        return message_problems(data)
    if body.get("type") == _AUTOCOMPLETE_CALLBACK:
        return choices_problems(data.get("choices") or [])
    return []


def command_problems(commands: Sequence[Mapping[str, Any]]) -> list[str]:
    """List the limits an uploaded command tree breaks (names, descriptions, option counts)."""
    problems: list[str] = []

    def check(command: Mapping[str, Any], where: str) -> None:
        name, description = command.get("name", ""), command.get("description", "")
        if not 1 <= len(name) <= COMMAND_NAME_LIMIT or name != name.lower():
            problems.append(f"{where}.name {name!r} must be 1-32 lowercase characters")
        # Context-menu commands have an empty description; chat-input ones need 1..100.
        if command.get("type", 1) == 1 and not 1 <= len(description) <= COMMAND_DESCRIPTION_LIMIT:
            problems.append(f"{where}.description is {len(description)} characters, limit 1..100")
        options = command.get("options") or []
        if len(options) > COMMAND_OPTIONS_LIMIT:
            problems.append(f"{where} has {len(options)} options, limit {COMMAND_OPTIONS_LIMIT}")
        for i, option in enumerate(options):
            check(option, f"{where}.options[{i}]")

    for i, command in enumerate(commands):
        check(command, f"commands[{i}]")
    return problems
