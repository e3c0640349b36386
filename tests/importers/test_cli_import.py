"""`python -m bot import ...` and `init` through bot.cli.main: the printed diff, --dry-run, a
second run that changes nothing, and bad input that changes nothing."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.knowledge import load_knowledge
from bot.importers import arxiv
from bot.writer import save_knowledge
from tests.importers.conftest import (
    REAL_BIB,
    REAL_FEED,
    SECOND_ARCHIVE,
    SECOND_FEED,
    snapshot,
)

NAMESAKE = (
    "  skipped   paper 2411.01103 (Can Loyalty to Creators Dilute Loyalty to Promoted Products? "
    "Examinin…): in exclude.yaml (a marketing paper by a namesake (papers_meta.tsv: "
    "different-author))"
)


def _run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, list[str], str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def _drop_papers(directory: Path, *ids: str) -> None:
    """Make ``directory`` a knowledge base from before these papers appeared."""
    kb = load_knowledge(directory)
    save_knowledge(directory, replace(kb, papers=tuple(p for p in kb.papers if p.id not in ids)))


def test_arxiv_into_real_copy_dry_run_then_real_then_nothing(
    real_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two papers missing from the copy: the dry run lists them and writes nothing, the real
    run writes papers.yaml, a second run finds nothing to do."""
    _drop_papers(real_copy, "2605.01188", "2305.07185")
    before = snapshot(real_copy)
    args = ("import", "arxiv", REAL_FEED, "--knowledge", real_copy)
    code, out, err = _run(capsys, *args, "--dry-run")
    assert (code, err) == (0, "")
    assert out == [
        f"arXiv feed {REAL_FEED}: 6 read",
        "papers: 2 added, 0 changed, 3 unchanged",
        "  added     paper 2605.01188  Compute Optimal Tokenization",
        "  added     paper 2305.07185  MEGABYTE: Predicting Million-byte Sequences with "
        "Multiscale Transform…",
        NAMESAKE,
        "dry run: would write papers.yaml",
    ]
    assert snapshot(real_copy) == before
    code, out, _ = _run(capsys, *args)
    assert code == 0 and out[-1] == "wrote papers.yaml"
    kb = load_knowledge(real_copy)
    assert len(kb.papers) == 69 and kb.paper("2411.01103") is None
    code, out, _ = _run(capsys, *args)
    assert out[1:] == [
        "papers: 0 added, 0 changed, 5 unchanged",
        NAMESAKE,
        "nothing to write: the knowledge is up to date",
    ]
    code, out, _ = _run(capsys, "validate", "--knowledge", real_copy)
    assert out == [
        "knowledge OK: 1 profile, 69 papers, 14 posts, 16 topics; newest paper 2026-05-02, "
        "newest post 2024-04-19"
    ]


