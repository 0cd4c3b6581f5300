"""Rust crates behind the Ecosystem interface (see `ecosystem`)."""

from ossprov.ecosystems.cargo.ecosystem import ECOSYSTEM

__all__ = ["ECOSYSTEM"]
