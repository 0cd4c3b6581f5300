"""npm behind the Ecosystem interface (see `ecosystem`)."""

from ossprov.ecosystems.npm.ecosystem import ECOSYSTEM

__all__ = ["ECOSYSTEM"]
