"""build-knowledge: parses the sources, merges without losing curation, and is idempotent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.build import build_knowledge
from bot.cli import main
from bot.core.knowledge import load_knowledge
from bot.errors import KnowledgeError

LEFT_OUT = (
    "left out paper 60 (2411.01103, 'Can Loyalty to Creators Dilute Loyalty to Promoted "
    "Products? Examining the Heterogeneous Effects of Live-Streamed Content on Video Game "
    "Usage'): status 'different-author' in papers_meta.tsv, a different person with the same name"
)


@pytest.fixture
def shipped_copy(knowledge_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge directory, sources included."""
    target = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir, target)
    for path in target.rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)
    return target


@pytest.fixture
def sources_only(knowledge_dir: Path, tmp_path: Path) -> Path:
    """A directory holding only the raw sources, as before the first build."""
    target = tmp_path / "fresh"
    shutil.copytree(knowledge_dir / "sources", target / "sources")
    for path in (target / "sources").iterdir():
        path.chmod(0o644)
    return target


def test_first_build_from_sources(sources_only: Path) -> None:
    """From the sources alone the build writes three valid files with every record."""
    report = build_knowledge(sources_only)
    assert [(f.name, f.written, len(f.added)) for f in report.files] == [
        ("profile.yaml", True, 1),
        ("papers.yaml", True, 69),
        ("posts.yaml", True, 14),
    ]
    kb = load_knowledge(sources_only)
    assert (len(kb.papers), len(kb.posts)) == (69, 14)
    assert all(p.aliases == () and p.topics == () for p in kb.papers)  # curation is by hand


def test_rebuild_of_shipped_changes_nothing(shipped_copy: Path, knowledge_dir: Path) -> None:
    """Re-running the build on the shipped files writes nothing and keeps them byte-identical."""
    report = build_knowledge(shipped_copy)
    assert [f.written for f in report.files] == [False, False, False]
    for name in ("profile.yaml", "papers.yaml", "posts.yaml"):
        assert (shipped_copy / name).read_bytes() == (knowledge_dir / name).read_bytes()


def test_second_build_is_idempotent(sources_only: Path) -> None:
    """Two builds in a row: the second writes nothing."""
    build_knowledge(sources_only)
    before = {p.name: p.read_bytes() for p in sources_only.glob("*.yaml")}
    report = build_knowledge(sources_only)
    assert [f.written for f in report.files] == [False, False, False]
    assert {p.name: p.read_bytes() for p in sources_only.glob("*.yaml")} == before


def test_merge_keeps_curated_and_hand_edits(shipped_copy: Path) -> None:
    """Curated fields and hand edits survive; an emptied sourced field is filled again."""
    papers = shipped_copy / "papers.yaml"
    text = papers.read_text(encoding="utf-8")
    bart_title = "      BART: Denoising Sequence-to-Sequence Pre-training for Natural Language"
    assert text.count(bart_title) == 1
    text = text.replace(bart_title, "      BART (hand-edited): Denoising Sequence-to-Sequence")
    bart_venue = "    venue: ACL 2020\n    authors:\n      - Mike Lewis\n"
    assert text.count(bart_venue) == 1
    text = text.replace(bart_venue, "    venue: ''\n    authors:\n      - Mike Lewis\n")
    papers.write_text(text, encoding="utf-8")

    report = build_knowledge(shipped_copy)
    papers_report = report.files[1]
    assert papers_report.kept == ["1910.13461.title"]
    assert papers_report.filled == ["1910.13461.venue"]
    kb = load_knowledge(shipped_copy)
    bart = kb.paper("1910.13461")
    assert bart is not None
    assert bart.title.startswith("BART (hand-edited):")
    assert bart.venue == "ACL 2020"
    assert bart.aliases == ("BART",) and bart.topics == ("pretraining",)
    llama4 = kb.paper("2601.11659")
    assert llama4 is not None and "not an official Meta report" in llama4.note


def test_hand_added_record_is_kept(shipped_copy: Path) -> None:
    """A post added by hand (not in the capture) is kept by the build."""
    posts = shipped_copy / "posts.yaml"
    posts.write_text(
        posts.read_text(encoding="utf-8")
        + "  - id: 2019-10-31-2\n    date: '2019-10-31'\n    text: A hand-added test post.\n"
        "    url: https://x.com/ml_perception\n",
        encoding="utf-8",
    )
    report = build_knowledge(shipped_copy)
    assert report.files[2].hand_added == ["2019-10-31-2"]
    kb = load_knowledge(shipped_copy)
    assert kb.post("2019-10-31-2") is not None and len(kb.posts) == 15


def test_broken_yaml_stops_the_build(shipped_copy: Path) -> None:
    """A knowledge file that does not parse stops the build before anything is written."""
    (shipped_copy / "posts.yaml").write_text("posts: [\n", encoding="utf-8")
    before = (shipped_copy / "papers.yaml").read_bytes()
    with pytest.raises(KnowledgeError) as excinfo:
        build_knowledge(shipped_copy, display_dir="k")
    assert [str(p) for p in excinfo.value.problems] == [
        "k/posts.yaml:2:1: invalid YAML: expected the node content, but found '<stream end>'"
    ]
    assert (shipped_copy / "papers.yaml").read_bytes() == before


def test_missing_source_is_reported(sources_only: Path) -> None:
    """A missing raw document is named in the error."""
    (sources_only / "sources" / "abstracts.tsv").unlink()
    with pytest.raises(KnowledgeError) as excinfo:
        build_knowledge(sources_only, display_dir="k")
    assert [str(p) for p in excinfo.value.problems] == [
        "k/sources/abstracts.tsv: source file not found"
    ]


def test_cli_build_knowledge_output(
    shipped_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """build-knowledge says per file what it added and kept, and what it left out."""
    monkeypatch.chdir(shipped_copy.parent)
    assert main(["build-knowledge", "--knowledge", "knowledge"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "profile.yaml: unchanged; 1 record, 0 added, 0 fields filled, 0 hand edits and "
        "0 curated values kept, 0 hand-added records kept"
    )
    assert out[1] == (
        "papers.yaml: unchanged; 69 records, 0 added, 0 fields filled, 0 hand edits and "
        "125 curated values kept, 0 hand-added records kept"
    )
    assert out[-1] == LEFT_OUT


def test_ids_in_exclude_yaml_are_left_out_of_a_build(sources_only: Path) -> None:
    """A paper listed in exclude.yaml is never added from the sources, and the build says so."""
    (sources_only / "exclude.yaml").write_text("exclude:\n  - id: '2305.07185'\n")
    report = build_knowledge(sources_only, display_dir="fresh")
    assert report.lines()[-1] == (
        "left out paper 2305.07185 ('MEGABYTE: Predicting Million-byte Sequences with Multiscale "
        "Transformers'): listed in exclude.yaml"
    )
    kb = load_knowledge(sources_only)
    assert kb.paper("2305.07185") is None and len(kb.papers) == 68
