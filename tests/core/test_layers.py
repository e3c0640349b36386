"""Each retrieval layer on a tiny corpus with a known answer (the bm25s test_retrieve shape)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.core.index import BM25Index, FieldSpec, IndexedDocument
from bot.core.knowledge import load_knowledge
from bot.core.query import QueryWord
from bot.core.retrieval import Layers, Retriever
from bot.core.retrieval.aliases import AliasLayer
from bot.core.retrieval.decision import FALLBACK, DecisionModel, LinearModel
from bot.core.retrieval.lexical import LexicalLayer
from bot.core.retrieval.semantic import SemanticIndex, load_embedder
from bot.core.retrieval.synonyms import SynonymTable
from bot.core.retrieval.typo import TypoCorrector
from bot.core.text import normalize, stem

# --- lexical -------------------------------------------------------------------------------------


def _lexical() -> LexicalLayer:
    """Three documents: "a" has both words in one sentence, "b" has them in two sentences,
    "c" has only one of them."""
    docs = [
        IndexedDocument(
            "a",
            {"abstract": ["cach", "token", "other"]},
            {"cach": 1, "token": 1, "other": 2},
        ),
        IndexedDocument(
            "b",
            {"abstract": ["cach", "filler", "token"]},
            {"cach": 1, "filler": 1, "token": 2},
        ),
        IndexedDocument("c", {"abstract": ["token", "filler", "more"]}, {"token": 1}),
    ]
    return LexicalLayer.build(docs)


def _word(layer: LexicalLayer, surface: str, *, sim: float = 1.0) -> QueryWord:
    row = layer.index.vocabulary[surface]
    return QueryWord(surface, ((row, sim),), float(layer.index.idf[row]), sim >= 1.0)


def test_lexical_coverage_counts_the_share_of_the_question_a_document_holds() -> None:
    """Both words: coverage 1; only one of them: its share of the idf."""
    layer = _lexical()
    words = [_word(layer, "cach"), _word(layer, "token")]
    rows = np.arange(3, dtype=np.int32)
    coverage, matched, exact = layer.coverages(words, rows)
    assert coverage[0] == pytest.approx(1.0) and coverage[1] == pytest.approx(1.0)
    assert 0 < coverage[2] < 0.5  # "token" is in every document: little information
    assert list(matched) == [2, 2, 1] and list(exact) == [2, 2, 1]


def test_lexical_proximity_prefers_words_in_one_sentence() -> None:
    """ "a" holds both words in one sentence; "b" spreads them over two."""
    layer = _lexical()
    words = [_word(layer, "cach"), _word(layer, "token")]
    rows = np.arange(2, dtype=np.int32)
    coverage, _, _ = layer.coverages(words, rows)
    proximity = layer.proximities(words, rows, coverage)
    assert proximity[0] == pytest.approx(1.0)
    assert proximity[1] < 1.0


def test_lexical_corrected_word_counts_less_than_an_exact_one() -> None:
    """A typo-corrected word (similarity < 1) weighs fuzzy_weight x its similarity."""
    layer = _lexical()
    exact = layer.scores([_word(layer, "cach")])
    fuzzy = layer.scores([_word(layer, "cach", sim=0.9)])
    assert exact[0] > fuzzy[0] > 0
    assert fuzzy[0] == pytest.approx(exact[0] * layer.tuning.fuzzy_weight * 0.9, rel=1e-5)


def test_bm25f_index_scores_field_weights() -> None:
    """A title match outweighs the same word in a longer, lower-weighted body."""
    docs = [
        IndexedDocument("a", {"title": ["sink"], "body": ["x", "y", "z"]}),
        IndexedDocument("b", {"title": ["other"], "body": ["sink", "y", "z"]}),
        IndexedDocument("c", {"title": ["third"], "body": ["q"]}),
    ]
    index = BM25Index.build(
        docs, fields={"title": FieldSpec(weight=3.0), "body": FieldSpec(weight=1.0)}
    )
    assert [h.doc_id for h in index.search(["sink"])] == ["a", "b"]
    assert index.search(["absent"]) == []


def test_bm25f_index_rejects_unknown_fields() -> None:
    """An unconfigured field is an error naming the valid ones, not silently dropped."""
    with pytest.raises(ValueError, match="unknown field 'body'; valid: title"):
        BM25Index.build(
            [IndexedDocument("a", {"body": ["x"]})], fields={"title": FieldSpec(weight=1.0)}
        )


def test_bm25f_sentence_masks_are_kept_per_posting() -> None:
    """masks_many returns each document's sentence mask for a term (0 where absent)."""
    layer = _lexical()
    row = layer.index.vocabulary["token"]
    assert list(layer.index.masks_many(row, np.array([0, 1, 2]))) == [1, 2, 1]
    assert list(layer.index.masks_many(layer.index.vocabulary["cach"], np.array([2]))) == [0]


