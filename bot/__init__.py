"""A Discord bot that answers questions about a researcher's work, with citations."""

__version__ = "0.1.0"
