"""Rust crates behind the Ecosystem interface (see `ecosystem`).

Integration: the rebuild stage reaches the crate recipe through `ossprov.ecosystems.cargo.recipe.infer(source,
subdir, release, published)`; until the recipe hook is part of the plug-in interface, `verify.recipe.infer`
dispatches purl type `cargo` to it.
"""

from ossprov.ecosystems.cargo.ecosystem import ECOSYSTEM

__all__ = ["ECOSYSTEM"]
