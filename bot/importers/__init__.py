"""Importers: bring papers and posts from arXiv, BibTeX and the X archive into a knowledge base.

Each importer parses its source into typed records (``bot.core.models``), checking it fully first
(``KnowledgeError`` names the file and line, or the record, of every problem), then merges them
into a loaded ``KnowledgeBase`` with ``bot.importers.merge``: new records are added, existing ones
only gain values they lack, and curated fields (aliases, topics, notes) are never touched. The
result is a new ``KnowledgeBase`` and an ``ImportReport`` (added, changed, unchanged, skipped);
``bot.writer.save_knowledge`` validates and writes it. Nothing here imports discord.
"""
