"""Extractive answers: faithful to their sources, the right sentences, lists and declines."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.answer import Answerer, covers, paper_text, profile_text
from bot.core.engine import Engine
from bot.core.models import Answer, KnowledgeBase, Statement
from bot.core.sanitize import clean_text
from bot.core.text import normalize, tokenize

EVAL_DIR = Path(__file__).resolve().parents[2] / "eval"


def _source_text(kb: KnowledgeBase, kind: str, doc_id: str) -> str:
    """The rendered text a citation points to."""
    if kind == "paper":
        paper = kb.paper(doc_id)
        assert paper is not None
        return paper_text(paper)
    if kind == "post":
        post = kb.post(doc_id)
        assert post is not None
        return post.text
    return profile_text(kb.profile)


def _all_eval_questions() -> list[str]:
    questions = []
    for name in ("questions.yaml", "holdout.yaml"):
        questions += [q["q"] for q in yaml.safe_load((EVAL_DIR / name).read_text())]
    return questions


def _assert_well_formed(answer: Answer) -> None:
    if answer.declined:
        assert answer.citations == () and answer.statements == ()
        return
    assert answer.citations
    for statement in answer.statements:
        assert 1 <= statement.citation <= len(answer.citations)
        assert f"{statement.text} [{statement.citation}]" in answer.text


def test_every_statement_occurs_in_its_cited_source(engine: Engine) -> None:
    """Faithfulness: each answer sentence of every eval question is copied from its source."""
    checked = 0
    for question in _all_eval_questions():
        answer = engine.ask(question)
        _assert_well_formed(answer)
        for statement in answer.statements:
            cited = answer.citations[statement.citation - 1]
            assert statement.text in _source_text(engine.kb, cited.kind, cited.id), question
            checked += 1
    assert checked > 150


def test_extractive_answers_cite_at_most_three_sources(engine: Engine) -> None:
    """A text answer cites at most three sources, best first."""
    answer = engine.ask("retrieval augmented language models")
    assert 1 <= len(answer.citations) <= 3
    scores = [c.score for c in answer.citations]
    assert scores == sorted(scores, reverse=True)


def test_how_many_question_quotes_the_sentence_with_the_number(engine: Engine) -> None:
    """A how-many question gets the sentence holding the number, not the abstract's opening."""
    answer = engine.ask("how many tokens were the Lory models trained on?")
    assert answer.citations[0].id == "2405.03133"
    assert (
        "We pre-train a series of Lory models on 150B tokens from scratch, with up to 32 experts "
        "and 30B (1.5B active) parameters." in [s.text for s in answer.statements]
    )


def test_how_much_question_finds_a_worded_quantity(engine: Engine) -> None:
    """ "By half" counts as a quantity; the words naming the paper do not pick the sentence."""
    answer = engine.ask("how much memory does LLM.int8() save?")
    assert answer.statements[0].text.startswith(
        "We develop a procedure for Int8 matrix multiplication"
    )
    assert "by half" in answer.statements[0].text


def test_latex_is_rendered_in_answers(engine: Engine) -> None:
    """ "$k$NN" in an abstract is shown as "kNN"."""
    answer = engine.ask("What is kNN-LM?")
    assert answer.statements[0].text.startswith("We introduce kNN-LMs, which extend")
    assert "$" not in answer.text


def test_post_citation_carries_the_post_text(engine: Engine) -> None:
    """A cited post has its own words as citation text and the profile URL (no post ids exist)."""
    answer = engine.ask("What did he say about peer review?")
    citation = answer.citations[0]
    assert (citation.kind, citation.id, citation.date) == ("post", "2021-08-27-1", "2021-08-27")
    assert citation.text == engine.kb.post("2021-08-27-1").text  # type: ignore[union-attr]
    assert citation.url == "https://x.com/ml_perception"