# --- typo ----------------------------------------------------------------------------------------


def _corrector(**kwargs: object) -> TypoCorrector:
    surfaces = {"retrieval": "retriev", "attention": "attent", "sinks": "sink", "model": "model"}
    vocabulary = {"retriev": 0, "attent": 1, "sink": 2, "model": 3}
    return TypoCorrector.from_surfaces(surfaces, vocabulary, **kwargs)  # type: ignore[arg-type]


def test_typo_corrects_unknown_words_to_index_words() -> None:
    """ "retreival" and "attension" are corrected, with a similarity below 1."""
    corrected = _corrector().correct(["retreival", "attension", "pizza"])
    assert set(corrected) == {"retreival", "attension"}
    assert corrected["retreival"][0][0] == 0 and 0.8 <= corrected["retreival"][0][1] < 1.0
    assert corrected["attension"][0][0] == 1


def test_typo_leaves_short_words_and_numbers_alone() -> None:
    """Words under four letters and numbers are never corrected ("mdel", "2023")."""
    corrector = _corrector()
    assert corrector.correct(["mdl", "2023"]) == {}
    assert corrector.correct(["modle"]) == {"modle": ((3, 0.8),)}


def test_typo_never_corrects_a_common_english_word() -> None:
    """With a common-word test, "president" is not turned into a look-alike index word."""
    corrector = TypoCorrector.from_surfaces(
        {"present": "present"}, {"present": 0}, is_common_word=lambda w: w == "president"
    )
    assert corrector.correct(["president"]) == {}
    assert corrector.correct(["presnet"]) == {"presnet": ((0, pytest.approx(0.86, abs=0.01)),)}


# --- aliases -------------------------------------------------------------------------------------


@pytest.fixture
def tiny_aliases(tiny_knowledge_dir: Path) -> AliasLayer:
    """The alias layer of the tiny knowledge base (MegaByte, kNN-LM, BART)."""
    return AliasLayer.build(load_knowledge(tiny_knowledge_dir))


@pytest.mark.parametrize("written", ["kNN-LM", "knn lm", "KNNLM", "what is knn-lm?"])
def test_alias_in_any_spelling_names_its_paper(tiny_aliases: AliasLayer, written: str) -> None:
    """Word parts are joined, so every spelling of an alias names the same paper (and the
    profile, whose bio names kNN-LM too)."""
    assert tiny_aliases.named(normalize(written), written) == {"1911.00172", "profile"}


def test_whole_title_names_its_paper(tiny_aliases: AliasLayer) -> None:
    """A question quoting a whole title names the paper without any alias."""
    question = "tell me about generalization through memorization nearest neighbor language models"
    assert "1911.00172" in tiny_aliases.named(question, question)


def test_posts_naming_an_alias_are_named_only_when_asked_for_posts(
    tiny_aliases: AliasLayer,
) -> None:
    """ "MegaByte" names the paper; with posts wanted, also his post that names it."""
    assert tiny_aliases.named("megabyte", "MegaByte") == {"2305.07185"}
    with_posts = tiny_aliases.named("megabyte", "MegaByte", with_posts=True)
    assert with_posts == {"2305.07185", "2023-05-15-1"}


