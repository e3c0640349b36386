"""Parsers of the raw documents, on the real copies and on small handmade variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.models import QuotedPost, Thread
from bot.core.sources import (
    combine_papers,
    parse_abstracts,
    parse_arxiv_listing,
    parse_papers_meta,
    parse_profile_capture,
)
from bot.errors import KnowledgeError

SOURCES = Path(__file__).resolve().parents[2] / "knowledge" / "sources"

HEADER = """\
Log inSign up
Mike Lewis
user avatar
Mike Lewis
@ml_perception
Llama3 pre-training lead. Partially to blame for things like BART & kNN-LM.
Seattle
Joined September 2019
"""


def _capture(*posts: str) -> str:
    """A profile capture with the given post blocks, then page chrome."""
    return HEADER + "".join(posts) + "Advertisement\n"


def _read(name: str) -> str:
    return (SOURCES / name).read_text(encoding="utf-8")


# --- the real documents --------------------------------------------------------------------------


def test_real_capture_profile() -> None:
    """The real capture gives the profile fields and the works the bio names."""
    profile, _ = parse_profile_capture(_read("x_profile.txt"), source="x_profile.txt")
    assert (profile.name, profile.handle, profile.location, profile.joined) == (
        "Mike Lewis",
        "@ml_perception",
        "Seattle",
        "2019-09",
    )
    assert profile.url == "https://x.com/ml_perception"
    assert profile.works[0] == "Cicero Diplomacy bot" and profile.works[-1] == "Deal Or No Deal"


def test_real_capture_posts() -> None:
    """The real capture holds 14 posts with derived ids; chrome and view counts are dropped."""
    _, posts = parse_profile_capture(_read("x_profile.txt"), source="x_profile.txt")
    assert len(posts) == 14
    assert len({p.id for p in posts}) == 14
    assert all("63K" not in p.text and "Image" not in p.text for p in posts)
    by_id = {p.id: p for p in posts}
    last = by_id["2022-11-22-5"]
    assert last.thread == Thread(id="2022-11-22-thread", position=5, total=5)
    assert last.links == ("science.org/doi/10.1126/sc…",)  # kept as displayed, never completed
    assert last.text.endswith("Paper here: science.org/doi/10.1126/sc…")  # marker "5/5" removed
    marge = by_id["2020-06-29-1"]
    assert marge.thread == Thread(id="2020-06-29-thread", position=1, total=6)
    megabyte = by_id["2023-05-15-1"]
    assert megabyte.thread == Thread(id="2023-05-15-thread", position=1, total=None)


def test_real_listing_and_tsvs_combine() -> None:
    """The listing, metadata and abstracts join into his 69 papers, leaving out paper 60."""
    papers, excluded = combine_papers(
        parse_arxiv_listing(_read("arxiv_listing.txt"), source="arxiv_listing.txt"),
        parse_papers_meta(_read("papers_meta.tsv"), source="papers_meta.tsv"),
        parse_abstracts(_read("abstracts.tsv"), source="abstracts.tsv"),
        meta_source="papers_meta.tsv",
        abstracts_source="abstracts.tsv",
    )
    assert len(papers) == 69
    assert [(row.index, row.arxiv_id) for row in excluded] == [(60, "2411.01103")]
    bart = next(p for p in papers if p.id == "1910.13461")
    assert (bart.date, bart.venue, bart.authors[0]) == ("2019-10-29", "ACL 2020", "Mike Lewis")
    assert bart.url == "https://arxiv.org/abs/1910.13461"
    assert bart.abstract.startswith("We present BART, a denoising autoencoder")


# --- handmade variants ---------------------------------------------------------------------------


def test_post_with_quote() -> None:
    """A quoted post is kept apart from his words, and its image and views are dropped."""
    text = _capture(
        "  • user avatar\n    Mike Lewis\n    @ml_perception\n    Mar 24, 2020\n"
        "    BART is now ridiculously easy to use.\n"
        "    user avatar\n    Hugging Face\n    @huggingface\n    Mar 24, 2020\n"
        "    Hang out with BART.\n    Image\n    12K\n"
    )
    _, (post,) = parse_profile_capture(text, source="cap.txt")
    assert post.text == "BART is now ridiculously easy to use."
    assert post.quoted == QuotedPost(
        handle="@huggingface", name="Hugging Face", date="2020-03-24", text="Hang out with BART."
    )


def test_reply_and_thread_marker() -> None:
    """A reply records whom it answers; a "(2/6)" marker becomes the thread position."""
    text = _capture(
        "  • user avatar\n    Mike Lewis\n    @ml_perception\n    Jun 29, 2020\n"
        "    Replying to @ml_perception\n    We retrieve related documents. (2/6)\n"
    )
    _, (post,) = parse_profile_capture(text, source="cap.txt")
    assert (post.id, post.reply_to, post.text) == (
        "2020-06-29-1",
        "@ml_perception",
        "We retrieve related documents.",
    )
    assert post.thread == Thread(id="2020-06-29-thread", position=2, total=6)


def test_link_card() -> None:
    """A link card gives the site as a link and its title; its summary is not his text."""
    text = _capture(
        "  • user avatar\n    Mike Lewis\n    @ml_perception\n    Apr 18, 2024\n"
        "    Excited to share a preview of Llama3.\n    Image\n    ai.meta.com\n"
        "    Introducing Meta Llama 3\n    Today, we're introducing Meta Llama 3...\n    63K\n"
    )
    _, (post,) = parse_profile_capture(text, source="cap.txt")
    assert (post.text, post.links, post.link_title) == (
        "Excited to share a preview of Llama3.",
        ("ai.meta.com",),
        "Introducing Meta Llama 3",
    )


def test_quoted_post_from_deleted_account() -> None:
    """A quote of a deleted account keeps no invented text, only a note."""
    text = _capture(
        "  • user avatar\n    Mike Lewis\n    @ml_perception\n    Aug 27, 2021\n"
        "    Some people still complain.\n"
        "    This Post is from an account that no longer exists. Learn more\n"
    )
    _, (post,) = parse_profile_capture(text, source="cap.txt")
    assert post.quoted is not None
    assert (post.quoted.handle, post.quoted.text) == ("", "")
    assert "no longer exists" in post.quoted.note


def test_same_day_ids_follow_thread_order() -> None:
    """On one day, thread posts are numbered by position, then the rest in capture order."""
    block = "  • user avatar\n    Mike Lewis\n    @ml_perception\n    Nov 22, 2022\n    {}\n"
    text = _capture(block.format("Third. 2/2"), block.format("Aside."), block.format("First. 1/2"))
    _, posts = parse_profile_capture(text, source="cap.txt")
    assert [(p.id, p.text) for p in posts] == [
        ("2022-11-22-1", "First."),
        ("2022-11-22-2", "Third."),
        ("2022-11-22-3", "Aside."),
    ]


def test_missing_date_names_the_line() -> None:
    """A post without its date fails with the capture's line number."""
    text = _capture(
        "  • user avatar\n    Mike Lewis\n    @ml_perception\n    Just some text without a date\n"
    )
    with pytest.raises(KnowledgeError) as excinfo:
        parse_profile_capture(text, source="cap.txt")
    assert [str(p) for p in excinfo.value.problems] == [
        "cap.txt:12: post at line 9: expected a date like 'Nov 22, 2022' after the handle, "
        "got 'Just some text without a date'"
    ]


def test_listing_count_mismatch() -> None:
    """The listing's header count must match the papers found."""
    text = "Mike Lewis\n2 papers on arXiv\nA\nB\nC\nD\nTitle one\nAbstract one...\n"
    with pytest.raises(KnowledgeError) as excinfo:
        parse_arxiv_listing(text, source="listing.txt")
    assert [str(p) for p in excinfo.value.problems] == [
        "listing.txt:2: header says 2 papers, found 1"
    ]


def test_meta_bad_date_names_the_line() -> None:
    """A metadata row with a bad date is reported at its line."""
    text = (
        "index\ttitle\tarxiv_id\tdate\tvenue\tauthors\tstatus\n"
        "1\tBART\t1910.13461\t29 Oct 2019\tACL 2020\tMike Lewis\tverified\n"
    )
    with pytest.raises(KnowledgeError) as excinfo:
        parse_papers_meta(text, source="meta.tsv")
    assert [str(p) for p in excinfo.value.problems] == [
        "meta.tsv:2: date must be YYYY-MM-DD or YYYY-MM, got '29 Oct 2019'"
    ]
