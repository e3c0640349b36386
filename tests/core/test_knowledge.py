"""The knowledge loader: the shipped files load exactly, and each rule reports path:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.core.knowledge import load_knowledge, summarize
from bot.core.models import KnowledgeBase
from bot.core.schema import TOPICS
from bot.errors import KnowledgeError
from tests.conftest import TINY_PAPERS, TINY_POSTS, TINY_PROFILE

SHIPPED_SUMMARY = (
    "knowledge OK: 1 profile, 69 papers, 14 posts, 16 topics; "
    "newest paper 2026-05-02, newest post 2024-04-19"
)


def _problems(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    profile: str = TINY_PROFILE,
    papers: str = TINY_PAPERS,
    posts: str = TINY_POSTS,
) -> list[str]:
    """Write the three files under tmp_path/k and return the problems loading 'k' reports."""
    directory = tmp_path / "k"
    directory.mkdir(exist_ok=True)
    for name, text in (("profile", profile), ("papers", papers), ("posts", posts)):
        (directory / f"{name}.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(KnowledgeError) as excinfo:
        load_knowledge(Path("k"))
    return [str(p) for p in excinfo.value.problems]


def _swap(text: str, old: str, new: str) -> str:
    """Replace one exact occurrence, failing loudly if the fixture changed under the test."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


# --- the shipped knowledge -----------------------------------------------------------------------


def test_shipped_knowledge_counts(kb: KnowledgeBase) -> None:
    """The shipped files hold his 69 papers, 14 posts and the profile."""
    assert (len(kb.papers), len(kb.posts)) == (69, 14)
    assert kb.profile.handle == "@ml_perception"
    assert kb.profile.joined == "2019-09"
    assert kb.profile.works == (
        "Cicero Diplomacy bot",
        "BART",
        "RoBERTa",
        "attention sinks",
        "kNN-LM",
        "top-k sampling",
        "Deal Or No Deal",
    )


def test_shipped_summary(kb: KnowledgeBase) -> None:
    """summarize() gives the counts and newest dates as one line."""
    assert str(summarize(kb)) == SHIPPED_SUMMARY


def test_shipped_papers_are_complete(kb: KnowledgeBase) -> None:
    """Every paper has its arXiv url, authors, abstract and 1-3 topics from TOPICS."""
    for paper in kb.papers:
        assert paper.url == f"https://arxiv.org/abs/{paper.id}"
        assert paper.authors and paper.abstract
        assert 1 <= len(paper.topics) <= 3 and set(paper.topics) <= set(TOPICS)
    assert set(kb.topics) == set(TOPICS)


def test_shipped_excludes_the_other_mike_lewis(kb: KnowledgeBase) -> None:
    """Paper 60 of the listing (a marketing professor's) is not in the knowledge base."""
    assert kb.paper("2411.01103") is None


def test_shipped_llama4_carries_a_note(kb: KnowledgeBase) -> None:
    """The doubtful Llama 4 write-up is kept, with a note saying why it is doubtful."""
    paper = kb.paper("2601.11659")
    assert paper is not None
    assert "not an official Meta report" in paper.note


def test_shipped_aliases(kb: KnowledgeBase) -> None:
    """The short names people use resolve to the right papers."""
    by_alias = {alias: p.id for p in kb.papers for alias in p.aliases}
    assert by_alias["BART"] == "1910.13461"
    assert by_alias["kNN-LM"] == "1911.00172"
    assert by_alias["ALiBi"] == "2108.12409"
    assert by_alias["StreamingLLM"] == "2309.17453"
    assert by_alias["LLM.int8()"] == "2208.07339"


def test_shipped_diplomacy_thread(kb: KnowledgeBase) -> None:
    """The 2022-11-22 Diplomacy thread has positions 1..5 of 5; the backstab post has none."""
    thread = sorted(
        (p.thread.position, p.thread.total)
        for p in kb.posts
        if p.thread is not None and p.thread.id == "2022-11-22-diplomacy"
    )
    assert thread == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    backstab = kb.post("2022-11-22-6")
    assert backstab is not None and backstab.thread is None
    assert backstab.text.startswith("It's designed to never intentionally backstab")


def test_shipped_quoted_posts(kb: KnowledgeBase) -> None:
    """Quoted posts are kept apart; the deleted account's post has a note and no invented text."""
    hugging = kb.post("2020-03-24-1")
    assert hugging is not None and hugging.quoted is not None
    assert hugging.quoted.handle == "@huggingface"
    assert (
        hugging.text
        == "BART is now ridiculously easy to use. Great work as always by @huggingface!"
    )
    gone = kb.post("2021-08-27-1")
    assert gone is not None and gone.quoted is not None
    assert (gone.quoted.handle, gone.quoted.text) == ("", "")
    assert "no longer exists" in gone.quoted.note


