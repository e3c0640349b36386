"""The strict YAML reader shared by the knowledge and config loaders."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.yamlio import Checker, Mark, MarkedDict, parse_yaml, read_yaml, suggest


def _parse(text: str) -> tuple[object, list[str]]:
    data, problems = parse_yaml(text, display_path="f.yaml")
    return data, [str(p) for p in problems]


def test_marks_are_one_based() -> None:
    """Keys, values and list items carry 1-based line:col marks."""
    data, problems = _parse("a: 1\nlist:\n  - x\n  - y\n")
    assert problems == []
    assert isinstance(data, MarkedDict)
    assert (data.key_marks["a"], data.value_marks["a"]) == (Mark(1, 1), Mark(1, 4))
    assert data["list"].item_marks == [Mark(3, 5), Mark(4, 5)]


def test_duplicate_key_keeps_the_first() -> None:
    """A duplicate key is reported at its second use and the first value is kept."""
    data, problems = _parse("a: 1\nb: 2\na: 3\n")
    assert problems == ["f.yaml:3:1: duplicate key 'a' (first defined at line 1)"]
    assert data == {"a": 1, "b": 2}


def test_unsafe_tag_is_a_problem_not_an_object() -> None:
    """A python/object tag is refused (safe loading only)."""
    _, problems = _parse("a: !!python/object/apply:os.system ['true']\n")
    assert problems == [
        "f.yaml:1:4: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'"
    ]


def test_aliases_and_merge_keys_are_refused() -> None:
    """Aliases (billion laughs, recursion) are refused where they are used; so are merge keys."""
    _, problems = _parse("a: &x [1]\nb: *x\n")
    assert problems == ["f.yaml:2:4: YAML anchors and aliases (&name, *name) are not supported"]
    _, problems = _parse("a: &r [*r]\n")
    assert problems == ["f.yaml:1:8: YAML anchors and aliases (&name, *name) are not supported"]
    _, problems = _parse("<<: {a: 1}\n")
    assert problems == ["f.yaml:1:1: merge keys ('<<') are not supported"]


def test_two_documents_are_a_syntax_error() -> None:
    """A second YAML document is reported where it starts."""
    assert _parse("a: 1\n---\nb: 2\n") == (
        None,
        [
            "f.yaml:2:1: invalid YAML: expected a single document in the stream, "
            "but found another document"
        ],
    )


def test_read_missing_file(tmp_path: Path) -> None:
    """A missing file is one problem without a line."""
    data, problems = read_yaml(tmp_path / "none.yaml", display_path="none.yaml")
    assert (data, [str(p) for p in problems]) == (None, ["none.yaml: file not found"])


def test_checker_types_for_config() -> None:
    """Integers reject booleans; booleans accept only true/false; URLs must be https."""
    data, _ = _parse("n: yes\nflag: on\nok: true\nurl: http://a.b\nport: 70000\n")
    assert isinstance(data, MarkedDict)
    check = Checker("c.yaml")
    assert check.integer(data, "n") is None
    assert check.boolean(data, "flag") is None
    assert check.boolean(data, "ok") is True
    assert check.url(data, "url") is None
    assert check.integer(data, "port", maximum=65535) is None
    assert [str(p) for p in check.problems] == [
        "c.yaml:1:4: n must be an integer, got the YAML boolean yes "
        "(quote it if you mean the text: 'yes')",
        "c.yaml:2:7: flag must be true or false, got 'on'",
        "c.yaml:4:6: url must be an https:// URL, got 'http://a.b'",
        "c.yaml:5:7: port must be in -inf..65535, got 70000",
    ]


def test_checker_keys() -> None:
    """Unknown keys get a suggestion; missing required keys are reported at the mapping."""
    data, _ = _parse("tokne: x\n")
    assert isinstance(data, MarkedDict)
    check = Checker("c.yaml")
    check.keys(data, allowed=("token", "guild_id"), required=("guild_id",), where="discord")
    assert [str(p) for p in check.problems] == [
        "c.yaml:1:1: discord: unknown key 'tokne' (did you mean 'token'?)",
        "c.yaml:1:1: discord: missing required key 'guild_id'",
    ]


def test_suggest_needs_a_close_match() -> None:
    """suggest() offers only close choices."""
    assert suggest("topcs", ["topics", "title"]) == "topics"
    assert suggest("zzz", ["topics", "title"]) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parse_never_raises(text: str) -> None:
    """Any text gives data or problems, never an exception."""
    _, problems = parse_yaml(text, display_path="f.yaml")
    assert all(str(p).startswith("f.yaml") for p in problems)
