"""The one strict YAML reader: safe loading with line:col marks, duplicate keys, and field checks.

Both the knowledge loader (``bot.core.knowledge``) and the config loader (``bot.config``) use it, so
every input file reports problems the same way: ``path:line:col: what is wrong`` (1-based marks).

API
---
``read_yaml(path, *, display_path=None, max_bytes=..., inside=None) -> (data, problems)``
    Read one YAML file. ``data`` is ``None`` when the file is missing, too large, not UTF-8, empty
    or not valid YAML (the reason is in ``problems``). Otherwise mappings are ``MarkedDict`` and
    sequences ``MarkedList``; scalars are plain Python values (``str``, ``int``, ``float``,
    ``bool``, ``None``, ``datetime.date``) exactly as YAML's safe loader resolves them, so the
    checkers can reject an unquoted date or a YAML-1.1 boolean where a string is meant. Duplicate
    keys inside a mapping (PyYAML silently keeps the last one) are reported; the first value is
    kept. Only the safe loader's tags are constructed: anything else is a problem, never an object.
    ``display_path`` is the path shown in problems (default: ``str(path)``). With ``inside``
    (a directory), a file whose real path lies outside it (a symbolic link out) is refused.

``read_yaml_list(path, *, key, on_item, display_path=None, max_bytes=..., inside=None)``
    The same for a file whose top level is a mapping holding one long list under ``key`` (the
    knowledge files): each item of that list is built and handed to ``on_item(value, mark)`` as
    soon as it is read, and the list in ``data`` stays empty. Memory stays flat however long the
    file is: nothing of an item outlives ``on_item``.

``parse_yaml(text, *, display_path) -> (data, problems)``
    The same for a string already in memory (tests, or a file read elsewhere).

``MarkedDict`` (a ``dict``) carries ``mark`` (where the mapping starts), ``key_marks[key]``,
``value_marks[key]`` and ``raw[key]`` (a scalar value's source text, ``None`` for non-scalars).
``MarkedList`` (a ``list``) carries ``mark``, ``item_marks[i]`` and ``raw_items[i]``.
``Mark(line, col)`` is 1-based.

Parsing uses libyaml (PyYAML's C parser, about 10x faster) where PyYAML was built with it, and the
pure-Python parser otherwise; a syntax error is always described by the pure-Python parser, so
messages and marks are the same on every machine.

``Checker(display_path, *, limits=None)`` collects ``Problem``\\ s while reading fields out of
marked data, and with ``FieldLimits`` caps the length of each string and the items of each list:
    ``problem(mark, message)``; ``mapping(value, mark, where=...)``;
    ``keys(m, allowed=..., required=..., where=...)`` (unknown keys with a rapidfuzz "did you mean",
    missing required keys); ``string(m, key, where=..., required=True, allow_empty=False)``;
    ``url(...)`` (https only); ``integer(...)``; ``boolean(...)``; ``string_list(...)``;
    ``list_of_mappings(...)``. Each getter returns the value, or ``None`` after recording a problem.
    ``where`` prefixes the message, e.g. ``paper 2305.07185: title must not be empty``.

``suggest(word, choices) -> str | None``: the closest choice (rapidfuzz ratio >= 60), or None;
``did_you_mean(word, choices)`` formats it as `` (did you mean 'x'?)`` or "".
``describe(value, raw)`` names a loaded value for messages ("an unquoted YAML date 2023-05-15 ...").
``is_https_url(text)``: an absolute https URL with a host and no whitespace;
``has_whitespace(text)``: any whitespace at all;
``utf8_problem(data, error, path)``: where bytes stop being UTF-8, as a located ``Problem``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import yaml
from rapidfuzz import fuzz, process, utils
from yaml.constructor import SafeConstructor
from yaml.events import (
    CollectionEndEvent,
    CollectionStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from bot.core.sanitize import QUOTE_LIMIT, quoted
from bot.errors import Problem

try:  # libyaml: PyYAML's C scanner and parser, present in most wheels
    from yaml.cyaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None

DEFAULT_MAX_BYTES = 2_000_000  # far above any real config file; stops runaway input
OUTSIDE_LINK = (
    "is a symbolic link to a file outside the knowledge folder, which is refused; "
    "copy the file into the folder instead"
)

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SUGGEST_CUTOFF = 60.0
_SPACE_RE = re.compile(r"\s")  # what str.isspace() calls whitespace
_ALIASES_REFUSED = "YAML anchors and aliases (&name, *name) are not supported"

OnItem = Callable[[Any, "Mark"], None]


class Mark(NamedTuple):
    """A 1-based position in a YAML file."""

    line: int
    col: int


class MarkedDict(dict[str, Any]):
    """A YAML mapping that remembers where it, each key and each value came from."""

    __slots__ = ("key_marks", "mark", "raw", "value_marks")

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks: dict[str, Mark] = {}
        self.value_marks: dict[str, Mark] = {}
        self.raw: dict[str, str | None] = {}


class MarkedList(list[Any]):
    """A YAML sequence that remembers where it and each item came from."""

    __slots__ = ("item_marks", "mark", "raw_items")

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks: list[Mark] = []
        self.raw_items: list[str | None] = []


def read_yaml(
    path: Path,
    *,
    display_path: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    inside: Path | None = None,
) -> tuple[Any, list[Problem]]:
    """Read one YAML file strictly; return its marked data (or None) and every problem found.

    With ``inside``, a file that resolves (through symbolic links) outside that directory is
    refused unread: a link to ``/etc/passwd`` must not become the bot's knowledge.
    """
    shown = display_path if display_path is not None else str(path)
    text, problems = _read_text(path, shown, max_bytes, inside)
    if text is None:
        return None, problems
    return parse_yaml(text, display_path=shown)


def read_yaml_list(
    path: Path,
    *,
    key: str,
    on_item: OnItem,
    display_path: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    inside: Path | None = None,
) -> tuple[Any, list[Problem]]:
    """Read a file like ``read_yaml``, handing each item of its top-level ``key`` list to
    ``on_item(value, mark)`` as it is read instead of keeping it (that list stays empty)."""
    shown = display_path if display_path is not None else str(path)
    text, problems = _read_text(path, shown, max_bytes, inside)
    if text is None:
        return None, problems
    return _parse(text, shown, stream=(key, on_item))


def _read_text(
    path: Path, shown: str, max_bytes: int, inside: Path | None
) -> tuple[str | None, list[Problem]]:
    try:
        if not path.exists():
            return None, [Problem(shown, None, None, "file not found")]
        if inside is not None and not path.resolve().is_relative_to(inside.resolve()):
            return None, [Problem(shown, None, None, OUTSIDE_LINK)]
        if not path.is_file():
            return None, [Problem(shown, None, None, "not a regular file")]
        size = path.stat().st_size
        if size > max_bytes:
            return None, [
                Problem(shown, None, None, f"file is too large ({size} bytes, limit {max_bytes})")
            ]
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return None, [Problem(shown, None, None, f"cannot read file: {exc.strerror or exc}")]
    if len(data) > max_bytes:  # the file grew between stat() and read()
        return None, [Problem(shown, None, None, f"file is too large (limit {max_bytes} bytes)")]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [utf8_problem(data, exc, shown)]


def utf8_problem(data: bytes, error: UnicodeDecodeError, path: str) -> Problem:
    """Where ``data`` stops being UTF-8, as a located problem (line and column, 1-based)."""
    line = data.count(b"\n", 0, error.start) + 1
    line_start = data.rfind(b"\n", 0, error.start) + 1
    col = len(data[line_start : error.start].decode("utf-8", errors="replace")) + 1
    bad = data[error.start : error.start + 1].hex()
    return Problem(path, line, col, f"not valid UTF-8 (byte 0x{bad})")


def parse_yaml(text: str, *, display_path: str) -> tuple[Any, list[Problem]]:
    """Parse YAML text strictly; return its marked data (or None) and every problem found."""
    return _parse(text, display_path, stream=None)


def _parse(
    text: str, display_path: str, *, stream: tuple[str, OnItem] | None
) -> tuple[Any, list[Problem]]:
    text = text.removeprefix("\ufeff")
    # The pure reader's own check, run first so libyaml never sees what it would word differently.
    bad = Reader.NON_PRINTABLE.search(text)
    if bad is not None:
        line, col = _position(text, bad.start())
        problem = f"invalid YAML: {_char(bad.group())} is not allowed"
        return None, [Problem(display_path, line, col, problem)]
    parser = _parser(text)
    builder = _Builder(display_path, parser)
    try:
        data = builder.document(stream)
    except yaml.MarkedYAMLError as exc:
        return None, [*builder.problems, _syntax_problem(text, display_path, exc)]
    except RecursionError:
        return None, [Problem(display_path, None, None, "invalid YAML: nested too deeply")]
    finally:
        parser.dispose()
    return data, builder.problems


def _syntax_problem(text: str, display_path: str, exc: yaml.MarkedYAMLError) -> Problem:
    """Describe a syntax error as the pure-Python parser words it, wherever it was found."""
    if CParser is not None:
        try:
            for _ in yaml.parse(text, Loader=yaml.SafeLoader):
                pass
        except yaml.MarkedYAMLError as pure:
            exc = pure
        except RecursionError:
            pass
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and problem.startswith("but "):  # "expected a single document, but ..."
        problem = f"{exc.context}, {problem}"
    if mark is None:  # pragma: no cover - every PyYAML syntax error carries a mark
        return Problem(display_path, None, None, f"invalid YAML: {problem}")
    return Problem(display_path, mark.line + 1, mark.column + 1, f"invalid YAML: {problem}")


def _char(character: str) -> str:
    return f"control character U+{ord(character):04X}"


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


class _PureParser(Reader, Scanner, Parser):
    """Events from PyYAML's pure-Python scanner and parser."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)