def test_profile_questions(engine: Engine) -> None:
    """Where he is based and when he joined come from the profile, verbatim."""
    where = engine.ask("Where is he based?")
    assert where.text == "Location: Seattle [1]"
    assert where.intro == "Where Mike Lewis is based, from the X profile:"
    assert where.citations[0].kind == "profile" and where.citations[0].date is None
    assert engine.ask("When did he join X?").text == "Joined September 2019 [1]"


def test_list_answer_is_newest_first(engine: Engine) -> None:
    """Papers with a co-author are listed and cited newest first, with a count in the intro."""
    answer = engine.ask("papers with Urvashi Khandelwal")
    assert (
        answer.intro
        == "Mike Lewis has 2 papers with Urvashi Khandelwal in this knowledge base, newest first:"
    )
    assert [c.id for c in answer.citations] == ["2010.00710", "1911.00172"]
    assert answer.text == (
        "- Nearest Neighbor Machine Translation [1]\n"
        "- Generalization through Memorization: Nearest Neighbor Language Models [2]"
    )


def test_recent_papers(engine: Engine) -> None:
    """ "His latest papers" gives the five newest."""
    answer = engine.ask("What are his latest papers?")
    assert answer.intro.startswith("Mike Lewis's 5 most recent papers, newest first:")
    dates = [c.date or "" for c in answer.citations]
    assert len(dates) == 5 and dates == sorted(dates, reverse=True)


DOUBTFUL_NOTE = (
    "Doubtful: a community write-up that consolidates publicly reported Llama 4 details (about "
    "1,300 listed authors), reportedly withdrawn; not an official Meta report."
)


def test_doubtful_paper_keeps_its_caveat_in_lists(engine: Engine) -> None:
    """The doubtful Llama 4 write-up carries its note on its citation and in the answer's notes
    (every interface shows them), not in the intro, which stays one short line."""
    answer = engine.ask("how many papers has he written?")
    assert answer.intro == "Mike Lewis has 69 papers in this knowledge base; the 15 newest:"
    lines = answer.text.split("\n")
    assert (
        "- The Llama 4 Herd: Architecture, Training, Evaluation, and Deployment Notes [4]" in lines
    )
    assert answer.citations[3].note == DOUBTFUL_NOTE
    assert f"[4] {DOUBTFUL_NOTE}" in answer.notes
    assert "2601.11659" in [c.id for c in engine.ask("list his 2026 papers").citations]


def test_text_answer_about_the_doubtful_paper_carries_its_caveat(engine: Engine) -> None:
    """A quoted answer from the Llama 4 write-up has the caveat in its notes too."""
    answer = engine.ask("what does the llama 4 herd write-up describe?")
    assert answer.citations[0].id == "2601.11659"
    assert answer.notes == (f"[1] {DOUBTFUL_NOTE}",)


def test_decline_says_what_the_bot_covers(engine: Engine) -> None:
    """A decline has no citations, says what the bot covers, and suggests nothing unrelated."""
    answer = engine.ask("What's the weather in Paris today?")
    assert answer.declined and answer.citations == ()
    assert (
        answer.text == f"I don't have anything on that in what I know. {covers(engine.kb.profile)}"
    )


def test_decline_for_a_year_without_papers(engine: Engine) -> None:
    """Asking for a year he has no papers in is declined with that reason."""
    answer = engine.ask("what did he publish in 2018?")
    assert answer.declined
    assert answer.text.startswith("I know of no papers by Mike Lewis from 2018.")


@pytest.mark.parametrize(
    "question",
    ["", "   ", "?!", "\x00\x07", "🙂" * 50, "x" * 10_000, "东京的天气怎么样？", "Ελληνικά"],
)
def test_degenerate_questions_never_raise(engine: Engine, question: str) -> None:
    """Empty, punctuation-only, control-character, emoji and huge questions give an Answer."""
    answer = engine.ask(question)
    assert isinstance(answer, Answer)
    _assert_well_formed(answer)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=300))
