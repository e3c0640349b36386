"""The baseline of the scale benchmark: bm25s as a command of the same shape as ``bot ask``.

It reads the same knowledge folder (profile, papers.yaml, papers/*.yaml, posts.yaml, posts/*.yaml)
with PyYAML's C loader, indexes each paper's title, aliases, authors and abstract and each post's
text with bm25s (English stopwords, PyStemmer), and prints the three best documents for a
question. No validation, no answer, no decline: the cost of plain retrieval.

Usage: ``python benchmarks/bm25s_cli.py --knowledge DIR "What is BART?"``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bm25s
import Stemmer
import yaml

STEMMER = Stemmer.Stemmer("english")


def read_documents(knowledge_dir: Path) -> tuple[list[str], list[str]]:
    """(ids, texts) of every paper and post in the folder."""
    ids: list[str] = []
    texts: list[str] = []
    for kind in ("papers", "posts"):
        paths = [knowledge_dir / f"{kind}.yaml", *sorted((knowledge_dir / kind).glob("*.yaml"))]
        for path in paths:
            if not path.is_file():
                continue
            with path.open("rb") as handle:
                data: Any = yaml.load(handle, Loader=yaml.CSafeLoader)
            for record in data[kind]:
                ids.append(record["id"])
                if kind == "papers":
                    parts = [
                        record["title"],
                        *record.get("aliases", ()),
                        *record["authors"],
                        record["abstract"],
                    ]
                else:
                    parts = [record["text"]]
                texts.append(" ".join(parts))
    return ids, texts


def build(texts: Sequence[str]) -> bm25s.BM25:
    """Index the texts."""
    tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=STEMMER, show_progress=False)
    index = bm25s.BM25()
    index.index(tokens, show_progress=False)
    return index


def search(index: bm25s.BM25, question: str, *, k: int = 3) -> list[tuple[int, float]]:
    """(document number, score) of the ``k`` best documents for ``question``."""
    tokens = bm25s.tokenize([question], stopwords="en", stemmer=STEMMER, show_progress=False)
    if not tokens.vocab:
        return []
    k = min(k, index.scores["num_docs"])
    docs, scores = index.retrieve(tokens, k=k, show_progress=False, n_threads=1)
    return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bm25s over a knowledge folder, one question")
    parser.add_argument("question")
    parser.add_argument("--knowledge", type=Path, required=True)
    args = parser.parse_args(argv)
    ids, texts = read_documents(args.knowledge)
    index = build(texts)
    for number, score in search(index, args.question):
        print(f"{ids[number]}\t{score:.3f}\t{texts[number][:80]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
