"""Browse papers at any size: by title or short name as one types, by year, topic or words.

/paper's autocomplete runs on every keystroke, and Discord drops an answer after 3 seconds; a scan
of every title with rapidfuzz took 224 ms a keystroke at 100,000 papers. The ``Catalog`` is built
once per knowledge base so that no lookup scans every paper:

- *word starts*: every position where a word of a title or alias starts, sorted by the text that
  follows it (a suffix array cut to ``KEY_BYTES``), so the names with a word starting with what
  was typed are one binary search away;
- *exact aliases*: alias key -> papers;
- *title words*: each word of the names -> the names holding it, so a fuzzy (typo-tolerant) match
  scores only names sharing a word, or a near spelling of one, with the query; at most
  ``CANDIDATES`` of them. Up to ``EXHAUSTIVE_NAMES`` names every name is scored, as before;
- *years and topics* -> papers.

Papers are numbered by rank, newest first, so "newest first" is ascending order everywhere.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process, utils

from bot.core.models import Paper
from bot.core.retrieval import alias_key
from bot.core.state import Lines, Rows, StateError, array_of, pairs, rows_within

# partial_ratio a title or alias needs to be offered while typing: "atention sink" finds
# "attention sinks" (92) while "weather" or "pizza" find nothing (< 70).
FIND_CUTOFF = 75.0
RESOLVE_CUTOFF = 88.0  # WRatio a typed /paper value needs against a whole title or alias
RESOLVE_WHOLE_NAME = 70.0  # ratio against a whole title or alias, for values not a prefix
RESOLVE_MIN_CHARS = 4  # shorter typed values resolve only as an exact alias ("RAG", "BLT")
QUERY_FILTER_CUTOFF = 90.0  # partial_ratio for a title/alias to match a /papers query
KEY_BYTES = 12  # bytes of text kept per word start; longer queries are checked in full
EXHAUSTIVE_NAMES = 2_000  # up to this many names, fuzzy matching scores every one
CANDIDATES = 1_000  # above it, at most this many names sharing words with the query
WORD_CUTOFF = 70.0  # ratio for a title word to stand in for a query word not in any title
MIN_WORD_CHARS = 3  # shorter query words are too common to pick candidates by
PREFIX_WORDS = 200  # title words a partly typed last word may stand for


def fold(text: str) -> str:
    """rapidfuzz's default processing with runs of spaces folded ("LIMA: Less" -> "lima less")."""
    return " ".join(utils.default_process(text).split())


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one per build
class Catalog:
    """Lookups over a knowledge base's papers that never scan them all; immutable once built."""

    papers: tuple[Paper, ...]  # newest first: a paper's rank is its position here
    names: tuple[str, ...]  # folded titles and aliases, in rank order
    name_ranks: np.ndarray  # int32: the rank of each name's paper
    starts: np.ndarray  # int32: name index of each word start, in key order
    offsets: np.ndarray  # int32: where in its name each word start is
    keys: np.ndarray  # S{KEY_BYTES}: the UTF-8 text at each word start, sorted
    aliases: dict[str, tuple[int, ...]]  # alias key -> ranks, newest first
    words: tuple[str, ...]  # every word of the names, sorted
    word_names: np.ndarray  # int32: names holding each word, word by word (CSR data)
    word_starts: np.ndarray  # int64: where each word's names begin in word_names (CSR index)
    years: dict[int, np.ndarray]  # year -> ranks
    topics: dict[str, np.ndarray]  # topic -> ranks

    @classmethod
    def build(cls, papers_newest_first: Sequence[Paper]) -> Catalog:
        """Index papers given newest first."""
        papers = tuple(papers_newest_first)
        names: list[str] = []
        name_ranks: list[int] = []
        aliases: dict[str, list[int]] = {}
        years: dict[int, list[int]] = {}
        topics: dict[str, list[int]] = {}
        for rank, paper in enumerate(papers):
            for name in dict.fromkeys(fold(n) for n in (paper.title, *paper.aliases)):
                if name:
                    names.append(name)
                    name_ranks.append(rank)
            for alias in paper.aliases:
                key = alias_key(alias)
                if len(key) >= 2 and rank not in aliases.get(key, ()):
                    aliases.setdefault(key, []).append(rank)
            years.setdefault(paper.year, []).append(rank)
            for topic in paper.topics:
                topics.setdefault(topic, []).append(rank)
        starts, offsets, keys = _word_starts(names)
        words, word_names, word_starts = _word_postings(names)
        return cls(
            papers=papers,
            names=tuple(names),
            name_ranks=np.array(name_ranks, dtype=np.int32),
            starts=starts,
            offsets=offsets,
            keys=keys,
            aliases={k: tuple(v) for k, v in aliases.items()},
            words=words,
            word_names=word_names,
            word_starts=word_starts,
            years={y: np.array(r, dtype=np.int32) for y, r in years.items()},
            topics={t: np.array(r, dtype=np.int32) for t, r in topics.items()},
        )

    def to_state(self) -> dict[str, Any]:
        """The tables, for the engine cache (the papers are the knowledge base's)."""
        return {
            "names": Lines(self.names),
            "name_ranks": self.name_ranks,
            "starts": self.starts,
            "offsets": self.offsets,
            "keys": self.keys,
            "aliases": Rows([k, list(v)] for k, v in self.aliases.items()),
            "words": Lines(self.words),
            "word_names": self.word_names,
            "word_starts": self.word_starts,
            "years": Rows([y, r.tolist()] for y, r in self.years.items()),
            "topics": Rows([t, r.tolist()] for t, r in self.topics.items()),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], papers_newest_first: Sequence[Paper]) -> Catalog:
        """The catalog ``to_state`` described, over the same papers."""
        papers = tuple(papers_newest_first)
        names, words = tuple(state["names"]), tuple(state["words"])
        name_ranks = rows_within(array_of(state, "name_ranks", "int32"), len(papers), "name_ranks")
        starts = rows_within(array_of(state, "starts", "int32"), len(names), "starts")
        offsets, keys = (
            array_of(state, "offsets", "int32"),
            array_of(state, "keys", f"S{KEY_BYTES}"),
        )
        word_names = rows_within(array_of(state, "word_names", "int32"), len(names), "word_names")
        word_starts = array_of(state, "word_starts", "int64")
        if (
            name_ranks.size != len(names)
            or not starts.size == offsets.size == keys.size
            or word_starts.size != len(words) + 1
            or int(word_starts[-1]) != word_names.size
        ):
            raise StateError("catalog arrays of different lengths")

        def ranks(rows: Sequence[Any]) -> dict[Any, np.ndarray]:
            table = {k: np.array(v, dtype=np.int32) for k, v in pairs(rows)}
            for value in table.values():
                rows_within(value, len(papers), "ranks")
            return table

        return cls(
            papers=papers,
            names=names,
            name_ranks=name_ranks,
            starts=starts,
            offsets=offsets,
            keys=keys,
            aliases={k: tuple(v) for k, v in pairs(state["aliases"])},
            words=words,
            word_names=word_names,
            word_starts=word_starts,
            years={int(y): r for y, r in ranks(state["years"]).items()},
            topics=ranks(state["topics"]),
        )

    # --- /paper: autocomplete and the re-check of the chosen value ------------------------------

    def find(self, query: str, *, limit: int = 25) -> list[Paper]:
        """Papers whose title or alias matches ``query``, best first (for autocomplete).

        An empty query returns the newest papers. Each title and alias is scored on its own, so a
        long title cannot dilute a short name: an exact alias ("BART") first, then names with a
        word starting with the query, newest first, then fuzzy matches ("strreaming").
        """
        if limit <= 0:
            return []
        folded = fold(query)
        if not folded:
            return list(self.papers[:limit])
        ranked = list(self.alias_ranks(query))
        seen = set(ranked)
        for rank in self._word_start_ranks(folded, limit=limit + len(ranked)):
            if rank not in seen:
                ranked.append(rank)
                seen.add(rank)
        if len(ranked) < limit:
            best: dict[int, float] = {}
            for name, score in self._fuzzy(folded, fuzz.partial_ratio, FIND_CUTOFF):
                rank = int(self.name_ranks[name])
                if rank not in seen:
                    best[rank] = max(best.get(rank, 0.0), score)
            ranked += sorted(best, key=lambda r: (-best[r], r))
        return [self.papers[r] for r in ranked[:limit]]

    def resolve(self, text: str) -> Paper | None:
        """The paper ``text`` names by alias or by (close to) a whole title, or None.

        Stricter than ``find``: a value typed into /paper must name one paper, not merely resemble
        some title.
        """
        exact = self.alias_ranks(text)
        if exact:
            return self.papers[exact[0]]
        folded = fold(text)
        if len(folded) < RESOLVE_MIN_CHARS:
            return None
        found = self._fuzzy(folded, fuzz.WRatio, RESOLVE_CUTOFF, starting=True)
        for name_index, _ in sorted(found, key=lambda hit: (-hit[1], hit[0])):
            name = self.names[name_index]
            # Close to a whole name ("megabyt", "attension sinks") or the start of a title
            # ("trusting your evidence"); a word found inside a long title ("model") is not.
            if fuzz.ratio(folded, name) >= RESOLVE_WHOLE_NAME or name.startswith(folded):
                return self.papers[int(self.name_ranks[name_index])]
        return None

    def rank(self, paper: Paper) -> int | None:
        """The rank of ``paper`` (a binary search: papers are sorted by date and id), or None."""
        target = (paper.date, paper.id)
        papers = self.papers
        # Newest first, so "at or before target" is False for the papers before it, then True.
        rank = bisect.bisect_left(
            range(len(papers)), True, key=lambda i: (papers[i].date, papers[i].id) <= target
        )
        return rank if rank < len(papers) and papers[rank].id == paper.id else None

    def alias_ranks(self, text: str) -> tuple[int, ...]:
        """Ranks of the papers with ``text`` as an exact alias, newest first."""
        return self.aliases.get(alias_key(text), ())

    # --- /papers: filters --------------------------------------------------------------------

    def filter(self, *, year: int | None = None, topic: str | None = None) -> np.ndarray | None:
        """Ranks matching the year and topic given (ascending: newest first); None: no filter."""
        found: np.ndarray | None = None
        if year is not None:
            found = self.years.get(year, np.empty(0, dtype=np.int32))
        if topic is not None:
            by_topic = self.topics.get(topic, np.empty(0, dtype=np.int32))
            found = by_topic if found is None else found[np.isin(found, by_topic)]
        return found

    def matching_names(self, words: str) -> set[int]:
        """Ranks of papers with a title or alias holding ``words`` nearly as written."""
        folded = fold(words)
        hits = self._fuzzy(folded, fuzz.partial_ratio, QUERY_FILTER_CUTOFF)
        return {int(self.name_ranks[name]) for name, _ in hits}

    # --- the lookups ---------------------------------------------------------------------------

    def _word_start_range(self, folded: str) -> tuple[int, int]:
        """The range of ``starts`` whose text begins with ``folded`` (longer keys: a superset)."""
        key = folded.encode()[: KEY_BYTES - 1]
        low = int(np.searchsorted(self.keys, key, side="left"))
        # 0xff never occurs in UTF-8, so key + 0xff sorts after every key it begins.
        high = int(np.searchsorted(self.keys, key + b"\xff", side="left"))
        return low, high

    def _word_start_ranks(self, folded: str, *, limit: int) -> list[int]:
        """The newest ``limit`` papers with a name where a word starts with ``folded``."""
        low, high = self._word_start_range(folded)
        names = self.starts[low:high]
        ranks = self.name_ranks[names]
        if len(folded.encode()) < KEY_BYTES - 1:  # every key in the range begins with it
            if ranks.size > 4 * limit:  # mark and sweep: linear, where sorting would not be
                mask = np.zeros(len(self.papers), dtype=bool)
                mask[ranks] = True
                return np.flatnonzero(mask)[:limit].tolist()
            return _distinct(ranks)[:limit].tolist()
        # The keys were cut short: check the whole text, newest first, until there are enough.
        offsets = self.offsets[low:high]
        found: list[int] = []
        for i in np.argsort(ranks, kind="stable").tolist():
            rank = int(ranks[i])
            if (not found or found[-1] != rank) and self.names[names[i]].startswith(
                folded, offsets[i]
            ):
                found.append(rank)
                if len(found) == limit:
                    break
        return found

    def _fuzzy(
        self, folded: str, scorer: object, cutoff: float, *, starting: bool = False
    ) -> list[tuple[int, float]]:
        """(name index, score) of the names ``scorer`` rates ``cutoff`` or more against
        ``folded``; with ``starting``, names that begin with it are always among those scored."""
        if len(self.names) <= EXHAUSTIVE_NAMES:
            candidates = np.arange(len(self.names), dtype=np.int32)
        else:
            candidates = self._candidates(folded)
            if starting:
                low, high = self._word_start_range(folded)
                first = self.starts[low:high][self.offsets[low:high] == 0][:CANDIDATES]
                candidates = _distinct(np.concatenate((candidates, first)))
        if candidates.size == 0:
            return []
        hits = process.extract(
            folded,
            [self.names[i] for i in candidates.tolist()],
            scorer=scorer,
            processor=None,
            score_cutoff=cutoff,
            limit=None,
        )
        return [(int(candidates[index]), float(score)) for _, score, index in hits]

    def _candidates(self, folded: str) -> np.ndarray:
        """Names sharing words (or near spellings, or the completion of the last word) with
        ``folded``: at most CANDIDATES, those sharing the rarest words first, then the newest."""
        tokens = [t for t in dict.fromkeys(folded.split()) if len(t) >= MIN_WORD_CHARS]
        last = folded.split()[-1] if folded else ""
        weights = np.zeros(len(self.names), dtype=np.float32)
        for token in tokens:
            rows = self._word_rows(token, complete=token != last)
            if not rows:
                continue
            names = _distinct(
                np.concatenate(
                    [self.word_names[self.word_starts[r] : self.word_starts[r + 1]] for r in rows]
                )
            )
            weights[names] += np.log1p(len(self.names) / names.size)  # rarer words count more
        found = np.flatnonzero(weights)
        if found.size > CANDIDATES:
            found = np.sort(found[np.lexsort((found, -weights[found]))[:CANDIDATES]])
        return found.astype(np.int32)

    def _word_rows(self, token: str, *, complete: bool) -> list[int]:
        """Rows of ``words`` that may stand for ``token``: itself if a title has it, else its
        near spellings; for a word still being typed, also the words it begins."""
        rows: list[int] = []
        row = bisect.bisect_left(self.words, token)
        if row < len(self.words) and self.words[row] == token:
            rows.append(row)
        else:
            hits = process.extract(
                token,
                self.words,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=WORD_CUTOFF,
                limit=None,
            )
            rows += [index for _, _, index in hits]
        if not complete:
            end = bisect.bisect_left(self.words, token + "\uffff", lo=row)
            rows += range(row, min(end, row + PREFIX_WORDS))
        return sorted(set(rows))


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique's first call costs 80 ms of lazy imports)."""
    if values.size == 0:
        return values
    ordered = np.sort(values)
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _word_starts(names: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every word start of every name, sorted by the (cut) text that follows it."""
    starts: list[int] = []
    offsets: list[int] = []
    keys: list[bytes] = []
    for index, name in enumerate(names):
        offset = 0
        while offset >= 0:
            starts.append(index)
            offsets.append(offset)
            keys.append(name[offset : offset + KEY_BYTES].encode()[:KEY_BYTES])
            offset = name.find(" ", offset)
            offset = offset + 1 if offset >= 0 else -1
    key_array = np.array(keys, dtype=f"S{KEY_BYTES}")
    del keys
    order = np.argsort(key_array, kind="stable")
    return (
        np.array(starts, dtype=np.int32)[order],
        np.array(offsets, dtype=np.int32)[order],
        key_array[order],
    )


def _word_postings(names: Sequence[str]) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The sorted words of the names and, for each, the names holding it (CSR arrays)."""
    rows: dict[str, int] = {}
    word_of: list[int] = []
    name_of: list[int] = []
    for index, name in enumerate(names):
        for word in set(name.split()):
            word_of.append(rows.setdefault(word, len(rows)))
            name_of.append(index)
    words = sorted(rows)
    new_row = np.empty(len(rows), dtype=np.int32)
    new_row[[rows[w] for w in words]] = np.arange(len(words), dtype=np.int32)
    word_ids = new_row[np.array(word_of, dtype=np.int32)] if word_of else np.empty(0, np.int32)
    order = np.lexsort((np.array(name_of, dtype=np.int32), word_ids))
    counts = np.bincount(word_ids, minlength=len(words))
    starts = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return tuple(words), np.array(name_of, dtype=np.int32)[order], starts