def test_tiny_knowledge_loads(tiny_knowledge_dir: Path) -> None:
    """The tiny fixture is valid and loads into typed records."""
    kb = load_knowledge(tiny_knowledge_dir)
    assert [p.id for p in kb.papers_newest_first()] == ["2305.07185", "1911.00172", "1910.13461"]
    post = kb.post("2023-05-15-1")
    assert post is not None and post.thread is not None and post.quoted is not None
    assert (post.thread.position, post.thread.total, post.quoted.handle) == (1, None, "@_akhaliq")


# --- one broken fixture per rule -----------------------------------------------------------------


def test_missing_required_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A paper without a title is reported at the start of its mapping."""
    papers = _swap(
        TINY_PAPERS,
        "    title: 'MEGABYTE: Predicting Million-byte Sequences with Multiscale Transformers'\n",
        "",
    )
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:2:5: paper 2305.07185: missing required key 'title'"
    ]


def test_wrong_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A number where a string is meant is reported with how to quote it."""
    papers = _swap(
        TINY_PAPERS,
        "title: 'MEGABYTE: Predicting Million-byte Sequences with Multiscale Transformers'",
        "title: 42",
    )
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:3:12: paper 2305.07185: title must be a string, got the number 42 "
        "(quote it if you mean the text: '42')"
    ]


def test_bad_date_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A date that is not YYYY-MM-DD or YYYY-MM is reported with the value."""
    papers = _swap(TINY_PAPERS, "date: '2023-05-12'", "date: 15 May 2023")
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:4:11: paper 2305.07185: date must be YYYY-MM-DD or YYYY-MM, "
        "got '15 May 2023'"
    ]


def test_impossible_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A well-shaped but impossible date (month 13) is rejected."""
    papers = _swap(TINY_PAPERS, "date: '2023-05-12'", "date: '2023-13-12'")
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:4:11: paper 2305.07185: date must be YYYY-MM-DD or YYYY-MM, got '2023-13-12'"
    ]


def test_unquoted_yaml_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unquoted date (YAML makes it a date object) is rejected, not silently converted."""
    papers = _swap(TINY_PAPERS, "date: '2023-05-12'", "date: 2023-05-12")
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:4:11: paper 2305.07185: date must be a string, got an unquoted YAML date "
        "2023-05-12 (quote it: '2023-05-12')"
    ]


def test_yaml_boolean_where_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A YAML 1.1 boolean (yes) where a string is meant is rejected."""
    profile = _swap(TINY_PROFILE, "location: Seattle", "location: yes")
    assert _problems(tmp_path, monkeypatch, profile=profile) == [
        "k/profile.yaml:5:11: profile: location must be a string, got the YAML boolean yes "
        "(quote it if you mean the text: 'yes')"
    ]


def test_duplicate_id_in_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two papers with one id: the second is reported, pointing at the first."""
    first_record = TINY_PAPERS.split("  - id: '1911.00172'")[0].removeprefix("papers:\n")
    assert _problems(tmp_path, monkeypatch, papers=TINY_PAPERS + first_record) == [
        "k/papers.yaml:40:9: duplicate id '2305.07185' (first used at k/papers.yaml:2:9)"
    ]


def test_duplicate_id_across_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids are unique across all files: a post may not reuse a paper's id."""
    posts = _swap(TINY_POSTS, "  - id: 2019-10-31-1", "  - id: '1910.13461'")
    assert _problems(tmp_path, monkeypatch, posts=posts) == [
        "k/posts.yaml:14:9: post 1910.13461: id must be '<date>-<n>' like '2022-11-22-1', "
        "got '1910.13461'",
        "k/posts.yaml:14:9: duplicate id '1910.13461' (first used at k/papers.yaml:28:9)",
    ]


def test_duplicate_key_in_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key given twice in one mapping is reported (PyYAML alone keeps the last silently)."""
    papers = _swap(
        TINY_PAPERS, "    venue: NeurIPS 2023\n", "    venue: NeurIPS 2023\n    venue: x\n"
    )
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:6:5: duplicate key 'venue' (first defined at line 5)"
    ]


def test_https_only_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An http URL is rejected."""
    papers = _swap(
        TINY_PAPERS, "url: https://arxiv.org/abs/2305.07185", "url: http://arxiv.org/abs/2305.07185"
    )
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:9:10: paper 2305.07185: url must be an https:// URL, "
        "got 'http://arxiv.org/abs/2305.07185'"
    ]


