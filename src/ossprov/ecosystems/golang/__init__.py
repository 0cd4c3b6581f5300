"""Go modules behind the Ecosystem interface (see `ecosystem`)."""

from ossprov.ecosystems.golang.ecosystem import ECOSYSTEM

__all__ = ["ECOSYSTEM"]
