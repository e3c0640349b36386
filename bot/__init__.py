"""A Discord bot that answers questions about Mike Lewis's research, with citations."""

__version__ = "0.1.0"