def test_any_string_returns_a_well_formed_answer(engine: Engine, question: str) -> None:
    """Property: any string yields an Answer whose statements and markers line up.

    The answer echoes the question as understood: invisible and control characters removed.
    """
    answer = engine.ask(question)
    assert answer.question == clean_text(question)
    _assert_well_formed(answer)


def test_paper_record_questions(engine: Engine) -> None:
    """Who wrote a paper, when and where it appeared come from its record, cited."""
    authors = engine.ask("who wrote BART?")
    assert authors.citations[0].id == "1910.13461"
    assert authors.statements[0].text == (
        "Authors: Mike Lewis, Yinhan Liu, Naman Goyal, Marjan Ghazvininejad, Abdelrahman Mohamed, "
        "Omer Levy, Ves Stoyanov, Luke Zettlemoyer"
    )
    assert engine.ask("where was ALiBi published?").text == "Venue: ICLR 2022 [1]"
    when = engine.ask("When did the attention sinks paper come out?")
    assert when.text == "First arXiv version: 2023-09-29 [1]"


def test_unknown_venue_is_not_invented(engine: Engine) -> None:
    """A paper without a recorded venue says so and gives its arXiv date instead."""
    answer = engine.ask("where was the Llama 3 paper published?")
    assert (
        answer.intro
        == "No venue is recorded for “The Llama 3 Herd of Models”; it first appeared on arXiv:"
    )
    assert answer.text == "First arXiv version: 2024-07-31 [1]"


def test_latest_posts(engine: Engine) -> None:
    """ "His latest tweets" lists his posts newest first, each quoted whole."""
    answer = engine.ask("show me his 3 most recent posts")
    assert (
        answer.intro
        == "Mike Lewis's 3 most recent posts on X in this knowledge base, newest first:"
    )
    assert [c.id for c in answer.citations] == ["2024-04-19-1", "2024-04-18-2", "2024-04-18-1"]
    assert answer.statements[0].text == engine.kb.post("2024-04-19-1").text  # type: ignore[union-attr]


def test_how_question_quotes_the_mechanism(engine: Engine) -> None:
    """ "How does ALiBi work?" quotes how it biases attention, not only what it is."""
    answer = engine.ask("How does ALiBi work?")
    assert any(
        s.text.startswith(
            "ALiBi does not add positional embeddings to word embeddings; instead, it biases"
        )
        for s in answer.statements
    )


def test_asking_what_he_said_puts_his_post_first(engine: Engine) -> None:
    """ "What did he say about MegaByte?" cites his post first, then the paper it names."""
    answer = engine.ask("what did he say about MegaByte?")
    assert [c.id for c in answer.citations][:2] == ["2023-05-15-1", "2305.07185"]
    assert answer.citations[0].kind == "post"


def test_how_many_ignores_enumeration_markers(engine: Engine) -> None:
    """ "(1) ... (2) ..." is not the number asked for: LIMA's 1,000 examples are."""
    answer = engine.ask("how many examples were used to fine-tune LIMA?")
    assert answer.citations[0].id == "2305.11206"
    assert answer.statements[0].text.startswith(
        "We measure the relative importance of these two stages by training LIMA"
    )
    assert "only 1,000 carefully curated prompts" in answer.statements[0].text
    assert not any("(1) unsupervised pretraining" in s.text for s in answer.statements)


def test_urls_are_not_content_words(engine: Engine) -> None:
    """ "pytorch" occurs only in a GitHub address, so a PyTorch how-to is not answered from it."""
    assert "pytorch" not in tokenize(normalize("released at https://github.com/pytorch/fairseq/"))
    assert engine.ask("how do i train a neural network in pytorch").declined


def test_code_availability_sentence_only_when_asked_for(engine: Engine) -> None:
    """ "Code is publicly released at ..." is quoted for a where-is-the-code question only."""
    about = engine.ask("what are BASE layers?")
    assert about.citations[0].id == "2103.16716"
    assert not any("https://" in s.text for s in about.statements)
    code = engine.ask("where can I get the code for BASE layers?")
    assert "Code is publicly released at https://github.com/pytorch/fairseq/" in [
        s.text for s in code.statements
    ]