def test_profile_works_name_the_profile(tiny_aliases: AliasLayer) -> None:
    """A work his bio names (here BART, also a paper alias) names the profile too."""
    assert tiny_aliases.named("bart", "BART") == {"1910.13461", "profile"}


def test_acronym_that_is_a_common_word_needs_capitals(engine: object) -> None:
    """ "ART" names the ART paper; "state of the art" does not; "BASE layers" needs capitals."""
    retriever = engine.retriever  # type: ignore[attr-defined]
    assert "2206.10658" in retriever.parse("What is ART?").named
    assert not retriever.parse("what is the state of the art?").named
    assert "2103.16716" in retriever.parse("how do BASE layers work").named
    assert "2103.16716" not in retriever.parse("best base layers for skiing").named


# --- synonyms ------------------------------------------------------------------------------------


def _synonyms(**kwargs: object) -> tuple[SynonymTable, dict[str, int]]:
    vocabulary = {"lm": 0, "languag": 1, "retriev": 2, "search": 3, "cicero": 4, "diplomaci": 5}
    idf = np.array([2.0, 1.0, 1.5, 0.5, 3.0, 2.5])
    groups = [["language model", "LM"], ["retrieval", "search"]]
    table = SynonymTable.build(groups, vocabulary=vocabulary, idf=idf, **kwargs)  # type: ignore[arg-type]
    return table, vocabulary


def test_synonym_member_expands_to_the_other_members() -> None:
    """ "language models" (plural, matched on stems) also matches "LM", as an alternative of
    the word "language"; "search" also matches "retrieval"."""
    table, vocabulary = _synonyms()
    expansions = table.expansions("which language models use search")
    assert ("language", (vocabulary["lm"],), 0.9) in expansions
    assert ("search", (vocabulary["retriev"],), 0.9) in expansions


def test_synonyms_need_the_whole_phrase() -> None:
    """ "language" alone is not the phrase "language model"."""
    table, _ = _synonyms()
    assert table.expansions("natural language processing") == []


def test_work_names_expand_one_way() -> None:
    """A bio work's profile-only name ("Cicero") reaches its other name, not the reverse."""
    table, vocabulary = _synonyms(work_names=[["Cicero", "Diplomacy"]])
    assert table.expansions("does cicero lie") == [
        ("cicero", (vocabulary["diplomaci"],), table.similarity[-1])
    ]
    assert table.expansions("the diplomacy game") == []


# --- semantic ------------------------------------------------------------------------------------


def test_semantic_layer_ranks_a_paraphrase_by_meaning() -> None:
    """A question sharing no word with the right document still finds it by meaning."""
    embedder = load_embedder()
    index = SemanticIndex.build(
        embedder,
        [
            ("Pictures", ["A model that generates images of cats and dogs."]),
            ("Cooking", ["Recipes for soups, bread and pasta."]),
        ],
    )
    vector = index.embed_question("photos of animals")
    assert int(np.argmax(index.doc_scores(vector))) == 0
    sentences = index.sentence_scores(vector, 0)
    assert sentences.shape == (2,)  # the context, then the one sentence
    assert index.best_sentences(vector, np.array([0, 1]))[0] == pytest.approx(sentences.max())


def test_semantic_vectors_are_unit_length() -> None:
    """Document and question vectors are normalised, so dot products are cosines."""
    embedder = load_embedder()
    vectors = embedder.embed(["attention sinks", "", "a"])
    norms = np.linalg.norm(vectors, axis=1)
    assert norms[0] == pytest.approx(1.0, abs=1e-5)
    assert norms[1] == 0.0  # an empty text has no pieces: a zero vector, never NaN


