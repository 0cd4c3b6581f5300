"""ossprov: establish trust in open-source packages from their source."""

__version__ = "0.1.0"
