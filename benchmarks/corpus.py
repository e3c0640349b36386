"""Realistic synthetic knowledge folders for the scale benchmark, in the project's own schema.

A folder of ``n`` papers holds the real knowledge base (profile, posts, the real papers in
``papers.yaml``) plus ``n - real`` synthetic papers in ``papers/NNNN.yaml`` files of
``CHUNK`` papers each, written by the project's own YAML writer (``bot.build.dump_yaml``).
A synthetic paper looks like a real one to every part of the bot:

- its abstract recombines whole sentences of the real abstracts (an opening sentence, middle
  sentences mostly from the same paper, a closing one) to about 950 characters;
- its title joins the two halves of different real titles at a connective ("... for ...",
  "... with ..."), sometimes behind a made-up method name ("Zorvex: ..."), which is then its alias;
- its date follows the field's growth (more papers every year), its arXiv id matches its month,
  its venue is a real venue family of that year (or empty, as for preprints), and its authors come
  from a pool of names recombined from real author names, a few of them prolific;
- its topics are those of the real papers its sentences come from.

Usage: ``python benchmarks/corpus.py --papers 10000 --out /tmp/kb-10k``. The benchmark calls
``ensure_corpus``, which reuses a folder generated before with the same size, seed and version.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bot.core import schema  # noqa: E402
from bot.core.knowledge import load_knowledge  # noqa: E402
from bot.core.models import KnowledgeBase, Paper  # noqa: E402
from bot.core.text import split_sentences  # noqa: E402
from bot.writer import dump_yaml, paper_record  # noqa: E402

VERSION = 2  # bump when the generated papers change, so cached folders are rebuilt
CHUNK = 5_000  # papers per file under papers/
STAMP = ".corpus.json"
HEADER = "# Synthetic papers for the scale benchmark (benchmarks/corpus.py); not real papers.\n"

FIRST_YEAR, LAST_YEAR, LAST_MONTH = 2005, 2026, 5
GROWTH = 1.18  # papers per year grow by this factor
MONTH_ONLY_SHARE = 0.04  # dates known only to the month, as for a few real papers
NAMED_SHARE = 0.3  # titles led by a method name ("Zorvex: ..."), which becomes an alias
SECOND_ALIAS_SHARE = 0.1  # of the named ones, also a descriptive alias
NO_VENUE_SHARE = 0.45
RESEARCHER_SHARE = 0.03  # papers that list the researcher of the profile among the authors
PRIMARY_SENTENCE_SHARE = 0.6  # middle sentences taken from the same paper as the opening
ABSTRACT_CHARS = (950, 150, 600, 1400)  # mean, deviation, min, max
CONNECTIVES = ("for", "with", "via", "by", "through", "using", "from", "in", "of", "to", "as")
MODIFIERS = (
    "",
    "",
    "",
    "",
    "Efficient ",
    "Scalable ",
    "Robust ",
    "Towards ",
    "Revisiting ",
    "Rethinking ",
    "Simple ",
    "Learning ",
    "Understanding ",
    "Improving ",
    "On ",
    "Adaptive ",
)
SUFFIXES = (
    "",
    "",
    "",
    "",
    "",
    " at Scale",
    " in Practice",
    " for Low-Resource Languages",
    " Without Labels",
    " under Distribution Shift",
    " Across Domains",
    " for Long Documents",
)
SYLLABLES = (
    "ko",
    "ra",
    "li",
    "mo",
    "ve",
    "xa",
    "tri",
    "lu",
    "ne",
    "zo",
    "fa",
    "del",
    "mar",
    "quin",
    "sol",
    "tor",
    "vin",
    "bel",
    "cor",
    "dex",
    "ar",
    "ix",
    "on",
    "el",
    "ka",
    "gen",
    "sy",
    "pha",
    "lum",
    "nor",
    "vek",
)
NAME_TAILS = ("", "", "", "-LM", "-2", "++", "-XL", "Net", "-T5", "Former")
VENUES = (
    ("ACL", 8),
    ("EMNLP", 8),
    ("NAACL", 4),
    ("NeurIPS", 9),
    ("ICLR", 8),
    ("ICML", 7),
    ("TACL", 2),
    ("Findings of ACL", 3),
    ("Findings of EMNLP", 3),
    ("EACL", 2),
    ("COLING", 2),
    ("AAAI", 3),
    ("CVPR", 2),
    ("Interspeech", 1),
    ("COLM", 1),
    ("TMLR", 1),
)


@dataclass(frozen=True, slots=True)
class Pools:
    """What synthetic papers are recombined from, all taken from the real knowledge base."""

    openings: list[tuple[int, str]]  # (real paper index, first sentence)
    middles: list[tuple[int, str]]
    closings: list[tuple[int, str]]
    sentences: list[list[str]]  # per real paper
    topics: list[tuple[str, ...]]  # per real paper
    lefts: list[str]  # title halves before a connective
    rights: list[str]  # connective and what follows
    wholes: list[str]  # titles with no connective
    first_names: list[str]
    last_names: list[str]
    researcher: str
    taken_aliases: set[str]


def pools_from(kb: KnowledgeBase) -> Pools:
    """Cut the real papers into the pieces synthetic papers are made of."""
    openings, middles, closings, sentences = [], [], [], []
    lefts, rights, wholes = [], [], []
    for i, paper in enumerate(kb.papers):
        found = split_sentences(" ".join(paper.abstract.split()))
        sentences.append(found)
        if len(found) >= 3:
            openings.append((i, found[0]))
            closings.append((i, found[-1]))
            middles.extend((i, s) for s in found[1:-1])
        title = paper.title.split(": ", 1)[-1]  # "BART: Denoising ..." -> "Denoising ..."
        words = title.split()
        cut = next((j for j, w in enumerate(words[1:], 1) if w.lower() in CONNECTIVES), None)
        if cut is None or cut == len(words) - 1:
            wholes.append(title)
        else:
            lefts.append(" ".join(words[:cut]))
            rights.append(" ".join([words[cut].lower(), *words[cut + 1 :]]))
    people = {a for p in kb.papers for a in p.authors if len(a.split()) >= 2 and "." not in a}
    return Pools(
        openings=openings,
        middles=middles,
        closings=closings,
        sentences=sentences,
        topics=[p.topics for p in kb.papers],
        lefts=lefts,
        rights=rights,
        wholes=wholes,
        first_names=sorted({a.split()[0] for a in people}),
        last_names=sorted({a.split()[-1] for a in people}),
        researcher=kb.profile.name,
        taken_aliases={a.casefold() for p in kb.papers for a in p.aliases},
    )


class Generator:
    """Draw synthetic papers deterministically from a seed."""

    def __init__(self, pools: Pools, *, seed: int, total: int, taken_ids: set[str]) -> None:
        self.pools = pools
        self.rng = random.Random(seed)
        self.ids = set(taken_ids)
        self.aliases = set(pools.taken_aliases)
        self.serial: dict[str, int] = {}
        size = max(400, total // 4)  # distinct authors, a few of them prolific
        people = {
            f"{self.rng.choice(pools.first_names)} {self.rng.choice(pools.last_names)}"
            for _ in range(size * 2)
        }
        self.people = sorted(people)[:size]
        self.rng.shuffle(self.people)
        # Cumulative weights, computed once: random.choices would redo the sum on every call.
        self.people_weights = list(
            itertools.accumulate(1.0 / (rank + 20) for rank in range(len(self.people)))
        )
        self.years = list(range(FIRST_YEAR, LAST_YEAR + 1))
        self.year_weights = list(
            itertools.accumulate(GROWTH ** (y - FIRST_YEAR) for y in self.years)
        )

    def paper(self) -> dict[str, Any]:
        """One synthetic paper record, as written to a knowledge file."""
        rng, pools = self.rng, self.pools
        primary, abstract, used = self._abstract()
        year = rng.choices(self.years, cum_weights=self.year_weights)[0]
        month = rng.randint(1, LAST_MONTH if year == LAST_YEAR else 12)
        paper_id = self._arxiv_id(year, month)
        if rng.random() < MONTH_ONLY_SHARE:
            date = f"{year}-{month:02d}"
        else:
            date = f"{year}-{month:02d}-{rng.randint(1, 28):02d}"
        phrase = self._phrase()
        aliases: list[str] = []
        title = phrase
        if rng.random() < NAMED_SHARE:
            name = self._name(phrase)
            title = f"{name}: {phrase}"
            aliases.append(name)
            if rng.random() < SECOND_ALIAS_SHARE:
                descriptive = phrase.split(" ", 1)[-1].lower()
                if len(descriptive) <= schema.MAX_LENGTH["aliases"]:
                    aliases.append(descriptive)
        authors = list(
            dict.fromkeys(
                rng.choices(self.people, cum_weights=self.people_weights, k=rng.randint(2, 11))
            )
        )
        if rng.random() < RESEARCHER_SHARE:
            authors.insert(rng.randint(0, len(authors)), pools.researcher)
        topics = list(dict.fromkeys(t for i in (primary, *used) for t in pools.topics[i]))[:3]
        return paper_record(
            Paper(
                id=paper_id,
                title=title,
                date=date,
                venue=self._venue(year),
                authors=tuple(authors),
                url=schema.ARXIV_URL_PREFIX + paper_id,
                abstract=abstract,
                aliases=tuple(aliases),
                topics=tuple(topics),
            )
        )

    def _abstract(self) -> tuple[int, str, list[int]]:
        rng, pools = self.rng, self.pools
        mean, deviation, low, high = ABSTRACT_CHARS
        target = min(high, max(low, rng.gauss(mean, deviation)))
        primary, opening = rng.choice(pools.openings)
        chosen, used = [opening], []
        own = pools.sentences[primary][1:-1]
        length = len(opening)
        while length < target - 150:
            if own and rng.random() < PRIMARY_SENTENCE_SHARE:
                sentence = own[rng.randrange(len(own))]
            else:
                source, sentence = rng.choice(pools.middles)
                used.append(source)
            if sentence not in chosen:
                chosen.append(sentence)
                length += len(sentence) + 1
        source, closing = rng.choice(pools.closings)
        if closing not in chosen:
            chosen.append(closing)
            used.append(source)
        return primary, " ".join(chosen), used[:1]

    def _phrase(self) -> str:
        rng, pools = self.rng, self.pools
        if rng.random() < 0.15:
            core = rng.choice(pools.wholes)
        else:
            core = f"{rng.choice(pools.lefts)} {rng.choice(pools.rights)}"
        return f"{rng.choice(MODIFIERS)}{core}{rng.choice(SUFFIXES)}"

    def _name(self, phrase: str) -> str:
        rng = self.rng
        for attempt in range(100):
            if rng.random() < 0.4:
                initials = "".join(w[0] for w in phrase.split() if w[:1].isupper())[:5]
                base = initials.upper() if len(initials) >= 3 else ""
            else:
                base = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
                base = base.capitalize() if rng.random() < 0.7 else base.upper()
            if not base:
                continue
            name = base + rng.choice(NAME_TAILS) + (str(attempt) if attempt > 20 else "")
            if name.casefold() not in self.aliases:
                self.aliases.add(name.casefold())
                return name
        raise RuntimeError("ran out of method names")

    def _venue(self, year: int) -> str:
        rng = self.rng
        if rng.random() < NO_VENUE_SHARE:
            return ""
        family = rng.choices([v for v, _ in VENUES], [w for _, w in VENUES])[0]
        return f"{family} {year + (1 if rng.random() < 0.3 else 0)}"

    def _arxiv_id(self, year: int, month: int) -> str:
        prefix = f"{year % 100:02d}{month:02d}"
        while True:  # numbers from 30000 up: past any real id of the shipped papers
            number = self.serial.get(prefix, 30_000 + self.rng.randrange(1_000))
            self.serial[prefix] = number + 1 + self.rng.randrange(3)
            paper_id = f"{prefix}.{number:05d}"
            if paper_id not in self.ids:
                self.ids.add(paper_id)
                return paper_id


def _write_chunk(path: Path, records: Sequence[dict[str, Any]]) -> None:
    path.write_text(HEADER + dump_yaml({"papers": list(records)}), encoding="utf-8")


def generate(
    papers: int, out: Path, *, seed: int = 13, source: Path = ROOT / "knowledge", workers: int = 2
) -> None:
    """Write a knowledge folder of ``papers`` papers (the real ones included) to ``out``."""
    kb = load_knowledge(source)
    if papers < len(kb.papers):
        raise ValueError(f"at least {len(kb.papers)} papers (the real ones) are needed")
    if out.exists():
        shutil.rmtree(out)
    (out / "papers").mkdir(parents=True)
    for name in (schema.PROFILE_FILE, schema.PAPERS_FILE, schema.POSTS_FILE):
        shutil.copyfile(source / name, out / name)
    generator = Generator(
        pools_from(kb), seed=seed, total=papers, taken_ids={p.id for p in kb.papers}
    )
    records = [generator.paper() for _ in range(papers - len(kb.papers))]
    chunks = [records[i : i + CHUNK] for i in range(0, len(records), CHUNK)]
    paths = [out / "papers" / f"{n:04d}.yaml" for n in range(len(chunks))]
    # The project's writer is pure Python (about 1.5 ms a paper): two processes halve the wait.
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(_write_chunk, paths, chunks))
    (out / STAMP).write_text(json.dumps(_stamp(papers, seed)), encoding="utf-8")


def _stamp(papers: int, seed: int) -> dict[str, int]:
    return {"papers": papers, "seed": seed, "version": VERSION}


def ensure_corpus(papers: int, out: Path, *, seed: int = 13) -> bool:
    """Generate ``out`` unless it already holds this corpus; return True when it was generated."""
    stamp = out / STAMP
    try:
        if json.loads(stamp.read_text(encoding="utf-8")) == _stamp(papers, seed):
            return False
    except (OSError, ValueError):
        pass
    generate(papers, out, seed=seed)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, required=True, help="papers in all, real included")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (replaced)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    generate(args.papers, args.out, seed=args.seed)
    print(f"wrote {args.papers} papers to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
