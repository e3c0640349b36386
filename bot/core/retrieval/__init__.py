"""Retrieval in layers: lexical, typo, synonyms, alias, semantic, fusion and answerability.

See ``retriever.py`` for how the layers combine; each layer lives in its own module.
"""

from bot.core.retrieval.documents import PROFILE_ID, alias_key
from bot.core.retrieval.retriever import ALL_LAYERS, Candidate, Layers, Retrieval, Retriever

__all__ = ["ALL_LAYERS", "PROFILE_ID", "Candidate", "Layers", "Retrieval", "Retriever", "alias_key"]
