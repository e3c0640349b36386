"""The one place text is processed: LaTeX rendering, normalisation, tokenising, stopwords, stemming.

The index, the query side, the answerer and the baselines all call these functions, so a document
and a question always go through exactly the same steps.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata

import Stemmer

# General English function words plus the words every question here carries without telling
# documents apart ("what did she say in her paper about ..."): with them removed a question
# made only of common words has nothing left to match, so it cannot be answered by accident.
# The researcher's own name and handle are such words too: see ``bot.core.query.person_words``.
ENGLISH_STOPWORDS = frozenset(
    """
    a about above actually after again against all also am an and any anyone anything are aren
    as at basically be because been before being below best better between both but by can
    cannot cool could couldn d day days did didn do does doesn doing don down during each either
    else ever every everything few find for found from further get gets give good got great guy
    had hadn has hasn have haven having hello her here hers herself hey hi him himself how i if
    in into is isn it its itself just kind knew know knows let like ll look looking lot lots m
    many maybe me mean means might more most much must my myself need needs new nice no nor not
    now of off ok okay old on once one only or other ought our ours ourselves out over own
    people per perhaps person place please pretty quite rather re really recent recently s said
    same say says see shall she should shouldn show shows so some someone something sort stuff
    such t tell than thank thanks that the their theirs them themselves then there these they
    thing things think this those thought through thus time to today told tomorrow too under
    until up upon us ve very via want wanted wants was wasn way we week were weren what when
    where whether which while who whom whose why will with won would wouldn yes yesterday yet
    you your yours yourself yourselves
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Everyday verbs and adverbs of chat questions ("when did it come out", "which one can I use"):
# they say how someone asks, not what about, and would otherwise count as unknown information.
CHAT_STOPWORDS = frozenset(
    """
    do done get gets getting got gotten take takes taking took taken make makes making made give
    gives giving gave given come comes coming came go goes going went gone put puts putting keep
    keeps keeping kept let lets letting use uses using used try tries trying tried stop stops
    stopping stopped pick picks picking picked start starts starting started call calls called
    seem seems seemed happen happens happened become becomes became turn turns turned help helps
    helped ever still already even also again anyway around away back enough instead almost
    often always never sometimes usually ones someone anybody somebody everyone whatever
    whichever thoughts opinion opinions believe believes reckon feel feels known famous actually
    really
    """.split()  # noqa: SIM905 - a word list reads better as text
)
DOMAIN_STOPWORDS = frozenset(
    """
    article articles author authors describe did discuss discussed does explain explains he him
    his mention mentioned model models paper papers
    post posted posts publication publications publish published research researcher researchers
    studies study summarise summarize summary talk talked talks tweet tweeted tweets twitter
    work worked working works write written wrote x
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Chat shorthand and interjections ("eli5", "tbh", "pls", "u"), contractions typed without their
# apostrophe ("whats", "didnt") and the words that only say two things are compared ("vs",
# "diff"): how people type in a channel, never what they ask about.
SLANG_STOPWORDS = frozenset(
    """
    abt bc bro btw coz cuz dude dunno eli eli5 fr gimme gonna gotta guys hmm idk imho imo irl kinda
    lemme lmao lmk lol nah ngl nope ok okay omg pls plz ppl rn rofl smth sorta sth tbh tf thx
    tl tldr ty u ur wanna wdym wtf ya yall yeah yep yo
    whats hows whos wheres whens whys thats theres heres im ive id ill youre theyre hes shes
    dont doesnt didnt isnt wasnt arent werent cant couldnt wont wouldnt shouldnt hasnt havent
    hadnt lets
    vs versus diff difference differences different differ differs compare compared comparison
    """.split()  # noqa: SIM905 - a word list reads better as text
)
STOPWORDS = ENGLISH_STOPWORDS | CHAT_STOPWORDS | DOMAIN_STOPWORDS | SLANG_STOPWORDS

# LaTeX as it occurs in arXiv abstracts: inline maths, escaped percent, TeX quotes, a few commands.
_LATEX_COMMANDS = {
    r"\sim": "~",
    r"\approx": "≈",
    r"\times": "×",
    r"\le": "≤",
    r"\ge": "≥",
    r"\%": "%",
    r"\&": "&",
    r"\_": "_",
}
_LATEX_COMMAND_RE = re.compile(
    "|".join(re.escape(c) + (r"(?![A-Za-z])" if c[-1].isalpha() else "") for c in _LATEX_COMMANDS)
)
_INLINE_MATH_RE = re.compile(r"\$([^$]{0,80})\$")
_TEX_QUOTES_RE = re.compile(r"``(.*?)''", re.DOTALL)
_SPACES_RE = re.compile(r"[ \t\r\f\v]+")

# A token is a run of letters/digits; hyphenated or dotted compounds ("pre-training", "kNN-LM",
# "LLM.int8") also yield their joined form so "pretraining" and "pre-training" meet.
_WORD_RE = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*")
_PART_RE = re.compile(r"[^\W_]+")

# Web addresses ("https://github.com/pytorch/fairseq/", "science.org/doi/...", "ai.meta.com"):
# a link says where something is, not what it is about, so its parts ("pytorch", "github") are
# never index terms or question words.
URL_RE = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[^\W_][\w-]*(?:\.[\w-]+)*\.(?:com|org|net|io|ai|co|edu|gov|dev|me|ly|xyz)\b(?:/\S*)?",
    re.IGNORECASE,
)

_URL_HINT_RE = re.compile(r"://|www\.|\.(?:com|org|net|io|ai|co|edu|gov|dev|me|ly|xyz)\b", re.I)

_local = threading.local()  # PyStemmer objects are not thread-safe: one per thread
# Distinct words whose stems are kept, least recently used dropped first: five times the shipped
# knowledge's vocabulary, about 4 MB when full. Unbounded, a bot fed random words grew for ever.
STEM_CACHE_SIZE = 16_384


def render_latex(text: str) -> str:
    """Render the LaTeX of arXiv abstracts as plain text: ``$k$NN`` -> ``kNN``, ``\\%`` -> ``%``."""
    if "$" not in text and "\\" not in text and "``" not in text:
        return text
    text = _TEX_QUOTES_RE.sub(r'"\1"', text)
    text = _INLINE_MATH_RE.sub(lambda m: m.group(1), text)
    text = _LATEX_COMMAND_RE.sub(lambda m: _LATEX_COMMANDS[m.group(0)], text)
    text = text.replace("{", "").replace("}", "")
    return _SPACES_RE.sub(" ", text).replace("~ ", "~")


def normalize(text: str) -> str:
    """Return ``text`` rendered, NFKC-normalised and casefolded: the form every match compares."""
    text = unicodedata.normalize("NFKC", render_latex(text))
    if not text.isprintable():
        # Control characters (and other non-printing ones) become spaces so they never glue words.
        text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text.casefold()


def tokenize(text: str, *, joined: bool = True) -> list[str]:
    """Split normalised ``text`` into word tokens, adding the joined form of each compound."""
    if not joined:
        text = _prepare(text)
        return [p for part in _PART_RE.findall(text) for p in _split_name_number(part)]
    return [token for group in word_groups(text) for token in group]


# "llama3" / "gpt4" are a name and a version: split so "Llama 3" and "Llama3" meet ("int8",
# "seq2seq" and "8b" keep their joined form too, as a compound does).
_NAME_NUMBER_RE = re.compile(r"([^\W\d_]{3,})(\d+)")


# Thousands separators: "1,000" is the number 1000, as "1000" is (not the words "1" and "000").
_DIGIT_GROUP_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def _prepare(text: str) -> str:
    """Drop web addresses and thousands separators before splitting into words."""
    text = strip_urls(text)
    return _DIGIT_GROUP_RE.sub("", text) if "," in text else text


def strip_urls(text: str) -> str:
    """Replace each web address in ``text`` with a space (see ``URL_RE``)."""
    # The common case has no address: a quick scan for its marks spares the full pattern.
    if "." not in text or _URL_HINT_RE.search(text) is None:
        return text
    return URL_RE.sub(" ", text)


def _split_name_number(part: str) -> list[str]:
    if not part[-1].isdigit():
        return [part]
    match = _NAME_NUMBER_RE.fullmatch(part)
    return [match.group(1), match.group(2)] if match else [part]


def word_groups(text: str) -> list[list[str]]:
    """Tokenise normalised ``text`` keeping each compound's tokens together.

    ``"fine-tune it"`` gives ``[["fine", "tune", "finetune"], ["it"]]``: a compound is one word of
    the question, however many index terms it yields.
    """
    groups: list[list[str]] = []
    for word in _WORD_RE.findall(_prepare(text)):
        if word.isalpha():  # the common case: one plain word
            groups.append([word])
            continue
        parts = [p for part in _PART_RE.findall(word) for p in _split_name_number(part)]
        if len(parts) > 1 and len(parts) <= 3:
            parts.append("".join(parts))
        groups.append(parts)
    return groups


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def stem(words: list[str]) -> list[str]:
    """Stem ``words`` with the Snowball English stemmer (PyStemmer), caching each word's stem."""
    return [_stem_word(w) for w in words]


@functools.lru_cache(maxsize=STEM_CACHE_SIZE)
def _stem_word(word: str) -> str:
    return _stem_one(_stemmer(), word)


# Number words and the digits abstracts write them with ("a thousand examples" -> "1,000"):
# a question's number word also matches the number (as an alternative, never an extra word).
NUMBER_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "twelve": "12",
    "twenty": "20",
    "fifty": "50",
    "hundred": "100",
    "thousand": "1000",
}


