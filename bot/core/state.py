"""What a built engine's parts hand to the on-disk cache (``bot.core.cache``), and take back.

Each class of an engine owns its serialisation: ``to_state()`` returns a tree of dicts and lists
whose leaves are plain JSON values, numpy arrays (saved as ``.npy``), ``Lines`` (strings saved as
one text, read back with one split) or ``Rows`` (many JSON rows, saved a chunk per line so that
reading them back never holds the interpreter lock for long); ``from_state()`` rebuilds the
object from the same tree. Nothing here can run code when read: no pickle anywhere.

A state that does not fit (a missing key, a wrong type, an array of the wrong shape) raises
``StateError``; the cache then rebuilds rather than trust it.
"""

from __future__ import annotations

import dataclasses
import itertools
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


class StateError(Exception):
    """A saved state does not describe an object of this code's layout."""


class Lines(tuple[str, ...]):
    """Strings saved as one text, split on a character none of them holds (a newline, else a
    NUL; else they are saved as JSON rows): read back with one split, whatever they hold."""

    __slots__ = ()


class Rows(tuple[Any, ...]):
    """JSON rows saved a chunk per line, so each parse is short."""

    __slots__ = ()


def array_of(state: dict[str, Any], name: str, dtype: str, *, ndim: int = 1) -> np.ndarray:
    """The array ``name`` of ``state``, checked for its dtype and number of dimensions."""
    value = state.get(name)
    if not isinstance(value, np.ndarray):
        raise StateError(f"{name}: expected an array, got {type(value).__name__}")
    if value.dtype != np.dtype(dtype) or value.ndim != ndim:
        raise StateError(f"{name}: expected {ndim}-d {dtype}, got {value.ndim}-d {value.dtype}")
    return value


def rows_within(values: np.ndarray, size: int, name: str) -> np.ndarray:
    """``values`` when every one is a valid row of a table of ``size`` rows."""
    if values.size and (int(values.min()) < 0 or int(values.max()) >= size):
        raise StateError(f"{name}: a row outside 0..{size - 1}")
    return values


def pairs(rows: Sequence[Any]) -> list[tuple[Any, Any]]:
    """``Rows`` of [key, value] pairs, as (key, value) tuples."""
    return [(key, value) for key, value in rows]


# --- records: frozen dataclasses as JSON lists -------------------------------------------------


def encode_record(record: Any) -> list[Any]:
    """A record (a frozen dataclass of the knowledge base) as a list of its init fields in order;
    nested records as lists too, tuples as lists."""
    return [_encode(getattr(record, f.name)) for f in _init_fields(type(record))]


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode_record(value)
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


_DECODERS: dict[type, Callable[[Any], Any]] = {}


def record_decoder(cls: type) -> Callable[[Any], Any]:
    """A function turning what ``encode_record`` made of a ``cls`` back into one; it raises
    StateError on a row of the wrong length and TypeError or ValueError on wrong values."""
    decoder = _DECODERS.get(cls)
    if decoder is None:
        hints = typing.get_type_hints(cls)
        converters = [_converter(hints[f.name]) for f in _init_fields(cls)]
        count = len(converters)
        special = [(i, c) for i, c in enumerate(converters) if c is not None]

        def decoder(row: Any) -> Any:
            if type(row) is not list or len(row) != count:
                raise StateError(f"a {cls.__name__} record of the wrong shape")
            for i, convert in special:
                row[i] = convert(row[i])
            return cls(*row)

        _DECODERS[cls] = decoder
    return decoder


def _init_fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if f.init]


def _converter(hint: Any) -> Callable[[Any], Any] | None:
    """How to rebuild a value of type ``hint`` from JSON; None where JSON gives it as is."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        convert = _converter(inner[0]) if len(inner) == 1 else None
        if convert is None:
            return None
        return lambda v: None if v is None else convert(v)
    if origin is tuple:
        item = _converter(typing.get_args(hint)[0])
        if item is None:
            return tuple
        return lambda v: tuple(item(x) for x in v)
    if dataclasses.is_dataclass(hint):
        return record_decoder(typing.cast(type, hint))
    return None


# --- records as columns: one text or array per field -------------------------------------------


def encode_columns(records: Sequence[Any], cls: type) -> dict[str, Any]:
    """Records of ``cls`` (fields of str and tuple[str, ...] only) as one column per field:
    100,000 papers read back in a fraction of the time rows of JSON take."""
    columns: dict[str, Any] = {"count": len(records)}
    for f in _init_fields(cls):
        values = [getattr(r, f.name) for r in records]
        if _is_strings(typing.get_type_hints(cls)[f.name]):
            columns[f.name] = {
                "items": Lines(item for value in values for item in value),
                "counts": np.fromiter(map(len, values), dtype=np.int32, count=len(values)),
            }
        else:
            columns[f.name] = Lines(values)
    return columns


def decode_columns(columns: dict[str, Any], cls: type, *, shared: Sequence[str] = ()) -> list[Any]:
    """The records ``encode_columns`` saved, in order; the strings of the ``shared`` fields are
    one object per distinct value (as the loader makes them: 100k papers share a few venues)."""
    count = columns["count"]
    strings: dict[str, str] = {}
    fields: list[Sequence[Any]] = []
    for f in _init_fields(cls):
        column = columns[f.name]
        if isinstance(column, dict):
            items, counts = column["items"], array_of(column, "counts", "int32")
            if f.name in shared:
                items = [strings.setdefault(item, item) for item in items]
            if counts.size != count or int(counts.sum()) != len(items):
                raise StateError(f"{f.name}: items and counts differ")
            flat = iter(items)
            values: Sequence[Any] = [tuple(itertools.islice(flat, n)) for n in counts.tolist()]
        else:
            values = column
            if f.name in shared:
                values = [strings.setdefault(value, value) for value in values]
        if len(values) != count:
            raise StateError(f"{f.name}: {len(values)} values for {count} records")
        fields.append(values)
    return [cls(*row) for row in zip(*fields, strict=True)]


def _is_strings(hint: Any) -> bool:
    return typing.get_origin(hint) is tuple and typing.get_args(hint) == (str, ...)


# --- groups of rows: key -> sorted int32 rows, as one array ------------------------------------


def encode_groups(table: dict[Any, np.ndarray]) -> dict[str, Any]:
    """``{key: int32 rows}`` as its keys and one array of rows with each key's start (CSR)."""
    sizes = [len(v) for v in table.values()]
    starts = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    rows = [np.asarray(v, dtype=np.int32) for v in table.values()]
    return {
        "keys": Rows(table),
        "rows": np.concatenate(rows) if rows else np.empty(0, dtype=np.int32),
        "starts": starts,
    }


def decode_groups(state: dict[str, Any], size: int, name: str) -> dict[Any, np.ndarray]:
    """The table ``encode_groups`` saved, each key's rows a view of the one array, checked to
    be rows of a table of ``size``."""
    keys = state["keys"]
    rows = rows_within(array_of(state, "rows", "int32"), size, name)
    starts = array_of(state, "starts", "int64")
    if starts.size != len(keys) + 1 or int(starts[0]) != 0 or int(starts[-1]) != rows.size:
        raise StateError(f"{name}: keys and rows differ")
    if bool((np.diff(starts) < 0).any()):
        raise StateError(f"{name}: rows out of order")
    bounds = starts.tolist()
    return {key: rows[bounds[i] : bounds[i + 1]] for i, key in enumerate(keys)}
