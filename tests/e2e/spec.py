"""Validate captured request bodies against Discord's official OpenAPI spec.

The spec lives outside the repository (``../shared/data/discord-openapi.json``, or the path in
``DISCORD_OPENAPI_SPEC``); the spec check is skipped where it is absent, the limits check is not.
"""

from __future__ import annotations

import copy
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bot.limits import callback_problems, command_problems, message_problems
from tests.e2e.fake_discord import Request

SPEC_ENV = "DISCORD_OPENAPI_SPEC"
SPEC_URI = "urn:discord-openapi"
REPO = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = REPO.parent / "shared" / "data" / "discord-openapi.json"


def spec_path() -> Path | None:
    """Where the spec is, or None when neither the env var nor the default path has it."""
    path = Path(os.environ.get(SPEC_ENV) or DEFAULT_SPEC)
    return path if path.is_file() else None


def _pointer_escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _describe(error: jsonschema.ValidationError) -> str:
    # For anyOf/oneOf the top error says only "not valid under any"; the best sub-error says why.
    best = jsonschema.exceptions.best_match([error]) if error.context else error
    where = "/".join(str(p) for p in best.absolute_path) or "(body)"
    if len(best.message) > 200:  # the message quotes the whole value; name the rule instead
        return f"{where}: breaks {best.validator}={best.validator_value!r}"
    return f"{where}: {best.message}"


class SpecValidator:
    """Find the operation for a method and path and validate its JSON request body."""

    def __init__(self, spec: dict[str, Any]) -> None:
        spec = copy.deepcopy(spec)
        # Discord accepts a snowflake as a JSON integer too, and discord.py sends some that way
        # (message_reference.message_id); the spec lists only the string form. Accept both.
        schemas = spec["components"]["schemas"]
        schemas["SnowflakeType"] = {
            "anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]
        }
        self.spec = spec
        self.registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        # Literal segments beat parameters: ".../messages/@original" over ".../messages/{id}".
        self.routes = sorted(
            (
                (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$"), t)
                for t in spec["paths"]
            ),
            key=lambda route: -len(re.sub(r"\{[^}]+\}", "", route[1])),
        )

    def operation_schema(self, method: str, path: str) -> str | None:
        """The JSON-pointer URI of the request-body schema for this call, or None."""
        method = method.lower()
        for pattern, template in self.routes:
            if not pattern.match(path):
                continue
            operation = self.spec["paths"][template].get(method)
            content = (operation or {}).get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            parts = ("paths", template, method, "requestBody", "content", "application/json")
            pointer = "".join(f"/{_pointer_escape(p)}" for p in parts) + "/schema"
            return f"{SPEC_URI}#{quote(pointer, safe='/~')}"
        return None

    def problems(self, method: str, path: str, body: Any) -> list[str]:
        """Every way ``body`` breaks the spec for ``method path``; [] when it conforms."""
        ref = self.operation_schema(method, path)
        if ref is None:
            return [f"no JSON operation in the spec for {method} {path}"]
        validator = Draft202012Validator({"$ref": ref}, registry=self.registry)
        return [_describe(e) for e in validator.iter_errors(body)]


@cache
def load_validator() -> SpecValidator | None:
    """The validator for the spec on disk, loaded once; None when the spec is absent."""
    path = spec_path()
    if path is None:
        return None
    return SpecValidator(json.loads(path.read_text(encoding="utf-8")))


def body_problems(request: Request) -> list[str]:
    """Limit and spec problems of one captured request body."""
    if request.body is None:
        return []
    problems = {
        "message": lambda: message_problems(request.body),
        "callback": lambda: callback_problems(request.body),
        "commands": lambda: command_problems(request.body),
    }.get(request.kind, list)()
    validator = load_validator()
    if validator is not None:
        problems += validator.problems(request.method, request.path, request.body)
    return [f"{request.method} {request.path}: {p}" for p in problems]
