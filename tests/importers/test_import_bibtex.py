"""Tests for bot.importers.bibtex: parsing with line numbers, matching, and what may be filled."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.knowledge import load_knowledge
from bot.core.models import KnowledgeBase
from bot.errors import KnowledgeError
from bot.importers.arxiv import import_feed
from bot.importers.bibtex import import_bibtex, parse_bibtex
from tests.importers.conftest import REAL_BIB, SECOND_BIB, SECOND_FEED


def _second_kb(second_dir: Path) -> KnowledgeBase:
    return import_feed(load_knowledge(second_dir), SECOND_FEED.read_bytes(), source="f").kb


def test_entries_name_their_arxiv_id_doi_and_published_venue() -> None:
    """arXiv ids come from eprint, a CoRR volume or an arXiv journal; only published entries
    give a venue, with the year appended."""
    entries = {e.key: e for e in parse_bibtex(REAL_BIB.read_text(), source="real.bib")}
    bart = entries["lewis2020bart"]
    assert (bart.line, bart.arxiv_id, bart.venue) == (5, "", "ACL 2020")
    assert bart.title.startswith("BART: Denoising Sequence-to-Sequence Pre-training for Natural")
    assert entries["obrien2023contrastive"].arxiv_id == "2309.09117"
    assert entries["DBLP:journals/corr/abs-2208-03306"].arxiv_id == "2208.03306"
    assert entries["DBLP:journals/corr/abs-2208-03306"].venue == ""  # CoRR is arXiv
    assert entries["tong2026beyond"].arxiv_id == "2603.03276"
    assert entries["shi2023autoreply"].venue == "Findings of EMNLP 2023"
    second = {e.key: e for e in parse_bibtex(SECOND_BIB.read_text(), source="s.bib")}
    tidal = second["example2025tidal"]
    assert tidal.doi == "10.5555/tidal.2025.0001"
    assert tidal.venue == "International Conference on Learning Representations (ICLR) 2025"
    assert second["example2024talk"].venue == ""  # @misc is not a publication venue


def test_real_bib_matches_by_id_and_fuzzy_title_and_reports_the_rest(real_copy: Path) -> None:
    """Every entry finds its paper (a renamed title fuzzily); the namesake's is excluded."""
    kb = load_knowledge(real_copy)
    result = import_bibtex(kb, parse_bibtex(REAL_BIB.read_text(), source="real.bib"), source="b")
    report = result.report
    assert [(c.id, c.status, c.note) for c in report.changes] == [
        ("1910.13461", "unchanged", "@lewis2020bart (line 5), matched by title (100)"),
        ("2208.07339", "unchanged", "@dettmers2022gpt3int8 (line 15), matched by title (94)"),
        ("2211.12615", "unchanged", "@shi2023autoreply (line 23), matched by title (89)"),
        ("2309.09117", "unchanged", ""),
        ("2208.03306", "unchanged", ""),
        ("2603.03276", "unchanged", ""),
    ]
    assert report.unmatched == ["@jo2024loyalty (line 60): arXiv id 2411.01103 is in exclude.yaml"]
    assert report.ambiguous == []
    assert result.kb == kb


def test_published_entry_fills_a_missing_venue_and_never_overwrites(real_copy: Path) -> None:
    """A blank venue is filled from the entry; a different existing venue is kept and said so."""
    kb = load_knowledge(real_copy)
    papers = []
    for p in kb.papers:
        if p.id == "1910.13461":
            p = replace(p, venue="")
        elif p.id == "2208.07339":
            p = replace(p, venue="NeurIPS 2022 (oral)")
        papers.append(p)
    edited = replace(kb, papers=tuple(papers))
    entries = parse_bibtex(REAL_BIB.read_text(), source="real.bib")
    result = import_bibtex(edited, entries, source="b")
    changes = {c.id: c for c in result.report.changes}
    assert (changes["1910.13461"].status, changes["1910.13461"].filled) == ("changed", ("venue",))
    assert changes["2208.07339"].kept == ("venue",)
    bart = result.kb.paper("1910.13461")
    assert bart is not None and bart.venue == "ACL 2020"
    assert bart.aliases == ("BART",) and bart.topics
    int8 = result.kb.paper("2208.07339")
    assert int8 is not None and int8.venue == "NeurIPS 2022 (oral)"


def test_doi_match_fills_venue_and_ambiguous_titles_are_reported(second_dir: Path) -> None:
    """A DOI finds its paper; a title two papers share is reported, not guessed."""
    kb = _second_kb(second_dir)
    entries = parse_bibtex(SECOND_BIB.read_text(), source="s.bib")
    report = import_bibtex(kb, entries, source="s.bib").report
    assert [(c.id, c.status, c.filled, c.note) for c in report.changes] == [
        ("2413.01001", "changed", ("venue",), "@example2025tidal (line 4), matched by DOI"),
        (
            "2413.02002",
            "changed",
            ("venue", "doi"),
            "@mock2024widgets (line 13), matched by title (98)",
        ),
    ]
    assert report.ambiguous == [
        "@example2023counting (line 22): the title matches papers 2413.04004 (100), "
        "2413.03003 (100); add its arXiv id or DOI"
    ]
    assert report.unmatched == [
        "@example2024talk (line 29): no paper with a title like 'Waves, Heads and Long Inputs'"
    ]


def test_syntax_errors_and_duplicate_keys_name_their_lines() -> None:
    """Every block bibtexparser cannot read is reported with its line; nothing is returned."""
    text = (
        "@article{good, title = {A}, year = 2020}\n\n"
        "@article{broken,\n  title = {Missing brace,\n  year = 2020\n}\n\n"
        "@misc{good, title = {B}}\n"
    )
    with pytest.raises(KnowledgeError) as info:
        parse_bibtex(text, source="refs.bib")
    lines = [str(p) for p in info.value.problems]
    assert lines[0].startswith("refs.bib:3: cannot parse this entry: ")
    assert lines[1] == "refs.bib:8: duplicate entry key 'good'"