def test_paper_url_must_match_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A paper's url must be the arXiv abstract page of its own id."""
    papers = _swap(
        TINY_PAPERS,
        "url: https://arxiv.org/abs/2305.07185",
        "url: https://arxiv.org/abs/2305.07186",
    )
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:9:10: paper 2305.07185: url must be 'https://arxiv.org/abs/2305.07185', "
        "got 'https://arxiv.org/abs/2305.07186'"
    ]


def test_unknown_key_did_you_mean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A misspelt key is reported with the closest known key."""
    papers = _swap(TINY_PAPERS, "    aliases:\n      - MegaByte", "    alias:\n      - MegaByte")
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:11:5: paper 2305.07185: unknown key 'alias' (did you mean 'aliases'?)"
    ]


def test_empty_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A required string that is empty is reported."""
    papers = _swap(
        TINY_PAPERS,
        "abstract: We proposed Megabyte, a multi-scale decoder architecture.",
        "abstract: ''",
    )
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:10:15: paper 2305.07185: abstract must not be empty"
    ]


def test_empty_list_item(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty alias is reported at the item."""
    papers = _swap(TINY_PAPERS, "      - MegaByte", "      - ''")
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:12:9: paper 2305.07185: aliases[0] must not be empty"
    ]


def test_unknown_topic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A topic outside TOPICS is reported with the closest topic."""
    papers = _swap(TINY_PAPERS, "      - retrieval", "      - retreival")
    assert _problems(tmp_path, monkeypatch, papers=papers) == [
        "k/papers.yaml:27:9: paper 1911.00172: unknown topic 'retreival' "
        "(did you mean 'retrieval'?)"
    ]


def test_yaml_syntax_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A YAML syntax error is reported with its line and column."""
    posts = _swap(TINY_POSTS, "    text: Excited", "    text: : Excited")
    assert _problems(tmp_path, monkeypatch, posts=posts) == [
        "k/posts.yaml:16:11: invalid YAML: mapping values are not allowed here"
    ]


def test_thread_position_past_total(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread position larger than its total is reported."""
    posts = _swap(TINY_POSTS, "      position: 1\n", "      position: 3\n      total: 2\n")
    assert _problems(tmp_path, monkeypatch, posts=posts) == [
        "k/posts.yaml:8:17: post 2023-05-15-1: thread: position 3 is past the total 2"
    ]


def test_post_id_must_start_with_its_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A post id whose date differs from the post's date is reported."""
    posts = _swap(TINY_POSTS, "  - id: 2019-10-31-1", "  - id: 2019-10-30-1")
    assert _problems(tmp_path, monkeypatch, posts=posts) == [
        "k/posts.yaml:14:9: post 2019-10-30-1: id must start with the post's date '2019-10-31'"
    ]


def test_links_display_or_web_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Display links (no scheme, cut with …) and http(s) URLs pass; another scheme does not."""
    posts = TINY_POSTS + (
        "    links:\n      - science.org/doi/10.1126/sc…\n      - http://x.org/a\n"
        "      - ftp://x.org/a\n"
    )
    assert _problems(tmp_path, monkeypatch, posts=posts) == [
        "k/posts.yaml:21:9: post 2019-10-31-1: a link must be as displayed (no spaces) or an "
        "http(s):// URL, got 'ftp://x.org/a'"
    ]


def test_quoted_post_needs_text_or_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A quoted post needs handle and text, unless a note says why they are unavailable."""
    with_note = TINY_POSTS + "    quoted:\n      note: from an account that no longer exists\n"
    (tmp_path / "ok").mkdir()
    for name, text in (("profile", TINY_PROFILE), ("papers", TINY_PAPERS), ("posts", with_note)):
        (tmp_path / "ok" / f"{name}.yaml").write_text(text, encoding="utf-8")
    post = load_knowledge(tmp_path / "ok").post("2019-10-31-1")
    assert post is not None and post.quoted is not None and post.quoted.text == ""
    bare = TINY_POSTS + "    quoted:\n      name: AK\n"
    assert _problems(tmp_path, monkeypatch, posts=bare) == [
        "k/posts.yaml:19:7: post 2019-10-31-1: quoted: missing required key 'handle'",
        "k/posts.yaml:19:7: post 2019-10-31-1: quoted: missing required key 'text'",
    ]


def test_file_size_limit(tiny_knowledge_dir: Path) -> None:
    """A file over the size limit is refused before parsing."""
    with pytest.raises(KnowledgeError) as excinfo:
        load_knowledge(tiny_knowledge_dir, display_dir="k", max_bytes=600)
    size = len(TINY_PAPERS.encode())
    assert [str(p) for p in excinfo.value.problems] == [
        f"k/papers.yaml: file is too large ({size} bytes, limit 600)"
    ]


def test_non_utf8(tiny_knowledge_dir: Path) -> None:
    """A byte that is not UTF-8 is reported with its line and column."""
    (tiny_knowledge_dir / "posts.yaml").write_bytes(
        TINY_POSTS.encode().replace(b"New paper", b"New \xffpaper")
    )
    with pytest.raises(KnowledgeError) as excinfo:
        load_knowledge(tiny_knowledge_dir, display_dir="k")
    assert [str(p) for p in excinfo.value.problems] == [
        "k/posts.yaml:4:15: not valid UTF-8 (byte 0xff)"
    ]


def test_missing_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing directory is one clear problem, named as given."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(KnowledgeError) as excinfo:
        load_knowledge(Path("nowhere"))
    assert [str(p) for p in excinfo.value.problems] == ["nowhere: knowledge directory not found"]


def test_missing_file(tiny_knowledge_dir: Path) -> None:
    """A missing file is reported by name; the other files are still checked."""
    (tiny_knowledge_dir / "posts.yaml").unlink()
    with pytest.raises(KnowledgeError) as excinfo:
        load_knowledge(tiny_knowledge_dir, display_dir="k")
    assert [str(p) for p in excinfo.value.problems] == ["k/posts.yaml: file not found"]


def test_empty_file(tiny_knowledge_dir: Path) -> None:
    """An empty file says what it should contain."""
    (tiny_knowledge_dir / "papers.yaml").write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as excinfo:
        load_knowledge(tiny_knowledge_dir, display_dir="k")
    assert [str(p) for p in excinfo.value.problems] == [
        "k/papers.yaml: file is empty: expected a top-level 'papers' list"
    ]


def test_all_problems_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A syntax error, a wrong type, a duplicate id and an unknown key are all reported together."""
    papers = _swap(TINY_PAPERS, "date: '2019-11-01'", "date: 20191101")
    papers = _swap(papers, "  - id: '1910.13461'", "  - id: '2305.07185'")
    papers = _swap(papers, "    venue: ACL 2020\n", "    venue: ACL 2020\n    year: 2020\n")
    posts = _swap(TINY_POSTS, "    text: Excited", "    text: : Excited")
    assert _problems(tmp_path, monkeypatch, papers=papers, posts=posts) == [
        "k/papers.yaml:17:11: paper 1911.00172: date must be a string, got the number 20191101 "
        "(quote it if you mean the text: '20191101')",
        "k/papers.yaml:28:9: duplicate id '2305.07185' (first used at k/papers.yaml:2:9)",
        "k/papers.yaml:32:5: paper 2305.07185: unknown key 'year'",
        "k/papers.yaml:35:10: paper 2305.07185: url must be 'https://arxiv.org/abs/2305.07185', "
        "got 'https://arxiv.org/abs/1910.13461'",
        "k/posts.yaml:16:11: invalid YAML: mapping values are not allowed here",
    ]


# --- the validate command ------------------------------------------------------------------------


def test_cli_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    """validate on the shipped knowledge prints the one summary line and exits 0."""
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (SHIPPED_SUMMARY + "\n", "")


def test_cli_validate_problems(
    tiny_knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate prints every problem to stderr, then a count, and exits 1 without a traceback."""
    papers = _swap(TINY_PAPERS, "    aliases:\n      - MegaByte", "    alias:\n      - MegaByte")
    (tiny_knowledge_dir / "papers.yaml").write_text(papers, encoding="utf-8")
    (tiny_knowledge_dir / "posts.yaml").unlink()
    monkeypatch.chdir(tiny_knowledge_dir.parent)
    assert main(["validate", "--knowledge", "k"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "k/papers.yaml:11:5: paper 2305.07185: unknown key 'alias' (did you mean 'aliases'?)\n"
        "k/posts.yaml: file not found\n"
        "error: 2 problems found\n"
    )


def test_cli_validate_missing_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate on a missing directory exits 1 naming it as given."""
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--knowledge", "missing"]) == 1
    assert capsys.readouterr().err == (
        "missing: knowledge directory not found\nerror: 1 problem found\n"
    )