def test_papers_by_venue(engine: Engine) -> None:
    """A venue is matched case-insensitively by family ("ICLR" is every ICLR year); a year
    beside it is the venue's year; papers are listed newest first and cited."""
    neurips = engine.ask("papers at NeurIPS 2023")
    assert (
        neurips.intro
        == "Mike Lewis has 2 papers at NeurIPS 2023 in this knowledge base, newest first:"
    )
    assert [c.id for c in neurips.citations] == ["2305.11206", "2305.07185"]
    iclr = engine.ask("which of his papers were at ICLR?")
    assert iclr.intro == "Mike Lewis has 13 papers at ICLR in this knowledge base, newest first:"
    assert len(iclr.citations) == 13
    assert all(engine.kb.paper(c.id).venue.startswith("ICLR ") for c in iclr.citations)  # type: ignore[union-attr]
    dates = [c.date or "" for c in iclr.citations]
    assert dates == sorted(dates, reverse=True)


def test_acl_family_includes_findings_and_says_so(engine: Engine) -> None:
    """ "ACL" includes Findings of ACL (stated in the intro) but not NAACL, EMNLP or TACL."""
    acl = engine.ask("what did he publish at ACL")
    assert acl.intro == (
        "Mike Lewis has 12 papers at ACL (including Findings of ACL) in this knowledge base, "
        "newest first:"
    )
    venues = {engine.kb.paper(c.id).venue for c in acl.citations}  # type: ignore[union-attr]
    assert venues <= {
        "ACL 2020", "ACL 2021", "ACL 2022", "ACL 2023", "ACL 2025",
        "Findings of ACL 2022", "Findings of ACL 2023", "Findings of ACL 2025",
    }  # fmt: skip
    findings = engine.ask("which papers of his appeared in Findings of ACL?")
    assert findings.intro.startswith(
        "Mike Lewis has 5 papers in Findings of ACL in this knowledge base"
    )


@pytest.mark.parametrize(
    "question",
    [
        "recommend a pizza place in seattle",
        "who won the world cup in 2022",
        "how do I fine-tune my guitar?",
        "can you translate hello into Japanese?",
    ],
)
def test_unrelated_declines_suggest_nothing(engine: Engine, question: str) -> None:
    """One shared word ("recommend", "world", "fine-tune") is not close enough to suggest."""
    answer = engine.ask(question)
    assert answer.declined and answer.suggestions == ()
    assert (
        answer.text == f"I don't have anything on that in what I know. {covers(engine.kb.profile)}"
    )


def test_near_miss_decline_suggests_close_sources(engine: Engine) -> None:
    """A declined question sharing several words with a source still suggests it (the decision
    is set to decline everything here, to test the suggestion rule alone)."""
    model = dataclasses.replace(engine.retriever.model, answer=2.0, tentative=2.0)
    retriever = dataclasses.replace(engine.retriever, model=model)
    answerer = Answerer(engine.kb, retriever, engine.structured)
    question = "Which paper can fill in missing code in the middle of a file?"
    answer = answerer.answer(retriever.parse(question))
    assert answer.declined
    assert answer.suggestions[0] == "InCoder: A Generative Model for Code Infilling and Synthesis"
    assert "Perhaps you meant: InCoder: A Generative Model" in answer.text


def test_post_reporting_a_result_beats_a_paper_mentioning_the_topic(engine: Engine) -> None:
    """His thread post with the result answers; a paper merely set in the game is not quoted."""
    answer = engine.ask("how well did the diplomacy agent do against humans?")
    assert [c.id for c in answer.citations] == ["2022-11-22-5"]
    assert answer.statements[0].text == (
        "In anonymous blitz Diplomacy games against humans, our agent finished in the top 10%, "
        "doubling the average human score."
    )


