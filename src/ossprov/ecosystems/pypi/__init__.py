"""PyPI behind the Ecosystem interface (see `ecosystem`)."""

from ossprov.ecosystems.pypi.ecosystem import ECOSYSTEM

__all__ = ["ECOSYSTEM"]
