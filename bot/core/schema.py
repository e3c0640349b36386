"""The knowledge schema in one place: file names, fields, formats and the controlled topic list.

The loader (``bot.core.knowledge``), the build (``bot.build``) and ``knowledge/README.md`` all
follow these definitions; change them here, never in a copy.
"""

from __future__ import annotations

import re

PROFILE_FILE = "profile.yaml"
PAPERS_FILE = "papers.yaml"
POSTS_FILE = "posts.yaml"
SYNONYMS_FILE = "synonyms.yaml"  # optional: groups of equivalent terms for query expansion
KNOWLEDGE_FILES = (PROFILE_FILE, PAPERS_FILE, POSTS_FILE)
# Optional: arXiv ids that importers must never add (a namesake's papers). Absent means none.
EXCLUDE_FILE = "exclude.yaml"
# More papers and posts may live in these folders, one list per file (papers/*.yaml, posts/*.yaml),
# read in name order after papers.yaml and posts.yaml.
PAPERS_DIR = "papers"
POSTS_DIR = "posts"

# Papers and posts files are read one record at a time, so memory does not grow with a file's
# size; the caps only stop runaway input. A real-length paper takes about 1.8 KB of YAML.
MAX_FILE_BYTES = 256_000_000  # one papers or posts file: about 140,000 papers
MAX_KNOWLEDGE_BYTES = 512_000_000  # all files together: about 280,000 papers (README: scaling)
MAX_PROFILE_BYTES = 1_000_000  # one short record, read whole

# Size caps per field, checked by key name wherever the key occurs (``text`` is a post's text and
# a quoted post's). A string longer than its cap, or a list with more items, is an error at its
# line: under the file cap alone one 850 KB abstract validated and became a 206-message answer.
# Each cap is several times the longest real value; for a list key the length caps each item.
MAX_LENGTH: dict[str, int] = {
    "title": 300,  # arXiv titles stay under ~250
    "abstract": 5_000,  # arXiv allows 1,920
    "text": 4_000,  # his own words in a post; fits one embed description (4,096)
    "aliases": 80,  # each alias; an autocomplete label holds 100
    "note": 1_000,  # shown under a paper; an embed field holds 1,024
    "authors": 200,  # each author's name
    "bio": 1_000,  # X allows 160
}
DEFAULT_MAX_LENGTH = 1_000  # every other string: names, venue, ids, URLs, links
MAX_ITEMS: dict[str, int] = {
    "authors": 100,  # the build cuts lists longer than 12 to the first 8 and "et al."
    "aliases": 20,
}
DEFAULT_MAX_ITEMS = 50  # every other list: topics, works, links

# Topic -> what it covers. Topics are assigned by hand (1-3 per paper) from reading the abstract;
# the /papers topic filter offers exactly these values.
TOPIC_DESCRIPTIONS: dict[str, str] = {
    "pretraining": "pre-training objectives, data, recipes and scaling of foundation models",
    "retrieval": "retrieval-augmented and nearest-neighbour models, dense retrievers, re-rankers",
    "long-context": "context length, position methods, length extrapolation, streaming",
    "efficiency": "cheaper training or inference: sparsity, distillation, parallelism, memory",
    "mixture-of-experts": "expert layers, routing, and modular expert models that are merged",
    "multimodal": "images, speech or video alongside text, including speech recognition",
    "alignment-and-instruction-tuning": "instruction tuning, fine-tuning data and self-alignment",
    "decoding": "how text is generated from a model: search, sampling, contrastive decoding",
    "evaluation-and-factuality": "benchmarks, factuality and faithfulness, fact checking",
    "code": "code generation, infilling and program synthesis",
    "machine-translation": "translation between languages, multilingual models",
    "dialogue-and-games": "dialogue agents, negotiation and strategy games, commentary",
    "in-context-learning": "few-shot learning from demonstrations, prompting and prompt tuning",
    "quantization": "low-bit (8-bit) weights, activations and optimizer states",
    "tokenization-and-bytes": "byte-level models, patches instead of tokens, tokenizer choice",
    "semantic-parsing": "mapping utterances to executable or structured meaning representations",
}
TOPICS: tuple[str, ...] = tuple(TOPIC_DESCRIPTIONS)

# Keys of each record kind, in the order the build writes them. Required keys must be present and,
# for strings, non-empty; optional keys may be omitted (or left "" where the value is unknown).
PROFILE_REQUIRED = ("name", "handle", "url", "bio", "location", "joined", "works")
PROFILE_KEYS = (*PROFILE_REQUIRED, "counts")
# The counts the profile page showed, with when it was captured (YYYY, YYYY-MM or YYYY-MM-DD).
COUNTS_REQUIRED = ("captured",)
COUNTS_KEYS = ("captured", "posts", "following", "followers")
MAX_COUNT = 10**12

# synonyms.yaml: `synonyms:` is a list of groups, each a list of 2+ equivalent terms.
SYNONYM_GROUP_MAX = 20  # terms in one group
SYNONYM_TERM_MAX_CHARS = 60
SYNONYM_GROUPS_MAX = 5_000

PAPER_REQUIRED = ("id", "title", "date", "authors", "url", "abstract")
PAPER_KEYS = (
    "id",
    "title",
    "date",
    "venue",
    "authors",
    "url",
    "abstract",
    "aliases",
    "topics",
    "note",
    "categories",
    "journal_ref",
    "doi",
)
# Filled by hand, never from the raw sources: the build and the importers keep them as they are.
PAPER_CURATED = ("aliases", "topics", "note")

POST_REQUIRED = ("id", "date", "text", "url")
POST_KEYS = (
    "id",
    "date",
    "text",
    "url",
    "reply_to",
    "thread",
    "quoted",
    "links",
    "link_title",
    "status_id",
)
THREAD_REQUIRED = ("id", "position")
THREAD_KEYS = ("id", "position", "total")
QUOTED_KEYS = ("handle", "name", "date", "text", "note", "url")
EXCLUDE_KEYS = ("id", "reason")

ARXIV_ID_RE = re.compile(r"^\d{4}\.\d{4,5}$")
ARXIV_URL_PREFIX = "https://arxiv.org/abs/"
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH_RE = re.compile(r"^\d{4}-\d{2}$")
YEAR_RE = re.compile(r"^\d{4}$")
POST_ID_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})-(\d+)$")
HANDLE_RE = re.compile(r"^@\w{1,50}$")
TOPIC_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STATUS_ID_RE = re.compile(r"^\d{1,20}$")  # X's numeric post ids ("1845209812345678901")
CATEGORY_RE = re.compile(r"^[a-z-]+(?:\.[A-Za-z-]+)?$")  # arXiv categories: "cs.CL", "hep-th"
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