def test_bibtex_into_real_copy_fills_a_missing_venue_once(
    real_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With BART's venue emptied, the dry run shows it filled, the real run writes it, the
    second run changes nothing."""
    kb = load_knowledge(real_copy)
    papers = tuple(replace(p, venue="") if p.id == "1910.13461" else p for p in kb.papers)
    save_knowledge(real_copy, replace(kb, papers=papers))
    before = snapshot(real_copy)
    args = ("import", "bibtex", REAL_BIB, "--knowledge", real_copy)
    code, out, _ = _run(capsys, *args, "--dry-run")
    assert code == 0
    assert out == [
        f"BibTeX file {REAL_BIB}: 7 read",
        "papers: 0 added, 1 changed, 5 unchanged",
        "  changed   paper 1910.13461  BART: Denoising Sequence-to-Sequence Pre-training for "
        "Natural Languag…: filled venue  [@lewis2020bart (line 5), matched by title (100)]",
        "  unchanged paper 2208.07339  LLM.int8(): 8-bit Matrix Multiplication for Transformers "
        "at Scale  [@dettmers2022gpt3int8 (line 15), matched by title (94)]",
        "  unchanged paper 2211.12615  AutoReply: Detecting Nonsense in Dialogue Introspectively "
        "with Discri…  [@shi2023autoreply (line 23), matched by title (89)]",
        "  unmatched @jo2024loyalty (line 60): arXiv id 2411.01103 is in exclude.yaml",
        "dry run: would write papers.yaml",
    ]
    assert snapshot(real_copy) == before
    assert _run(capsys, *args)[1][-1] == "wrote papers.yaml"
    bart = load_knowledge(real_copy).paper("1910.13461")
    assert bart is not None and bart.venue == "ACL 2020"
    assert _run(capsys, *args)[1][-1] == "nothing to write: the knowledge is up to date"
    assert (real_copy / "papers.yaml").read_text() == (
        Path(__file__).resolve().parents[2] / "knowledge" / "papers.yaml"
    ).read_text()


def test_x_archive_dry_run_then_real_then_nothing(
    second_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The archive's own posts are listed, written once, and found by id the second time."""
    before = snapshot(second_dir)
    args = ("import", "x-archive", SECOND_ARCHIVE, "--knowledge", second_dir)
    code, out, _ = _run(capsys, *args, "--dry-run")
    tweets = SECOND_ARCHIVE / "data" / "tweets.js"
    assert code == 0
    assert out[:2] == [f"X archive {tweets}: 9 read", "posts: 7 added, 0 changed, 0 unchanged"]
    assert out[2] == (
        "  added     post 2023-09-22-1  Counting tokens with hash sketches: a few hundred "
        "megabytes are enoug…"
    )
    assert out[-1] == "dry run: would write posts.yaml"
    assert snapshot(second_dir) == before
    assert _run(capsys, *args)[1][-1] == "wrote posts.yaml"
    code, out, _ = _run(capsys, *args)
    assert out[1] == "posts: 0 added, 0 changed, 7 unchanged"
    assert out[-1] == "nothing to write: the knowledge is up to date"


@pytest.mark.parametrize(
    ("name", "content", "command", "expected"),
    [
        (
            "feed.atom",
            "<feed xmlns='http://www.w3.org/2005/Atom'><entry></feed>",
            "arxiv",
            "feed.atom:1:52: not well-formed XML: mismatched tag",
        ),
        (
            "refs.bib",
            "@article{a,\n  title = {No end,\n",
            "bibtex",
            "refs.bib:1: cannot parse this entry: ",
        ),
        (
            "tweets.js",
            'window.YTD.tweets.part0 = [ {"tweet" : {} } ]',
            "x-archive",
            "tweets.js: record 1: no numeric 'id_str'",
        ),
    ],
)
def test_bad_input_exits_1_names_the_place_and_changes_nothing(
    real_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: str,
    command: str,
    expected: str,
) -> None:
    """Broken input: exit 1, `error: file:line...` on stderr, every file as it was."""
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(content)
    if command == "x-archive":  # the archive of the knowledge base's owner
        Path("account.js").write_text(
            'window.YTD.account.part0 = [{"account": {"username": "ml_perception"}}]'
        )
    before = snapshot(real_copy)
    code, out, err = _run(capsys, "import", command, name, "--knowledge", real_copy)
    assert (code, out) == (1, [])
    assert err.startswith(f"error: {expected}")
    assert snapshot(real_copy) == before


def test_a_file_that_is_not_utf8_is_located(
    real_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bytes that are not UTF-8 are reported at their line and column."""
    bib = tmp_path / "latin1.bib"
    bib.write_bytes("@misc{a,\n  title = {M\xfcller}\n}\n".encode("latin-1"))
    code, out, err = _run(capsys, "import", "bibtex", bib, "--knowledge", real_copy)
    assert (code, out) == (1, [])
    assert err == f"error: {bib}:2:13: not valid UTF-8 (byte 0xfc)\n"


def test_an_archive_of_someone_else_is_refused(
    real_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """account.js names the archive's owner: another researcher's archive changes nothing."""
    before = snapshot(real_copy)
    code, out, err = _run(capsys, "import", "x-archive", SECOND_ARCHIVE, "--knowledge", real_copy)
    account = SECOND_ARCHIVE / "data" / "account.js"
    assert (code, out) == (1, [])
    assert err == (
        f"error: {account}: this archive is @imogen_example's, but the knowledge base is "
        "@ml_perception's; nothing was changed\n"
    )
    assert snapshot(real_copy) == before


def test_arxiv_from_stdin_and_from_an_author_query(
    second_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """'-' reads the feed from stdin; --author builds the API query (fetched here from the
    fixture: tests never touch the network)."""
    stdin = io.TextIOWrapper(io.BytesIO(SECOND_FEED.read_bytes()))
    monkeypatch.setattr("sys.stdin", stdin)
    code, out, _ = _run(capsys, "import", "arxiv", "-", "--knowledge", second_dir, "--dry-run")
    assert code == 0 and out[:2] == [
        "arXiv feed <stdin>: 5 read",
        "papers: 5 added, 0 changed, 0 unchanged",
    ]
    asked: list[str] = []

    def fake_fetch(url: str, **kwargs: object) -> bytes:
        asked.append(url)
        return SECOND_FEED.read_bytes()

    monkeypatch.setattr(arxiv, "fetch_feed", fake_fetch)
    code, out, err = _run(
        capsys,
        "import",
        "arxiv",
        "--author",
        "Example, Imogen",
        "--max",
        "20",
        "--knowledge",
        second_dir,
    )
    assert code == 0 and out[-1] == "wrote papers.yaml"
    assert asked == [
        "https://export.arxiv.org/api/query?search_query=au%3A%22Imogen+Example%22&start=0"
        "&max_results=20&sortBy=submittedDate&sortOrder=descending"
    ]
    assert err == f"querying {asked[0]}\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["import", "arxiv"], "import arxiv needs a FILE (or '-' for stdin) or --author NAME"),
        (["import", "arxiv", "f.atom", "--author", "X"], "import arxiv needs a FILE"),
        (["import", "arxiv", "f.atom", "--max", "5"], "--max only goes with --author"),
    ],
)
def test_arxiv_argument_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """FILE or --author, exactly one; --max belongs to --author."""
    assert main(argv) == 1
    assert capsys.readouterr().err.startswith(f"error: {message}")


def test_init_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """init prints what it made and the next step; the folder validates."""
    directory = tmp_path / "ada"
    code, out, _ = _run(capsys, "init", directory, "--name", "Ada Example", "--handle", "@ada_ex")
    assert code == 0
    assert out == [
        f"created {directory} for Ada Example (@ada_ex)",
        "knowledge OK: 1 profile, 0 papers, 0 posts, 0 topics; newest paper none, newest post none",
        f'next: python -m bot import arxiv --author "LAST, FIRST" --knowledge {directory}',
    ]
    code, _, err = _run(capsys, "init", directory, "--name", "Ada Example", "--handle", "@ada_ex")
    assert code == 1 and "exists and is not empty" in err