def _parser(text: str) -> Any:
    return _PureParser(text) if CParser is None else CParser(text)


class _Merge:
    """What a merge key ('<<') builds to: refused, and its value skipped."""


_MERGE = _Merge()


class _Builder:
    """Build MarkedDict/MarkedList/scalars straight from parser events, noting every problem.

    Building from events rather than from a composed node tree keeps nothing but the value being
    built: a long list's items can be handed on one by one. Aliases (``*name``) are refused where
    they are used: they allow recursive structures and "billion laughs" blow-ups, and no knowledge
    or config file needs them. Anchors alone are harmless and ignored.
    """

    def __init__(self, display_path: str, parser: Any) -> None:
        self.path = display_path
        self.problems: list[Problem] = []
        self._parser = parser
        self._resolver = Resolver()
        self._constructor = SafeConstructor()  # for the scalars that are not plain strings

    def _problem(self, mark: Mark, message: str) -> None:
        self.problems.append(Problem(self.path, mark.line, mark.col, message))

    def document(self, stream: tuple[str, OnItem] | None) -> Any:
        """Build the stream's single document (None when empty), streaming one list if asked."""
        parser = self._parser
        parser.get_event()  # StreamStartEvent
        if parser.check_event(StreamEndEvent):
            return None
        start = parser.get_event()  # DocumentStartEvent
        data = self.value(stream)[0]
        parser.get_event()  # DocumentEndEvent
        if not parser.check_event(StreamEndEvent):
            event = parser.get_event()
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                start.start_mark,
                "but found another document",
                event.start_mark,
            )
        return data

    def value(self, stream: tuple[str, OnItem] | None = None) -> tuple[Any, Mark, str | None]:
        """Build the next value: (value, where it starts, a scalar's source text or None)."""
        event = self._parser.get_event()
        mark = Mark(event.start_mark.line + 1, event.start_mark.column + 1)
        kind = type(event)
        if kind is ScalarEvent:
            return self._scalar(event, mark), mark, event.value
        if kind is MappingStartEvent:
            self._check_tag(event, yaml.MappingNode, _MAP_TAG, mark)
            return self._mapping(mark, stream), mark, None
        if kind is SequenceStartEvent:
            self._check_tag(event, yaml.SequenceNode, _SEQ_TAG, mark)
            return self._sequence(mark), mark, None
        self._problem(mark, _ALIASES_REFUSED)  # an AliasEvent: nothing else starts a value
        return None, mark, None

    def _check_tag(self, event: Any, kind: type[yaml.Node], expected: str, mark: Mark) -> None:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._resolver.resolve(kind, None, event.implicit)
        if tag != expected:
            self._problem(mark, f"unsupported YAML tag {quoted(tag)}")

    def _scalar(self, event: Any, mark: Mark) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR_TAG:
            return event.value  # what the safe constructor would return, without its overhead
        if tag == _MERGE_TAG:
            self._problem(mark, "merge keys ('<<') are not supported")
            return _MERGE
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self._problem(mark, f"unsupported YAML value: {exc.problem}")
            return None
        finally:
            self._constructor.constructed_objects.clear()  # it caches by node: keep none alive

    def _skip(self) -> None:
        """Read past one value without building it."""
        depth = 0
        while True:
            event = self._parser.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            if depth == 0:
                return

    def _mapping(self, mark: Mark, stream: tuple[str, OnItem] | None) -> MarkedDict:
        parser = self._parser
        result = MarkedDict(mark)
        while not parser.check_event(MappingEndEvent):
            key, key_mark, _ = self.value()
            if key is _MERGE:
                self._skip()
                continue
            if not isinstance(key, str):
                self._problem(key_mark, f"mapping key must be a string, got {describe(key)}")
                self._skip()
                continue
            if key in result:
                first = result.key_marks[key]
                self._problem(
                    key_mark, f"duplicate key {quoted(key)} (first defined at line {first.line})"
                )
                self._skip()
                continue
            if stream is not None and key == stream[0] and parser.check_event(SequenceStartEvent):
                event = parser.get_event()
                value_mark = Mark(event.start_mark.line + 1, event.start_mark.column + 1)
                self._check_tag(event, yaml.SequenceNode, _SEQ_TAG, value_mark)
                value, raw = self._sequence(value_mark, on_item=stream[1]), None
            else:
                value, value_mark, raw = self.value()
            result[key] = value
            result.key_marks[key] = key_mark
            result.value_marks[key] = value_mark
            result.raw[key] = raw
        parser.get_event()  # MappingEndEvent
        return result

    def _sequence(self, mark: Mark, *, on_item: OnItem | None = None) -> MarkedList:
        """A list; with ``on_item``, each item goes there once built and the list stays empty."""
        parser = self._parser
        items = MarkedList(mark)
        while not parser.check_event(SequenceEndEvent):
            value, item_mark, raw = self.value()
            if on_item is not None:
                on_item(value, item_mark)
                continue
            items.append(value)
            items.item_marks.append(item_mark)
            items.raw_items.append(raw)
        parser.get_event()  # SequenceEndEvent
        return items


