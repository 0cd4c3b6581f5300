"""Maven behind the Ecosystem interface (see `ecosystem`)."""

from ossprov.ecosystems.maven.ecosystem import ECOSYSTEM

__all__ = ["ECOSYSTEM"]