_ACRONYM_PLURAL_RE = re.compile(r"[b-df-hj-np-tv-z0-9]{1,6}s")


def _stem_one(stemmer: Stemmer.Stemmer, word: str) -> str:
    # Snowball leaves vowel-less acronym plurals alone ("lms", "llms"): strip their "s" so "LMs"
    # and "LM" meet, as "models" and "model" do.
    if _ACRONYM_PLURAL_RE.fullmatch(word):
        return word[:-1]
    return stemmer.stemWord(word)


def content_words(text: str, *, extra: frozenset[str] = frozenset()) -> list[str]:
    """Normalise and tokenise ``text`` and drop stopwords (and ``extra`` ones, such as the
    researcher's own names): the words that tell documents apart."""
    return [w for w in tokenize(normalize(text)) if w not in STOPWORDS and w not in extra]


def analyze(text: str, *, extra: frozenset[str] = frozenset()) -> list[str]:
    """Return the index terms of ``text``: normalised, tokenised, stopwords removed, stemmed."""
    return stem(content_words(text, extra=extra))


def split_sentences(text: str) -> list[str]:
    """Split rendered prose into sentences without breaking at "e.g.", "et al." or decimals."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        end = match.end()
        candidate = text[start:end].strip()
        if _ABBREVIATION_END_RE.search(candidate):
            continue
        if candidate:
            sentences.append(candidate)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9$])")
_ABBREVIATION_END_RE = re.compile(
    r"(?:\be\.g|\bi\.e|\bet al|\bvs|\bcf|\bfig|\beq|\bno|\bapprox|\betc|\b[A-Z])\.[\"')\]]*$",
    re.IGNORECASE,
)
