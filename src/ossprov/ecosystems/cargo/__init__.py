"""Rust crates behind the Ecosystem interface (see `ecosystem`; the rebuild recipe is `recipe`)."""

from ossprov.ecosystems.cargo.ecosystem import ECOSYSTEM

__all__ = ["ECOSYSTEM"]