def describe(value: Any, raw: str | None = None) -> str:
    """Describe a loaded YAML value for an error message, naming YAML's surprising conversions.

    Only the first ``QUOTE_LIMIT`` characters of a value are quoted (see ``quoted``).
    """
    if isinstance(value, str):
        return quoted(value)
    shown = raw if raw is not None else str(value)
    if len(shown) > QUOTE_LIMIT:
        shown = f"{shown[:QUOTE_LIMIT]}…"
    if isinstance(value, bool):
        return f"the YAML boolean {shown} (quote it if you mean the text: '{shown}')"
    if isinstance(value, dt.date):  # datetime is a date too
        return f"an unquoted YAML date {shown} (quote it: '{shown}')"
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, int | float):
        return f"the number {shown} (quote it if you mean the text: '{shown}')"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """Return the choice closest to ``word``, or None when nothing is close."""
    found = process.extractOne(
        word,
        list(choices),
        scorer=fuzz.ratio,
        processor=utils.default_process,
        score_cutoff=_SUGGEST_CUTOFF,
    )
    return None if found is None else str(found[0])


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return " (did you mean 'x'?)" for the closest choice, or "" when nothing is close."""
    best = suggest(word, choices)
    return "" if best is None else f" (did you mean {best!r}?)"


def _label(where: str, key: str) -> str:
    return f"{where}: {key}" if where else key


@dataclass(frozen=True, slots=True)
class FieldLimits:
    """Size caps a ``Checker`` enforces by key name: characters per string, items per list.

    For a list key, ``lengths`` caps each item. A key absent from a table gets the default
    (None: no cap).
    """

    lengths: Mapping[str, int]
    items: Mapping[str, int]
    default_length: int | None = None
    default_items: int | None = None

    def length(self, key: str) -> int | None:
        """The most characters a string at ``key`` (or each item of a list there) may have."""
        return self.lengths.get(key, self.default_length)

    def count(self, key: str) -> int | None:
        """The most items the list at ``key`` may hold."""
        return self.items.get(key, self.default_items)


class Checker:
    """Read typed fields out of marked YAML data, collecting every problem instead of raising."""

    def __init__(self, display_path: str, *, limits: FieldLimits | None = None) -> None:
        self.path = display_path
        self.problems: list[Problem] = []
        self.limits = limits

    def _too_long(self, mark: Mark, label: str, key: str, value: str) -> bool:
        """Report ``value`` if longer than the cap for ``key``; True when it was."""
        limit = self.limits.length(key) if self.limits is not None else None
        if limit is None or len(value) <= limit:
            return False
        self.problem(
            mark, f"{label} is {len(value):,} characters long; at most {limit:,} are allowed"
        )
        return True

    def problem(self, mark: Mark | None, message: str) -> None:
        """Record one problem at ``mark`` (None: the file as a whole)."""
        if mark is None:
            self.problems.append(Problem(self.path, None, None, message))
        else:
            self.problems.append(Problem(self.path, mark.line, mark.col, message))

    def mapping(self, value: Any, mark: Mark | None, *, where: str) -> MarkedDict | None:
        """Return ``value`` if it is a mapping, else record a problem."""
        if isinstance(value, MarkedDict):
            return value
        self.problem(mark, f"{where} must be a mapping, got {describe(value)}")
        return None

    def sequence(self, value: Any, mark: Mark | None, *, where: str) -> MarkedList | None:
        """Return ``value`` if it is a list, else record a problem."""
        if isinstance(value, MarkedList):
            return value
        self.problem(mark, f"{where} must be a list, got {describe(value)}")
        return None

    def keys(
        self,
        m: MarkedDict,
        *,
        allowed: Iterable[str],
        required: Iterable[str] = (),
        where: str = "",
    ) -> None:
        """Report unknown keys (with a "did you mean") and missing required keys."""
        allowed = tuple(allowed)
        for key in m:
            if key not in allowed:
                self.problem(
                    m.key_marks[key],
                    f"{_label(where, 'unknown key')} {quoted(key)}{did_you_mean(key, allowed)}",
                )
        for key in required:
            if key not in m:
                self.problem(m.mark, f"{_label(where, 'missing required key')} {key!r}")

    def _present(self, m: MarkedDict, key: str, *, required: bool) -> bool:
        # Missing required keys are reported once, by keys(); here absence just means "no value".
        # An optional key left empty (``venue:``) counts as absent; a required one is a type error.
        return key in m and not (m[key] is None and not required)

    def string(
        self,
        m: MarkedDict,
        key: str,
        *,
        where: str = "",
        required: bool = True,
        allow_empty: bool = False,
    ) -> str | None:
        """Return the string at ``key``; reject other types, unquoted dates and booleans, and ""."""
        if not self._present(m, key, required=required):
            return None
        value = m[key]
        if not isinstance(value, str):
            self.problem(
                m.value_marks[key],
                f"{_label(where, key)} must be a string, got {describe(value, m.raw[key])}",
            )
            return None
        if not allow_empty and not value.strip():
            self.problem(m.value_marks[key], f"{_label(where, key)} must not be empty")
            return None
        if self._too_long(m.value_marks[key], _label(where, key), key, value):
            return None
        return value

    def url(self, m: MarkedDict, key: str, *, where: str = "", required: bool = True) -> str | None:
        """Return the https URL at ``key``; anything else (http, no host, spaces) is a problem."""
        value = self.string(m, key, where=where, required=required)
        if value is None:
            return None
        if not is_https_url(value):
            self.problem(
                m.value_marks[key],
                f"{_label(where, key)} must be an https:// URL, got {quoted(value)}",
            )
            return None
        return value

    def integer(
        self,
        m: MarkedDict,
        key: str,
        *,
        where: str = "",
        required: bool = True,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        """Return the integer at ``key`` (a YAML boolean is not an integer), within the bounds."""
        if not self._present(m, key, required=required):
            return None
        value = m[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(
                m.value_marks[key],
                f"{_label(where, key)} must be an integer, got {describe(value, m.raw[key])}",
            )
            return None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            low = "-inf" if minimum is None else str(minimum)
            high = "inf" if maximum is None else str(maximum)
            bounds = f"{low}..{high}"
            self.problem(
                m.value_marks[key], f"{_label(where, key)} must be in {bounds}, got {value}"
            )
            return None
        return value

    def boolean(
        self, m: MarkedDict, key: str, *, where: str = "", required: bool = True
    ) -> bool | None:
        """Return the boolean at ``key``; only ``true``/``false``, never yes/no/on/off."""
        if not self._present(m, key, required=required):
            return None
        value, raw = m[key], m.raw[key]
        if not isinstance(value, bool) or (raw or "").lower() not in ("true", "false"):
            shown = repr(raw) if isinstance(value, bool) else describe(value, raw)
            self.problem(
                m.value_marks[key], f"{_label(where, key)} must be true or false, got {shown}"
            )
            return None
        return value

    def string_list(
        self, m: MarkedDict, key: str, *, where: str = "", required: bool = True
    ) -> list[str] | None:
        """Return the list of non-empty strings at ``key``, reporting each bad item at its mark."""
        if not self._present(m, key, required=required):
            return None
        items = self.sequence(m[key], m.value_marks[key], where=_label(where, key))
        if items is None:
            return None
        most = self.limits.count(key) if self.limits is not None else None
        if most is not None and len(items) > most:
            self.problem(
                m.value_marks[key],
                f"{_label(where, key)} has {len(items):,} items; at most {most:,} are allowed",
            )
            return None
        longest = self.limits.length(key) if self.limits is not None else None
        result: list[str] = []
        for i, item in enumerate(items):
            if isinstance(item, str) and item.strip():
                if longest is None or len(item) <= longest:
                    result.append(item)
                else:
                    self._too_long(items.item_marks[i], f"{_label(where, key)}[{i}]", key, item)
                continue
            label = f"{_label(where, key)}[{i}]"  # only for problems: lists can be long
            if not isinstance(item, str):
                self.problem(
                    items.item_marks[i],
                    f"{label} must be a string, got {describe(item, items.raw_items[i])}",
                )
            else:
                self.problem(items.item_marks[i], f"{label} must not be empty")
        return result

    def list_of_mappings(
        self, m: MarkedDict, key: str, *, where: str = "", required: bool = True
    ) -> list[MarkedDict] | None:
        """Return the mappings listed at ``key``; a non-mapping item is a problem."""
        if not self._present(m, key, required=required):
            return None
        items = self.sequence(m[key], m.value_marks[key], where=_label(where, key))
        if items is None:
            return None
        result: list[MarkedDict] = []
        for i, item in enumerate(items):
            found = self.mapping(item, items.item_marks[i], where=f"{_label(where, key)}[{i}]")
            if found is not None:
                result.append(found)
        return result


def has_whitespace(text: str) -> bool:
    """Return True if ``text`` holds any character ``str.isspace()`` calls whitespace."""
    return _SPACE_RE.search(text) is not None


def is_https_url(value: str) -> bool:
    """Return True for an absolute https URL with a host and no whitespace."""
    if has_whitespace(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname)
