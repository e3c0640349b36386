"""The pure core: knowledge, retrieval and answering. Never imports discord."""
