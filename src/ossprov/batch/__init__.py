"""Batches of packages: queued in the results database, run by a local process pool or a Dask cluster,
resumable after any interruption (`ossprov.batch.run`). `run_item` is the default stage runner; this package
imports nothing heavy so that runner processes start quickly."""

from ossprov.batch.runner import run_item

__all__ = ["run_item"]
