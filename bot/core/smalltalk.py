"""Small talk: "thanks!", "ok cool", "hi" are not questions about the research.

In a chat people reply to an answer with thanks or an acknowledgement. Read as a follow-up,
"ok cool" would repeat the last answer; read as a question, "thanks" would get "I don't have
anything on that". A message made only of such words (and emoji or punctuation) gets a short,
friendly reply instead, which cites nothing and so counts as declined.
"""

from __future__ import annotations

import itertools
import re
from enum import Enum

from bot.core.text import normalize


class SmallTalk(Enum):
    THANKS = "thanks"
    GREETING = "greeting"
    GOODBYE = "goodbye"
    ACKNOWLEDGEMENT = "acknowledgement"


_THANKS = {"thanks", "thank", "thx", "ty", "tysm", "thankyou", "cheers", "appreciated"}
_GREETINGS = {"hi", "hello", "hey", "hiya", "yo", "morning", "afternoon", "evening", "howdy"}
_GOODBYES = {"bye", "goodbye", "cya", "later", "night", "goodnight"}
_ACKNOWLEDGEMENTS = {
    "ok", "okay", "k", "kk", "cool", "nice", "great", "awesome", "perfect", "neat", "sweet",
    "amazing", "wow", "lol", "haha", "lmao", "alright", "gotcha", "interesting", "helpful",
    "yes", "yep", "yeah", "sure", "fine", "excellent", "brilliant", "super", "helps", "helped",
}  # fmt: skip
# Words that may go with the ones above without making a question ("thank you so much",
# "got it, makes sense", "good morning", "see you").
_FILLERS = {
    "you", "u", "so", "very", "much", "a", "lot", "lots", "again", "got", "it", "that", "this",
    "makes", "sense", "good", "i", "see", "there", "all", "everyone", "bot",
    "man", "mate", "buddy", "for", "the", "answer", "info", "help", "oh", "ah", "really", "just",
    "now", "then", "is", "was", "and",
}  # fmt: skip
# Small talk made of fillers only.
_PHRASES = {
    ("got", "it"): SmallTalk.ACKNOWLEDGEMENT,
    ("makes", "sense"): SmallTalk.ACKNOWLEDGEMENT,
    ("i", "see"): SmallTalk.ACKNOWLEDGEMENT,
    ("see", "you"): SmallTalk.GOODBYE,
}
_WORD = re.compile(r"[^\W\d_]+")
_MAX_WORDS = 8  # longer messages are questions, whatever their words


def small_talk(text: str) -> SmallTalk | None:
    """What kind of small talk ``text`` is, or None when it may be a question.

    Emoji or punctuation alone ("👍", "!!") is an acknowledgement; a bare "?" is not small talk.
    """
    if "?" in text:
        return None
    words = _WORD.findall(normalize(text))
    if not words:
        return SmallTalk.ACKNOWLEDGEMENT if text.strip() else None
    if len(words) > _MAX_WORDS:
        return None
    known = _THANKS | _GREETINGS | _GOODBYES | _ACKNOWLEDGEMENTS
    if any(w not in known and w not in _FILLERS for w in words):
        return None
    for kind, vocabulary in (
        (SmallTalk.THANKS, _THANKS),
        (SmallTalk.GOODBYE, _GOODBYES),
        (SmallTalk.GREETING, _GREETINGS),
        (SmallTalk.ACKNOWLEDGEMENT, _ACKNOWLEDGEMENTS),
    ):
        if any(w in vocabulary for w in words):
            return kind
    pairs = set(itertools.pairwise(words))
    return next((kind for pair, kind in _PHRASES.items() if pair in pairs), None)