def test_post_holding_the_asked_detail_gets_a_slot(engine: Engine) -> None:
    """ "8B" and "tokens" are in his posts, not the paper's quoted sentences: the posts are cited,
    the one with the number of tokens quoted."""
    answer = engine.ask("how many tokens was llama 3 8B trained on?")
    assert [c.id for c in answer.citations] == ["2407.21783", "2024-04-18-1", "2024-04-18-2"]
    assert (
        Statement(
            "One of the most interesting things to me was how quickly the 8B was improving even "
            "at 15T tokens.",
            3,
        )
        in answer.statements
    )


def test_announcement_post_is_cited_with_its_paper(engine: Engine) -> None:
    """ "What is BART?" cites the paper, then his own announcement post from two days later."""
    answer = engine.ask("What is BART?")
    ids = [c.id for c in answer.citations]
    assert ids[0] == "1910.13461" and "2019-10-31-1" in ids
    assert "2020-03-24-1" not in ids  # a later post naming BART is not its announcement


def test_bio_is_quoted_only_when_the_question_is_about_him(engine: Engine) -> None:
    """ "What is kNN-LM?" is about the paper: his bio, which names kNN-LM, is not quoted; a
    question about him and kNN-LM may quote it."""
    answer = engine.ask("What is kNN-LM?")
    assert [c.id for c in answer.citations] == ["1911.00172"]
    about_him = engine.ask("is he known for kNN-LM?")
    assert "profile" in [c.id for c in about_him.citations]


def test_a_work_his_bio_names_reaches_the_posts_about_it(engine: Engine) -> None:
    """ "Cicero" is only in his bio ("the Cicero Diplomacy bot"): it finds his Diplomacy posts."""
    retrieval = engine.retriever.retrieve(engine.understand("does cicero lie to players?"))
    assert retrieval.top is not None
    post = engine.kb.post(retrieval.top.doc_id)
    assert post is not None and post.thread is not None
    assert post.thread.id == "2022-11-22-diplomacy"


def test_further_source_must_share_the_subject(engine: Engine) -> None:
    """A post sharing only a stray word ("a big collaboration") is not cited for Lory."""
    answer = engine.ask("how big is the Lory model?")
    assert [c.id for c in answer.citations] == ["2405.03133"]
    assert any(
        s.text.startswith("We pre-train a series of Lory models on 150B") for s in answer.statements
    )


def test_asking_where_the_code_is_quotes_the_availability_sentence(engine: Engine) -> None:
    """ "Where can I get ...?" prefers the sentence saying where the models are."""
    answer = engine.ask("where can I get the InCoder models?")
    assert answer.statements[0].text == (
        "The InCoder models and code are publicly released. "
        "https://sites.google.com/view/incoder-code-models"
    )


def test_co_author_papers_on_a_subject(engine: Engine) -> None:
    """Other words beside a co-author narrow the list to the papers whose text holds them."""
    answer = engine.ask("what papers did he write with sewon min on in-context learning")
    assert answer.intro.startswith("Mike Lewis has 4 papers with Sewon Min about “in-context")
    for citation in answer.citations:
        paper = engine.kb.paper(citation.id)
        assert paper is not None and "Sewon Min" in paper.authors
        assert "context" in paper.abstract.lower()


@pytest.mark.parametrize("question", ["did he work on roberta?", "tell me about cicero", "roberta"])
def test_a_work_only_the_bio_names_is_answered_from_the_bio(engine: Engine, question: str) -> None:
    """RoBERTa and Cicero are no papers here: his own bio line is what the knowledge says."""
    answer = engine.ask(question)
    assert [c.id for c in answer.citations] == ["profile"]
    assert "not a paper in this knowledge base" in answer.intro
    assert answer.text.startswith("Partially to blame for things like the Cicero Diplomacy bot")


def test_known_for_asks_for_the_bio_or_the_definition(engine: Engine) -> None:
    assert engine.ask("what is mike lewis known for").citations[0].id == "profile"
    assert engine.ask("what is BART known for").citations[0].id == "1910.13461"
