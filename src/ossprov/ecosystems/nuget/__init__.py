"""NuGet behind the Ecosystem interface (see `ecosystem`)."""

from ossprov.ecosystems.nuget.ecosystem import ECOSYSTEM

__all__ = ["ECOSYSTEM"]
