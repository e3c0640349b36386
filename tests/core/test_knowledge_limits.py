"""Hostile knowledge files: per-field size caps, brief echoes of bad values, symbolic links."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.knowledge import load_knowledge
from bot.errors import KnowledgeError
from tests.conftest import TINY_PAPERS, TINY_POSTS, TINY_PROFILE

BART_ABSTRACT = (
    "abstract: We present BART, a denoising autoencoder for pretraining sequence-to-sequence "
    "models."
)
LONGEST_LINE = 250  # no problem line may be longer, however long the bad value is


def _problems(
    directory: Path,
    *,
    profile: str = TINY_PROFILE,
    papers: str = TINY_PAPERS,
    posts: str = TINY_POSTS,
) -> list[str]:
    """Write the three files into ``directory`` and return the problems loading it reports."""
    for name, text in (("profile", profile), ("papers", papers), ("posts", posts)):
        path = directory / f"{name}.yaml"
        if not path.is_symlink():
            path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(directory, display_dir="k")
    return [str(p) for p in info.value.problems]


def _swap(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _aliases(n: int) -> str:
    return "aliases:\n" + "".join(f"      - Alias{i}\n" for i in range(n))


@pytest.mark.parametrize(
    ("papers", "posts", "problem"),
    [
        (
            _swap(TINY_PAPERS, BART_ABSTRACT, f"abstract: {'x' * 850_000}"),
            TINY_POSTS,
            "k/papers.yaml:35:15: paper 1910.13461: abstract is 850,000 characters long; "
            "at most 5,000 are allowed",
        ),
        (
            _swap(TINY_PAPERS, "title: 'BART: Denoising", f"title: '{'T' * 300}"),
            TINY_POSTS,
            "k/papers.yaml:29:12: paper 1910.13461: title is 334 characters long; "
            "at most 300 are allowed",
        ),
        (
            TINY_PAPERS,
            _swap(TINY_POSTS, "text: Excited", f"text: {'E' * 4_000} Excited"),
            "k/posts.yaml:16:11: post 2019-10-31-1: text is 4,077 characters long; "
            "at most 4,000 are allowed",
        ),
        (
            _swap(TINY_PAPERS, "      - MegaByte\n", f"      - {'M' * 81}\n"),
            TINY_POSTS,
            "k/papers.yaml:12:9: paper 2305.07185: aliases[0] is 81 characters long; "
            "at most 80 are allowed",
        ),
        (
            _swap(
                TINY_PAPERS,
                "    topics:\n      - pretraining",
                f"    note: {'n' * 1_001}\n    topics:\n      - pretraining",
            ),
            TINY_POSTS,
            "k/papers.yaml:38:11: paper 1910.13461: note is 1,001 characters long; "
            "at most 1,000 are allowed",
        ),
        (
            _swap(
                TINY_PAPERS,
                "      - Mike Lewis\n    url: https://arxiv.org/abs/1910",
                "".join(f"      - Author {i}\n" for i in range(101))
                + "    url: https://arxiv.org/abs/1910",
            ),
            TINY_POSTS,
            "k/papers.yaml:33:7: paper 1910.13461: authors has 101 items; at most 100 are allowed",
        ),
        (
            _swap(TINY_PAPERS, "aliases:\n      - BART\n", _aliases(21)),
            TINY_POSTS,
            "k/papers.yaml:37:7: paper 1910.13461: aliases has 21 items; at most 20 are allowed",
        ),
    ],
)
def test_each_field_is_capped(tmp_path: Path, papers: str, posts: str, problem: str) -> None:
    """A field over its cap is one problem at its line and column, naming size and limit."""
    assert _problems(tmp_path, papers=papers, posts=posts) == [problem]


def test_values_at_the_caps_load(tmp_path: Path) -> None:
    """Exactly the cap is allowed: 5,000-character abstract, 20 aliases, 80-character alias."""
    papers = _swap(TINY_PAPERS, BART_ABSTRACT, f"abstract: {'x' * 5_000}")
    papers = _swap(papers, "aliases:\n      - BART\n", _aliases(19) + f"      - {'B' * 80}\n")
    for name, text in (("profile", TINY_PROFILE), ("papers", papers), ("posts", TINY_POSTS)):
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    bart = load_knowledge(tmp_path).paper("1910.13461")
    assert bart is not None and len(bart.abstract) == 5_000 and len(bart.aliases) == 20


def test_a_huge_wrong_value_is_quoted_by_its_start(tmp_path: Path) -> None:
    """A wrong value is quoted by its first 80 characters and its length, never in full."""
    long_date = "2019-10-29 " + "y" * 900
    papers = _swap(TINY_PAPERS, "date: '2019-10-29'", f"date: '{long_date}'")
    profile = TINY_PROFILE + f"{'k' * 900}: 1\n"  # PyYAML refuses keys over 1,024
    problems = _problems(tmp_path, profile=profile, papers=papers)
    assert problems == [
        f"k/profile.yaml:10:1: profile: unknown key '{'k' * 80}'… (900 characters)",
        "k/papers.yaml:30:11: paper 1910.13461: date must be YYYY-MM-DD or YYYY-MM, got "
        f"'{long_date[:80]}'… (911 characters)",
    ]


def test_a_file_that_is_not_a_mapping_is_not_printed(tmp_path: Path) -> None:
    """A 1.3 KB text where the profile should be is named by its start, not printed whole."""
    passwd = "".join(f"user{i}:x:{i}:{i}:User:/home/user{i}:/bin/sh\n" for i in range(30))
    [problem] = _problems(tmp_path, profile=passwd)
    assert problem.startswith("k/profile.yaml:1:1: profile must be a mapping, got 'user0:x:0")
    assert problem.endswith(" characters)") and "/home/user29" not in problem
    assert len(problem) <= LONGEST_LINE


def test_a_symlink_out_of_the_folder_is_refused_unread(tmp_path: Path) -> None:
    """profile.yaml linking outside the knowledge folder is refused without reading it."""
    secret = tmp_path / "secret.txt"
    secret.write_text("name: root\nhandle: '@root'\n" + "root:x:0:0::/root:/bin/bash\n" * 50)
    folder = tmp_path / "k"
    folder.mkdir()
    (folder / "profile.yaml").symlink_to(secret)
    assert _problems(folder) == [
        "k/profile.yaml: is a symbolic link to a file outside the knowledge folder, which is "
        "refused; copy the file into the folder instead"
    ]


def test_a_symlink_inside_the_folder_and_a_linked_folder_are_allowed(tmp_path: Path) -> None:
    """Links that stay inside the folder load, and so does a folder reached through a link."""
    real = tmp_path / "real"
    (real / "versions").mkdir(parents=True)
    (real / "versions" / "papers-v2.yaml").write_text(TINY_PAPERS, encoding="utf-8")
    (real / "papers.yaml").symlink_to(real / "versions" / "papers-v2.yaml")
    (real / "profile.yaml").write_text(TINY_PROFILE, encoding="utf-8")
    (real / "posts.yaml").write_text(TINY_POSTS, encoding="utf-8")
    (tmp_path / "linked").symlink_to(real, target_is_directory=True)
    assert len(load_knowledge(tmp_path / "linked").papers) == 3


def test_a_symlink_out_of_the_folder_is_refused_in_papers_too(tmp_path: Path) -> None:
    """A file under papers/ that links outside the knowledge folder is refused the same way."""
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(TINY_PAPERS, encoding="utf-8")
    folder = tmp_path / "k"
    (folder / "papers").mkdir(parents=True)
    (folder / "papers" / "more.yaml").symlink_to(outside)
    assert _problems(folder) == [
        "k/papers/more.yaml: is a symbolic link to a file outside the knowledge folder, which "
        "is refused; copy the file into the folder instead"
    ]