def test_semantic_build_a_slice_at_a_time_changes_no_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Documents are embedded a slice at a time to bound memory; every vector, document and
    sentence, is the one a single pass over all of them gives, and each equals the text's own
    embedding."""
    from bot.core.retrieval import semantic

    embedder = load_embedder()
    docs = [
        (f"Paper {i}", [f"Sentence {j} of paper {i} on retrieval." for j in range(i % 3)])
        for i in range(7)
    ]
    whole = SemanticIndex.build(embedder, docs)
    monkeypatch.setattr(semantic, "BUILD_DOCS", 2)
    sliced = SemanticIndex.build(embedder, docs)
    assert np.array_equal(whole.doc_vectors, sliced.doc_vectors)
    assert np.array_equal(whole.sentence_vectors, sliced.sentence_vectors)
    assert (
        whole.doc_sentences.tolist() == sliced.doc_sentences.tolist() == [0, 1, 3, 6, 7, 9, 12, 13]
    )
    texts = [t for context, sentences in docs for t in (context, *sentences)]
    assert np.array_equal(sliced.sentence_vectors, embedder.embed(texts).astype(np.float16))


# --- fusion and answerability --------------------------------------------------------------------


def _retriever(kb_dir: Path, model: DecisionModel) -> Retriever:
    import dataclasses

    retriever = Retriever.build(load_knowledge(kb_dir), layers=Layers.without("semantic"))
    return dataclasses.replace(retriever, model=model)


def test_fusion_orders_candidates_by_the_ranker_weights(tiny_knowledge_dir: Path) -> None:
    """With all weight on "is_post", a post outranks the paper it names; on "named", the paper
    comes first."""
    post_first = DecisionModel(LinearModel({"is_post": 1.0}), FALLBACK.decision, 0.5, 0.4, False)
    named_first = DecisionModel(LinearModel({"named": 1.0}), FALLBACK.decision, 0.5, 0.4, False)
    question = "megabyte million bytes"
    retriever = _retriever(tiny_knowledge_dir, post_first)
    assert retriever.retrieve(retriever.parse(question)).candidates[0].kind == "post"
    retriever = _retriever(tiny_knowledge_dir, named_first)
    assert retriever.retrieve(retriever.parse(question)).candidates[0].doc_id == "2305.07185"


def test_answerability_thresholds_give_high_low_or_decline() -> None:
    """At or above ``answer``: high; at or above ``tentative``: low; below: decline."""
    model = DecisionModel(
        LinearModel({}), LinearModel({}), answer=0.7, tentative=0.4, semantic=False
    )
    assert model.confidence(0.7) == "high"
    assert model.confidence(0.5) == "low"
    assert model.confidence(0.39) is None


def test_answerability_uses_the_decision_weights(tiny_knowledge_dir: Path) -> None:
    """The decision's probability is the logistic of its weighted features: a model that only
    rewards coverage answers a covered question and declines an unrelated one."""
    model = DecisionModel(
        FALLBACK.ranker, LinearModel({"coverage": 10.0}, bias=-5.0), 0.6, 0.5, False
    )
    retriever = _retriever(tiny_knowledge_dir, model)
    covered = retriever.retrieve(retriever.parse("megabyte multiscale decoder"))
    assert covered.confidence == "high" and covered.probability > 0.6
    unrelated = retriever.retrieve(retriever.parse("pizza dough recipe"))
    assert unrelated.confidence is None


def test_layers_without_names_the_valid_layers() -> None:
    """Switching off an unknown layer is an error that lists the real ones."""
    assert Layers.without("semantic", "typo") == Layers(semantic=False, typo=False)
    with pytest.raises(ValueError, match="unknown layer 'spelling'; valid: typo, synonyms"):
        Layers.without("spelling")


def test_stems_used_by_the_tiny_tables_are_the_real_stems() -> None:
    """The hand-written vocabularies above use the stemmer's own forms."""
    assert stem(["language", "retrieval", "diplomacy"]) == ["languag", "retriev", "diplomaci"]
